"""Safetensors with numpy: bfloat16, lazy slices, size-capped shards, and compatibility with
the files of the `safetensors` package (test-only dependency)."""

import json
import os

import ml_dtypes
import numpy as np
import pytest

from flame_jax.convert import safetensors_io


def _tensors():
    rng = np.random.default_rng(0)
    return {
        "a.weight": rng.normal(size=(64, 32)).astype(ml_dtypes.bfloat16),
        "b.weight": rng.normal(size=(100,)).astype(np.float32),
        "c.bias": rng.normal(size=(3, 5, 7)).astype(np.float16),
        "d.count": np.arange(9, dtype=np.int64),
    }


def test_write_then_read_lazily_in_one_file_and_in_shards(tmp_path):
    tensors = _tensors()
    specs = [(n, a.shape, a.dtype) for n, a in tensors.items()]
    files = safetensors_io.write_sharded(str(tmp_path / "one"), specs, tensors.items())
    assert [os.path.basename(f) for f in files] == ["model.safetensors"]
    files = safetensors_io.write_sharded(
        str(tmp_path / "many"), specs, tensors.items(), max_shard_bytes=1000
    )
    assert os.path.basename(files[-1]) == safetensors_io.INDEX_FILE
    index = json.load(open(files[-1]))
    assert sorted(index["weight_map"]) == sorted(tensors)
    # The 4096-byte a.weight exceeds the cap alone; the other three (682 bytes) share a shard.
    assert len(set(index["weight_map"].values())) == 2
    for directory in ("one", "many"):
        folder = safetensors_io.SafetensorsFolder(str(tmp_path / directory))
        assert folder.names() == sorted(tensors)
        for name, array in tensors.items():
            assert folder.shape(name) == array.shape and folder.dtype(name) == array.dtype
            np.testing.assert_array_equal(folder.read(name), array)
        view = folder.view("a.weight")
        assert isinstance(view.base, np.memmap) or isinstance(view, np.memmap)
        np.testing.assert_array_equal(view[8:16, 4:12], tensors["a.weight"][8:16, 4:12])


def test_announced_order_is_enforced(tmp_path):
    tensors = _tensors()
    specs = [(n, a.shape, a.dtype) for n, a in tensors.items()]
    with pytest.raises(ValueError, match="was announced"):
        safetensors_io.write_sharded(str(tmp_path), specs, reversed(list(tensors.items())))


def test_files_of_the_safetensors_package_both_ways(tmp_path, torch_threads):
    import torch
    from safetensors.numpy import load_file
    from safetensors.torch import save_file

    torch.manual_seed(0)
    theirs = {"x": torch.randn(4, 6).bfloat16(), "y": torch.randn(5)}
    save_file(theirs, str(tmp_path / "model.safetensors"))
    folder = safetensors_io.SafetensorsFolder(str(tmp_path))
    np.testing.assert_array_equal(folder.read("x").astype(np.float32), theirs["x"].float().numpy())
    ours = {"p": np.arange(6, dtype=np.float32).reshape(2, 3), "q": np.ones(4, np.float16)}
    out = str(tmp_path / "ours")
    safetensors_io.write_sharded(
        out, [(n, a.shape, a.dtype) for n, a in ours.items()], ours.items()
    )
    loaded = load_file(os.path.join(out, "model.safetensors"))
    for name, array in ours.items():
        np.testing.assert_array_equal(loaded[name], array)
