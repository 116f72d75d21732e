"""Hugging Face -> flame-jax: a safetensors model folder to an Orbax checkpoint, a model gin
and a seqio vocabulary.

    result = hf_to_flame("path/to/gemma-2-2b-it", "/ckpt/gemma2_2b_it")

writes

    OUTPUT/
      checkpoints/0/       a params-only Checkpointer save at step 0: INITIAL_CHECKPOINT_PATH
                           accepts OUTPUT (or OUTPUT/checkpoints, OUTPUT/checkpoints/0)
      model.gin            the TransformerConfig bindings (+ the chat template switch): the model
                           gin of a fine-tuning run, included before the run gin
      tokenizer.model      the vocabulary (the run's VOCABULARY): the SentencePiece model of
                           Gemma, Llama 2, Mistral; or, for a folder with only a tokenizer.json
      tokenizer.json       (Llama 3, Qwen2: byte-level BPE), that file, with the
      tokenizer_config.json  tokenizer_config.json that names its EOS/BOS
                           (flame_jax.data.hf_vocabulary)
      hf/                  the source's config.json, generation config and tokenizer files, which
                           `flame_to_hf` reuses for the export

Memory: the parameter tree is built leaf by leaf with jax.make_array_from_callback on the
shardings of flame_jax.partitioning (default mesh: every device on "fsdp"), and each device's
block is read from a memory map of the safetensors file (flame_jax.convert.safetensors_io), so a
host holds its shards of the model plus about one parameter block in flight, never the whole
checkpoint twice.

Checks before anything is read: every tensor the architecture needs exists with its shape, and
every tensor in the folder is used (an unused one is an error naming it; a tied-embedding
checkpoint's duplicate lm_head.weight is accepted after checking that it equals the embedding,
as are rotary inv_freq buffers equal to the model's frequencies).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flame_jax import files, partitioning
from flame_jax.convert import architectures, chat_templates
from flame_jax.convert.architectures import TensorMap, UnsupportedError
from flame_jax.convert.safetensors_io import DTYPES, SafetensorsFolder
from flame_jax.data import chat, vocabularies
from flame_jax.models import Transformer, TransformerConfig, init_params
from flame_jax.training import checkpoints, manifest
from flame_jax.training.state import TrainState

Progress = Callable[[str], None] | None

HF_METADATA_DIR = "hf"
GIN_FILE = "model.gin"
VOCABULARY_FILE = "tokenizer.model"  # a SentencePiece vocabulary
BPE_VOCABULARY_FILE = "tokenizer.json"  # a Hugging Face tokenizers one (+ its config)
BPE_CONFIG_FILE = "tokenizer_config.json"
CHECKPOINTS_DIR = "checkpoints"
# The tokenizer's files in a Hugging Face folder, and all the files that describe the model
# (kept for export).
TOKENIZER_FILES = (
    "tokenizer.model",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
)
METADATA_FILES = ("config.json", "generation_config.json", *TOKENIZER_FILES)
_FLOAT_DTYPES = {DTYPES[name] for name in ("F64", "F32", "F16", "BF16")}  # weights, not codes
_HUB_PATTERNS = ["*.json", "*.safetensors", "tokenizer.model", "*.jinja"]


@dataclasses.dataclass(frozen=True)
class ImportResult:
    """What hf_to_flame wrote: the output folder and its parts."""

    output: str
    family: str
    config: TransformerConfig
    checkpoint: str
    gin_file: str
    vocabulary: str | None
    chat_template: str | dict[str, str] | None


# -- the Hugging Face folder ------------------------------------------------------------------


def resolve_hf_dir(hf_dir: str) -> str:
    """A local model folder: `hf_dir` itself, or a hub id ("google/gemma-2-2b-it") downloaded
    with huggingface_hub (optional dependency; needs the network)."""
    if os.path.isdir(hf_dir):
        return hf_dir
    looks_like_id = hf_dir.count("/") == 1 and not hf_dir.startswith((".", "/", "~"))
    if not looks_like_id:
        raise FileNotFoundError(f"no Hugging Face model folder at {hf_dir}")
    try:
        import huggingface_hub  # noqa: PLC0415
    except ImportError:
        raise FileNotFoundError(
            f"{hf_dir} is not a local folder, and downloading it as a hub id needs "
            "huggingface_hub (pip install 'flame-jax[hub]'); or download the model and pass "
            "its folder"
        ) from None
    return huggingface_hub.snapshot_download(hf_dir, allow_patterns=_HUB_PATTERNS)


def read_hf_config(hf_dir: str) -> dict[str, Any]:
    path = os.path.join(hf_dir, "config.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no config.json in {hf_dir}: not a Hugging Face model folder")
    try:
        with open(path, "rb") as f:
            config = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path} is not a JSON object")
    return config


def _config_from_hf(hf_dir: str, hf: dict[str, Any], **options: Any) -> TransformerConfig:
    """architectures.config_from_hf, with a missing or mistyped field named with its file."""
    try:
        return architectures.config_from_hf(hf, **options)
    except KeyError as e:
        raise ValueError(f"{hf_dir}/config.json has no field {e.args[0]!r}") from None
    except (TypeError, ValueError) as e:
        if isinstance(e, UnsupportedError):
            raise
        raise ValueError(f"{hf_dir}/config.json: {e}") from None


# -- parameters -------------------------------------------------------------------------------


def _inv_freq_ok(values: np.ndarray, config: TransformerConfig, layer: int) -> bool:
    base, scale = config.layer_rope_bases()[layer], config.layer_rope_scales()[layer]
    expected = 1.0 / (base ** (np.arange(0, config.head_dim, 2) / config.head_dim) * scale)
    return values.shape == expected.shape and np.allclose(values, expected, rtol=1e-3)


def _check_tensors(
    folder: SafetensorsFolder, maps: list[TensorMap], config: TransformerConfig
) -> None:
    """Every needed tensor present with its shape; every tensor of the folder used."""
    problems = []
    for m in maps:
        if m.hf_name not in folder:
            problems.append(f"missing tensor {m.hf_name} (expected shape {m.hf_shape})")
        elif folder.dtype(m.hf_name) not in _FLOAT_DTYPES:
            problems.append(
                f"tensor {m.hf_name} is {folder.dtype(m.hf_name)}, not floating point (a "
                "quantized or corrupted checkpoint)"
            )
        elif folder.shape(m.hf_name) != m.hf_shape:
            problems.append(
                f"tensor {m.hf_name} has shape {folder.shape(m.hf_name)}, expected {m.hf_shape} "
                "from config.json"
            )
    if problems:
        raise ValueError(
            f"checkpoint in {folder.directory} does not match its config:\n  "
            + "\n  ".join(problems)
        )
    used = {m.hf_name for m in maps}
    leftover = []
    for name in folder.names():
        if name in used:
            continue
        if name == "lm_head.weight" and config.tie_embeddings:
            _check_tied_head(folder)
        elif name.endswith("rotary_emb.inv_freq"):
            layer = int(name.split(".")[2]) if name.startswith("model.layers.") else 0
            if not _inv_freq_ok(folder.read(name).astype(np.float64), config, layer):
                raise ValueError(f"tensor {name} differs from the config's rotary frequencies")
        else:
            leftover.append(name)
    if leftover:
        shown = ", ".join(leftover[:20]) + (
            f" (and {len(leftover) - 20} more)" if len(leftover) > 20 else ""
        )
        raise ValueError(
            f"{len(leftover)} tensor(s) in {folder.directory} have no place in the "
            f"{config.num_layers}-layer model that config.json describes: {shown}"
        )


def _check_tied_head(folder: SafetensorsFolder, rows: int = 4096) -> None:
    """A tied checkpoint that still stores lm_head.weight: it must equal the embedding."""
    head, embed = folder.view("lm_head.weight"), folder.view("model.embed_tokens.weight")
    if head.shape != embed.shape:
        raise ValueError(f"lm_head.weight {head.shape} differs in shape from the tied embedding")
    for start in range(0, head.shape[0], rows):
        if not np.array_equal(np.asarray(head[start : start + rows]), embed[start : start + rows]):
            raise ValueError(
                "lm_head.weight differs from model.embed_tokens.weight although config.json "
                "ties them (tie_word_embeddings): refusing to drop it"
            )


def _index_key(index: tuple[slice, ...]) -> tuple:
    return tuple((s.start, s.stop, s.step) for s in index)


def _block(folder: SafetensorsFolder, m: TensorMap, index: tuple[slice, ...], dtype) -> np.ndarray:
    """The block `index` of the flame-jax parameter that `m` maps, read from the memory map."""
    view = folder.view(m.hf_name).reshape(m.hf_view)
    block = np.asarray(view[m.to_flame_index(index)]).transpose(m.perm).astype(dtype)
    if not np.isfinite(block).all():  # a NaN or Inf weight makes every logit NaN
        raise ValueError(f"tensor {m.hf_name} holds NaN or Inf values: refusing to import it")
    return block


def _leaf_name(path: tuple[str, ...]) -> str:
    return "/".join(path)


def load_hf_params(
    hf_dir: str,
    config: TransformerConfig,
    *,
    family: str | None = None,
    mesh: jax.sharding.Mesh | None = None,
    progress: Progress = None,
) -> Any:
    """The parameters of a Hugging Face folder as flame-jax arrays, sharded on `mesh`.

    The tree has config's layout (per-layer "layers_{i}", or stacked "layers" with
    scan_layers) and dtype (param_dtype). Default mesh: all devices on fsdp.
    """
    family = family or architectures.family_of(read_hf_config(hf_dir))
    mesh = mesh or partitioning.make_mesh(data=1, fsdp=-1)
    folder = SafetensorsFolder(hf_dir)
    maps = architectures.tensor_maps(config, family)
    _check_tensors(folder, maps, config)
    by_path = {m.path: m for m in maps}

    boxed = jax.eval_shape(lambda: init_params(Transformer(config), jax.random.key(0)))
    shardings = partitioning.param_shardings(boxed, mesh)
    abstract = architectures.unboxed_shapes(boxed)
    leaves = jax.tree_util.tree_flatten_with_path(abstract)[0]
    sharding_leaves = jax.tree_util.tree_leaves(shardings)
    dtype = config.weight_dtype
    arrays = []
    start = time.perf_counter()
    for number, ((key_path, leaf), sharding) in enumerate(
        zip(leaves, sharding_leaves, strict=True), 1
    ):
        path = tuple(str(getattr(k, "key", k)) for k in key_path)
        if path[0] == "layers":  # scan_layers: stacked along a leading [N] axis
            layer_maps = [by_path[(f"layers_{i}", *path[1:])] for i in range(config.num_layers)]
        else:
            layer_maps = None
            single = by_path[path]
            if single.flame_shape != tuple(leaf.shape):
                raise ValueError(f"{single.hf_name} maps to {single.flame_shape}, not {leaf.shape}")
        # Devices needing each block: a replicated block is read once and dropped after its
        # last device took it, so about one block is in flight on the host.
        uses = collections.Counter(
            _index_key(i) for i in sharding.addressable_devices_indices_map(leaf.shape).values()
        )
        cache: dict[tuple, np.ndarray] = {}

        def read(index, layer_maps=layer_maps, path=path, cache=cache, uses=uses):
            key = _index_key(index)
            if key not in cache:
                if layer_maps is None:
                    cache[key] = _block(folder, by_path[path], index, dtype)
                else:  # filled layer by layer: one layer's block in flight, not a list
                    stacked = None
                    for i, m in enumerate(layer_maps[index[0]]):
                        block = _block(folder, m, index[1:], dtype)
                        if stacked is None:
                            count = len(layer_maps[index[0]])
                            stacked = np.empty((count, *block.shape), block.dtype)
                        stacked[i] = block
                    cache[key] = stacked
            block = cache[key]
            uses[key] -= 1
            if uses[key] <= 0:
                del cache[key]
            return block

        arrays.append(jax.make_array_from_callback(leaf.shape, sharding, read, dtype=dtype))
        cache.clear()
        folder.close()  # unmap: the pages read so far leave this process's resident set
        if progress:
            progress(
                f"[{number}/{len(leaves)}] {_leaf_name(path)} {tuple(leaf.shape)} "
                f"{np.dtype(dtype).name} ({time.perf_counter() - start:.1f}s)"
            )
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(abstract), arrays)


# -- the whole conversion ---------------------------------------------------------------------


def _copy(source: str, target: str) -> None:
    """Copies a file so that `target` is complete or absent."""
    partial = target + ".partial"
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def vocabulary_in(directory: str) -> str | None:
    """The vocabulary file hf_to_flame wrote into `directory` (SentencePiece or
    tokenizer.json), or None."""
    for name in (VOCABULARY_FILE, BPE_VOCABULARY_FILE):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return None


def _vocabulary(hf_dir: str, config: TransformerConfig, output: str) -> str:
    """Copies the tokenizer into `output` as the seqio vocabulary: the SentencePiece
    tokenizer.model when there is one, else tokenizer.json with its tokenizer_config.json."""

    names = [VOCABULARY_FILE] if os.path.exists(os.path.join(hf_dir, VOCABULARY_FILE)) else []
    if not names and os.path.exists(os.path.join(hf_dir, BPE_VOCABULARY_FILE)):
        names = [BPE_VOCABULARY_FILE, BPE_CONFIG_FILE]
    if not names:
        raise UnsupportedError(
            f"{hf_dir} has no tokenizer ({VOCABULARY_FILE} or {BPE_VOCABULARY_FILE}); pass "
            "skip_vocabulary (--skip_vocabulary) to convert the weights only"
        )
    source = os.path.join(hf_dir, names[0])
    vocabulary = vocabularies.load(source)  # a clear error on a bad file, here
    if vocabulary.vocab_size > config.vocab_size:
        raise ValueError(
            f"{source} has {vocabulary.vocab_size} tokens, more than the model's vocab_size "
            f"{config.vocab_size}"
        )
    for name in reversed(names):  # the vocabulary file last: present means complete
        if os.path.exists(os.path.join(hf_dir, name)):
            _copy(os.path.join(hf_dir, name), os.path.join(output, name))
    return os.path.join(output, names[0])


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        return (
            "("
            + ", ".join(_format_value(v) for v in value)
            + ("," if len(value) == 1 else "")
            + ")"
        )
    if isinstance(value, Mapping):
        return (
            "{" + ", ".join(f"{json.dumps(k)}: {_format_value(v)}" for k, v in value.items()) + "}"
        )
    return repr(value)


def model_gin(
    config: TransformerConfig,
    *,
    source: str,
    output: str,
    chat_template: str | dict[str, str] | None,
    chat_note: str = "",
    vocabulary: str | None = None,
) -> str:
    """The text of the model gin file written next to a converted checkpoint; `vocabulary`:
    the vocabulary file written with it, if any."""
    vocab = vocabulary or "<a tokenizer.model or tokenizer.json>"
    gin_path = os.path.join(output, GIN_FILE)
    lines = [
        f"# {os.path.basename(os.path.normpath(output))}: converted from {source} by "
        "`flame-jax convert hf-to-flame`.",
        f"# {config.num_params():,} parameters ({config.num_layers} layers, embed "
        f"{config.embed_dim}, {config.num_heads} query / {config.num_kv_heads} key-value heads "
        f"of {config.head_dim}, vocab {config.vocab_size}).",
        "#",
        "# The model gin of a fine-tuning run, included before the run gin:",
        f"#   flame-jax train --gin_file={gin_path} --gin_file=gin/runs/flame.gin \\",
        f'#     --gin.MODEL_DIR=\\"/tmp/flame\\" --gin.VOCABULARY=\\"{vocab}\\" \\',
        f'#     --gin.INITIAL_CHECKPOINT_PATH=\\"{output}\\"',
        "# The checkpoint holds the parameters in this file's layout (scan_layers) and "
        "param_dtype:",
        "# keep those two as they are (or convert again); dtype and remat_policy are free.",
        "# Fields are TransformerConfig's (flame_jax/models/config.py).",
        "",
    ]
    defaults = TransformerConfig()
    for field in dataclasses.fields(TransformerConfig):
        if field.name in ("dropout_rate", "bidirectional_prefix"):
            continue  # the run gin's choices
        value = getattr(config, field.name)
        if value is None and getattr(defaults, field.name) is None:
            continue
        lines.append(f"TransformerConfig.{field.name} = {_format_value(value)}")
    lines.append("")
    lines.append(
        "# The chat template (flame_jax/data/chat.py): training features and the judge wrap"
    )
    lines.append("# every input in it; None keeps the FLAMe paper's plain inputs.")
    if chat_note:
        lines += [f"# {line}" for line in chat_note.splitlines()]
    lines.append(f"CHAT_TEMPLATE = {_format_value(chat_template)}")
    lines.append("train.chat_template = %CHAT_TEMPLATE")
    return "\n".join(lines) + "\n"


def _copy_metadata(hf_dir: str, output: str) -> None:
    target = os.path.join(output, HF_METADATA_DIR)
    os.makedirs(target, exist_ok=True)
    for name in METADATA_FILES:
        if os.path.exists(os.path.join(hf_dir, name)):
            shutil.copyfile(os.path.join(hf_dir, name), os.path.join(target, name))


def hf_to_flame(
    hf_dir: str,
    output: str,
    *,
    scan_layers: bool = True,
    param_dtype: str = "float32",
    dtype: str = "bfloat16",
    remat_policy: str = "minimal",
    mesh_shape: Mapping[str, int] | None = None,
    skip_vocabulary: bool = False,
    overwrite: bool = False,
    progress: Progress = print,
) -> ImportResult:
    """Converts a Hugging Face model folder (or hub id) into OUTPUT (see the module docstring).

    scan_layers, param_dtype: the checkpoint's layout and storage dtype (bound in model.gin);
    dtype, remat_policy: written into model.gin for training. mesh_shape: the conversion mesh
    (make_mesh arguments; default all devices on fsdp). skip_vocabulary: convert the weights
    only, writing no vocabulary (a folder without tokenizer files needs it). overwrite:
    replace an OUTPUT that is not empty (else refused before anything is read).
    """
    hf_dir = resolve_hf_dir(hf_dir)
    hf = read_hf_config(hf_dir)
    family = architectures.family_of(hf)
    config = _config_from_hf(
        hf_dir,
        hf,
        scan_layers=scan_layers,
        param_dtype=param_dtype,
        dtype=dtype,
        remat_policy=remat_policy,
    )
    output = os.path.abspath(output)
    ckpt_dir = os.path.join(output, CHECKPOINTS_DIR)
    gin_file = os.path.join(output, GIN_FILE)
    # Written into a directory beside OUTPUT that becomes OUTPUT by rename when every part is
    # there: a killed import leaves no half output (and OUTPUT, with overwrite, as it was).
    with files.staged_directory(output, replace=overwrite) as staging:
        vocabulary = None
        if not skip_vocabulary:
            staged = _vocabulary(hf_dir, config, staging)
            vocabulary = os.path.join(output, os.path.basename(staged))
        template, note = chat_templates.detect(hf_dir)
        if progress:
            progress(
                f"{family}: {config.num_params():,} parameters, {config.num_layers} layers -> "
                f"{output}"
            )
        mesh = partitioning.make_mesh(**(mesh_shape or {"data": 1, "fsdp": -1}))
        with partitioning.activate(mesh):
            params = load_hf_params(hf_dir, config, family=family, mesh=mesh, progress=progress)
            state = TrainState(step=jnp.zeros((), jnp.int32), params=params, opt_state=None)
            with checkpoints.Checkpointer(
                os.path.join(staging, CHECKPOINTS_DIR),
                keep=None,
                async_save=False,
                params_only=True,
            ) as checkpointer:
                checkpointer.save(state, data_position=0, force=True)
        del params, state
        text = model_gin(
            config,
            source=hf.get("_name_or_path") or hf_dir,
            output=output,
            chat_template=template,
            chat_note=note,
            vocabulary=vocabulary,
        )
        files.write_atomically(os.path.join(staging, GIN_FILE), text)
        manifest.write(staging, manifest.RunManifest(config, vocabulary, chat.resolve(template)))
        _copy_metadata(hf_dir, staging)
    if progress:
        progress(f"wrote {ckpt_dir}/0, {gin_file}" + (f", {vocabulary}" if vocabulary else ""))
    return ImportResult(
        output=output,
        family=family,
        config=config,
        checkpoint=os.path.join(ckpt_dir, "0"),
        gin_file=gin_file,
        vocabulary=vocabulary,
        chat_template=template,
    )
