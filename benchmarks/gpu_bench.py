"""One table for an accelerator: train tokens/s and MFU, judge score-mode pairs/s, per attention
implementation, on one model shape (benchmarks/gpu_bench.sh runs it on Gemma 2 2B in bf16).

    python benchmarks/gpu_bench.py [--config gemma2_2b] [--attention_impls cudnn blockwise]
        [--batch_size 4] [--sequence_length 2048] [--steps 5] [--judge_rows 32]
        [--judge_length 1024] [--judge_targets 16] [--judge_calls 5] [--peak_tflops T]
        [--set FIELD=VALUE ...]

Train: the jitted train step (benchmarks/train_throughput.py's measure) on random PrefixLM
batches. Judge: the score-mode forward at the model level, flame_jax.models.score with
max_targets (the hidden states of the target positions only are unembedded), on rows of
--judge_length tokens whose last --judge_targets are the scored answer; a pair is 4 rows (2
options x 2 orders, as Autorater's pairwise score mode). MFU is against the chip's bfloat16
dense peak: --peak_tflops, else the datasheet value of a known device kind (else "-").
Fields the kernel needs changed (cuDNN has no attention soft cap: --set
attn_logit_softcap=None) keep the shapes and the FLOPs; the table prints what ran.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_throughput  # the sibling benchmark: one train-step measurement

from flame_jax.models import Transformer, TransformerConfig, init_params, score

# Dense bfloat16 peak FLOP/s by device kind (NVIDIA datasheets, SXM parts).
BF16_PEAK = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L4": 121e12, "B200": 2250e12}
ROWS_PER_PAIR = 4


def device_peak(given_tflops: float | None) -> float | None:
    if given_tflops:
        return given_tflops * 1e12
    kind = jax.devices()[0].device_kind
    return next((peak for name, peak in BF16_PEAK.items() if name in kind), None)


def judge(config: TransformerConfig, rows: int, length: int, targets: int, calls: int) -> dict:
    """Score-mode forwards: rows/s, tokens/s and pairs/s of the second..last calls."""
    model = Transformer(config)
    params = jax.jit(lambda r: nn.unbox(init_params(model, r)))(jax.random.key(0))
    rng = np.random.default_rng(0)
    tokens = rng.integers(2, config.vocab_size, (rows, length), dtype=np.int32)
    weights = np.zeros((rows, length), np.int32)
    weights[:, length - targets :] = 1
    batch = {
        "decoder_input_tokens": jnp.asarray(tokens),
        "decoder_target_tokens": jnp.asarray(np.roll(tokens, -1, axis=1)),
        "decoder_loss_weights": jnp.asarray(weights),
        "decoder_causal_attention": jnp.asarray(1 - weights),
    }
    forward = jax.jit(functools.partial(score, model, max_targets=targets))
    jax.block_until_ready(forward(params, batch))
    start = time.perf_counter()
    for _ in range(calls):
        out = forward(params, batch)
    jax.block_until_ready(out)
    seconds = (time.perf_counter() - start) / calls
    return {"tokens/s": rows * length / seconds, "pairs/s": rows / ROWS_PER_PAIR / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="gemma2_2b")
    parser.add_argument("--attention_impls", nargs="*", default=["cudnn", "blockwise"])
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--sequence_length", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--judge_rows", type=int, default=32)
    parser.add_argument("--judge_length", type=int, default=1024)
    parser.add_argument("--judge_targets", type=int, default=16)
    parser.add_argument("--judge_calls", type=int, default=5)
    parser.add_argument("--peak_tflops", type=float, default=None)
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE")
    args = parser.parse_args()
    overrides = train_throughput.parse_overrides(args.set)
    peak = device_peak(args.peak_tflops)
    device = jax.devices()[0].device_kind
    peak_text = "unknown peak" if peak is None else f"bf16 peak {peak / 1e12:,.0f} TFLOP/s"
    print(f"{device} ({peak_text}); {args.config} {overrides or ''}")
    print(
        f"train: batch {args.batch_size} x {args.sequence_length}, {args.steps} steps; judge: "
        f"{args.judge_rows} rows x {args.judge_length} tokens, {args.judge_targets} scored\n"
    )
    print(
        f"{'attention':<11}{'train tokens/s':>15}{'train MFU':>11}{'first step':>12}"
        f"{'judge tokens/s':>16}{'judge MFU':>11}{'pairs/s':>9}"
    )
    for impl in args.attention_impls:
        config = train_throughput.model_config(args.config, **overrides, attention_impl=impl)
        train = train_throughput.measure(
            config, args.batch_size, args.sequence_length, args.steps, peak or 1.0
        )
        scored = judge(
            config, args.judge_rows, args.judge_length, args.judge_targets, args.judge_calls
        )
        # A forward is a third of the train step's model FLOPs (2N of 6N, and of attention).
        forward_flops = config.flops_per_token(args.judge_length) / 3
        train_mfu = "-" if peak is None else f"{train['mfu']:.1%}"
        judge_mfu = "-" if peak is None else f"{scored['tokens/s'] * forward_flops / peak:.1%}"
        print(
            f"{impl:<11}{train['tokens/s']:>15,.0f}{train_mfu:>11}{train['first step s']:>11.1f}s"
            f"{scored['tokens/s']:>16,.0f}{judge_mfu:>11}{scored['pairs/s']:>9.2f}"
        )


if __name__ == "__main__":
    main()
