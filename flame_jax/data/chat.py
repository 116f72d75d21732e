"""Chat templates: FLAMe inputs wrapped in the base model's chat-turn markup.

An instruction-tuned base was trained on its chat format, and a judge fine-tuned or queried
in another format is a known cause of broken judges. One switch, set once per process like
the vocabulary (gin: `train.chat_template`; `flame-jax convert hf-to-flame` writes it into the
model gin it generates), wraps the inputs of every example:

    wrapped inputs = markup_ids(prefix) + trim(vocabulary.encode(inputs)) + markup_ids(suffix)

This module is the one place that applies it: `wrap_ids` for the judge (flame_jax.judge.scoring
and .generation) and `wrap_tensor`, its tf.data twin, for training features
(flame_jax.data.features), both built from the same markup ids, so what the judge sees is what
the model was trained on (tests/data/test_chat.py checks the two agree). The targets (the
EVALUATION text + EOS) are never wrapped.

`trim` (Gemma's, Llama 2's and Llama 3's templates trim the message, `| trim`): whitespace-only
tokens at both ends of the inputs are dropped, so the FLAMe inputs' closing blank line does not
end up inside the user turn.

Tokenization: the inputs are tokenized exactly as without a template (seqio tokenizes the
inputs feature on its own); in the markup, special tokens written `<...>` (<bos>, <s>,
<start_of_turn>, <|eot_id|>) become their ids when the vocabulary has such a piece, and the
text between them is tokenized by the vocabulary. This is the Hugging Face tokenization of the
rendered template up to merges across the boundary between markup and inputs (the reason the
"llama2" markup carries no spaces next to the inputs: SentencePiece's word-start marker of the
separately tokenized inputs stands for the space).

The switch is a registered name (`TEMPLATES`) or a mapping {"prefix": ..., "suffix": ...};
None (the default) leaves the inputs as they are, the FLAMe paper's format.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import re
from collections.abc import Mapping

from flame_jax.data import vocabularies


@dataclasses.dataclass(frozen=True)
class ChatTemplate:
    """The markup before and after the inputs.

    `rendered` is the (prefix, suffix) that Hugging Face's Jinja template renders around a
    user message with a generation prompt; it identifies the template of a converted
    checkpoint and defaults to (prefix, suffix).
    """

    prefix: str
    suffix: str
    trim: bool = False
    rendered: tuple[str, str] | None = None

    @property
    def hf_rendered(self) -> tuple[str, str]:
        return self.rendered or (self.prefix, self.suffix)


TEMPLATES: dict[str, ChatTemplate] = {
    # Gemma 1/2/3 instruction-tuned models.
    "gemma": ChatTemplate(
        "<bos><start_of_turn>user\n", "<end_of_turn>\n<start_of_turn>model\n", trim=True
    ),
    # Llama 2 chat and Mistral 7B Instruct v0.1/v0.2 (one user turn, no system prompt).
    "llama2": ChatTemplate("<s>[INST]", "[/INST]", trim=True, rendered=("<s>[INST] ", " [/INST]")),
    # Llama 3 instruct (one user turn, no system prompt).
    "llama3": ChatTemplate(
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n",
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        trim=True,
    ),
    # ChatML (Qwen2 without its default system prompt).
    "chatml": ChatTemplate("<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n"),
}

_active: ChatTemplate | None = None
_SPECIAL = re.compile(r"(<[^<>\s]+>)")


def resolve(template: str | Mapping[str, str] | ChatTemplate | None) -> ChatTemplate | None:
    """A ChatTemplate from a registered name, a {"prefix", "suffix"} mapping, or None."""
    if template is None or isinstance(template, ChatTemplate):
        return template
    if isinstance(template, str):
        if template.lower() == "none":
            return None
        if template not in TEMPLATES:
            close = difflib.get_close_matches(template, TEMPLATES, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(
                f"unknown chat template {template!r}{hint} (registered: {', '.join(TEMPLATES)}; "
                'or give {"prefix": ..., "suffix": ...})'
            )
        return TEMPLATES[template]
    unknown = set(template) - {"prefix", "suffix", "trim"}
    if unknown or "prefix" not in template or "suffix" not in template:
        raise ValueError(
            f'a chat template mapping has "prefix", "suffix" and optionally "trim"; got {template}'
        )
    return ChatTemplate(
        str(template["prefix"]), str(template["suffix"]), trim=bool(template.get("trim", False))
    )


def set_chat_template(template: str | Mapping[str, str] | ChatTemplate | None) -> None:
    """Sets the chat template of this process (None: inputs as they are)."""
    global _active
    _active = resolve(template)


def current() -> ChatTemplate | None:
    """The chat template in force, or None."""
    return _active


def name_of(prefix: str, suffix: str) -> str | None:
    """The registered template whose Hugging Face rendering is (prefix, suffix), if any."""
    for name, template in TEMPLATES.items():
        if template.hf_rendered == (prefix, suffix):
            return name
    return None


@functools.lru_cache(maxsize=64)
def _markup_ids(text: str, vocabulary_path: str) -> tuple[int, ...]:
    del vocabulary_path  # the cache key: the same text encodes differently per vocabulary
    vocabulary = vocabularies.VOCABULARY
    processor = vocabulary.tokenizer
    unk = processor.unk_id()
    ids: list[int] = []
    for part in _SPECIAL.split(text):
        if not part:
            continue
        special = _SPECIAL.fullmatch(part)
        piece = processor.piece_to_id(part) if special else unk
        if piece != unk:
            ids.append(int(piece))
        else:
            if special:
                logging.warning(
                    "chat template markup %s is not a piece of the vocabulary: encoded as text",
                    part,
                )
            ids += list(vocabulary.encode(part))
    return tuple(ids)


def markup_ids(text: str) -> list[int]:
    """Token ids of template markup: `<...>` special pieces by id, the rest encoded."""
    return list(_markup_ids(text, vocabularies.vocabulary_path()))


@functools.lru_cache(maxsize=8)
def _whitespace_ids(vocabulary_path: str) -> frozenset[int]:
    del vocabulary_path  # the cache key
    processor = vocabularies.VOCABULARY.tokenizer
    out = set()
    for i in range(processor.get_piece_size()):
        if processor.is_control(i) or processor.is_unknown(i):
            continue
        piece = processor.id_to_piece(i)
        text = chr(int(piece[3:5], 16)) if processor.is_byte(i) else piece.replace("\u2581", " ")
        if text and not text.strip():
            out.add(i)
    return frozenset(out)


def whitespace_ids() -> list[int]:
    """Ids of the vocabulary's whitespace-only pieces (newlines, word starts, bytes), sorted."""
    return sorted(_whitespace_ids(vocabularies.vocabulary_path()))


def _trim(ids: list[int]) -> list[int]:
    blank = _whitespace_ids(vocabularies.vocabulary_path())
    start, end = 0, len(ids)
    while start < end and ids[start] in blank:
        start += 1
    while end > start and ids[end - 1] in blank:
        end -= 1
    return ids[start:end]


def wrap_ids(input_ids: list[int], template: ChatTemplate | None = None) -> list[int]:
    """The inputs' token ids wrapped in `template` (default: the current one; none: as is)."""
    template = template or _active
    if template is None:
        return list(input_ids)
    inputs = _trim(list(input_ids)) if template.trim else list(input_ids)
    return markup_ids(template.prefix) + inputs + markup_ids(template.suffix)


def wrap_tensor(input_ids, template: ChatTemplate):
    """wrap_ids on a 1-D integer tf.Tensor (inside tf.data): the same markup, the same trim."""
    import tensorflow as tf  # noqa: PLC0415

    dtype = input_ids.dtype
    ids = tf.cast(input_ids, tf.int32)
    if template.trim:
        blank = tf.constant(whitespace_ids() or [-1], tf.int32)
        kept = tf.where(~tf.reduce_any(tf.equal(ids[:, None], blank[None, :]), axis=1))[:, 0]
        empty = tf.equal(tf.size(kept), 0)
        start = tf.where(empty, tf.constant(0, tf.int64), tf.reduce_min(kept))
        end = tf.where(empty, tf.constant(0, tf.int64), tf.reduce_max(kept) + 1)
        ids = ids[start:end]
    prefix = tf.constant(markup_ids(template.prefix), tf.int32)
    suffix = tf.constant(markup_ids(template.suffix), tf.int32)
    return tf.cast(tf.concat([prefix, ids, suffix], axis=0), dtype)


def overhead(template: ChatTemplate | None = None) -> int:
    """How many tokens the template adds to every example's inputs (at most)."""
    template = template or _active
    if template is None:
        return 0
    return len(markup_ids(template.prefix)) + len(markup_ids(template.suffix))
