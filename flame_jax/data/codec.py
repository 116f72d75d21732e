"""The codec: how a run's text becomes token ids (its vocabulary and its chat template).

One value carries it everywhere text is tokenized: the training features
(features.get_dataset(codec=...)), `train(codec=...)`, the judge (`Autorater(model, params,
codec)`, as gemma's Sampler takes its tokenizer) and the export. Two codecs live side by side in
one process; nothing about tokenization is a process-wide setting.

    codec = Codec.load("gs://B/base/tokenizer.model", "gemma")
    codec.encode_inputs(record.inputs)     # chat markup + inputs (no EOS), as in training
    codec.encode_targets(record.targets)   # EVALUATION text + EOS, never wrapped

The chat template (flame_jax.data.chat) is applied here and only here, by `wrap_ids` in Python
(the judge) and `wrap_tensor` in tf.data (training features), both built from the same markup
ids, so what the judge sees is what the model was trained on (tests/data/test_chat.py).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Mapping, Sequence

import seqio

from flame_jax.data import chat, vocabularies

_SPECIAL = re.compile(r"(<[^<>\s]+>)")


@dataclasses.dataclass(frozen=True, eq=False)
class Codec:
    """A vocabulary and the chat template its inputs are wrapped in (None: as they are)."""

    vocabulary: seqio.Vocabulary
    chat_template: chat.ChatTemplate | None = None

    @classmethod
    def load(
        cls,
        vocabulary_path: str,
        chat_template: str | Mapping[str, str] | chat.ChatTemplate | None = None,
    ) -> Codec:
        """The codec of a vocabulary file and a template name, mapping or ChatTemplate."""
        return cls(vocabularies.load(vocabulary_path), chat.resolve(chat_template))

    @property
    def vocabulary_path(self) -> str:
        return vocabularies.path_of(self.vocabulary)

    @property
    def eos_id(self) -> int:
        return int(self.vocabulary.eos_id)

    # --- Python (the judge) -------------------------------------------------------------------

    def encode_inputs(self, text: str) -> list[int]:
        """The inputs as the model reads them: tokenized, then wrapped in the template."""
        return self.wrap_ids(list(self.vocabulary.encode(text)))

    def encode_targets(self, text: str, *, eos: bool = True) -> list[int]:
        """The targets' ids, + EOS unless `eos` is False (a prefix of a target)."""
        ids = list(self.vocabulary.encode(text))
        return [*ids, self.eos_id] if eos else ids

    def decode(self, ids: Sequence[int]) -> str:
        return self.vocabulary.decode(list(ids))

    def wrap_ids(self, input_ids: Sequence[int]) -> list[int]:
        """Tokenized inputs wrapped in the chat template (as they are without one)."""
        template = self.chat_template
        if template is None:
            return list(input_ids)
        inputs = self._trim(list(input_ids)) if template.trim else list(input_ids)
        return self.markup_ids(template.prefix) + inputs + self.markup_ids(template.suffix)

    def overhead(self) -> int:
        """How many tokens the template adds to every example's inputs (at most)."""
        template = self.chat_template
        if template is None:
            return 0
        return len(self.markup_ids(template.prefix)) + len(self.markup_ids(template.suffix))

    def markup_ids(self, text: str) -> list[int]:
        """Token ids of template markup: `<...>` special pieces by id, the rest encoded."""
        return list(self._markup_ids(text))

    @functools.lru_cache(maxsize=64)  # noqa: B019  (a few markup strings per codec)
    def _markup_ids(self, text: str) -> tuple[int, ...]:
        ids: list[int] = []
        for part in _SPECIAL.split(text):
            if not part:
                continue
            special = _SPECIAL.fullmatch(part)
            piece = vocabularies.special_token_id(self.vocabulary, part) if special else None
            if piece is not None:
                ids.append(int(piece))
            else:
                if special:
                    logging.warning(
                        "chat template markup %s is not a piece of the vocabulary: encoded as text",
                        part,
                    )
                ids += list(self.vocabulary.encode(part))
        return tuple(ids)

    @functools.cached_property
    def whitespace_ids(self) -> frozenset[int]:
        """Ids of the vocabulary's whitespace-only tokens (newlines, word starts, bytes)."""
        return vocabularies.whitespace_ids(self.vocabulary)

    def _trim(self, ids: list[int]) -> list[int]:
        blank = self.whitespace_ids
        start, end = 0, len(ids)
        while start < end and ids[start] in blank:
            start += 1
        while end > start and ids[end - 1] in blank:
            end -= 1
        return ids[start:end]

    # --- tf.data (the training features) ------------------------------------------------------

    def wrap_tensor(self, input_ids):
        """wrap_ids on a 1-D integer tf.Tensor (inside tf.data): the same markup, the same trim."""
        import tensorflow as tf  # noqa: PLC0415

        template = self.chat_template
        if template is None:
            return input_ids
        dtype = input_ids.dtype
        ids = tf.cast(input_ids, tf.int32)
        if template.trim:
            blank = tf.constant(sorted(self.whitespace_ids) or [-1], tf.int32)
            kept = tf.where(~tf.reduce_any(tf.equal(ids[:, None], blank[None, :]), axis=1))[:, 0]
            empty = tf.equal(tf.size(kept), 0)
            start = tf.where(empty, tf.constant(0, tf.int64), tf.reduce_min(kept))
            end = tf.where(empty, tf.constant(0, tf.int64), tf.reduce_max(kept) + 1)
            ids = ids[start:end]
        prefix = tf.constant(self.markup_ids(template.prefix), tf.int32)
        suffix = tf.constant(self.markup_ids(template.suffix), tf.int32)
        return tf.cast(tf.concat([prefix, ids, suffix], axis=0), dtype)
