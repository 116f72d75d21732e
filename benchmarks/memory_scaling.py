"""Peak memory against the record length: the score-like forward by attention implementation,
and the training loss with full against chunked logits at a 256K vocabulary.

    python benchmarks/memory_scaling.py [--configs tiny small] [--lengths 1024 2048 4096 8192 16384]
        [--impls reference blockwise] [--batch_size 1] [--budget_gb 6]
        [--loss_rows 1] [--loss_lengths 512 1024 2048]

Each point runs in its own process (so the numbers are that forward's, not the leftovers of
the previous one) and reports the process's peak resident memory (resource.getrusage
ru_maxrss) and its growth over the state before the forward (parameters and inputs built):
the forward is the judge's score mode, the final hidden states gathered at the last 8
positions before the unembedding (flame_jax.models.logits_at). Compilation is included in
the peak, as it is in a real run. A reference point whose [B, H, L, L] float32 scores alone
(times the ~4 copies the softmax with a soft cap keeps) would pass --budget_gb is skipped and
reported so: the quadratic growth is the point, not swapping the machine.
The last column is the peak over the same implementation's peak at its first length: what
the longer record costs (the parameters and the compiler's baseline cancel out).

The loss table: value and gradient (hidden states and output table) of the loss over
--loss_rows rows at V = 256000, D = 512 (peak RSS, and the compiled program's temporary
buffers as XLA reports them), from the full [B, L, V] float32 logits
(cross_entropy_loss) and chunked (chunked_cross_entropy, 64 positions a chunk: a
[1, 64, V] block is 62.5 MB).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import time

import flax.linen as nn
import gin
import jax
import jax.numpy as jnp
import numpy as np

from flame_jax import configurables
from flame_jax.models import (
    Transformer,
    TransformerConfig,
    chunked_cross_entropy,
    cross_entropy_loss,
    init_params,
    logits_at,
    unembed,
)
from flame_jax.training import train as train_lib

_SCORED_POSITIONS = 8
_LOSS_MODEL = TransformerConfig(vocab_size=256_000, embed_dim=512, loss_chunk_length=64)


def _config(name: str, impl: str):
    gin.clear_config()
    gin.add_config_file_search_path(train_lib.REPO_ROOT)
    gin.parse_config_file(f"gin/models/{name}.gin")
    return dataclasses.replace(configurables.model_config_from_gin(), attention_impl=impl)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def point(name: str, length: int, impl: str, batch_size: int) -> dict:
    """One measurement, in this process: peak RSS before and after the forward."""
    config = _config(name, impl)
    model = Transformer(config)
    # Initialised on the device: numpy's float64 draws would set the peak before the forward.
    params = jax.jit(lambda key: nn.unbox(init_params(model, key)))(jax.random.key(0))
    rng = np.random.default_rng(0)
    tokens = jnp.asarray(rng.integers(2, config.vocab_size, (batch_size, length)), jnp.int32)
    prefix = jnp.asarray(np.arange(length)[None, :] < length - _SCORED_POSITIONS, jnp.int32)
    prefix = jnp.broadcast_to(prefix, tokens.shape)
    positions = jnp.broadcast_to(
        jnp.arange(length - _SCORED_POSITIONS, length, dtype=jnp.int32),
        (batch_size, _SCORED_POSITIONS),
    )
    jax.block_until_ready((params, tokens, prefix, positions))
    before = _peak_mb()

    @jax.jit
    def forward(params, tokens, prefix, positions):
        hidden = model.apply(
            {"params": params}, tokens, causal_attention=prefix, return_hidden=True
        )
        return jax.nn.log_softmax(logits_at(config, params, hidden, positions))

    start = time.perf_counter()
    jax.block_until_ready(forward(params, tokens, prefix, positions))
    return {
        "peak_mb": _peak_mb(),
        "growth_mb": _peak_mb() - before,
        "seconds": time.perf_counter() - start,
    }


def loss_point(mode: str, rows: int, length: int) -> dict:
    """The loss's value and gradient at a 256K vocabulary, full or chunked logits."""
    config = _LOSS_MODEL
    # Constant-filled buffers, one allocation each: the values do not change the memory, and
    # random draws' temporaries would set the peak before the loss runs.
    table = jnp.full((config.vocab_size, config.embed_dim), 0.01, jnp.float32)
    hidden = jnp.full((rows, length, config.embed_dim), 0.5, jnp.float32)
    targets = jnp.arange(rows * length, dtype=jnp.int32).reshape(rows, length) + 2
    weights = jnp.ones((rows, length), jnp.float32)
    jax.block_until_ready((table, hidden, targets, weights))
    before = _peak_mb()

    def loss(table, hidden):
        if mode == "full":
            logits = unembed(config, table, hidden)
            return cross_entropy_loss(logits, targets, weights, z_loss=1e-4).loss_sum
        return chunked_cross_entropy(config, table, hidden, targets, weights, z_loss=1e-4).loss_sum

    start = time.perf_counter()
    step = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
    compiled = step.lower(table, hidden).compile()
    jax.block_until_ready(compiled(table, hidden))
    return {
        "peak_mb": _peak_mb(),
        "growth_mb": _peak_mb() - before,
        "temp_mb": compiled.memory_analysis().temp_size_in_bytes / 2**20,
        "seconds": time.perf_counter() - start,
    }


def _child(arguments: list[str]) -> dict | str:
    """Runs one point in a fresh process: its result, or the last line of its error."""
    command = [sys.executable, __file__, *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return (done.stderr.strip().splitlines()[-1:] or ["(no output)"])[0]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _reference_bytes(name: str, length: int, batch_size: int) -> float:
    config = _config(name, "reference")
    return 4.0 * batch_size * config.num_heads * length * length * 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="*", default=["tiny", "small"])
    parser.add_argument("--lengths", nargs="*", type=int, default=[1024, 2048, 4096, 8192, 16384])
    parser.add_argument("--impls", nargs="*", default=["reference", "blockwise"])
    parser.add_argument("--batch_size", type=int, default=1)
    parser.add_argument("--budget_gb", type=float, default=6.0)
    parser.add_argument("--loss_rows", type=int, default=1)
    parser.add_argument("--loss_lengths", nargs="*", type=int, default=[512, 1024, 2048])
    parser.add_argument("--point", nargs=3, metavar=("CONFIG", "LENGTH", "IMPL"), help="internal")
    parser.add_argument("--loss_point", nargs=2, metavar=("MODE", "LENGTH"), help="internal")
    args = parser.parse_args()
    if args.point:
        name, length, impl = args.point
        print(json.dumps(point(name, int(length), impl, args.batch_size)))
        return
    if args.loss_point:
        mode, length = args.loss_point
        print(json.dumps(loss_point(mode, args.loss_rows, int(length))))
        return

    print(f"batch {args.batch_size}, score-like forward ({_SCORED_POSITIONS} positions unembedded)")
    print(
        f"{'config':<8}{'impl':<11}{'length':>8}{'peak MB':>10}{'growth MB':>11}{'s':>7}"
        f"{'+MB vs first':>14}"
    )
    for name in args.configs:
        for impl in args.impls:
            first = None
            for length in args.lengths:
                if impl == "reference":
                    need = _reference_bytes(name, length, args.batch_size)
                    if need > args.budget_gb * 2**30:
                        print(
                            f"{name:<8}{impl:<11}{length:>8}  skipped: the scores alone need "
                            f"~{need / 2**30:.0f} GB"
                        )
                        continue
                r = _child(
                    ["--point", name, str(length), impl, "--batch_size", str(args.batch_size)]
                )
                if isinstance(r, str):
                    print(f"{name:<8}{impl:<11}{length:>8}  failed: {r}")
                    continue
                if first is None:
                    first = r["peak_mb"]
                print(
                    f"{name:<8}{impl:<11}{length:>8}{r['peak_mb']:>10,.0f}{r['growth_mb']:>11,.0f}"
                    f"{r['seconds']:>7.1f}{r['peak_mb'] - first:>14,.0f}"
                )

    vocab = _LOSS_MODEL.vocab_size
    print(f"\nloss value and gradient, {args.loss_rows} row(s), V = {vocab:,}, D = 512")
    print(
        f"{'logits':<9}{'length':>8}{'[B,L,V] f32 MB':>16}{'peak MB':>10}{'growth MB':>11}"
        f"{'XLA temp MB':>13}"
    )
    for length in args.loss_lengths:
        for mode in ("full", "chunked"):
            r = _child(["--loss_point", mode, str(length), "--loss_rows", str(args.loss_rows)])
            logits_mb = args.loss_rows * length * vocab * 4 / 2**20
            if isinstance(r, str):
                print(f"{mode:<9}{length:>8}{logits_mb:>16,.0f}  failed: {r}")
                continue
            print(
                f"{mode:<9}{length:>8}{logits_mb:>16,.0f}{r['peak_mb']:>10,.0f}"
                f"{r['growth_mb']:>11,.0f}{r['temp_mb']:>13,.0f}"
            )


if __name__ == "__main__":
    main()
