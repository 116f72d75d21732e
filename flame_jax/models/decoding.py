"""Scoring and cached generation: the two ways the judge uses a trained model.

`score`: log-likelihood of given targets (the judge's score mode compares the log-probs of
answer options). Logits are computed only where they are used: `score` unembeds the hidden
states of at most `max_targets` weighted positions per row when given (the judge knows its
target lengths), else all positions in chunks of config.loss_chunk_length; generation
unembeds the last position of each step only. `generate`: greedy or temperature sampling
with a key/value cache, stopping at EOS or after max_new_tokens.

Prompt convention of `generate`: prompts arrive right-padded, [B, P] int32 with each row's
real tokens first, plus optional `prompt_lengths` [B]. Without lengths, a row's prompt runs
to its last non-zero token, so a leading 0 start token (seqio's decoder_input_tokens begin
with one) still counts. Internally each row is shifted right so all prompts END at slot P-1
(left-aligned padding); the pad slots are masked, and rotary positions count real tokens
only, so a prompt's result does not depend on its batch mates. New tokens go to slots
P, P+1, ... for every row at once. Every prompt needs at least one token.

Randomness: sampling takes an explicit key; step t uses jax.random.fold_in(rng, t).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from flame_jax.models.loss import sequence_chunks, token_log_likelihood
from flame_jax.models.transformer import (
    Transformer,
    batch_to_inputs,
    logits_at,
    output_weights,
    unembed,
)

Array = jax.Array
EOS_ID = 1
PAD_ID = 0


class Scores(NamedTuple):
    """Log-likelihoods of the weighted target tokens.

    token_logprobs: float32 [B, L], log p(target) at positions with loss weight > 0, else 0.
    sequence_logprobs: float32 [B], their sum per row (per example for unpacked batches).
    num_tokens: float32 [B], the number of weighted positions per row (for length-normalising).
    """

    token_logprobs: Array
    sequence_logprobs: Array
    num_tokens: Array


def score(
    model: Transformer,
    params: Any,
    batch: Mapping[str, Array],
    *,
    max_targets: int | None = None,
) -> Scores:
    """Log-probs of decoder_target_tokens where decoder_loss_weights > 0 (no dropout).

    Takes PrefixLMFeatureConverter features; use unpacked batches (one example per row) to
    get per-example sums. With `max_targets`, only the first max_targets weighted positions
    of each row are unembedded ([B, max_targets, V] logits); a row with more weighted
    positions gets a NaN sequence_logprobs (never a silently truncated sum). Pure: wrap in
    jax.jit with the model (and max_targets) static.
    """
    config = model.config
    hidden = model.apply({"params": params}, **batch_to_inputs(batch), return_hidden=True)
    targets = batch["decoder_target_tokens"]
    weighted = batch["decoder_loss_weights"] > 0
    num_tokens = jnp.sum(weighted.astype(jnp.float32), axis=-1)
    if max_targets is None:
        chunk = min(config.loss_chunk_length, hidden.shape[1])
        weights_matrix = output_weights(config, params)

        def one(xs: tuple[Array, Array]) -> Array:
            hidden_chunk, target_chunk = xs
            logits = unembed(config, weights_matrix, hidden_chunk)
            return token_log_likelihood(logits, target_chunk)

        chunks = jax.lax.map(one, (sequence_chunks(hidden, chunk), sequence_chunks(targets, chunk)))
        token_logprobs = jnp.moveaxis(chunks, 0, 1).reshape(targets.shape[0], -1)
        token_logprobs = jnp.where(weighted, token_logprobs[:, : targets.shape[1]], 0.0)
        sequence_logprobs = jnp.sum(token_logprobs, axis=-1)
    else:
        # The weighted positions first, in order (a stable sort of "not weighted").
        order = jnp.argsort(~weighted, axis=1, stable=True)[:, :max_targets]  # [B, T]
        valid = jnp.take_along_axis(weighted, order, axis=1)
        logits = logits_at(config, params, hidden, order)  # [B, T, V]
        picked = token_log_likelihood(logits, jnp.take_along_axis(targets, order, axis=1))
        picked = jnp.where(valid, picked, 0.0)
        rows = jnp.arange(targets.shape[0])[:, None]
        token_logprobs = jnp.zeros(targets.shape, jnp.float32).at[rows, order].add(picked)
        sequence_logprobs = jnp.where(num_tokens > max_targets, jnp.nan, jnp.sum(picked, axis=-1))
    return Scores(
        token_logprobs=token_logprobs,
        sequence_logprobs=sequence_logprobs,
        num_tokens=num_tokens,
    )


class Generation(NamedTuple):
    """tokens: int32 [B, max_new_tokens], EOS included, 0 after it; lengths: int32 [B],
    the number of generated tokens per row (EOS included)."""

    tokens: Array
    lengths: Array


def init_cache(model: Transformer, batch_size: int, max_length: int) -> Any:
    """An empty key/value cache (the "cache" collection) for max_length slots."""
    tokens = jnp.ones((batch_size, max_length), jnp.int32)
    shapes = jax.eval_shape(functools.partial(model.init, decode=True), jax.random.key(0), tokens)[
        "cache"
    ]
    return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), nn.unbox(shapes))


def prompt_lengths_of(prompt_tokens: Array) -> Array:
    """Length of each right-padded prompt [B, P]: up to its last non-zero token, at least 1."""
    length = prompt_tokens.shape[1]
    nonzero = prompt_tokens != PAD_ID
    last = jnp.max(jnp.where(nonzero, jnp.arange(length)[None, :], -1), axis=1)
    return jnp.maximum(last + 1, 1).astype(jnp.int32)


def left_align(prompt_tokens: Array, prompt_lengths: Array) -> tuple[Array, Array, Array]:
    """Right-padded prompts -> (tokens, positions, segment ids), each [B, P], with every
    prompt ending at slot P-1; pad slots have token 0, position 0 and segment 0."""
    length = prompt_tokens.shape[1]
    source = jnp.arange(length)[None, :] - (length - prompt_lengths)[:, None]  # [B, P]
    real = source >= 0
    source = jnp.maximum(source, 0)
    tokens = jnp.where(real, jnp.take_along_axis(prompt_tokens, source, axis=1), PAD_ID)
    return tokens.astype(jnp.int32), source.astype(jnp.int32), real.astype(jnp.int32)


def _sample(logits: Array, rng: Array, temperature: Array, top_k: int | None) -> Array:
    """Next token [B] from logits [B, V]: argmax at temperature 0, else sampled.

    The temperature is traced, so greedy and sampling share one compiled program.
    """
    greedy = jnp.argmax(logits, axis=-1)
    logits = logits / jnp.maximum(temperature, 1e-6)
    if top_k is not None:
        kth = jax.lax.top_k(logits, top_k)[0][:, -1:]
        logits = jnp.where(logits < kth, -jnp.inf, logits)
    sampled = jax.random.categorical(rng, logits, axis=-1)
    return jnp.where(temperature > 0, sampled, greedy).astype(jnp.int32)


def generate(
    model: Transformer,
    params: Any,
    prompt_tokens: Array,
    prompt_lengths: Array | None = None,
    *,
    max_new_tokens: int,
    rng: Array | None = None,
    temperature: float = 0.0,
    top_k: int | None = None,
    eos_id: int = EOS_ID,
) -> Generation:
    """Continue each prompt [B, P] by up to max_new_tokens tokens (see the module docstring).

    Greedy at temperature 0 (rng unused); otherwise samples, which needs `rng`. Stops early
    once every row has produced `eos_id`. Compiled once per model, shapes, max_new_tokens and
    top_k (temperature and eos_id are traced).
    """
    if temperature < 0:
        raise ValueError(f"temperature {temperature} must be >= 0")
    if temperature > 0 and rng is None:
        raise ValueError("sampling (temperature > 0) needs an explicit rng key")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens {max_new_tokens} must be >= 1")
    prompt_tokens = jnp.asarray(prompt_tokens, jnp.int32)
    if prompt_lengths is None:
        prompt_lengths = prompt_lengths_of(prompt_tokens)
    if rng is None:
        rng = jax.random.key(0)
    return _generate(
        model,
        params,
        prompt_tokens,
        jnp.asarray(prompt_lengths, jnp.int32),
        rng,
        temperature=jnp.asarray(temperature, jnp.float32),
        eos_id=jnp.asarray(eos_id, jnp.int32),
        max_new_tokens=max_new_tokens,
        top_k=top_k,
    )


@functools.partial(jax.jit, static_argnames=("model", "max_new_tokens", "top_k"))
def _generate(
    model: Transformer,
    params: Any,
    prompt_tokens: Array,  # [B, P]
    prompt_lengths: Array,  # [B]
    rng: Array,
    *,
    temperature: Array,  # [] float32
    eos_id: Array,  # [] int32
    max_new_tokens: int,
    top_k: int | None,
) -> Generation:
    batch, prompt_len = prompt_tokens.shape
    tokens, positions, segments = left_align(prompt_tokens, prompt_lengths)
    cache = init_cache(model, batch, prompt_len + max_new_tokens)

    weights_matrix = output_weights(model.config, params)

    def step(cache: Any, tokens: Array, positions: Array, segments: Array, causal: Array):
        hidden, variables = model.apply(
            {"params": params, "cache": cache},
            tokens,
            positions,
            segments,
            causal,
            decode=True,
            mutable=["cache"],
            return_hidden=True,
        )
        # The last position's logits only: [B, V], not [B, P, V] for the prompt.
        return unembed(model.config, weights_matrix, hidden[:, -1]), variables["cache"]

    # Prefill: the whole prompt is the (optionally bidirectional) prefix.
    logits, cache = step(cache, tokens, positions, segments, segments)
    first = _sample(logits, jax.random.fold_in(rng, 0), temperature, top_k)
    out = jnp.zeros((batch, max_new_tokens), jnp.int32).at[:, 0].set(first)
    done = first == eos_id
    lengths = jnp.ones((batch,), jnp.int32)

    def cond(state):
        t, _, _, done, _ = state
        return (t < max_new_tokens) & ~jnp.all(done)

    def body(state):
        t, cache, out, done, lengths = state
        previous = jax.lax.dynamic_slice_in_dim(out, t - 1, 1, axis=1)  # [B, 1]
        position = (prompt_lengths + t - 1)[:, None]
        ones = jnp.ones_like(previous)
        logits, cache = step(cache, previous, position, ones, jnp.zeros_like(previous))
        token = _sample(logits, jax.random.fold_in(rng, t), temperature, top_k)
        token = jnp.where(done, PAD_ID, token)
        out = jax.lax.dynamic_update_slice_in_dim(out, token[:, None], t, axis=1)
        lengths = lengths + (~done).astype(jnp.int32)
        return t + 1, cache, out, done | (token == eos_id), lengths

    state = (jnp.ones((), jnp.int32), cache, out, done, lengths)
    _, _, out, _, lengths = jax.lax.while_loop(cond, body, state)
    return Generation(tokens=out, lengths=lengths)
