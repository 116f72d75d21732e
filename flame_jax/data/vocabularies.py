"""The vocabulary every FLAMe task tokenizes with, and small SentencePiece models built offline.

All tasks share one `ConfiguredVocabulary`: a seqio SentencePiece vocabulary whose model file
is read when it is first used, from `set_vocabulary_path()` (gin/CLI) or the FLAME_VOCAB
environment variable. Real runs point it at the base model's tokenizer (e.g. Gemma's
tokenizer.model); tests and the demo build a small model with `train_sentencepiece`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import seqio

_vocabulary_path: str | None = None


def set_vocabulary_path(path: str | None) -> None:
    """Sets the SentencePiece model every task uses (overrides FLAME_VOCAB)."""
    global _vocabulary_path
    _vocabulary_path = path


def vocabulary_path() -> str:
    path = _vocabulary_path or os.environ.get("FLAME_VOCAB")
    if not path:
        raise RuntimeError(
            "No vocabulary: set FLAME_VOCAB (or set_vocabulary_path / --vocab) to a "
            "SentencePiece model, e.g. the base model's tokenizer.model; "
            "flame_jax.data.vocabularies.train_sentencepiece builds a small one offline."
        )
    return path


class ConfiguredVocabulary(seqio.SentencePieceVocabulary):
    """A SentencePiece vocabulary whose model file is resolved at first use, not at import."""

    def __init__(self):
        super().__init__(sentencepiece_model_file="")

    def _model_context(self):
        path = vocabulary_path()
        if path != self._sentencepiece_model_file:
            self._sentencepiece_model_file = path
            self._model = None
        return super()._model_context()

    @property
    def sentencepiece_model_file(self) -> str:
        return vocabulary_path()

    def __eq__(self, other) -> bool:
        return isinstance(other, ConfiguredVocabulary)

    def __hash__(self) -> int:
        return hash(ConfiguredVocabulary)


VOCABULARY = ConfiguredVocabulary()


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
