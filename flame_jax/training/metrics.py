"""Training metrics: TensorBoard summaries (CLU metric writers) and a readable console line.

Model FLOPs utilisation (MFU) = achieved model FLOPs per second / the devices' peak, with
model FLOPs per token from TransformerConfig.flops_per_token (PaLM's 6N + attention). The
peak per chip comes from `peak_flops` or, for known accelerators, from the table below
(dense bf16 figures from the vendors' spec sheets); on CPU it is unknown unless measured
(benchmarks/train_throughput.py measures the matmul peak and passes it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import jax
from clu import metric_writers

PEAK_FLOPS_PER_CHIP = {
    "TPU v4": 275e12,
    "TPU v5 lite": 197e12,
    "TPU v5e": 197e12,
    "TPU v5p": 459e12,
    "TPU v6 lite": 918e12,
    "NVIDIA H100 80GB HBM3": 989e12,
    "NVIDIA H200": 989e12,
    "NVIDIA A100-SXM4-80GB": 312e12,
}


def peak_flops_per_device(explicit: float | None = None) -> float | None:
    if explicit:
        return explicit
    kind = jax.devices()[0].device_kind
    return next((v for k, v in PEAK_FLOPS_PER_CHIP.items() if kind.startswith(k)), None)


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class MetricsLogger:
    """Writes step metrics to MODEL_DIR/<name> (TensorBoard) and prints one line per log."""

    def __init__(
        self,
        logdir: str,
        *,
        total_steps: int,
        flops_per_token: float,
        peak_flops: float | None,
        write_summaries: bool = True,
    ):
        self._writer = (
            metric_writers.create_default_writer(logdir, just_logging=False, asynchronous=True)
            if write_summaries
            else None
        )
        self._total = total_steps
        self._flops_per_token = flops_per_token
        self._peak = None if peak_flops is None else peak_flops * jax.device_count()
        self._last_time: float | None = None
        self._last_step: int | None = None

    def start(self, step: int) -> None:
        self._last_time, self._last_step = time.perf_counter(), step

    def log_train(self, step: int, metrics: Mapping[str, float], tokens: float) -> dict[str, float]:
        """Adds timing metrics to the means of the steps since the last log, writes, prints."""
        now = time.perf_counter()
        steps = max(step - (self._last_step or 0), 1)
        elapsed = now - (self._last_time or now)
        values = dict(metrics)
        values["step_time"] = elapsed / steps
        values["tokens_per_second"] = tokens / elapsed if elapsed > 0 else 0.0
        if self._peak:
            values["mfu"] = values["tokens_per_second"] * self._flops_per_token / self._peak
        if self._writer is not None:
            self._writer.write_scalars(step, values)
        eta = values["step_time"] * (self._total - step)
        line = (
            f"step {step}/{self._total} ({step / self._total:.0%}) | loss {values['loss']:.4f} | "
            f"acc {values['accuracy']:.1%} | lr {values['learning_rate']:.2e} | "
            f"grad_norm {values['grad_norm']:.3f} | {values['step_time']:.3f} s/step | "
            f"{values['tokens_per_second']:,.0f} tok/s"
        )
        if "mfu" in values:
            line += f" | MFU {values['mfu']:.1%}"
        print(f"{line} | ETA {_duration(eta)}", flush=True)
        self._last_time, self._last_step = now, step
        return values

    def log_eval(self, step: int, name: str, values: Mapping[str, float]) -> None:
        if self._writer is not None:
            self._writer.write_scalars(step, {f"eval/{name}/{k}": v for k, v in values.items()})
        shown = " | ".join(f"{k} {v:.4f}" for k, v in values.items())
        print(f"eval {name} at step {step}: {shown}", flush=True)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
