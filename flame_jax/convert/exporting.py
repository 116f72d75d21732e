"""flame-jax -> Hugging Face: a checkpoint to config.json, safetensors shards and tokenizer files
that transformers (and servers built on it, e.g. vLLM) load.

    flame_to_hf("/runs/flame/checkpoints/30000", config, "/export/flame-gemma2-2b")

The model config comes from the run's config.gin or the model.gin written at import (the CLI
parses it; `locate` finds it above a checkpoint path). config.json: the imported model's own
(OUTPUT/hf/config.json next to the vocabulary of an imported base, or `hf_metadata`) when it
describes the same architecture, which keeps its token ids and limits; otherwise one generated
for the inferred family (architectures.hf_config). Tokenizer: the imported model's tokenizer
files when the run's vocabulary is the imported tokenizer.model or tokenizer.json; else, for a
SentencePiece vocabulary, tokenizer.model plus a tokenizer_config.json naming the class that
reads it, and for a tokenizer.json, that file with the tokenizer_config.json next to it.

Memory: parameters are restored from Orbax one group at a time (a layer, or one stacked
parameter with scan_layers) and streamed into shards whose headers are planned up front, so
the host holds about one group, not the model.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from typing import Any

import jax
import numpy as np

from flame_jax.convert import architectures, importing
from flame_jax.convert.architectures import TensorMap
from flame_jax.convert.safetensors_io import write_sharded
from flame_jax.data import hf_vocabulary, vocabularies
from flame_jax.files import staged_directory, write_atomically
from flame_jax.models import Transformer, TransformerConfig, init_params
from flame_jax.training import checkpoints

DTYPES = {"bfloat16": "bfloat16", "float32": "float32", "float16": "float16"}


def _groups(abstract: Mapping[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    """Restore units: top-level entries, and each stacked parameter of scan_layers' "layers"."""
    groups = []
    for key, value in abstract.items():
        if key == "layers":
            for path, leaf in jax.tree_util.tree_flatten_with_path(value)[0]:
                groups.append((("layers", *(str(k.key) for k in path)), leaf))
        else:
            groups.append(((key,), value))
    return groups


def _subtree(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for key in reversed(path):
        value = {key: value}
    return value


def _group_maps(
    path: tuple[str, ...], value: Any, by_path: Mapping[tuple[str, ...], TensorMap], num_layers: int
) -> list[tuple[TensorMap, tuple[Any, ...], int | None]]:
    """(map, path inside the restored group, layer of a stacked leaf) of a group, in order."""
    if path[0] == "layers":
        rest = path[1:]
        return [(by_path[(f"layers_{i}", *rest)], path, i) for i in range(num_layers)]
    out = []
    for leaf_path, _ in jax.tree_util.tree_flatten_with_path(value)[0]:
        full = (*path, *(str(k.key) for k in leaf_path))
        if full in by_path:
            out.append((by_path[full], full, None))
    return out


def _split_layers(leaf: jax.ShapeDtypeStruct) -> jax.ShapeDtypeStruct:
    """A stacked [N, ...] parameter split along N over this host's devices (as many as divide
    N), so that an accelerator host restores it into device memory and the host itself holds
    one layer at a time; on one device (or CPU) the whole parameter is restored."""
    devices = jax.local_devices()
    count = max(k for k in range(1, len(devices) + 1) if leaf.shape[0] % k == 0)
    mesh = jax.sharding.Mesh(np.asarray(devices[:count]), ("layers",))
    spec = jax.sharding.PartitionSpec("layers", *([None] * (len(leaf.shape) - 1)))
    sharding = jax.sharding.NamedSharding(mesh, spec)
    return jax.ShapeDtypeStruct(leaf.shape, leaf.dtype, sharding=sharding)


def _get(tree: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def export_params(
    checkpoint: str,
    config: TransformerConfig,
    output: str,
    *,
    family: str,
    dtype: str = "bfloat16",
    max_shard_bytes: int = 5 * 2**30,
    overwrite: bool = False,
    progress=print,
) -> list[str]:
    """Writes a checkpoint's parameters as Hugging Face safetensors shards (+ index)."""
    out_dtype = np.dtype(jax.numpy.dtype(DTYPES[dtype]))
    boxed = jax.eval_shape(lambda: init_params(Transformer(config), jax.random.key(0)))
    abstract = architectures.unboxed_shapes(boxed)
    maps = architectures.tensor_maps(config, family)
    by_path = {m.path: m for m in maps}
    groups = _groups(abstract)
    plan = [_group_maps(p, v, by_path, config.num_layers) for p, v in groups]
    ordered = [m for group in plan for m, _, _ in group]
    if sorted(m.hf_name for m in ordered) != sorted(m.hf_name for m in maps):
        raise AssertionError("parameter groups do not cover the Hugging Face tensors")
    specs = [(m.hf_name, m.hf_shape, out_dtype) for m in ordered]

    def tensors() -> Iterator[tuple[str, np.ndarray]]:
        start = time.perf_counter()
        for number, ((path, value), group) in enumerate(zip(groups, plan, strict=True), 1):
            if path[0] == "layers":  # one stacked parameter, fetched to the host layer by layer
                stacked = checkpoints.restore_params(
                    checkpoint, _subtree(path, _split_layers(value))
                )
                stacked = _get(stacked, path)
                for m, _, layer in group:
                    array = np.asarray(jax.device_get(stacked[layer]))
                    yield m.hf_name, m.to_hf(array).astype(out_dtype)
                del stacked
            else:
                restored = jax.device_get(
                    checkpoints.restore_params(checkpoint, _subtree(path, value))
                )
                for m, leaf_path, _ in group:
                    yield (
                        m.hf_name,
                        m.to_hf(np.asarray(_get(restored, leaf_path))).astype(out_dtype),
                    )
                del restored
            if progress:
                progress(
                    f"[{number}/{len(groups)}] {'/'.join(path)} "
                    f"({time.perf_counter() - start:.1f}s)"
                )

    return write_sharded(output, specs, tensors(), max_shard_bytes=max_shard_bytes)


def _vocabulary_ids(vocabulary: str) -> dict[str, int | None]:
    """config.json's pad/eos/bos token ids of a vocabulary file (seqio's pad 0 is not a pad
    token of a tokenizer.json vocabulary, where id 0 is a real token)."""
    vocab = vocabularies.load(vocabulary)
    bpe = isinstance(vocab, hf_vocabulary.HuggingFaceVocabulary)
    pad = None if bpe else vocab.tokenizer.pad_id()  # the model's own pad piece, if any
    ids = {"pad_token_id": pad, "eos_token_id": vocab.eos_id, "bos_token_id": vocab.bos_id}
    return {k: (v if v is not None and v >= 0 else None) for k, v in ids.items()}


def _write_tokenizer(vocabulary: str, output: str, family: str) -> None:
    """tokenizer.model plus a tokenizer_config.json naming the class that reads it."""
    import sentencepiece as spm  # noqa: PLC0415
    from sentencepiece import sentencepiece_model_pb2  # noqa: PLC0415

    sp = spm.SentencePieceProcessor(model_file=vocabulary)
    proto = sentencepiece_model_pb2.ModelProto()
    with open(vocabulary, "rb") as f:
        proto.ParseFromString(f.read())
    dummy_prefix = proto.normalizer_spec.add_dummy_prefix
    # Gemma's tokenizer class adds no word start to the text; Llama's does (legacy mode).
    tokenizer_class = "LlamaTokenizer" if dummy_prefix else "GemmaTokenizer"

    def piece(i: int) -> str | None:
        return sp.id_to_piece(i) if i >= 0 else None

    config = {
        "tokenizer_class": tokenizer_class,
        "bos_token": piece(sp.bos_id()),
        "eos_token": piece(sp.eos_id()),
        "unk_token": piece(sp.unk_id()),
        "pad_token": piece(sp.pad_id()),
        "add_bos_token": family in architectures.GEMMA_FAMILIES and sp.bos_id() >= 0,
        "add_eos_token": False,
        # transformers' non-legacy mode: no extra word start after special pieces and newlines.
        "legacy": False,
        "model_max_length": 1_000_000,
    }
    shutil.copyfile(vocabulary, os.path.join(output, "tokenizer.model"))
    with open(os.path.join(output, "tokenizer_config.json"), "w") as f:
        json.dump({k: v for k, v in config.items() if v is not None}, f, indent=2)


def _hf_config(
    config: TransformerConfig,
    hf_metadata: str | None,
    vocabulary: str | None,
    family: str | None,
    dtype: str,
) -> dict[str, Any]:
    """The imported model's config.json (checked to describe `config`), else a generated one."""
    if hf_metadata and os.path.exists(os.path.join(hf_metadata, "config.json")):
        base = importing.read_hf_config(hf_metadata)
        differ = architectures.same_architecture(architectures.config_from_hf(base), config)
        if differ:
            raise ValueError(
                f"{hf_metadata}/config.json describes another architecture than the checkpoint's "
                f"config (differs in {', '.join(differ)}): pass the right hf_metadata, or none"
            )
        if family and family != architectures.family_of(base):
            raise ValueError(f"family {family} differs from {hf_metadata}/config.json's")
        hf = dict(base)
        hf["dtype"] = dtype
        if "torch_dtype" in hf:  # transformers 4's name
            hf["torch_dtype"] = dtype
        return hf
    extras = _vocabulary_ids(vocabulary) if vocabulary else {}
    return architectures.hf_config(config, family, extras=extras, dtype=dtype)


def _copy_tokenizer(
    vocabulary: str, hf_metadata: str | None, output: str, family: str
) -> list[str]:
    """The imported tokenizer files if the vocabulary is the imported one, else new ones."""
    bpe = isinstance(vocabularies.load(vocabulary), hf_vocabulary.HuggingFaceVocabulary)
    kind = importing.BPE_VOCABULARY_FILE if bpe else importing.VOCABULARY_FILE
    imported = os.path.join(hf_metadata or "", kind)
    if hf_metadata and os.path.exists(imported) and filecmp.cmp(imported, vocabulary, False):
        names = [
            n for n in importing.TOKENIZER_FILES if os.path.exists(os.path.join(hf_metadata, n))
        ]
        for name in names:  # the base's own tokenizer files, chat template included
            shutil.copyfile(os.path.join(hf_metadata, name), os.path.join(output, name))
        return [os.path.join(output, n) for n in names]
    if bpe:  # the tokenizer.json and the tokenizer_config.json naming its EOS/BOS
        config = os.path.join(os.path.dirname(vocabulary), importing.BPE_CONFIG_FILE)
        names = [importing.BPE_VOCABULARY_FILE]
        shutil.copyfile(vocabulary, os.path.join(output, importing.BPE_VOCABULARY_FILE))
        if os.path.exists(config):
            shutil.copyfile(config, os.path.join(output, importing.BPE_CONFIG_FILE))
            names.append(importing.BPE_CONFIG_FILE)
        return [os.path.join(output, n) for n in names]
    _write_tokenizer(vocabulary, output, family)
    return [os.path.join(output, n) for n in ("tokenizer.model", "tokenizer_config.json")]


def flame_to_hf(
    checkpoint: str,
    config: TransformerConfig,
    output: str,
    *,
    vocabulary: str | None = None,
    hf_metadata: str | None = None,
    family: str | None = None,
    dtype: str = "bfloat16",
    max_shard_bytes: int = 5 * 2**30,
    overwrite: bool = False,
    progress=print,
) -> list[str]:
    """Exports a flame-jax checkpoint as a Hugging Face model folder; returns the files.

    checkpoint: what restore_params accepts (a MODEL_DIR, its checkpoints/, a step directory,
    an hf-to-flame output). vocabulary: the SentencePiece model or tokenizer.json (tokenizer
    files; None writes none). hf_metadata: the imported model's files (default: hf/ next to
    the vocabulary, as hf-to-flame lays them out). family: the Hugging Face family (default:
    the imported model's, else inferred). dtype: of the written tensors. max_shard_bytes:
    shard size cap. overwrite: replace an OUTPUT that is not empty (else refused first).
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} not in {tuple(DTYPES)}")
    if hf_metadata is None and vocabulary:
        guess = os.path.join(
            os.path.dirname(os.path.abspath(vocabulary)), importing.HF_METADATA_DIR
        )
        hf_metadata = guess if os.path.isdir(guess) else None
    hf = _hf_config(config, hf_metadata, vocabulary, family, dtype)
    family = architectures.family_of(hf)
    output = os.path.abspath(output)
    # Written beside OUTPUT, renamed into place once complete (see flame_jax.files).
    with staged_directory(output, replace=overwrite) as staging:
        if progress:
            progress(f"{family}: {config.num_params():,} parameters ({dtype}) -> {output}")
        written = export_params(
            checkpoint,
            config,
            staging,
            family=family,
            dtype=dtype,
            max_shard_bytes=max_shard_bytes,
            progress=progress,
        )
        write_atomically(os.path.join(staging, "config.json"), json.dumps(hf, indent=2))
        written.append(os.path.join(staging, "config.json"))
        generation = os.path.join(hf_metadata or "", "generation_config.json")
        if hf_metadata and os.path.exists(generation):
            shutil.copyfile(generation, os.path.join(staging, "generation_config.json"))
            written.append(os.path.join(staging, "generation_config.json"))
        if vocabulary:
            written += _copy_tokenizer(vocabulary, hf_metadata, staging, family)
    files = [os.path.join(output, os.path.relpath(f, staging)) for f in written]
    if progress:
        progress(f"wrote {len(files)} files to {output}")
    return files
