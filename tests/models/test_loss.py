"""The loss: weights mask exactly, z-loss, packing does not change any example's loss, and the
chunked loss equals the full-logits one (values and gradients) without its memory."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flame_jax.models import Transformer, TransformerConfig, batch_to_inputs, score, unembed
from flame_jax.models.loss import chunked_cross_entropy, compute_loss, cross_entropy_loss
from flame_jax.models.testing import random_params as _params

TINY = TransformerConfig(
    vocab_size=1000,
    embed_dim=64,
    num_layers=2,
    num_heads=4,
    num_kv_heads=2,
    head_dim=16,
    mlp_dim=128,
    sliding_window=4,
    attention_pattern=("local", "global"),
    bidirectional_prefix=True,  # segments must also bound the bidirectional prefix
)


def test_cross_entropy_matches_numpy_and_ignores_masked_positions():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 11)).astype(np.float32)
    targets = rng.integers(0, 11, (2, 5)).astype(np.int32)
    weights = np.array([[0, 1, 1, 0, 0], [1, 1, 1, 1, 0]], np.float32)
    out = cross_entropy_loss(logits, targets, weights, z_loss=1e-2)

    log_z = np.log(np.exp(logits).sum(-1))
    nll = log_z - np.take_along_axis(logits, targets[..., None], -1)[..., 0]
    z = 1e-2 * log_z**2
    np.testing.assert_allclose(out.loss_sum, ((nll + z) * weights).sum(), rtol=1e-5)
    np.testing.assert_allclose(out.z_loss_sum, (z * weights).sum(), rtol=1e-5)
    assert float(out.weight_sum) == 6.0
    assert float(out.num_correct) == ((logits.argmax(-1) == targets) * weights).sum()

    # Anything at a zero-weight position (even NaN logits) changes nothing.
    poisoned = logits.copy()
    poisoned[0, 0] = np.nan
    changed = targets.copy()
    changed[weights == 0] = 3
    again = cross_entropy_loss(poisoned, changed, weights, z_loss=1e-2)
    for a, b in zip(again, out, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_model_loss_ignores_tokens_at_zero_weight_targets():
    params = _params(TINY)
    rng = np.random.default_rng(1)
    tokens = rng.integers(2, 1000, (2, 8)).astype(np.int32)
    weights = np.array([[0, 0, 0, 1, 1, 1, 1, 0], [0, 0, 1, 1, 1, 1, 1, 1]], np.int32)
    batch = {
        "decoder_input_tokens": tokens,
        "decoder_target_tokens": np.roll(tokens, -1, axis=1),
        "decoder_loss_weights": weights,
        "decoder_causal_attention": 1 - weights,
    }
    loss = jax.jit(functools.partial(compute_loss, Transformer(TINY)))
    _, expected = loss(params, batch)
    targets = batch["decoder_target_tokens"].copy()
    targets[weights == 0] = 7
    _, out = loss(params, {**batch, "decoder_target_tokens": targets})
    for a, b in zip(out, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def _example(rng, n_inputs, n_targets):
    """One PrefixLMFeatureConverter example: targets shifted right, loss on targets only."""
    sequence = rng.integers(2, 1000, n_inputs + n_targets).astype(np.int32)
    inputs = np.concatenate([[0], sequence[:-1]]).astype(np.int32)
    weights = np.r_[np.zeros(n_inputs), np.ones(n_targets)].astype(np.int32)
    causal = np.r_[np.ones(n_inputs + 1), np.zeros(n_targets - 1)].astype(np.int32)
    return {
        "decoder_input_tokens": inputs,
        "decoder_target_tokens": sequence,
        "decoder_loss_weights": weights,
        "decoder_causal_attention": causal,
    }


def test_packed_and_unpacked_examples_score_the_same():
    params = _params(TINY)
    rng = np.random.default_rng(2)
    examples = [_example(rng, 4, 3), _example(rng, 5, 4)]

    unpacked = {k: np.zeros((2, 9), np.int32) for k in examples[0]}
    for i, example in enumerate(examples):
        for k, v in example.items():
            unpacked[k][i, : len(v)] = v

    packed = {k: np.zeros((1, 16), np.int32) for k in examples[0]}
    packed["decoder_segment_ids"] = np.zeros((1, 16), np.int32)
    packed["decoder_positions"] = np.zeros((1, 16), np.int32)
    start = 0
    for i, example in enumerate(examples):
        n = len(example["decoder_input_tokens"])
        for k, v in example.items():
            packed[k][0, start : start + n] = v
        packed["decoder_segment_ids"][0, start : start + n] = i + 1
        packed["decoder_positions"][0, start : start + n] = np.arange(n)
        start += n

    score_fn = jax.jit(functools.partial(score, Transformer(TINY)))
    per_example = score_fn(params, unpacked).sequence_logprobs
    token_logprobs = score_fn(params, packed).token_logprobs[0]
    segments = packed["decoder_segment_ids"][0]
    per_segment = [float(token_logprobs[segments == i + 1].sum()) for i in range(2)]
    np.testing.assert_allclose(per_segment, per_example, rtol=1e-5)

    # The training loss sums agree too.
    loss = jax.jit(functools.partial(compute_loss, Transformer(TINY)))
    np.testing.assert_allclose(loss(params, packed)[0], loss(params, unpacked)[0], rtol=1e-5)


def _loss_batch(rng, rows=2, length=11):
    tokens = rng.integers(2, 1000, (rows, length)).astype(np.int32)
    weights = (rng.random((rows, length)) < 0.7).astype(np.int32)
    weights[:, 0] = 0
    return {
        "decoder_input_tokens": tokens,
        "decoder_target_tokens": np.roll(tokens, -1, axis=1),
        "decoder_loss_weights": weights,
        "decoder_causal_attention": 1 - weights,
    }


@pytest.mark.parametrize("chunk", [1, 3, 11, 64])
def test_chunked_loss_and_gradients_equal_the_full_logits(chunk):
    # Chunked over the sequence with blockwise attention, against the full [B, L, V] logits
    # with the reference attention: the loss as it was computed before.
    config = dataclasses.replace(
        TINY, loss_chunk_length=chunk, final_logit_softcap=30.0, attn_logit_softcap=50.0
    )
    reference = dataclasses.replace(config, attention_impl="reference")
    params = _params(config)
    batch = _loss_batch(np.random.default_rng(4))

    def full(params):
        logits = Transformer(reference).apply({"params": params}, **batch_to_inputs(batch))
        out = cross_entropy_loss(
            logits, batch["decoder_target_tokens"], batch["decoder_loss_weights"], z_loss=1e-3
        )
        return out.loss_sum, out

    chunked = functools.partial(compute_loss, Transformer(config), batch=batch, z_loss=1e-3)
    (_, want), want_grads = jax.jit(jax.value_and_grad(full, has_aux=True))(params)
    (_, got), got_grads = jax.jit(jax.value_and_grad(chunked, has_aux=True))(params)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    assert float(got.z_loss_sum) > 0 and float(got.num_correct) >= 0
    flat_got, flat_want = jax.tree.leaves(got_grads), jax.tree.leaves(want_grads)
    for g, w in zip(flat_got, flat_want, strict=True):
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-6)


def test_chunked_loss_never_builds_the_full_logits_at_a_256k_vocabulary():
    # Compiled, not run: the gradient of the full loss at V = 256000 holds [2, L, V] float32
    # logits (4.2 GB at L = 2048); the chunked one holds a few [2, 256, V] blocks, the same
    # at any length.
    config = dataclasses.replace(TINY, vocab_size=256_000, loss_chunk_length=256)
    rows, vocab = 2, config.vocab_size
    table = jax.ShapeDtypeStruct((vocab, config.embed_dim), jnp.float32)

    def full(table, hidden, targets, weights):
        logits = unembed(config, table, hidden)
        return cross_entropy_loss(logits, targets, weights, z_loss=1e-4).loss_sum

    def chunked(table, hidden, targets, weights):
        out = chunked_cross_entropy(config, table, hidden, targets, weights, z_loss=1e-4)
        return out.loss_sum

    def temp_bytes(fn, length):
        hidden = jax.ShapeDtypeStruct((rows, length, config.embed_dim), jnp.float32)
        ints = jax.ShapeDtypeStruct((rows, length), jnp.int32)
        grad = jax.jit(jax.grad(fn, argnums=(0, 1)))
        return grad.lower(table, hidden, ints, ints).compile().memory_analysis().temp_size_in_bytes

    block = rows * config.loss_chunk_length * vocab * 4
    assert temp_bytes(full, 2048) > 8 * block
    assert temp_bytes(chunked, 2048) < 3 * block
    assert temp_bytes(chunked, 8192) < 1.05 * temp_bytes(chunked, 2048)
