"""Hugging Face `tokenizers` vocabularies (Llama 3, Qwen2: tokenizer.json only) for seqio.

    vocabulary = vocabularies.load("/ckpt/llama3_8b/tokenizer.json")   # or a .model file

`flame_jax.data.vocabularies.load` picks the kind from the file: a tokenizer.json (or a folder
holding one) gives `HuggingFaceVocabulary`, which tokenizes with the `tokenizers` library exactly
as transformers' fast tokenizer of the same folder does
(`tokenizer(text, add_special_tokens=False)`).

Protocol of `HuggingFaceVocabulary`:
  * Encoding adds nothing: no BOS, no EOS (the post-processor's template is not applied). The
    features append EOS to targets themselves (seqio.Feature(add_eos=True)), and a chat template
    writes the BOS markup. Special tokens written in the text (`<|eot_id|>`) are matched as
    transformers matches them.
  * EOS, BOS and UNK are the model card's: `eos_token`, `bos_token`, `unk_token` of the
    tokenizer_config.json next to tokenizer.json (Llama 3 Instruct: <|eot_id|>; Llama 3 base:
    <|end_of_text|>; Qwen2: <|endoftext|> or, instruct, <|im_end|>; no BOS for Qwen2; no UNK for
    byte-level BPE). A missing eos_token is an error: the targets need one.
  * Padding. seqio's features pad with id 0 and `pad_id` is 0, but in these vocabularies id 0
    is a real token (Llama 3's and Qwen2's "!"). That is safe in training: padded positions
    carry loss weight 0 and segment id 0, so they are masked and never scored, whatever token
    id 0 is. seqio's decoder-only converter also shifts the targets right with 0 as the first
    decoder input, which here is "!" rather than a start token (BOS handling is the chat
    template's). Decoding never treats 0 as padding: `decode` keeps it ("!"); `decode_tf`
    drops what follows the first EOS instead of replacing it with pad ids as seqio's does.
  * Decoding skips special tokens (as SentencePiece drops control pieces) and ids beyond the
    tokenizer (a model's embedding may have more rows: Qwen2), and gives back exactly the text
    that was encoded, multi-byte characters split across tokens included (a text that the
    tokenizer's normalizer changes, e.g. Qwen2's NFC, comes back normalized).
  * In tf.data, `encode_tf` runs the tokenizer through tf.numpy_function: a string scalar
    gives a 1-D int32 tensor of unknown length, a string tensor of rank >= 1 a RaggedTensor,
    so it works inside seqio's tokenize preprocessor.
  * Two vocabularies are equal when their tokenizer.json files and EOS/BOS/UNK are.

For chat markup it gives `special_token_id(text)` (the id of a special token written
`<|begin_of_text|>`, or None) and `whitespace_ids()` (the ids of whitespace-only tokens, for a
template's trim); flame_jax.data.vocabularies has the same two for both kinds.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import seqio
import tensorflow as tf

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"


def _token_text(value: Any) -> str | None:
    """A special token of tokenizer_config.json: a string, or an AddedToken dict."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) and value else None


@functools.lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """Byte of each character of GPT-2's byte-to-unicode alphabet (byte-level BPE tokens)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


class HuggingFaceVocabulary(seqio.Vocabulary):
    """A seqio vocabulary over a Hugging Face tokenizer.json (see the module docstring).

    `path` is a tokenizer.json or a folder holding one; EOS/BOS/UNK come from the
    tokenizer_config.json next to it unless given (`eos_token`, `bos_token`, `unk_token`).
    """

    def __init__(
        self,
        path: str,
        *,
        eos_token: str | None = None,
        bos_token: str | None = None,
        unk_token: str | None = None,
    ):
        super().__init__(extra_ids=0)
        import tokenizers  # noqa: PLC0415

        if tf.io.gfile.isdir(path):
            path = os.path.join(path, TOKENIZER_FILE)
        self._path = path
        try:
            with tf.io.gfile.GFile(path, "rb") as f:
                content = f.read()
        except tf.errors.NotFoundError:
            raise FileNotFoundError(f"no tokenizer file at {path}") from None
        try:
            self._tokenizer = tokenizers.Tokenizer.from_str(content.decode("utf-8"))
        except Exception as e:  # tokenizers raises a bare Exception on a malformed file
            raise ValueError(f"{path} is not a Hugging Face tokenizer.json: {e}") from None
        config = self._read_config(os.path.join(os.path.dirname(path), TOKENIZER_CONFIG_FILE))
        self._eos_token = eos_token or _token_text(config.get("eos_token"))
        self._bos_token = bos_token or _token_text(config.get("bos_token"))
        self._unk_token = unk_token or _token_text(config.get("unk_token"))
        if self._eos_token is None:
            raise ValueError(
                f"no EOS token for {path}: its {TOKENIZER_CONFIG_FILE} names no eos_token "
                "(give eos_token)"
            )
        self._eos_id = self._required_id(self._eos_token, "eos_token")
        self._bos_id = (
            None if self._bos_token is None else self._required_id(self._bos_token, "bos_token")
        )
        self._unk_id = (
            None if self._unk_token is None else self._required_id(self._unk_token, "unk_token")
        )
        self._size = max(self._tokenizer.get_vocab(with_added_tokens=True).values()) + 1
        digest = hashlib.sha256(content)
        digest.update(json.dumps([self._eos_token, self._bos_token, self._unk_token]).encode())
        self._digest = digest.hexdigest()

    @staticmethod
    def _read_config(path: str) -> dict[str, Any]:
        if not tf.io.gfile.exists(path):
            return {}
        with tf.io.gfile.GFile(path) as f:
            try:
                config = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path} is not valid JSON: {e}") from None
        if not isinstance(config, dict):
            raise ValueError(f"{path} is not a JSON object")
        return config

    def _required_id(self, token: str, field: str) -> int:
        token_id = self._tokenizer.token_to_id(token)
        if token_id is None:
            raise ValueError(f"{field} {token!r} is not a token of {self._path}")
        return token_id

    @property
    def path(self) -> str:
        """The tokenizer.json file."""
        return self._path

    @property
    def tokenizer(self):
        """The `tokenizers.Tokenizer`."""
        return self._tokenizer

    @property
    def eos_id(self) -> int:
        return self._eos_id

    @property
    def bos_id(self) -> int | None:
        return self._bos_id

    @property
    def unk_id(self) -> int | None:
        return self._unk_id

    @property
    def pad_id(self) -> int:
        """seqio's PAD (0), also a real token here: padded positions are masked, never scored."""
        return seqio.vocabularies.PAD_ID

    @property
    def _base_vocab_size(self) -> int:
        return self._size

    def _encode(self, s: str) -> list[int]:
        return self._tokenizer.encode(s, add_special_tokens=False).ids

    def _encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [e.ids for e in encodings]

    def _decode(self, ids: Iterable[int]) -> str:
        ids = [int(i) for i in ids if 0 <= int(i) < self._size]
        return self._tokenizer.decode(ids, skip_special_tokens=True)

    def _encode_tf(self, s: tf.Tensor) -> tf.Tensor | tf.RaggedTensor:
        s = tf.convert_to_tensor(s, tf.string)

        def encode(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            rows = self._encode_batch([t.decode("utf-8") for t in texts])
            lengths = np.asarray([len(r) for r in rows], np.int64)
            values = np.fromiter((i for r in rows for i in r), np.int32, int(lengths.sum()))
            return values, lengths

        values, lengths = tf.numpy_function(
            encode, [tf.reshape(s, [-1])], (tf.int32, tf.int64), stateful=False
        )
        values.set_shape([None])
        if s.shape.rank == 0:
            return values
        lengths.set_shape([None])
        ragged = tf.RaggedTensor.from_row_lengths(values, lengths, validate=False)
        dims = tf.unstack(tf.shape(s, out_type=tf.int64))
        for dim in reversed(dims[1:]):  # rank > 1: fold the flat rows back into s's shape
            ragged = tf.RaggedTensor.from_uniform_row_length(ragged, dim, validate=False)
        return ragged

    def _decode_tf(self, ids: tf.Tensor) -> tf.Tensor:
        ids = tf.convert_to_tensor(ids)

        def decode(rows: np.ndarray) -> np.ndarray:
            texts = [self.decode(row.tolist()).encode("utf-8") for row in rows]
            return np.asarray(texts, dtype=object)

        width = tf.shape(ids)[-1]
        texts = tf.numpy_function(decode, [tf.reshape(ids, [-1, width])], tf.string, stateful=False)
        return tf.reshape(texts, tf.shape(ids)[:-1])

    def decode_tf(self, ids: tf.Tensor) -> tf.Tensor:
        """Detokenizes a [..., length] id tensor through its first EOS, one string per row.

        Unlike seqio's, what follows EOS is dropped, not replaced by pad id 0 (a real token)."""
        return self._decode_tf(ids)

    def special_token_id(self, text: str) -> int | None:
        """The id of the added (special) token spelled `text`, e.g. <|im_start|>; else None."""
        for token_id, token in self._tokenizer.get_added_tokens_decoder().items():
            if token.content == text:
                return token_id
        return None

    @functools.cached_property
    def _whitespace_ids(self) -> frozenset[int]:
        added = set(self._tokenizer.get_added_tokens_decoder())
        byte_level = "ByteLevel" in json.dumps(json.loads(self._tokenizer.to_str())["decoder"])
        out = set()
        for token, token_id in self._tokenizer.get_vocab(with_added_tokens=False).items():
            if token_id in added:
                continue
            text = _byte_level_text(token) if byte_level else sentencepiece_text(token)
            if text and not text.strip():
                out.add(token_id)
        return frozenset(out)

    def whitespace_ids(self) -> frozenset[int]:
        """Ids of the whitespace-only tokens (newlines, spaces, their runs), special ones not."""
        return self._whitespace_ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HuggingFaceVocabulary) and other._digest == self._digest

    def __hash__(self) -> int:
        return hash(self._digest)

    def __str__(self) -> str:
        return f"HuggingFaceVocabulary({self._path}, eos {self._eos_token!r})"


def _byte_level_text(token: str) -> str | None:
    """A byte-level BPE token's text; None when its bytes are not whole UTF-8 characters."""
    table = _byte_decoder()
    try:
        return bytes(table[c] for c in token).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None


def sentencepiece_text(piece: str) -> str:
    """A SentencePiece-style piece's text: ▁ is a space, <0xNN> a byte."""
    if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
        return chr(int(piece[3:5], 16))
    return piece.replace("\u2581", " ")
