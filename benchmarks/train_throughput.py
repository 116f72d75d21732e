"""Train-step throughput: steps/s, tokens/s and model FLOPs utilisation (MFU) against this
machine's matmul peak measured in the same run, for the tiny and small model configs, plus
the time from start to the first finished step (compilation included).

    python benchmarks/train_throughput.py [--batch_size 8] [--sequence_length 512] [--steps 10]

The peak is the best of a few large float32 matmuls (jnp.dot, 2048^3) timed here, so MFU is
"share of what this machine's XLA matmul reaches", the honest ratio on a CPU. The batch is
random tokens in the PrefixLM feature layout (the data pipeline has its own benchmark).
"""

from __future__ import annotations

import argparse
import time

import flax.linen as nn
import gin
import jax
import jax.numpy as jnp
import numpy as np

from flame_jax import configurables
from flame_jax.models import Transformer, init_params
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


def measure(name: str, batch_size: int, length: int, num_steps: int, peak: float) -> dict:
    gin.clear_config()
    gin.add_config_file_search_path(configurables.REPO_ROOT)
    gin.parse_config_file(f"gin/models/{name}.gin")
    config = configurables.model_config_from_gin()
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
        "config": name,
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
    args = parser.parse_args()
    peak = matmul_peak()
    print(f"{jax.devices()[0].device_kind}: measured matmul peak {peak / 1e9:.1f} GFLOP/s")
    print(f"batch {args.batch_size} x {args.sequence_length}, {args.steps} timed steps\n")
    print(f"{'config':<8}{'params':>13}{'steps/s':>10}{'tokens/s':>11}{'MFU':>8}{'first step':>12}")
    for name in args.configs:
        r = measure(name, args.batch_size, args.sequence_length, args.steps, peak)
        print(
            f"{r['config']:<8}{r['params']:>13,}{r['steps/s']:>10.2f}{r['tokens/s']:>11,.0f}"
            f"{r['mfu']:>8.1%}{r['first step s']:>11.1f}s"
        )


if __name__ == "__main__":
    main()
