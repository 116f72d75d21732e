"""Optimizers and learning-rate schedules, by name (what the gin run files select).

FLAMe (Vu et al., 2024) fine-tunes with Adam at a constant 1e-4; t5x's default is Adafactor
(factored second moments). Both are here, with AdamW and plain SGD (a baseline, and the one
whose update size is easy to reason about in tests).

Schedules, all with an optional linear warmup from 0 to `learning_rate` over `warmup_steps`
(t5x's convention: lr(step) = learning_rate * min(1, step / warmup_steps), so the update at
step 0 is zero when warming up):

  constant              learning_rate after warmup.
  linear_warmup_cosine  cosine decay from learning_rate at warmup_steps to
                        end_learning_rate_fraction * learning_rate at total_steps, then flat.
  rsqrt                 t5x's rsqrt_decay: learning_rate * sqrt(w / max(step, w)) with
                        w = max(warmup_steps, 1): flat at the peak until w, then 1/sqrt(step).

`step` is the optimizer's update count (optax's `count`), which with gradient accumulation
(`grad_accum_steps > 1`, optax.MultiSteps) is the number of real updates, not micro-batches.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

OPTIMIZERS = ("adam", "adamw", "adafactor", "sgd")
SCHEDULES = ("constant", "linear_warmup_cosine", "rsqrt")


def _unknown(kind: str, name: str, known: tuple[str, ...]) -> ValueError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}; known: {', '.join(known)}.{hint}")


def make_schedule(
    learning_rate: float,
    schedule: str = "constant",
    *,
    warmup_steps: int = 0,
    total_steps: int | None = None,
    end_learning_rate_fraction: float = 0.0,
) -> optax.Schedule:
    """The learning rate as a function of the update count (see the module docstring).

    Returned on its own (and by make_optimizer) so that the trainer can log the rate it
    used at each step.
    """
    if schedule not in SCHEDULES:
        raise _unknown("learning-rate schedule", schedule, SCHEDULES)
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
    if schedule == "linear_warmup_cosine":
        if total_steps is None or total_steps <= warmup_steps:
            raise ValueError(
                f"schedule 'linear_warmup_cosine' needs total_steps > warmup_steps "
                f"(got total_steps={total_steps}, warmup_steps={warmup_steps})"
            )

    def warmup(step: jax.Array) -> jax.Array:
        if warmup_steps == 0:
            return jnp.ones_like(step)
        return jnp.minimum(1.0, step / warmup_steps)

    def fn(count: jax.typing.ArrayLike) -> jax.Array:
        step = jnp.asarray(count, jnp.float32)
        if schedule == "constant":
            decay = jnp.ones_like(step)
        elif schedule == "linear_warmup_cosine":
            assert total_steps is not None  # checked above
            progress = jnp.clip((step - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
            cosine = 0.5 * (1.0 + jnp.cos(math.pi * progress))
            decay = end_learning_rate_fraction + (1.0 - end_learning_rate_fraction) * cosine
        else:  # rsqrt
            w = float(max(warmup_steps, 1))
            decay = jnp.sqrt(w / jnp.maximum(step, w))
        return learning_rate * warmup(step) * decay

    return fn


def _decay_mask(params: Any) -> Any:
    """Weight decay on matrices only: norm scales and biases (ndim < 2) are left alone."""
    return jax.tree_util.tree_map(lambda p: jnp.ndim(p) > 1, params)


def make_optimizer(
    name: str = "adam",
    learning_rate: float = 1e-4,
    *,
    schedule: str = "constant",
    warmup_steps: int = 0,
    total_steps: int | None = None,
    end_learning_rate_fraction: float = 0.0,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    clip_grad_norm: float | None = None,
    adafactor_decay_rate: float = 0.8,
    adafactor_min_dim_size_to_factor: int = 128,
    adafactor_scale_by_parameter: bool = False,
    adafactor_clipping_threshold: float | None = 1.0,
    grad_accum_steps: int = 1,
) -> tuple[optax.GradientTransformation, optax.Schedule]:
    """An optax optimizer by name, and its learning-rate schedule.

    name: "adam" (FLAMe's choice: Adam, lr 1e-4), "adamw" (decoupled weight decay on
      matrices), "adafactor" (factored second moments as in t5x; with an explicit learning
      rate the step is absolute, i.e. no relative step and, by default, no scaling by the
      parameter's RMS; set adafactor_scale_by_parameter=True for t5x's
      multiply_by_parameter_scale), "sgd".
    weight_decay: decoupled decay for adamw and adafactor; adam and sgd reject it rather
      than silently turning it into L2 regularisation.
    clip_grad_norm: if set, gradients are clipped to this global norm before the optimizer
      sees them (so the optimizer's statistics never see a spike).
    grad_accum_steps: > 1 wraps the optimizer in optax.MultiSteps: updates are applied
      every grad_accum_steps calls with the mean gradient, zero in between.
    """
    if name not in OPTIMIZERS:
        raise _unknown("optimizer", name, OPTIMIZERS)
    if clip_grad_norm is not None and clip_grad_norm <= 0:
        raise ValueError(f"clip_grad_norm must be positive or None, got {clip_grad_norm}")
    if grad_accum_steps < 1:
        raise ValueError(f"grad_accum_steps must be >= 1, got {grad_accum_steps}")
    if weight_decay and name in ("adam", "sgd"):
        raise ValueError(
            f"weight_decay={weight_decay} with {name!r}: use 'adamw' (or 'adafactor') for "
            "decoupled weight decay"
        )
    lr = make_schedule(
        learning_rate,
        schedule,
        warmup_steps=warmup_steps,
        total_steps=total_steps,
        end_learning_rate_fraction=end_learning_rate_fraction,
    )
    builders: dict[str, Callable[[], optax.GradientTransformation]] = {
        "adam": lambda: optax.adam(lr, b1=b1, b2=b2, eps=eps),
        "adamw": lambda: optax.adamw(
            lr, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay, mask=_decay_mask
        ),
        "adafactor": lambda: optax.adafactor(
            lr,
            min_dim_size_to_factor=adafactor_min_dim_size_to_factor,
            decay_rate=adafactor_decay_rate,
            multiply_by_parameter_scale=adafactor_scale_by_parameter,
            clipping_threshold=adafactor_clipping_threshold,
            weight_decay_rate=weight_decay or None,
            weight_decay_mask=_decay_mask,
        ),
        "sgd": lambda: optax.sgd(lr),
    }
    optimizer = builders[name]()
    if clip_grad_norm is not None:
        optimizer = optax.chain(optax.clip_by_global_norm(clip_grad_norm), optimizer)
    if grad_accum_steps > 1:
        optimizer = optax.MultiSteps(
            optimizer, every_k_schedule=grad_accum_steps
        ).gradient_transformation()
    return optimizer, lr
