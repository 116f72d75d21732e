"""Vocabularies: loading one from its file, the adaptor the registered tasks hold, the chat
markup helpers for both kinds, and small SentencePiece models built offline.

A run's vocabulary is a value (`flame_jax.data.codec.Codec` carries it with the chat template):
`load(path)` reads the base model's tokenizer and picks the kind from the file: a SentencePiece
model (`.model`: Gemma, Llama 2, Mistral) gives seqio's SentencePieceVocabulary, a tokenizer.json
(Llama 3, Qwen2; or a folder holding one) `hf_vocabulary.HuggingFaceVocabulary`. The FLAMe tasks
are registered with seqio once, before any vocabulary is known, so their output features hold a
`TaskVocabulary`: an adaptor that delegates to the vocabulary bound while a dataset is built
(flame_jax.data.binding). Tests and the demo build a small model with `train_sentencepiece`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import seqio

from flame_jax.data import binding
from flame_jax.data.hf_vocabulary import (
    TOKENIZER_FILE,
    HuggingFaceVocabulary,
    sentencepiece_text,
)

SENTENCEPIECE_SUFFIX = ".model"


def load(path: str) -> seqio.Vocabulary:
    """The vocabulary a file describes (local or gs://): SentencePiece for a .model file,
    HuggingFaceVocabulary for a tokenizer.json or a folder holding one (a folder with only
    tokenizer.model: that)."""
    import tensorflow as tf  # noqa: PLC0415

    if not path:
        raise ValueError("no vocabulary: give the base's tokenizer.model or tokenizer.json")
    if tf.io.gfile.isdir(path):
        for name in (TOKENIZER_FILE, "tokenizer.model"):
            if tf.io.gfile.exists(os.path.join(path, name)):
                return load(os.path.join(path, name))
        raise FileNotFoundError(f"no {TOKENIZER_FILE} or tokenizer.model in {path}")
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(f"no vocabulary file at {path}")
    if path.endswith(SENTENCEPIECE_SUFFIX):
        return seqio.SentencePieceVocabulary(path)
    if path.endswith(".json"):
        return HuggingFaceVocabulary(path)
    raise ValueError(
        f"vocabulary {path}: not a SentencePiece model (.model) or a Hugging Face tokenizer.json"
    )


def path_of(vocabulary: seqio.Vocabulary) -> str:
    """The file a vocabulary was loaded from (what a run records)."""
    if isinstance(vocabulary, HuggingFaceVocabulary):
        return vocabulary.path
    path = getattr(vocabulary, "sentencepiece_model_file", None)
    if not path:
        raise ValueError(f"{type(vocabulary).__name__} does not say which file it was read from")
    return path


class TaskVocabulary(seqio.Vocabulary):
    """The vocabulary of the registered FLAMe tasks: the one bound while a dataset is built.

    Every instance is equal to every other (t5x's `verify_matching_vocabs` compares a model gin's
    vocabulary with the tasks'); outside a binding any use raises, naming what to bind.
    """

    def __init__(self):
        super().__init__(extra_ids=0)

    @staticmethod
    def bound() -> seqio.Vocabulary:
        vocabulary = binding.current().vocabulary
        if vocabulary is None:
            raise RuntimeError(
                "no vocabulary is bound: build FLAMe datasets through "
                "flame_jax.data.features.get_dataset(codec=...) or inside "
                "flame_jax.data.binding.bound(vocabulary=...)"
            )
        return vocabulary

    @property
    def eos_id(self) -> int | None:
        return self.bound().eos_id

    @property
    def unk_id(self) -> int | None:
        return self.bound().unk_id

    @property
    def pad_id(self) -> int:
        return self.bound().pad_id

    @property
    def bos_id(self) -> int | None:
        return self.bound().bos_id

    @property
    def _base_vocab_size(self) -> int:
        return self.bound().vocab_size

    @property
    def vocab_size(self) -> int:
        return self.bound().vocab_size

    def _encode(self, s):
        return self.bound().encode(s)

    def _decode(self, ids):
        return self.bound().decode(ids)

    def _encode_tf(self, s):
        return self.bound().encode_tf(s)

    def _decode_tf(self, ids):
        return self.bound().decode_tf(ids)

    def decode(self, ids):  # the bound vocabulary's own EOS and padding rules
        return self.bound().decode(ids)

    def decode_tf(self, ids):
        return self.bound().decode_tf(ids)

    def __eq__(self, other) -> bool:
        return isinstance(other, TaskVocabulary)

    def __hash__(self) -> int:
        return hash(TaskVocabulary)


def special_token_id(vocabulary: seqio.Vocabulary, text: str) -> int | None:
    """The id of the special token spelled `text` (<bos>, <|im_start|>) in either kind of
    vocabulary, or None: a SentencePiece piece (control or user-defined), an added token."""
    if isinstance(vocabulary, HuggingFaceVocabulary):
        return vocabulary.special_token_id(text)
    processor = _sentencepiece(vocabulary).tokenizer
    piece = processor.piece_to_id(text)
    return None if processor.is_unknown(piece) and text != processor.id_to_piece(piece) else piece


def whitespace_ids(vocabulary: seqio.Vocabulary) -> frozenset[int]:
    """Ids of either kind of vocabulary's whitespace-only tokens (newlines, word starts, bytes).

    Computed on each call for a SentencePiece vocabulary (a pass over the pieces): the Codec
    keeps the result."""
    if isinstance(vocabulary, HuggingFaceVocabulary):
        return vocabulary.whitespace_ids()
    processor = _sentencepiece(vocabulary).tokenizer
    out = set()
    for i in range(processor.get_piece_size()):
        if processor.is_control(i) or processor.is_unknown(i):
            continue
        text = sentencepiece_text(processor.id_to_piece(i))
        if text and not text.strip():
            out.add(i)
    return frozenset(out)


def _sentencepiece(vocabulary: seqio.Vocabulary) -> seqio.SentencePieceVocabulary:
    if not isinstance(vocabulary, seqio.SentencePieceVocabulary):
        raise TypeError(
            f"{type(vocabulary).__name__} is neither a SentencePiece nor a Hugging Face vocabulary"
        )
    return vocabulary


def train_sentencepiece(texts: Iterable[str], path: str, *, vocab_size: int = 2000) -> str:
    """Trains a small SentencePiece model on `texts` and writes it to `path` (.model).

    The model keeps text as it is (identity normalisation, no whitespace folding) so that
    the newlines of the FLAMe format survive a round trip, falls back to bytes for unseen
    characters, and uses seqio's ids: pad 0, eos 1, unk 2. Training is single-threaded and
    so deterministic: the same texts give the same model.
    """
    import sentencepiece as spm  # noqa: PLC0415

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    prefix = path[: -len(".model")] if path.endswith(".model") else path
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)),
        model_prefix=prefix,
        vocab_size=vocab_size,
        hard_vocab_limit=False,  # a small corpus may support fewer pieces: vocab_size is a cap
        model_type="bpe",
        character_coverage=1.0,
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        user_defined_symbols=["\n"],
        max_sentence_length=1 << 16,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return prefix + ".model"
