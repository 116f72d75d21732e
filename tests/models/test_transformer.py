"""The Transformer: parameters and their logical names, layer stacking options, masking,
soft-capping, rotary positions, dtypes."""

import dataclasses
import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flame_jax import partitioning
from flame_jax.models import Transformer, TransformerConfig, init_params
from flame_jax.models.loss import compute_loss
from flame_jax.models.testing import random_params
from flame_jax.models.transformer import (
    apply_rope,
    logits_at,
    output_weights,
    stack_layers,
    unembed,
    unstack_layers,
)

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
    attn_logit_softcap=50.0,
    final_logit_softcap=30.0,
    post_attn_norm=True,
    post_mlp_norm=True,
)


def _tokens(shape, seed=1):
    return jax.random.randint(jax.random.key(seed), shape, 2, TINY.vocab_size, dtype=jnp.int32)


def _abstract_params(config):
    """Parameter shapes without running (or compiling) the initialisers."""
    return jax.eval_shape(lambda: init_params(Transformer(config), jax.random.key(0)))


@functools.cache
def _params(config=TINY, seed=0):
    return random_params(config, seed)


@functools.cache
def _forward(config):
    """A jitted forward pass (eager flax dispatches op by op: slow on CPU)."""
    return jax.jit(
        lambda params, tokens, **kw: Transformer(config).apply({"params": params}, tokens, **kw)
    )


def _batch(tokens):
    weights = jnp.ones_like(tokens).at[:, :3].set(0)
    return {
        "decoder_input_tokens": tokens,
        "decoder_target_tokens": jnp.roll(tokens, -1, axis=1),
        "decoder_loss_weights": weights,
    }


@pytest.mark.parametrize(
    "config",
    [TINY, dataclasses.replace(TINY, tie_embeddings=False, qk_norm=True, post_mlp_norm=False)],
)
def test_num_params_counts_every_parameter(config):
    params = nn.unbox(_abstract_params(config))
    assert sum(x.size for x in jax.tree_util.tree_leaves(params)) == config.num_params()


def test_every_parameter_has_logical_names_from_the_rules_table():
    rule_names = {name for name, _ in partitioning.LOGICAL_AXIS_RULES}
    for scan in (False, True):
        config = dataclasses.replace(TINY, scan_layers=scan)
        boxed = _abstract_params(config)
        leaves = jax.tree_util.tree_leaves(
            boxed, is_leaf=lambda x: isinstance(x, nn.LogicallyPartitioned)
        )
        for leaf in leaves:
            assert isinstance(leaf, nn.LogicallyPartitioned)
            names = leaf.get_partition_spec()
            assert len(names) == leaf.value.ndim
            assert set(names) <= rule_names
        if scan:
            assert tuple(boxed["layers"]["mlp"]["gate"].get_partition_spec()) == (
                "layers",
                "embed",
                "mlp",
            )


def test_logits_shape_dtype_and_finite():
    logits = _forward(TINY)(_params(), _tokens((2, 12)))
    assert logits.shape == (2, 12, TINY.vocab_size)
    assert logits.dtype == jnp.float32
    assert np.isfinite(np.asarray(logits)).all()


@functools.partial(jax.jit, static_argnums=0)
def _loss_grads(config, params, batch):
    """(loss, grads) of one batch, compiled once per config."""
    return jax.value_and_grad(lambda p: compute_loss(Transformer(config), p, batch)[0])(params)


def test_scan_layers_and_remat_match_the_plain_stack():
    batch = _batch(_tokens((2, 10)))
    params = _params()
    expected_loss, expected_grads = _loss_grads(TINY, params, batch)

    stacked = stack_layers(params, TINY.num_layers)
    assert jax.tree_util.tree_structure(unstack_layers(stacked)) == jax.tree_util.tree_structure(
        params
    )
    # Scan with full remat, and the plain stack with minimal remat: every option once.
    for scan, policy in [(True, "full"), (False, "minimal")]:
        config = dataclasses.replace(TINY, scan_layers=scan, remat_policy=policy)
        loss, grads = _loss_grads(config, stacked if scan else params, batch)
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
        if scan:
            grads = unstack_layers(grads)
        jax.tree_util.tree_map(
            lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4),
            grads,
            expected_grads,
        )


def test_scanned_init_has_a_leading_layers_axis():
    config = dataclasses.replace(TINY, scan_layers=True)
    params = nn.unbox(_abstract_params(config))
    assert params["layers"]["attn"]["q"].shape == (2, 64, 4, 16)
    assert sum(x.size for x in jax.tree_util.tree_leaves(params)) == config.num_params()


def _moved(forward, params, tokens, changed, **kw):
    """Per position: the largest logit change caused by changing the tokens."""
    diff = forward(params, changed, **kw) - forward(params, tokens, **kw)
    return np.abs(np.asarray(diff)).max(axis=-1)[0]


def test_local_attention_sees_only_its_window():
    # One local layer, window 3: position q attends to q-2, q-1, q.
    config = dataclasses.replace(TINY, num_layers=1, attention_pattern=("local",), sliding_window=3)
    params = _params(config)
    tokens = _tokens((1, 10))
    moved = _moved(_forward(config), params, tokens, tokens.at[0, 4].set(7))
    assert (moved[:4] == 0).all()  # before the change: causal
    assert (moved[4:7] > 0).all()  # 4 is within the window of 4, 5, 6
    assert (moved[7:] == 0).all()  # beyond the window
    # A global layer sees it everywhere after.
    global_config = dataclasses.replace(config, attention_pattern=("global",))
    moved = _moved(_forward(global_config), params, tokens, tokens.at[0, 4].set(7))
    assert (moved[4:] > 0).all()


def test_bidirectional_prefix_lets_inputs_see_later_inputs():
    tokens = _tokens((1, 8))
    causal_attention = jnp.array([[1, 1, 1, 1, 0, 0, 0, 0]], jnp.int32)
    params = _params()
    for bidirectional in (False, True):
        forward = _forward(dataclasses.replace(TINY, bidirectional_prefix=bidirectional))
        moved = _moved(
            forward, params, tokens, tokens.at[0, 3].set(5), causal_attention=causal_attention
        )
        assert (moved[:3] > 0).all() == bidirectional
        assert (moved[:3] == 0).all() != bidirectional
        assert (moved[3:] > 0).all()


def test_final_logit_softcap_bounds_logits():
    config = dataclasses.replace(TINY, final_logit_softcap=2.0, attn_logit_softcap=1.0)
    params = jax.tree_util.tree_map(lambda x: x * 30.0, _params())
    tokens = _tokens((2, 6))
    assert float(jnp.max(jnp.abs(_forward(config)(params, tokens)))) <= 2.0
    uncapped = dataclasses.replace(config, final_logit_softcap=None)
    assert float(jnp.max(jnp.abs(_forward(uncapped)(params, tokens)))) > 2.0


def test_rope_depends_on_relative_position_only():
    q = jax.random.normal(jax.random.key(0), (1, 1, 1, 16))
    k = jax.random.normal(jax.random.key(1), (1, 1, 1, 16))

    def dot(pq, pk):
        rq = apply_rope(q, jnp.array([[pq]]), 10_000.0)
        rk = apply_rope(k, jnp.array([[pk]]), 10_000.0)
        return float(jnp.sum(rq * rk))

    assert dot(5, 2) == pytest.approx(dot(105, 102), rel=1e-4)
    assert dot(5, 2) != pytest.approx(dot(5, 4), rel=1e-3)


def test_bfloat16_compute_stays_close_to_float32():
    tokens = _tokens((2, 8))
    params = _params()
    expected = _forward(TINY)(params, tokens)
    config = dataclasses.replace(TINY, dtype="bfloat16", param_dtype="bfloat16")
    logits = _forward(config)(
        jax.tree_util.tree_map(lambda x: x.astype(jnp.bfloat16), params), tokens
    )
    assert logits.dtype == jnp.float32
    assert float(jnp.mean(jnp.abs(logits - expected))) < 0.1


def test_config_validation_and_flops():
    with pytest.raises(ValueError, match="num_kv_heads"):
        TransformerConfig(num_heads=4, num_kv_heads=3)
    with pytest.raises(ValueError, match="sliding_window"):
        TransformerConfig(attention_pattern=("local", "global"))
    with pytest.raises(ValueError, match="remat_policy"):
        TransformerConfig(remat_policy="some")
    assert TINY.layer_windows()[0] == 4
    # 6N + 12 L H Q T, T capped by the window on local layers.
    n = TINY.num_layers * TINY.num_layer_params() + TINY.vocab_size * TINY.embed_dim
    attention = 12 * 4 * 16 * (4 + 32)
    assert TINY.flops_per_token(32) == 6 * n + attention


def test_linear_rope_scaling_and_attention_biases():
    """The two options Hugging Face checkpoints need (Gemma 3's scaled global layers, Qwen2's
    biases; their parity with transformers is in tests/convert)."""
    x = jax.random.normal(jax.random.key(0), (1, 1, 1, 16))
    scaled = apply_rope(x, jnp.array([[12]]), 10_000.0, 4.0)
    np.testing.assert_allclose(scaled, apply_rope(x, jnp.array([[3]]), 10_000.0), atol=1e-6)
    config = dataclasses.replace(TINY, rope_scale_factor=8.0, attention_bias=True)
    assert config.layer_rope_scales() == (1.0, 8.0)  # local layers are never scaled
    params = random_params(config)
    assert params["layers_0"]["attn"]["q_bias"].shape == (4, 16)
    assert sum(p.size for p in jax.tree.leaves(params)) == config.num_params()
    zero = jax.tree_util.tree_map_with_path(
        lambda path, p: jnp.zeros_like(p) if "bias" in jax.tree_util.keystr(path) else p, params
    )
    tokens = _tokens((1, 8))
    unbiased = dataclasses.replace(config, attention_bias=False)
    without = dict(zero)
    for i in range(2):
        without[f"layers_{i}"] = {
            **zero[f"layers_{i}"],
            "attn": {k: v for k, v in zero[f"layers_{i}"]["attn"].items() if "bias" not in k},
        }
    np.testing.assert_allclose(
        _forward(config)(zero, tokens), _forward(unbiased)(without, tokens), atol=1e-5
    )


def test_hidden_states_unembed_to_the_logits():
    config = dataclasses.replace(TINY, tie_embeddings=False)
    params, model = _params(config), Transformer(config)
    tokens = _tokens((2, 12))
    logits = _forward(config)(params, tokens)
    hidden = jax.jit(lambda p, t: model.apply({"params": p}, t, return_hidden=True))(params, tokens)
    assert hidden.shape == (2, 12, config.embed_dim)
    weights = output_weights(config, params)
    np.testing.assert_allclose(unembed(config, weights, hidden), logits, atol=1e-5)
    positions = jnp.array([[0, 11, 5], [3, 3, 7]])
    at = logits_at(config, params, hidden, positions)
    want = jnp.take_along_axis(logits, positions[..., None], axis=1)
    np.testing.assert_allclose(at, want, atol=1e-5)


@pytest.mark.parametrize("scan", [False, True])
def test_blockwise_attention_model_equals_the_reference(scan):
    # Packed rows, padding, a bidirectional prefix, local windows, soft-capping and GQA
    # through the whole model, values and parameter gradients; 600 tokens span five tiles.
    config = dataclasses.replace(TINY, bidirectional_prefix=True, scan_layers=scan)
    params = _params(config)
    tokens = _tokens((2, 600))
    segments = jnp.asarray([[1] * 300 + [2] * 290 + [0] * 10, [1] * 580 + [0] * 20], jnp.int32)
    positions = jnp.asarray([[*range(300), *range(290), *[0] * 10], list(range(600))])
    prefix = jnp.asarray([[1] * 140 + [0] * 160 + [1] * 60 + [0] * 240, [1] * 530 + [0] * 70])
    inputs = dict(positions=positions, segment_ids=segments, causal_attention=prefix)

    def loss(impl, params):
        model = Transformer(dataclasses.replace(config, attention_impl=impl))
        logits = model.apply({"params": params}, tokens, **inputs)
        return jnp.sum(jnp.where(segments[..., None] > 0, logits, 0.0) ** 2) * 1e-3, logits

    (_, got), got_grads = jax.jit(
        jax.value_and_grad(functools.partial(loss, "blockwise"), has_aux=True)
    )(params)
    (_, want), want_grads = jax.jit(
        jax.value_and_grad(functools.partial(loss, "reference"), has_aux=True)
    )(params)
    real = np.asarray(segments) > 0
    np.testing.assert_allclose(np.asarray(got)[real], np.asarray(want)[real], atol=1e-4)
    for g, w in zip(jax.tree.leaves(got_grads), jax.tree.leaves(want_grads), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-5)


def test_attention_impl_is_validated_in_the_config():
    with pytest.raises(ValueError, match="attention_impl 'fast' not in"):
        dataclasses.replace(TINY, attention_impl="fast")
    with pytest.raises(ValueError, match="'cudnn' does not support attn_logit_softcap"):
        dataclasses.replace(TINY, attention_impl="cudnn")
    with pytest.raises(ValueError, match="'splash' does not support bidirectional_prefix"):
        dataclasses.replace(TINY, attention_impl="splash", bidirectional_prefix=True)
    # On this CPU an explicit kernel is refused when the model runs, naming the backend.
    config = dataclasses.replace(TINY, attention_impl="splash")
    with pytest.raises(ValueError, match="splash' does not support a TPU backend"):
        _forward(config)(_params(TINY), _tokens((1, 128)))
