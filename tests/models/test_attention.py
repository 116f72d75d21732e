"""Attention implementations: blockwise equals the reference (values and gradients) on every
mask kind; the fused kernels are selected, refused and lowered as documented."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flame_jax.models import attention
from flame_jax.models.attention import AttentionMask

B, L, H, K, DH = 2, 40, 4, 2, 8
GLOBAL = 2**30


def _qkv(length=L, keys=None, dtype=jnp.float32, seed=0):
    keys = length if keys is None else keys
    rng = np.random.default_rng(seed)
    q = rng.normal(0, 1.0, (B, length, H, DH))
    k = rng.normal(0, 1.0, (B, keys, K, DH))
    v = rng.normal(0, 1.0, (B, keys, K, DH))
    return tuple(jnp.asarray(x, dtype) for x in (q, k, v))


def _packed_segments(length=L):
    # Row 0: three packed examples and end padding; row 1: one example, then padding.
    row0 = [1] * 11 + [2] * 17 + [3] * 7 + [0] * (length - 35)
    row1 = [1] * 30 + [0] * (length - 30)
    return jnp.asarray([row0, row1], jnp.int32)


def _prefix(segments):
    # The first half of each example is its prefix (decoder_causal_attention).
    index = np.zeros(segments.shape, np.int32)
    seg = np.asarray(segments)
    for b in range(seg.shape[0]):
        for s in set(seg[b]) - {0}:
            where = np.flatnonzero(seg[b] == s)
            index[b, where[: (len(where) + 1) // 2]] = 1
    return jnp.asarray(index, bool)


def _mask(kind, length=L):
    zero = jnp.zeros((), jnp.int32)
    if kind == "causal":
        return AttentionMask(None, None, None, None, zero)
    segments = _packed_segments(length)
    if kind == "packed":
        return AttentionMask(segments, segments, None, None, zero)
    prefix = _prefix(segments)
    if kind == "prefix":
        return AttentionMask(None, None, prefix, prefix, zero)
    return AttentionMask(segments, segments, prefix, prefix, zero)  # packed prefix


MASKS = ("causal", "packed", "prefix", "packed_prefix")


def _valid_rows(mask, window):
    """Queries with at least one allowed key (padding rows are compared separately)."""
    ok = attention.allowed(mask, window, jnp.arange(L), jnp.arange(L))
    return np.asarray(jnp.broadcast_to(jnp.any(ok, axis=-1), (B, L)))


def _run(impl, qkv, mask, window, cap, **kw):
    q, k, v = qkv
    fn = functools.partial(
        attention.blockwise_attention if impl == "blockwise" else attention.reference_attention,
        window=window,
        logit_softcap=cap,
        **kw,
    )
    return jax.jit(lambda q, k, v: fn(q, k, v, mask))(q, k, v)


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("window,cap", [(GLOBAL, None), (7, 50.0), (GLOBAL, 5.0)])
def test_blockwise_equals_reference_values_and_gradients(kind, window, cap):
    q, k, v = _qkv()
    mask = _mask(kind)
    blocks = dict(block_q=16, block_kv=8)  # uneven: both lengths are padded
    want = _run("reference", (q, k, v), mask, window, cap)
    got = _run("blockwise", (q, k, v), mask, window, cap, **blocks)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=2e-5, rtol=2e-5)

    # Gradients of a loss that weighs every row, padding rows included.
    weights = jnp.asarray(np.random.default_rng(3).normal(size=(B, L, H, DH)), jnp.float32)

    def loss(impl, q, k, v):
        fn = attention.blockwise_attention if impl == "blockwise" else attention.reference_attention
        extra = blocks if impl == "blockwise" else {}
        out = fn(q, k, v, mask, window=window, logit_softcap=cap, **extra)
        return jnp.sum(out * weights)

    want_grads = jax.jit(jax.grad(functools.partial(loss, "reference"), argnums=(0, 1, 2)))(q, k, v)
    got_grads = jax.jit(jax.grad(functools.partial(loss, "blockwise"), argnums=(0, 1, 2)))(q, k, v)
    for g, w in zip(got_grads, want_grads, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), atol=5e-5, rtol=5e-5)


def test_padding_rows_get_the_mean_of_the_values():
    q, k, v = _qkv()
    mask = _mask("packed")
    valid = _valid_rows(mask, GLOBAL)
    assert not valid.all()
    got = np.asarray(_run("blockwise", (q, k, v), mask, GLOBAL, None, block_q=8, block_kv=8))
    mean = np.asarray(jnp.mean(v, axis=1))  # [B, K, Dh]
    b, i = np.nonzero(~valid)
    np.testing.assert_allclose(got[b, i], np.repeat(mean, H // K, axis=1)[b], atol=1e-6)


def test_blockwise_with_a_cache_offset_equals_the_reference():
    # Decoding: 5 new queries at slots 20..24 over a cache of 32 slots (pads unwritten).
    q, _, _ = _qkv(length=5)
    _, k, v = _qkv(length=32, seed=1)
    kv_segments = jnp.asarray([[0] * 3 + [1] * 22 + [0] * 7, [1] * 25 + [0] * 7], jnp.int32)
    mask = AttentionMask(
        jnp.ones((B, 5), jnp.int32), kv_segments, None, None, jnp.asarray(20, jnp.int32)
    )
    want = attention.reference_attention(q, k, v, mask, window=6, logit_softcap=50.0)
    got = attention.blockwise_attention(
        q, k, v, mask, window=6, logit_softcap=50.0, block_q=4, block_kv=8
    )
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=2e-5, rtol=2e-5)


def test_blockwise_bfloat16_stays_close_to_the_reference():
    q, k, v = _qkv(dtype=jnp.bfloat16)
    mask = _mask("packed_prefix")
    want = _run("reference", (q, k, v), mask, 9, 50.0).astype(jnp.float32)
    got = _run("blockwise", (q, k, v), mask, 9, 50.0, block_q=16, block_kv=16)
    assert got.dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(got, np.float32), np.asarray(want), atol=3e-2)


def test_blockwise_memory_does_not_hold_the_full_score_matrix():
    # The compiled forward + backward holds tiles, never an [B, H, L, L] float32 buffer.
    length = 8192
    q = jax.ShapeDtypeStruct((1, length, H, DH), jnp.float32)
    k = v = jax.ShapeDtypeStruct((1, length, K, DH), jnp.float32)
    mask = AttentionMask(None, None, None, None, jnp.zeros((), jnp.int32))

    def loss(impl, q, k, v):
        fn = attention.blockwise_attention if impl == "blockwise" else attention.reference_attention
        return jnp.sum(fn(q, k, v, mask, window=GLOBAL, logit_softcap=50.0))

    def temp_bytes(impl):
        grad = jax.jit(jax.grad(functools.partial(loss, impl), argnums=(0, 1, 2)))
        return grad.lower(q, k, v).compile().memory_analysis().temp_size_in_bytes

    full = H * length * length * 4
    assert temp_bytes("reference") > full
    assert temp_bytes("blockwise") < full / 20


# -- selection of the fused kernels -------------------------------------------------------------


def _facts(**overrides):
    facts = dict(
        platform="gpu",
        dtype=jnp.bfloat16,
        logit_softcap=None,
        mask=_mask("causal"),
        decode=False,
        lengths=(256, 256),
    )
    return {**facts, **overrides}


def test_auto_picks_the_backend_kernel_where_it_supports_the_case():
    assert attention.resolve("auto", **_facts()) == "cudnn"
    assert attention.resolve("auto", **_facts(platform="tpu", logit_softcap=50.0)) == "splash"
    assert attention.resolve("auto", **_facts(platform="cpu")) == "blockwise"
    # Cases a kernel cannot express fall back to blockwise.
    assert attention.resolve("auto", **_facts(logit_softcap=50.0)) == "blockwise"
    assert attention.resolve("auto", **_facts(dtype=jnp.float32)) == "blockwise"
    assert attention.resolve("auto", **_facts(mask=_mask("packed"))) == "blockwise"
    assert attention.resolve("auto", **_facts(platform="tpu", mask=_mask("prefix"))) == "blockwise"
    assert attention.resolve("auto", **_facts(platform="tpu", lengths=(200, 200))) == "blockwise"
    assert attention.resolve("auto", **_facts(decode=True)) == "blockwise"
    # A score matrix no larger than one tile: the reference, which has nothing to save.
    assert attention.resolve("auto", **_facts(platform="cpu", lengths=(100, 128))) == "reference"
    assert attention.resolve("auto", **_facts(decode=True, lengths=(1, 4096))) == "reference"
    assert attention.resolve("reference", **_facts()) == "reference"


@pytest.mark.parametrize(
    "impl,overrides,reason",
    [
        ("cudnn", {"platform": "cpu"}, "GPU backend"),
        ("cudnn", {"logit_softcap": 50.0}, "soft-capping"),
        ("cudnn", {"mask": _mask("packed")}, "segment ids"),
        ("cudnn", {"dtype": jnp.float32}, "bfloat16"),
        ("splash", {"platform": "gpu"}, "TPU backend"),
        ("splash", {"platform": "tpu", "mask": _mask("prefix")}, "prefix-LM"),
        ("splash", {"platform": "tpu", "decode": True}, "decoding"),
        ("nonsense", {}, "not in"),
    ],
)
def test_explicit_kernels_refuse_what_they_cannot_express(impl, overrides, reason):
    with pytest.raises(ValueError, match=reason):
        attention.resolve(impl, **_facts(**overrides))


def test_splash_kernel_equals_the_reference_in_the_pallas_interpreter():
    # The TPU kernel's wiring (GQA vmaps, segment ids, soft cap, local window) run by the
    # Pallas interpreter on this CPU.
    length = 256
    q, k, v = _qkv(length=length)
    segments = jnp.asarray([[1] * 100 + [2] * 156, [1] * 200 + [0] * 56], jnp.int32)
    mask = AttentionMask(segments, segments, None, None, jnp.zeros((), jnp.int32))
    for window in (GLOBAL, 37):
        got = attention.splash_attention(
            q, k, v, mask, window=window, windows=[window], logit_softcap=30.0, interpret=True
        )
        want = attention.reference_attention(q, k, v, mask, window=window, logit_softcap=30.0)
        rows = _valid_rows_of(mask, window, length)
        np.testing.assert_allclose(
            np.asarray(got)[rows], np.asarray(want)[rows], atol=2e-3, rtol=2e-3
        )


def _valid_rows_of(mask, window, length):
    ok = attention.allowed(mask, window, jnp.arange(length), jnp.arange(length))
    return np.asarray(jnp.any(ok, axis=-1))


def test_cudnn_wiring_equals_the_reference_through_xla(monkeypatch):
    # No GPU here: jax.nn.dot_product_attention runs with implementation "xla" in place of
    # "cudnn" (same arguments, same mask semantics), recording each call. A traced window (as
    # under nn.scan) selects the local or the global call by lax.switch.
    calls = []
    real = jax.nn.dot_product_attention

    def recording(*args, implementation=None, **kwargs):
        calls.append((implementation, kwargs["is_causal"], kwargs["local_window_size"]))
        return real(*args, implementation="xla", **kwargs)

    monkeypatch.setattr(jax.nn, "dot_product_attention", recording)
    q, k, v = _qkv()
    causal = _mask("causal")

    def fn(q, k, v, window):
        return attention.cudnn_attention(q, k, v, window=window, windows=(GLOBAL, 7))

    for window in (7, GLOBAL):
        got = jax.jit(fn)(q, k, v, jnp.int32(window))
        want = attention.reference_attention(q, k, v, causal, window=window, logit_softcap=None)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=2e-5, rtol=2e-5)
    assert set(calls) == {("cudnn", True, (6, 0)), ("cudnn", True, None)}
