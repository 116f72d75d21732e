"""Test helpers for sources and tasks (part of the API, like seqio.test_utils).

`write_rows` writes rows in an upstream format under a data directory, and `render` renders
a task on them, so every task has a golden test of its exact text in a few lines:

    root = testing.write_rows(tmp_path, "hh_rlhf", "harmless-base/train.jsonl.gz", rows)
    records = testing.render("hh_rlhf_harmlessness", "train", root)
    assert records[0].inputs + records[0].targets == EXPECTED
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import lzma
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from flame_jax.data import registry
from flame_jax.format import Record

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")


def shared_data() -> str:
    """../shared/data beside the repository (real upstream samples for tests)."""
    return os.path.abspath(SHARED_DATA)


def write_rows(
    root: os.PathLike | str, source: str, file: str, rows: Sequence[Mapping[str, Any]]
) -> str:
    """Writes `rows` as ROOT/<source>/<file> in the format its name says; returns ROOT."""
    path = os.path.join(os.fspath(root), source, file)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    name = file.removesuffix(".gz").removesuffix(".xz")
    if name.endswith(".jsonl"):
        data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    elif name.endswith(".json"):
        data = json.dumps(list(rows), indent=2).encode()
    elif name.endswith((".csv", ".tsv")):
        out = io.StringIO()
        writer = csv.DictWriter(
            out, fieldnames=list(rows[0]), delimiter="\t" if name.endswith(".tsv") else ","
        )
        writer.writeheader()
        writer.writerows(rows)
        data = out.getvalue().encode()
    elif name.endswith(".parquet"):
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        pq.write_table(pa.Table.from_pylist(list(rows)), path)
        return os.fspath(root)
    else:
        raise ValueError(f"unknown format of {file}")
    with open(path, "wb") as f:
        if file.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        elif file.endswith(".xz"):
            data = lzma.compress(data)
        f.write(data)
    return os.fspath(root)


def render(task: str, split: str, root: str | None = None, n: int | None = None) -> list[Record]:
    """The first `n` records (all when None) of a task split under data directory `root`."""
    records = registry.get_task(task).records(split, root)
    return list(itertools.islice(records, n))


def text(record: Record) -> str:
    """The full rendered example: inputs followed by targets."""
    return record.inputs + record.targets


def skipped(task: str, split: str, root: str | None = None) -> Counter:
    """The skip counts of a task split (after reading it fully)."""
    counts: Counter = Counter()
    for _ in registry.get_task(task).records(split, root, counts):
        pass
    return counts


def train_gemma_style_sentencepiece(
    texts: Sequence[str], path_prefix: str, *, vocab_size: int, dummy_prefix: bool = False
) -> str:
    """A small SentencePiece model laid out like Gemma's (BPE with byte fallback, ids pad 0,
    eos 1, unk 2, <bos> 3, the turn markers as pieces; with `dummy_prefix`, Llama-like);
    returns the .model path. For chat-template and tokenizer-parity tests."""
    import sentencepiece as spm  # noqa: PLC0415

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_prefix=path_prefix,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        model_type="bpe",
        character_coverage=1.0,
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=dummy_prefix,
        user_defined_symbols=["\n", "<start_of_turn>", "<end_of_turn>"],
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=3,
        bos_piece="<bos>",
        num_threads=1,
        minloglevel=2,
    )
    return path_prefix + ".model"


# Pre-tokenizer splits of Llama 3 (tiktoken's cl100k pattern) and Qwen2 (digits one by one).
_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2_SPLIT = _LLAMA3_SPLIT.replace(r"\p{N}{1,3}", r"\p{N}")
# The instruct models' Jinja chat templates (Qwen2's without its default system prompt).
LLAMA3_CHAT_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)
CHATML_CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
BPE_STYLES = {
    # style: (split pattern, NFC normalizer, special tokens, tokenizer_config.json entries)
    "llama3": (
        _LLAMA3_SPLIT,
        False,
        [
            "<|begin_of_text|>",
            "<|end_of_text|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|eot_id|>",
        ],
        {
            "bos_token": "<|begin_of_text|>",
            "eos_token": "<|eot_id|>",
            "chat_template": LLAMA3_CHAT_TEMPLATE,
        },
    ),
    "qwen2": (
        _QWEN2_SPLIT,
        True,
        ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        {
            "bos_token": None,
            "eos_token": "<|im_end|>",
            "pad_token": "<|endoftext|>",
            "chat_template": CHATML_CHAT_TEMPLATE,
        },
    ),
}


def train_byte_level_bpe(
    texts: Sequence[str], directory: str, *, style: str = "llama3", vocab_size: int = 1000
) -> str:
    """A small byte-level BPE tokenizer laid out like Llama 3's or Qwen2's instruct models
    (their pre-tokenizer split, the 256 byte tokens first so that id 0 is "!", the special
    tokens last, BOS prepended by the post-processor for Llama 3), trained with the
    `tokenizers` library on `texts`. Writes tokenizer.json and tokenizer_config.json (with
    the chat template) into `directory`; returns the tokenizer.json path. Deterministic."""
    from tokenizers import (  # noqa: PLC0415
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )

    split, nfc, specials, config = BPE_STYLES[style]
    tokenizer = Tokenizer(models.BPE())
    if nfc:
        tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(split), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer)
    tokenizer.add_special_tokens(specials)
    bos = config["bos_token"]
    if bos:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A",
            pair=f"{bos} $A {bos} $B",
            special_tokens=[(bos, tokenizer.token_to_id(bos))],
        )
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "tokenizer.json")
    tokenizer.save(path)
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "clean_up_tokenization_spaces": False,
                "model_max_length": 1_000_000,
                **config,
            },
            f,
            indent=2,
        )
    return path
