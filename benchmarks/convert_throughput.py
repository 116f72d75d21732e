"""Hugging Face conversion throughput: flame-to-hf export and hf-to-flame import of a
Gemma-2-shaped model with random weights.

    python benchmarks/convert_throughput.py [--layers 8] [--width 1024] [--vocab 32000]

Measures, in one run on this machine:
  0. baseline: every tensor of the exported safetensors read and cast to fp32 with numpy
     (the least an import must do, without sharding or saving);
  1. export: a params-only checkpoint -> bf16 safetensors shards (flame_to_hf);
  2. import: those shards -> an fp32 checkpoint with stacked layers (hf_to_flame, lazy reads
     placed on the conversion mesh);
with the process's peak resident memory after each step, next to the parameters' fp32 size.
Ratios are against the baseline read, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import numpy as np

from flame_jax.convert import exporting, importing
from flame_jax.convert.safetensors_io import SafetensorsFolder
from flame_jax.models import TransformerConfig
from flame_jax.models.testing import random_params
from flame_jax.training import checkpoints
from flame_jax.training.state import TrainState


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--shard_mib", type=int, default=128, help="export shard size cap")
    args = parser.parse_args()

    config = TransformerConfig(
        vocab_size=args.vocab,
        embed_dim=args.width,
        num_layers=args.layers,
        num_heads=args.width // 128,
        num_kv_heads=max(1, args.width // 256),
        head_dim=128,
        mlp_dim=4 * args.width,
        sliding_window=4096,
        attention_pattern=("local", "global"),
        attn_logit_softcap=50.0,
        final_logit_softcap=30.0,
        post_attn_norm=True,
        post_mlp_norm=True,
    )
    params = random_params(config, seed=0)
    fp32_gib = config.num_params() * 4 / 2**30
    print(f"model: {config.num_params():,} parameters ({fp32_gib:.2f} GiB in fp32)")
    with tempfile.TemporaryDirectory() as work:
        run = os.path.join(work, "run")
        with checkpoints.Checkpointer(run, async_save=False, params_only=True) as checkpointer:
            checkpointer.save(TrainState(np.int32(1), params, None), data_position=0, force=True)
        del params
        rss_before = _peak_rss_gib()

        start = time.perf_counter()
        exporting.flame_to_hf(
            run,
            config,
            os.path.join(work, "hf"),
            dtype="bfloat16",
            max_shard_bytes=args.shard_mib * 2**20,
            progress=None,
        )
        export_s = time.perf_counter() - start
        rss_export = _peak_rss_gib()

        shards = [
            os.path.join(work, "hf", f)
            for f in sorted(os.listdir(os.path.join(work, "hf")))
            if f.endswith(".safetensors")
        ]
        size = sum(os.path.getsize(f) for f in shards)
        start = time.perf_counter()
        folder = SafetensorsFolder(os.path.join(work, "hf"))
        for name in folder.names():
            folder.read(name).astype(np.float32)
        folder.close()
        read_s = time.perf_counter() - start

        start = time.perf_counter()
        importing.hf_to_flame(
            os.path.join(work, "hf"),
            os.path.join(work, "flame"),
            skip_vocabulary=True,
            progress=None,
        )
        import_s = time.perf_counter() - start
        rss_import = _peak_rss_gib()

    print(f"safetensors: {len(shards)} shards, {size / 2**30:.2f} GiB (bf16)")
    print(f"peak RSS before converting (params created and saved): {rss_before:.2f} GiB\n")
    print(f"{'step':<36}{'seconds':>9}{'GiB/s':>8}{'vs read':>9}{'peak RSS GiB':>14}")
    rows = [
        ("0. numpy read + cast (baseline)", read_s, None),
        ("1. export (flame-to-hf, bf16)", export_s, rss_export),
        ("2. import (hf-to-flame, fp32)", import_s, rss_import),
    ]
    for name, seconds, rss in rows:
        rss_text = f"{rss:.2f}" if rss is not None else "-"
        print(
            f"{name:<36}{seconds:>9.2f}{size / 2**30 / seconds:>8.2f}"
            f"{seconds / read_s:>8.1f}x{rss_text:>14}"
        )


if __name__ == "__main__":
    main()
