"""Train-step throughput: steps/s, tokens/s and model FLOPs utilisation (MFU) against this
machine's matmul peak measured in the same run, for the tiny and small model configs, plus
the time from start to the first finished step (compilation included).

    python benchmarks/train_throughput.py [--batch_size 8] [--sequence_length 512] [--steps 10]
        [--configs tiny small] [--attention_impls auto reference] [--peak_tflops T]
        [--set FIELD=VALUE ...]

The peak is the best of a few large float32 matmuls (jnp.dot, 2048^3) timed here, so MFU is
"share of what this machine's XLA matmul reaches", the honest ratio on a CPU; --peak_tflops
gives the chip's datasheet peak instead (benchmarks/gpu_bench.sh: the bfloat16 peak). The
batch is random tokens in the PrefixLM feature layout (the data pipeline has its own
benchmark). Each config runs with each --attention_impls value (TransformerConfig
.attention_impl); "vs first" is tokens/s over the first one's on the same config. --set
overrides config fields (Python literals: --set attn_logit_softcap=None).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import time

import flax.linen as nn
import gin
import jax
import jax.numpy as jnp
import numpy as np

from flame_jax import configurables
from flame_jax.models import Transformer, TransformerConfig, init_params
from flame_jax.training import optimizers, steps
from flame_jax.training.state import TrainState


def matmul_peak(size: int = 2048, repeats: int = 5) -> float:
    a = jnp.ones((size, size), jnp.float32)
    dot = jax.jit(jnp.dot)
    dot(a, a).block_until_ready()
    best = min(_timed(lambda: dot(a, a).block_until_ready()) for _ in range(repeats))
    return 2 * size**3 / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _batch(rng: np.random.Generator, batch_size: int, length: int, vocab: int) -> dict:
    tokens = rng.integers(2, vocab, size=(batch_size, length), dtype=np.int32)
    inputs = np.concatenate([np.zeros((batch_size, 1), np.int32), tokens[:, :-1]], axis=1)
    prefix = np.zeros((batch_size, length), np.int32)
    prefix[:, : length * 3 // 4] = 1
    return {
        "decoder_target_tokens": tokens,
        "decoder_input_tokens": inputs,
        "decoder_loss_weights": 1 - prefix,
        "decoder_causal_attention": prefix,
        "decoder_segment_ids": np.ones_like(tokens),
        "decoder_positions": np.broadcast_to(np.arange(length, dtype=np.int32), tokens.shape),
    }


def model_config(name: str, **overrides) -> TransformerConfig:
    """The config of gin/models/<name>.gin with `overrides` replaced."""
    gin.clear_config()
    gin.add_config_file_search_path(configurables.REPO_ROOT)
    gin.parse_config_file(f"gin/models/{name}.gin")
    return dataclasses.replace(configurables.model_config_from_gin(), **overrides)


def parse_overrides(items: list[str]) -> dict:
    """FIELD=VALUE strings (VALUE a Python literal, or a bare string) -> {field: value}."""
    out = {}
    for item in items:
        field, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set {item!r}: expected FIELD=VALUE")
        try:
            out[field] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[field] = value
    return out


def measure(
    config: TransformerConfig, batch_size: int, length: int, num_steps: int, peak: float
) -> dict:
    """Throughput of the jitted train step of `config` on one random batch."""
    model = Transformer(config)
    tx, schedule = optimizers.make_optimizer("adam", 1e-4)
    batch = _batch(np.random.default_rng(0), batch_size, length, config.vocab_size)
    start = time.perf_counter()
    params = jax.jit(lambda r: nn.unbox(init_params(model, r)))(jax.random.key(0))
    state = TrainState(jnp.zeros((), jnp.int32), params, tx.init(params))
    step = jax.jit(
        lambda s, b: steps.train_step(
            s, b, jax.random.key(0), model=model, optimizer=tx, schedule=schedule, dropout=False
        ),
        donate_argnums=(0,),
    )
    state, metrics = step(state, batch)
    jax.block_until_ready(metrics)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(num_steps):
        state, metrics = step(state, batch)
    jax.block_until_ready(metrics)
    seconds = (time.perf_counter() - start) / num_steps
    tokens = batch_size * length / seconds
    return {
        "params": config.num_params(),
        "steps/s": 1 / seconds,
        "tokens/s": tokens,
        "mfu": tokens * config.flops_per_token(length) / peak,
        "first step s": first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--sequence_length", type=int, default=512)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--configs", nargs="*", default=["tiny", "small"])
    parser.add_argument("--attention_impls", nargs="*", default=["auto"])
    parser.add_argument("--peak_tflops", type=float, default=None, help="default: measured")
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE")
    args = parser.parse_args()
    overrides = parse_overrides(args.set)
    if args.peak_tflops:
        peak, source = args.peak_tflops * 1e12, "given"
    else:
        peak, source = matmul_peak(), "measured matmul"
    print(f"{jax.devices()[0].device_kind}: {source} peak {peak / 1e9:,.1f} GFLOP/s")
    print(f"batch {args.batch_size} x {args.sequence_length}, {args.steps} timed steps\n")
    print(
        f"{'config':<10}{'attention':<11}{'params':>15}{'steps/s':>10}{'tokens/s':>11}"
        f"{'MFU':>8}{'first step':>12}{'vs first':>10}"
    )
    for name in args.configs:
        first = None
        for impl in args.attention_impls:
            config = model_config(name, **overrides, attention_impl=impl)
            r = measure(config, args.batch_size, args.sequence_length, args.steps, peak)
            first = first or r["tokens/s"]
            print(
                f"{name:<10}{impl:<11}{r['params']:>15,}{r['steps/s']:>10.2f}"
                f"{r['tokens/s']:>11,.0f}{r['mfu']:>8.1%}{r['first step s']:>11.1f}s"
                f"{r['tokens/s'] / first:>9.2f}x"
            )


if __name__ == "__main__":
    main()
