"""Safetensors files read lazily and written in size-capped shards, with numpy only.

The format (https://github.com/huggingface/safetensors): an 8-byte little-endian header size,
a JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
then the raw little-endian tensor bytes, offsets relative to the end of the header.

Why not the `safetensors` package: its numpy API has no bfloat16 (the dtype of most released
checkpoints), and conversion must not need torch. Here every tensor is a numpy memmap view
(bfloat16 through ml_dtypes): slicing one reads only the pages that hold the slice, so a
sharded import reads each device's block and never a whole checkpoint.

A model folder holds one `model.safetensors`, or shards listed by `model.safetensors.index.json`
({"metadata": {"total_size": N}, "weight_map": {name: file}}), as transformers writes them.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from collections.abc import Iterable, Iterator, Sequence

import ml_dtypes
import numpy as np

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"

DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}
# Tensors are memory-mapped and written as they are in memory: the format is little-endian.
assert sys.byteorder == "little", "safetensors I/O here assumes a little-endian host"


def dtype_name(dtype: np.dtype | type) -> str:
    """The safetensors dtype name ("BF16", "F32", ...) of a numpy dtype."""
    dtype = np.dtype(dtype)
    if dtype not in _NAMES:
        raise ValueError(
            f"dtype {dtype} has no safetensors name (known: {sorted(_NAMES.values())})"
        )
    return _NAMES[dtype]


def _read_header(path: str) -> tuple[dict, int]:
    """(header, where the data starts); ValueError naming the file (and the tensor) unless the
    header is JSON whose every entry has a known dtype, a shape, and offsets that match the
    shape and lie inside the file (a truncated file is named here, not by a failed reshape)."""
    file_size = os.path.getsize(path)
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise ValueError(f"{path} is not a safetensors file (shorter than 8 bytes)")
        (size,) = struct.unpack("<Q", prefix)
        if size > 100_000_000 or 8 + size > file_size:
            raise ValueError(f"{path} is not a safetensors file (header size {size})")
        try:
            header = json.loads(f.read(size))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: the safetensors header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the safetensors header is not a JSON object")
    data_size = file_size - 8 - size
    for name, entry in header.items():
        if name != "__metadata__":
            _check_entry(path, name, entry, data_size)
    return header, 8 + size


def _check_entry(path: str, name: str, entry: object, data_size: int) -> None:
    where = f"tensor {name} in {path}"
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= set(entry):
        raise ValueError(f"{where}: the header entry lacks dtype, shape or data_offsets")
    if entry["dtype"] not in DTYPES:
        raise ValueError(f"{where}: unsupported dtype {entry['dtype']!r}")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise ValueError(f"{where}: shape {shape!r} is not a list of sizes")
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(isinstance(o, int) for o in offsets)
        and 0 <= offsets[0] <= offsets[1]
    ):
        raise ValueError(f"{where}: data_offsets {offsets!r} are not [begin, end]")
    nbytes = math.prod(shape) * DTYPES[entry["dtype"]].itemsize
    if offsets[1] - offsets[0] != nbytes:
        raise ValueError(f"{where}: {offsets[1] - offsets[0]} bytes for shape {tuple(shape)}")
    if offsets[1] > data_size:
        raise ValueError(
            f"{where}: its data ends at byte {offsets[1]:,} of a {data_size:,}-byte data section "
            "(a truncated file?)"
        )


class SafetensorsFolder:
    """The tensors of a Hugging Face model folder, by name, read lazily.

    `shape(name)` and `dtype(name)` come from the headers (nothing read); `view(name)` is a
    read-only memmap of the whole tensor: index it to read a slice.
    """

    def __init__(self, directory: str):
        self.directory = directory
        index = os.path.join(directory, INDEX_FILE)
        if os.path.exists(index):
            try:
                with open(index) as f:
                    weight_map = json.load(f)["weight_map"]
                files = sorted(set(weight_map.values()))
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
                raise ValueError(
                    f"{index}: not a safetensors index (JSON with a weight_map): {e}"
                ) from None
        elif os.path.exists(os.path.join(directory, SINGLE_FILE)):
            files = [SINGLE_FILE]
        else:
            files = sorted(n for n in os.listdir(directory) if n.endswith(".safetensors"))
        if not files:
            raise FileNotFoundError(
                f"no safetensors weights in {directory}: expected {SINGLE_FILE}, or shards "
                f"listed by {INDEX_FILE} (PyTorch .bin checkpoints are not read: convert them "
                "with transformers' save_pretrained(safe_serialization=True) first)"
            )
        self._entries: dict[str, tuple[str, dict, int]] = {}
        self._memmaps: dict[str, np.memmap] = {}
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f"{INDEX_FILE} in {directory} lists {name}, which is missing"
                )
            header, start = _read_header(path)
            for tensor, entry in header.items():
                if tensor == "__metadata__":
                    continue
                if tensor in self._entries:
                    raise ValueError(
                        f"tensor {tensor} is in both {self._entries[tensor][0]} and {path}"
                    )
                self._entries[tensor] = (path, entry, start)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._entries[name][1]["shape"])

    def dtype(self, name: str) -> np.dtype:
        return DTYPES[self._entries[name][1]["dtype"]]

    def view(self, name: str) -> np.ndarray:
        """A read-only memmap of tensor `name` (indexing it reads only what is indexed)."""
        path, entry, start = self._entries[name]
        if path not in self._memmaps:
            self._memmaps[path] = np.memmap(path, dtype=np.uint8, mode="r")
        begin, end = entry["data_offsets"]
        dtype, shape = DTYPES[entry["dtype"]], tuple(entry["shape"])
        if end - begin != math.prod(shape) * dtype.itemsize:
            raise ValueError(f"tensor {name} in {path}: {end - begin} bytes for shape {shape}")
        raw = self._memmaps[path][start + begin : start + end]
        return raw.view(dtype).reshape(shape)

    def read(self, name: str) -> np.ndarray:
        """The whole tensor, copied into memory."""
        return np.array(self.view(name))

    def close(self) -> None:
        self._memmaps.clear()


# -- writing ----------------------------------------------------------------------------------


TensorSpec = tuple[str, tuple[int, ...], np.dtype]  # name, shape, dtype


def plan_shards(specs: Sequence[TensorSpec], max_shard_bytes: int) -> list[list[TensorSpec]]:
    """Tensors grouped in order into shards of at most max_shard_bytes (a bigger tensor gets a
    shard of its own), as transformers' save_pretrained(max_shard_size=...) does."""
    shards: list[list[TensorSpec]] = [[]]
    size = 0
    for spec in specs:
        nbytes = math.prod(spec[1]) * np.dtype(spec[2]).itemsize
        if shards[-1] and size + nbytes > max_shard_bytes:
            shards.append([])
            size = 0
        shards[-1].append(spec)
        size += nbytes
    return shards


def _header(specs: Sequence[TensorSpec], metadata: dict[str, str] | None) -> bytes:
    header: dict = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    for name, shape, dtype in specs:
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        header[name] = {
            "dtype": dtype_name(dtype),
            "shape": list(shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    data = json.dumps(header, separators=(",", ":")).encode()
    data += b" " * (-len(data) % 8)  # 8-byte alignment of the tensor data
    return struct.pack("<Q", len(data)) + data


def write_sharded(
    directory: str,
    specs: Sequence[TensorSpec],
    tensors: Iterable[tuple[str, np.ndarray]],
    *,
    max_shard_bytes: int = 5 * 2**30,
    metadata: dict[str, str] | None = None,
) -> list[str]:
    """Writes tensors into `directory` as model.safetensors, or as shards plus the index.

    `specs` announces every tensor (name, shape, dtype) in the order `tensors` yields them,
    so each shard's header is written before its data and one tensor at a time is in memory.
    Returns the files written.
    """
    os.makedirs(directory, exist_ok=True)
    shards = plan_shards(specs, max_shard_bytes)
    names = (
        [SINGLE_FILE]
        if len(shards) == 1
        else [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    )
    stream: Iterator[tuple[str, np.ndarray]] = iter(tensors)
    weight_map = {}
    for name, shard in zip(names, shards, strict=True):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(_header(shard, metadata))
            for want, shape, dtype in shard:
                got, array = next(stream)
                if got != want or tuple(array.shape) != tuple(shape) or array.dtype != dtype:
                    raise ValueError(
                        f"tensor {got} {array.shape} {array.dtype} arrived where {want} "
                        f"{shape} {np.dtype(dtype)} was announced"
                    )
                f.write(np.ascontiguousarray(array).tobytes())  # little-endian hosts only
                weight_map[want] = name
    if next(stream, None) is not None:
        raise ValueError("more tensors than announced")
    if len(names) > 1:
        total = sum(math.prod(s) * np.dtype(d).itemsize for _, s, d in specs)
        with open(os.path.join(directory, INDEX_FILE), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        names.append(INDEX_FILE)
    return [os.path.join(directory, n) for n in names]
