"""Cached generation against recomputing the whole prefix each step; EOS, sampling, score."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flame_jax.models import Transformer, TransformerConfig, generate, score
from flame_jax.models.decoding import left_align, prompt_lengths_of
from flame_jax.models.testing import random_params as _params
from flame_jax.models.transformer import stack_layers

# Local window 4 is shorter than the prompts, so the cached window masking is exercised.
# Untied, unscaled embeddings: with random tied embeddings greedy decoding just repeats the
# last token, whatever the context, and the comparison below would prove nothing.
TINY = TransformerConfig(
    tie_embeddings=False,
    scale_embeddings=False,
    vocab_size=1000,
    embed_dim=64,
    num_layers=2,
    num_heads=4,
    num_kv_heads=2,
    head_dim=16,
    mlp_dim=128,
    sliding_window=4,
    attention_pattern=("local", "global"),
    attn_logit_softcap=50.0,
    final_logit_softcap=30.0,
    post_attn_norm=True,
    post_mlp_norm=True,
)
NEW_TOKENS = 6


def _prompts():
    """Three right-padded prompts of lengths 7, 3 and 5; the last starts with seqio's 0."""
    rng = np.random.default_rng(3)
    rows = [rng.integers(2, 1000, n) for n in (7, 3, 4)]
    rows[2] = np.concatenate([[0], rows[2]])
    prompts = np.zeros((3, 7), np.int32)
    for i, row in enumerate(rows):
        prompts[i, : len(row)] = row
    return jnp.asarray(prompts), [len(r) for r in rows]


def _uncached_greedy(config, params, prompt, new_tokens, eos_id=1):
    """Reference: one example, no padding tricks, the whole sequence recomputed each step."""
    model = Transformer(config)
    length = len(prompt)
    buffer = np.zeros((1, length + new_tokens), np.int32)  # right padding: causal, unseen
    buffer[0, :length] = prompt
    causal_attention = np.zeros_like(buffer)
    causal_attention[0, :length] = 1  # the prompt is the prefix (used if bidirectional)
    forward = jax.jit(lambda p, t: model.apply({"params": p}, t, causal_attention=causal_attention))
    out = []
    for step in range(new_tokens):
        token = int(jnp.argmax(forward(params, jnp.asarray(buffer))[0, length + step - 1]))
        out.append(token)
        if token == eos_id:
            break
        buffer[0, length + step] = token
    return out


@pytest.mark.parametrize(
    "config",
    [
        TINY,
        dataclasses.replace(TINY, scan_layers=True, bidirectional_prefix=True),
        dataclasses.replace(TINY, bidirectional_prefix=True, attention_impl="blockwise"),
    ],
    ids=["plain", "scan+prefix", "blockwise+prefix"],
)
def test_cached_greedy_equals_recomputing_the_prefix(config):
    params = _params(TINY)
    model_params = stack_layers(params, TINY.num_layers) if config.scan_layers else params
    prompts, lengths = _prompts()
    assert prompt_lengths_of(prompts).tolist() == lengths
    result = generate(Transformer(config), model_params, prompts, max_new_tokens=NEW_TOKENS)
    for i, length in enumerate(lengths):
        expected = _uncached_greedy(
            config, model_params, np.asarray(prompts[i, :length]), NEW_TOKENS
        )
        assert result.tokens[i].tolist() == expected
        assert int(result.lengths[i]) == NEW_TOKENS

    # Stopping at EOS: take a token row 0 produces as the EOS id; the same compiled program.
    eos = int(result.tokens[0, 2])
    stopped = generate(
        Transformer(config), model_params, prompts, max_new_tokens=NEW_TOKENS, eos_id=eos
    )
    for i in range(3):
        row = result.tokens[i].tolist()
        n = row.index(eos) + 1 if eos in row else NEW_TOKENS
        assert stopped.tokens[i].tolist() == row[:n] + [0] * (NEW_TOKENS - n)
        assert int(stopped.lengths[i]) == n


def test_explicit_lengths_and_left_alignment():
    prompts, lengths = _prompts()
    tokens, positions, segments = left_align(prompts, jnp.asarray(lengths))
    assert tokens[1].tolist() == [0, 0, 0, 0, *prompts[1, :3].tolist()]
    assert positions[1].tolist() == [0, 0, 0, 0, 0, 1, 2]
    assert segments[1].tolist() == [0, 0, 0, 0, 1, 1, 1]
    # A trailing 0 can be part of a prompt only through explicit lengths.
    assert prompt_lengths_of(jnp.array([[5, 0, 0]])).tolist() == [1]


def test_sampling_is_reproducible_from_the_key():
    params, model = _params(TINY), Transformer(TINY)
    prompts, _ = _prompts()

    def sample(seed):
        return generate(
            model,
            params,
            prompts,
            max_new_tokens=NEW_TOKENS,
            rng=jax.random.key(seed),
            temperature=5.0,
            eos_id=-1,
        ).tokens.tolist()

    assert sample(0) == sample(0)
    assert sample(0) != sample(1)
    with pytest.raises(ValueError, match="rng"):
        generate(model, params, prompts, max_new_tokens=2, temperature=1.0)


def test_score_sums_target_log_probs():
    params, model = _params(TINY), Transformer(TINY)
    tokens = jnp.asarray(np.random.default_rng(0).integers(2, 1000, (2, 6)), jnp.int32)
    weights = jnp.array([[0, 0, 1, 1, 1, 0], [0, 1, 1, 1, 1, 1]], jnp.int32)
    batch = {
        "decoder_input_tokens": tokens,
        "decoder_target_tokens": jnp.roll(tokens, -1, axis=1),
        "decoder_loss_weights": weights,
    }
    scores = jax.jit(lambda p, b: score(model, p, b))(params, batch)
    log_probs = jax.nn.log_softmax(jax.jit(model.apply)({"params": params}, tokens))
    manual = jnp.take_along_axis(log_probs, batch["decoder_target_tokens"][..., None], -1)[..., 0]
    np.testing.assert_allclose(scores.token_logprobs, manual * weights, atol=1e-5)
    np.testing.assert_allclose(scores.sequence_logprobs, (manual * weights).sum(-1), atol=1e-4)
    assert scores.num_tokens.tolist() == [3.0, 5.0]


@pytest.mark.parametrize("chunk", [2, 256])
def test_score_unembeds_only_the_target_positions(chunk):
    # max_targets gathers the hidden states of the weighted positions before the unembedding;
    # the result equals the chunked full score, and a row with more targets than max_targets
    # gets NaN (never a truncated sum).
    config = dataclasses.replace(TINY, loss_chunk_length=chunk)
    params, model = _params(config), Transformer(config)
    tokens = jnp.asarray(np.random.default_rng(5).integers(2, 1000, (3, 9)), jnp.int32)
    weights = jnp.array(
        [[0, 0, 0, 0, 1, 1, 0, 0, 0], [0, 1, 1, 1, 0, 0, 0, 0, 0], [0] * 8 + [1]], jnp.int32
    )
    batch = {
        "decoder_input_tokens": tokens,
        "decoder_target_tokens": jnp.roll(tokens, -1, axis=1),
        "decoder_loss_weights": weights,
    }
    full = jax.jit(lambda p, b: score(model, p, b))(params, batch)
    gathered = jax.jit(lambda p, b: score(model, p, b, max_targets=3))(params, batch)
    for got, want in zip(gathered, full, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    short = jax.jit(lambda p, b: score(model, p, b, max_targets=2))(params, batch)
    sums, want = np.asarray(short.sequence_logprobs), np.asarray(full.sequence_logprobs)
    assert np.isnan(sums[1])
    np.testing.assert_allclose(sums[[0, 2]], want[[0, 2]], atol=1e-5)
