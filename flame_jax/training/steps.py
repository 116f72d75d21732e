"""The train and eval steps (free functions, jitted by the trainer with explicit shardings).

Gradient accumulation: the batch is split into `num_microbatches` equal parts along the batch
axis and scanned; loss sums, token counts and gradient sums are accumulated and divided once
by the total number of target tokens, so the update equals the full batch's exactly (up to
float summation order) whatever the split.

A step whose loss or gradient norm is not finite leaves the parameters and optimizer state
unchanged and reports `finite = 0`: the trainer stops at its next check, and no checkpoint
ever holds parameters touched by a NaN or Inf.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import optax

from flame_jax.models import Transformer, compute_loss
from flame_jax.training.state import TrainState

Batch = Mapping[str, jax.Array]


def _split(batch: Batch, num_microbatches: int) -> dict[str, jax.Array]:
    size = next(iter(batch.values())).shape[0]
    if size % num_microbatches:
        raise ValueError(f"batch size {size} is not divisible by {num_microbatches} microbatches")
    return {
        k: v.reshape((num_microbatches, size // num_microbatches, *v.shape[1:]))
        for k, v in batch.items()
    }


def loss_and_grads(
    model: Transformer,
    params,
    batch: Batch,
    rng: jax.Array | None,
    *,
    num_microbatches: int = 1,
    z_loss: float = 0.0,
):
    """(sums of loss, target tokens, correct tokens, z-loss; gradient of the loss sum)."""
    grad_fn = jax.value_and_grad(compute_loss, argnums=1, has_aux=True)

    def one(micro: Batch, index):
        micro_rng = None if rng is None else jax.random.fold_in(rng, index)
        (_, out), grads = grad_fn(model, params, micro, dropout_rng=micro_rng, z_loss=z_loss)
        return (out.loss_sum, out.weight_sum, out.num_correct, out.z_loss_sum), grads

    if num_microbatches == 1:
        return one(batch, 0)

    def body(carry, xs):
        micro, index = xs
        sums, grads = one(micro, index)
        carry_sums, carry_grads = carry
        return (
            jax.tree.map(jnp.add, carry_sums, sums),
            jax.tree.map(jnp.add, carry_grads, grads),
        ), None

    zeros = (jnp.zeros(()), jnp.zeros(()), jnp.zeros(()), jnp.zeros(()))
    init = (zeros, jax.tree.map(jnp.zeros_like, params))
    (sums, grads), _ = jax.lax.scan(
        body, init, (_split(batch, num_microbatches), jnp.arange(num_microbatches))
    )
    return sums, grads


def train_step(
    state: TrainState,
    batch: Batch,
    rng: jax.Array,
    *,
    model: Transformer,
    optimizer: optax.GradientTransformation,
    schedule: optax.Schedule,
    num_microbatches: int = 1,
    z_loss: float = 0.0,
    dropout: bool = True,
) -> tuple[TrainState, dict[str, jax.Array]]:
    """One optimizer update on one global batch; returns the new state and step metrics."""
    step_rng = jax.random.fold_in(rng, state.step) if dropout else None
    (loss_sum, tokens, correct, z_sum), grad_sums = loss_and_grads(
        model, state.params, batch, step_rng, num_microbatches=num_microbatches, z_loss=z_loss
    )
    denominator = jnp.maximum(tokens, 1.0)
    grads = jax.tree.map(lambda g: g / denominator, grad_sums)
    loss = loss_sum / denominator
    grad_norm = optax.global_norm(grads)
    finite = jnp.isfinite(loss) & jnp.isfinite(grad_norm)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)

    def keep_if_finite(new, old):
        return jax.tree.map(lambda n, o: jnp.where(finite, n, o), new, old)

    new_state = TrainState(
        step=state.step + 1,
        params=keep_if_finite(params, state.params),
        opt_state=keep_if_finite(opt_state, state.opt_state),
    )
    metrics = {
        "loss": loss,
        "z_loss": z_sum / denominator,
        "accuracy": correct / denominator,
        "grad_norm": grad_norm,
        "learning_rate": schedule(state.step),
        "tokens": jnp.sum(batch["decoder_target_tokens"] != 0).astype(jnp.float32),
        "finite": finite.astype(jnp.int32),
    }
    return new_state, metrics


def eval_step(params, batch: Batch, *, model: Transformer) -> dict[str, jax.Array]:
    """Sums over one eval batch (loss, target tokens, correct tokens), to be added up."""
    _, out = compute_loss(model, params, batch)
    return {"loss_sum": out.loss_sum, "tokens": out.weight_sum, "correct": out.num_correct}


def jit_train_step(
    *,
    model: Transformer,
    optimizer: optax.GradientTransformation,
    schedule: optax.Schedule,
    state_shardings: TrainState,
    data_sharding: jax.sharding.Sharding,
    num_microbatches: int = 1,
    z_loss: float = 0.0,
    dropout: bool = True,
):
    """train_step jitted for a mesh: the state and batch in their shardings, the metrics
    replicated (like the step), the old state donated. `train` runs it and `plan` compiles it."""
    replicated = state_shardings.step
    return jax.jit(
        functools.partial(
            train_step,
            model=model,
            optimizer=optimizer,
            schedule=schedule,
            num_microbatches=num_microbatches,
            z_loss=z_loss,
            dropout=dropout,
        ),
        in_shardings=(state_shardings, data_sharding, replicated),
        out_shardings=(state_shardings, replicated),
        donate_argnums=(0,),
    )
