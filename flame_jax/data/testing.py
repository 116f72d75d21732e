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
