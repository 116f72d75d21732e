"""Training loss: token cross entropy weighted by decoder_loss_weights, with optional z-loss.

Sums, not means: the trainer adds the sums over micro-batches and hosts and divides once
(t5x's "loss normalising factor" convention), so packing and gradient accumulation never
change what a token weighs. z-loss (PaLM, Chowdhery et al. 2022) adds
z_loss * logsumexp(logits)^2 per weighted token to keep the softmax normaliser near 1,
which stabilises bfloat16 training.

Memory: the model returns its final hidden states and the loss unembeds them in chunks of
config.loss_chunk_length positions (`chunked_cross_entropy`), rematerialised in the
backward pass, so float32 logits exist for [B, chunk, V] at a time, never [B, L, V] (a 256K
vocabulary at 8K tokens would need 8 GB per row). `cross_entropy_loss` is the same loss on
given logits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from flame_jax.models.config import TransformerConfig
from flame_jax.models.transformer import Transformer, batch_to_inputs, output_weights, unembed

Array = jax.Array


class LossOutput(NamedTuple):
    """Sums over the weighted target tokens of a batch (all float32 scalars).

    loss_sum includes the z-loss term; z_loss_sum is that term alone, for logging.
    """

    loss_sum: Array
    weight_sum: Array
    num_correct: Array
    z_loss_sum: Array


def token_log_likelihood(logits: Array, targets: Array) -> Array:
    """log p(target) per position: logits [B, L, V], targets [B, L] -> float32 [B, L]."""
    log_probs = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
    return jnp.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]


def cross_entropy_loss(
    logits: Array,  # [B, L, V]
    targets: Array,  # [B, L] int32
    weights: Array,  # [B, L]; 0 = not a target (inputs, padding)
    *,
    z_loss: float = 0.0,
) -> LossOutput:
    """Weighted cross entropy, weighted z-loss and the number of correctly predicted targets.

    Positions with weight 0 contribute nothing, whatever their tokens or logits.
    """
    logits = logits.astype(jnp.float32)
    weights = weights.astype(jnp.float32)
    log_z = jax.nn.logsumexp(logits, axis=-1)  # [B, L]
    target_logit = jnp.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    nll = log_z - target_logit  # [B, L]
    z_term = z_loss * jnp.square(log_z)
    # jnp.where, not a product: a non-finite value at a masked position must not leak.
    mask = weights > 0
    z_loss_sum = jnp.sum(jnp.where(mask, z_term * weights, 0.0))
    loss_sum = jnp.sum(jnp.where(mask, nll * weights, 0.0)) + z_loss_sum
    correct = (jnp.argmax(logits, axis=-1) == targets) & mask
    return LossOutput(
        loss_sum=loss_sum,
        weight_sum=jnp.sum(weights),
        num_correct=jnp.sum(correct.astype(jnp.float32)),
        z_loss_sum=z_loss_sum,
    )


def sequence_chunks(x: Array, chunk_length: int) -> Array:
    """[B, L, ...] -> [n, B, chunk_length, ...], n = ceil(L / chunk_length), zero-padded."""
    length = x.shape[1]
    count = -(-length // chunk_length)
    pad = [(0, 0)] * x.ndim
    pad[1] = (0, count * chunk_length - length)
    x = jnp.pad(x, pad)
    return jnp.moveaxis(x.reshape(x.shape[0], count, chunk_length, *x.shape[2:]), 1, 0)


def chunked_cross_entropy(
    config: TransformerConfig,
    weights_matrix: Array,  # output_weights(config, params)
    hidden: Array,  # [B, L, D] final hidden states
    targets: Array,  # [B, L] int32
    weights: Array,  # [B, L]
    *,
    z_loss: float = 0.0,
) -> LossOutput:
    """cross_entropy_loss of unembed(hidden), a chunk of config.loss_chunk_length positions
    at a time; each chunk's logits are recomputed in the backward pass (jax.checkpoint)
    instead of kept, so memory holds one [B, chunk, V] float32 block."""
    chunk = min(config.loss_chunk_length, hidden.shape[1])

    @jax.checkpoint
    def one(hidden_chunk: Array, target_chunk: Array, weight_chunk: Array) -> LossOutput:
        logits = unembed(config, weights_matrix, hidden_chunk)  # [B, chunk, V]
        return cross_entropy_loss(logits, target_chunk, weight_chunk, z_loss=z_loss)

    def step(total: LossOutput, xs: tuple[Array, Array, Array]) -> tuple[LossOutput, None]:
        return LossOutput(*(a + b for a, b in zip(total, one(*xs), strict=True))), None

    zero = jnp.zeros((), jnp.float32)
    xs = tuple(sequence_chunks(x, chunk) for x in (hidden, targets, weights))
    total, _ = jax.lax.scan(step, LossOutput(zero, zero, zero, zero), xs)
    return total


def compute_loss(
    model: Transformer,
    params: Any,
    batch: Mapping[str, Array],
    *,
    dropout_rng: Array | None = None,
    z_loss: float = 0.0,
) -> tuple[Array, LossOutput]:
    """(loss_sum, LossOutput) of the model on one batch of PrefixLMFeatureConverter features.

    Dropout is on exactly when `dropout_rng` is given. The first value is what to
    differentiate (jax.value_and_grad(compute_loss, argnums=1, has_aux=True)).
    """
    hidden = model.apply(
        {"params": params},
        **batch_to_inputs(batch),
        deterministic=dropout_rng is None,
        rngs=None if dropout_rng is None else {"dropout": dropout_rng},
        return_hidden=True,
    )
    out = chunked_cross_entropy(
        model.config,
        output_weights(model.config, params),
        hidden,
        batch["decoder_target_tokens"],
        batch["decoder_loss_weights"],
        z_loss=z_loss,
    )
    return out.loss_sum, out
