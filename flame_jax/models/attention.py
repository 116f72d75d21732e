"""Dot-product attention behind one switch (TransformerConfig.attention_impl), and its mask.

Shapes: B batch, L queries, S keys (L, or the cache length when decoding), H query heads,
K key/value heads, G = H / K, Dh head width.

The mask protocol. No implementation receives an [L, S] array: the mask is described by
vectors (`AttentionMask`) and a window, and means

    allowed(i, j) = (k_index[j] <= q_index[i]  or  q_prefix[i] and kv_prefix[j])
                    and |q_index[i] - k_index[j]| < window
                    and kv_segment[j] != 0 and q_segment[i] == kv_segment[j]

with slot indices q_index = q_offset + arange(L) and k_index = arange(S) (within a packed
example, or in decoding's left-aligned layout, index differences are position differences).
No segment ids means one example per row and every key real; no prefix vectors means plain
causal attention. A query with no allowed key (padding) gets the mean of all S values, the
uniform softmax that the reference's finite "minus infinity" gives, in every implementation
that can express padding; such rows never reach a real token, so kernels may differ there.

Implementations (`IMPLEMENTATIONS`):
  reference  the [B, H, L, S] logits and an [B, L, S] mask, materialised: the definition the
             others are tested against; memory quadratic in the length.
  blockwise  pure JAX, every backend: queries and keys in blocks with an online softmax
             (Flash Attention's recurrence) and a custom VJP that recomputes each block's
             probabilities from the saved row maxima and sums, so neither pass keeps more
             than one [B, H, block_q, block_kv] tile; blocks with no allowed pair are skipped
             (causal halves, sliding windows, padding). Supports every mask kind, soft-capping,
             GQA and decoding's cache offset.
  cudnn      jax.nn.dot_product_attention(implementation="cudnn") (GPU, bfloat16/float16):
             causal + sliding window + GQA; refuses soft-capping, prefix-LM attention and
             segment ids (packing, padding), which its public interface cannot express.
  splash     the Pallas TPU splash-attention kernel (jax.experimental.pallas.ops.tpu):
             causal + sliding window + segment ids + soft-capping + GQA; refuses prefix-LM
             attention (its masks are static, the prefix lengths are data).
  auto       splash on TPU, cudnn on GPU where the layer's case is supported; otherwise
             reference when the whole [L, S] score matrix is no larger than one blockwise
             tile (short records, single-token decoding steps over short caches: nothing to
             save, and no loop overhead), else blockwise.
The kernels take a static window: a traced one (nn.scan over local and global layers) is
dispatched with lax.switch over the model's distinct windows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental.pallas.ops.tpu import splash_attention as splash

Array = jax.Array

IMPLEMENTATIONS = ("auto", "reference", "blockwise", "cudnn", "splash")
# A finite "minus infinity": a fully masked row (padding) gets a uniform softmax, not NaNs.
NEG_INF = float(jnp.finfo(jnp.float32).min)
# Tiles of 128 x 128: on a 2-core CPU (the small config's attention in float32, batch 8) the
# fastest of the sizes tried, ahead of the reference (0.9 s against 1.4 s forward + backward
# at 512 tokens, 8 s against 24 s at 2048) in 80 MB and 180 MB against 0.4 GB and 6.2 GB.
# The whole bfloat16 small train step at 8 x 512 ran at 0.8x the reference's tokens/s.
BLOCK_Q = 128
BLOCK_KV = 128
_SPLASH_BLOCK = 128  # the splash kernel's tile; lengths must be multiples of it


class AttentionMask(NamedTuple):
    """Which keys each query may attend to, as vectors (see the module docstring).

    q_segment_ids: int [B, L] and kv_segment_ids: int [B, S], or both None (one example per
      row, all keys real). 0 is padding.
    q_prefix: bool [B, L] and kv_prefix: bool [B, S], or both None (plain causal): flagged
      queries see flagged keys in both directions (prefix-LM, decoder_causal_attention).
    q_offset: int32 [], the slot index of the first query (the cache index when decoding).
    """

    q_segment_ids: Array | None
    kv_segment_ids: Array | None
    q_prefix: Array | None
    kv_prefix: Array | None
    q_offset: Array


def softcap(x: Array, cap: float | None) -> Array:
    """cap * tanh(x / cap): bounds |x| below cap, the identity near 0."""
    return x if cap is None else cap * jnp.tanh(x / cap)


def allowed(mask: AttentionMask, window: int | Array, q_index: Array, k_index: Array) -> Array:
    """bool [B, Lq, Sk] for the queries at slots q_index [Lq] and keys at k_index [Sk], whose
    vectors `mask` holds (already sliced to those queries and keys)."""
    ok = (k_index[None, :] <= q_index[:, None])[None]  # [1, Lq, Sk]
    if mask.q_prefix is not None:
        ok = ok | (mask.q_prefix[:, :, None] & mask.kv_prefix[:, None, :])
    ok = ok & (jnp.abs(q_index[:, None] - k_index[None, :]) < window)[None]
    if mask.q_segment_ids is not None:
        kv = mask.kv_segment_ids[:, None, :]
        ok = ok & (mask.q_segment_ids[:, :, None] == kv) & (kv != 0)
    return ok


def reference_attention(
    q: Array,  # [B, L, H, Dh], already scaled
    k: Array,  # [B, S, K, Dh]
    v: Array,  # [B, S, K, Dh]
    mask: AttentionMask,
    *,
    window: int | Array,
    logit_softcap: float | None,
) -> Array:  # [B, L, H, Dh]
    """The materialised definition: [B, K, G, L, S] float32 logits and a [B, L, S] mask."""
    batch, length, heads, dh = q.shape
    kv_heads = k.shape[2]
    ok = allowed(mask, window, mask.q_offset + jnp.arange(length), jnp.arange(k.shape[1]))
    ok = jnp.broadcast_to(ok, (batch, length, k.shape[1]))
    q = q.reshape(batch, length, kv_heads, heads // kv_heads, dh)
    logits = jnp.einsum("blkgd,bskd->bkgls", q, k, preferred_element_type=jnp.float32)
    logits = softcap(logits, logit_softcap)
    logits = jnp.where(ok[:, None, None], logits, NEG_INF)
    probs = jax.nn.softmax(logits, axis=-1).astype(q.dtype)
    out = jnp.einsum("bkgls,bskd->blkgd", probs, v)
    return out.reshape(batch, length, heads, dh)


# -- blockwise ---------------------------------------------------------------------------------


class _Blocks(NamedTuple):
    """Static tiling of one blockwise call."""

    block_q: int
    block_kv: int
    num_q: int
    num_kv: int
    length: int  # L
    keys: int  # S
    softcap: float | None


def _pad_to(x: Array, size: int, axis: int, value=0) -> Array:
    pad = size - x.shape[axis]
    if pad == 0:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, pad)
    return jnp.pad(x, widths, constant_values=value)


def _blocked(x: Array, block: int, count: int) -> Array:
    """[B, N*block, ...] -> [count, B, block, ...] (padded at the end)."""
    x = _pad_to(x, block * count, 1)
    return jnp.moveaxis(x.reshape(x.shape[0], count, block, *x.shape[2:]), 1, 0)


def _unblocked(x: Array, length: int) -> Array:
    """[count, B, block, ...] -> [B, length, ...]: the inverse of _blocked."""
    x = jnp.moveaxis(x, 0, 1)
    return x.reshape(x.shape[0], -1, *x.shape[3:])[:, :length]


def _mask_blocks(mask: AttentionMask, tiles: _Blocks, batch: int):
    """Per-block mask vectors: queries (segment, prefix, index) [nq, ...], keys [nk, ...].

    Padded keys get segment 0, so they are never allowed; padded queries are dropped."""
    q_seg, kv_seg = mask.q_segment_ids, mask.kv_segment_ids
    if q_seg is None:
        q_seg = jnp.ones((batch, tiles.length), jnp.int32)
        kv_seg = jnp.ones((batch, tiles.keys), jnp.int32)
    q_pre, kv_pre = mask.q_prefix, mask.kv_prefix
    q_index = mask.q_offset + jnp.arange(tiles.num_q * tiles.block_q)
    k_index = jnp.arange(tiles.num_kv * tiles.block_kv)
    queries = (
        _blocked(q_seg, tiles.block_q, tiles.num_q),
        None if q_pre is None else _blocked(q_pre, tiles.block_q, tiles.num_q),
        q_index.reshape(tiles.num_q, tiles.block_q),
    )
    keys = (
        _blocked(kv_seg, tiles.block_kv, tiles.num_kv),
        None if kv_pre is None else _blocked(kv_pre, tiles.block_kv, tiles.num_kv),
        k_index.reshape(tiles.num_kv, tiles.block_kv),
    )
    return queries, keys


def _tile_mask(query_vectors, key_vectors, window: Array) -> Array:
    (q_seg, q_pre, q_index), (kv_seg, kv_pre, k_index) = query_vectors, key_vectors
    vectors = AttentionMask(q_seg, kv_seg, q_pre, kv_pre, jnp.zeros((), jnp.int32))
    return allowed(vectors, window, q_index, k_index)  # [B, bq, bk]


def _tile_logits(q: Array, k: Array, ok: Array, cap: float | None) -> tuple[Array, Array]:
    """(capped logits with -inf where not allowed, capped logits) of one tile [B, K, G, bq, bk]."""
    s = softcap(jnp.einsum("bqkgd,bskd->bkgqs", q, k, preferred_element_type=jnp.float32), cap)
    return jnp.where(ok[:, None, None], s, -jnp.inf), s


def _blockwise_forward(tiles: _Blocks, qkv: tuple[Array, Array, Array], mask, window):
    """out [B, L, K, G, Dh] and the softmax statistics (row maxima, row sums) [nq, B, K, G, bq]."""
    q, k, v = qkv
    batch, _, kv_heads, groups, dh = q.shape
    q_blocks = _blocked(q, tiles.block_q, tiles.num_q)  # [nq, B, bq, K, G, Dh]
    k_blocks = _blocked(k, tiles.block_kv, tiles.num_kv)  # [nk, B, bk, K, Dh]
    v_blocks = _blocked(v, tiles.block_kv, tiles.num_kv)
    q_vectors, k_vectors = _mask_blocks(mask, tiles, batch)
    stats = (batch, kv_heads, groups, tiles.block_q)

    def one_query_block(xs):
        q_block, q_vec = xs

        def step(carry, ys):
            k_block, v_block, k_vec = ys
            ok = _tile_mask(q_vec, k_vec, window)

            def update(carry):
                row_max, row_sum, acc = carry
                s, _ = _tile_logits(q_block, k_block, ok, tiles.softcap)
                m_new = jnp.maximum(row_max, jnp.max(s, axis=-1))
                correction = jnp.exp(row_max - m_new)
                p = jnp.exp(s - m_new[..., None])
                row_sum = row_sum * correction + jnp.sum(p, axis=-1)
                pv = jnp.einsum(
                    "bkgqs,bskd->bkgqd",
                    p.astype(v.dtype),
                    v_block,
                    preferred_element_type=jnp.float32,
                )
                return m_new, row_sum, acc * correction[..., None] + pv

            return lax.cond(jnp.any(ok), update, lambda c: c, carry), None

        init = (
            jnp.full(stats, NEG_INF, jnp.float32),
            jnp.zeros(stats, jnp.float32),
            jnp.zeros((*stats, dh), jnp.float32),
        )
        (row_max, row_sum, acc), _ = lax.scan(step, init, (k_blocks, v_blocks, k_vectors))
        out = acc / jnp.where(row_sum > 0, row_sum, 1.0)[..., None]  # [B, K, G, bq, Dh]
        return jnp.moveaxis(out, 3, 1), row_max, row_sum  # [B, bq, K, G, Dh]

    out, row_max, row_sum = lax.map(one_query_block, (q_blocks, q_vectors))
    out = _unblocked(out, tiles.length)  # [B, L, K, G, Dh]
    # Rows with no allowed key: the mean of all values (the reference's uniform softmax).
    seen = _unblocked(jnp.moveaxis(row_sum, -1, 2), tiles.length) > 0  # [B, L, K, G]
    mean_v = jnp.mean(v.astype(jnp.float32), axis=1)[:, None, :, None]  # [B, 1, K, 1, Dh]
    out = jnp.where(seen[..., None], out, mean_v)
    return out.astype(q.dtype), (row_max, row_sum)


def _blockwise_backward(tiles: _Blocks, residuals: tuple, d_out: Array):
    q, k, v, mask, window, out, row_max, row_sum = residuals
    batch, _, kv_heads, groups, dh = q.shape
    f32 = jnp.float32
    q_blocks = _blocked(q, tiles.block_q, tiles.num_q)
    do_blocks = _blocked(d_out, tiles.block_q, tiles.num_q)  # [nq, B, bq, K, G, Dh]
    k_blocks = _blocked(k, tiles.block_kv, tiles.num_kv)
    v_blocks = _blocked(v, tiles.block_kv, tiles.num_kv)
    # D_i = do_i . o_i, [nq, B, K, G, bq]
    delta = jnp.sum(d_out.astype(f32) * out.astype(f32), axis=-1)  # [B, L, K, G]
    delta = jnp.moveaxis(_blocked(delta, tiles.block_q, tiles.num_q), 2, -1)
    inv_sum = 1.0 / jnp.where(row_sum > 0, row_sum, 1.0)
    q_vectors, k_vectors = _mask_blocks(mask, tiles, batch)

    def one_key_block(d_q, xs):
        k_block, v_block, k_vec = xs

        def step(carry, ys):
            index, q_block, do_block, q_vec, max_i, inv_sum_i, delta_i = ys
            ok = _tile_mask(q_vec, k_vec, window)

            def update(carry):
                d_k, d_v, d_q = carry
                s, capped = _tile_logits(q_block, k_block, ok, tiles.softcap)
                p = jnp.exp(s - max_i[..., None]) * inv_sum_i[..., None]  # 0 where not allowed
                d_v = d_v + jnp.einsum(
                    "bkgqs,bqkgd->bskd", p.astype(v.dtype), do_block, preferred_element_type=f32
                )
                dp = jnp.einsum("bqkgd,bskd->bkgqs", do_block, v_block, preferred_element_type=f32)
                ds = p * (dp - delta_i[..., None])
                if tiles.softcap is not None:
                    ds = ds * (1.0 - jnp.square(capped / tiles.softcap))
                ds = ds.astype(q.dtype)
                d_k = d_k + jnp.einsum("bkgqs,bqkgd->bskd", ds, q_block, preferred_element_type=f32)
                d_q_i = jnp.einsum("bkgqs,bskd->bqkgd", ds, k_block, preferred_element_type=f32)
                d_q = d_q.at[index].add(d_q_i)
                return d_k, d_v, d_q

            return lax.cond(jnp.any(ok), update, lambda c: c, carry), None

        zeros = jnp.zeros((batch, tiles.block_kv, kv_heads, dh), f32)
        ys = (jnp.arange(tiles.num_q), q_blocks, do_blocks, q_vectors, row_max, inv_sum, delta)
        (d_k, d_v, d_q), _ = lax.scan(step, (zeros, zeros, d_q), ys)
        return d_q, (d_k, d_v)

    d_q0 = jnp.zeros((tiles.num_q, batch, tiles.block_q, kv_heads, groups, dh), f32)
    d_q, (d_k, d_v) = lax.scan(one_key_block, d_q0, (k_blocks, v_blocks, k_vectors))
    d_q, d_k, d_v = (
        _unblocked(d_q, tiles.length),
        _unblocked(d_k, tiles.keys),
        _unblocked(d_v, tiles.keys),
    )
    # Rows with no allowed key took the mean of all values.
    seen = _unblocked(jnp.moveaxis(row_sum, -1, 2), tiles.length) > 0  # [B, L, K, G]
    unseen = jnp.sum(jnp.where(seen[..., None], 0.0, d_out.astype(f32)), axis=(1, 3))
    d_v = d_v + (unseen / tiles.keys)[:, None]  # [B, S, K, Dh]
    return d_q.astype(q.dtype), d_k.astype(k.dtype), d_v.astype(v.dtype)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _blockwise(tiles: _Blocks, qkv: tuple[Array, Array, Array], mask: AttentionMask, window):
    return _blockwise_forward(tiles, qkv, mask, window)[0]


def _blockwise_fwd(tiles, qkv, mask, window):
    out, (row_max, row_sum) = _blockwise_forward(tiles, qkv, mask, window)
    return out, (*qkv, mask, window, out, row_max, row_sum)


def _blockwise_bwd(tiles, residuals, d_out):
    d_qkv = _blockwise_backward(tiles, residuals, d_out)
    no_gradient = jax.tree_util.tree_map(lambda _: None, residuals[3])
    return d_qkv, no_gradient, None


_blockwise.defvjp(_blockwise_fwd, _blockwise_bwd)


def blockwise_attention(
    q: Array,  # [B, L, H, Dh], already scaled
    k: Array,  # [B, S, K, Dh]
    v: Array,  # [B, S, K, Dh]
    mask: AttentionMask,
    *,
    window: int | Array,
    logit_softcap: float | None,
    block_q: int = BLOCK_Q,
    block_kv: int = BLOCK_KV,
) -> Array:  # [B, L, H, Dh]
    """Online-softmax attention in [block_q, block_kv] tiles (see the module docstring)."""
    batch, length, heads, dh = q.shape
    keys, kv_heads = k.shape[1], k.shape[2]
    block_q, block_kv = min(block_q, length), min(block_kv, keys)
    tiles = _Blocks(
        block_q=block_q,
        block_kv=block_kv,
        num_q=-(-length // block_q),
        num_kv=-(-keys // block_kv),
        length=length,
        keys=keys,
        softcap=logit_softcap,
    )
    q = q.reshape(batch, length, kv_heads, heads // kv_heads, dh)
    window = jnp.asarray(window, jnp.int32)
    out = _blockwise(tiles, (q, k, v), mask, window)
    return out.reshape(batch, length, heads, dh)


# -- fused kernels -----------------------------------------------------------------------------


def _per_window(fn: Callable[[int], Array], window: int | Array, windows: Sequence[int]) -> Array:
    """fn(window) with a static window: a traced one selects among `windows` (lax.switch)."""
    if not isinstance(window, jax.core.Tracer):
        return fn(int(window))
    candidates = sorted(set(windows))
    if len(candidates) == 1:
        return fn(candidates[0])
    index = jnp.argmax(jnp.asarray(candidates) == window)
    return lax.switch(index, [functools.partial(fn, w) for w in candidates])


def kernel_refusal(
    impl: str,
    *,
    platform: str,
    dtype: jnp.dtype,
    logit_softcap: float | None,
    mask: AttentionMask,
    decode: bool,
    lengths: tuple[int, int],
) -> str | None:
    """Why the fused kernel `impl` cannot run this case (queries, keys = `lengths`), or None."""
    half = jnp.dtype(dtype) in (jnp.dtype(jnp.bfloat16), jnp.dtype(jnp.float16))
    checks = [
        (decode, "decoding with a key/value cache (use blockwise)"),
        (
            mask.q_prefix is not None,
            "prefix-LM attention (bidirectional_prefix with decoder_causal_attention)",
        ),
    ]
    if impl == "cudnn":
        checks += [
            (platform != "gpu", f"a GPU backend (this process runs on {platform})"),
            (not half, f"compute dtype bfloat16 or float16 (got {jnp.dtype(dtype).name})"),
            (logit_softcap is not None, "attention logit soft-capping (attn_logit_softcap)"),
            (mask.q_segment_ids is not None, "segment ids (packed or padded rows)"),
        ]
    if impl == "splash":
        checks += [
            (platform != "tpu", f"a TPU backend (this process runs on {platform})"),
            (
                any(n % _SPLASH_BLOCK for n in lengths),
                f"lengths {lengths} that are not multiples of {_SPLASH_BLOCK}",
            ),
        ]
    return next((reason for failed, reason in checks if failed), None)


def config_refusals(
    impl: str, *, logit_softcap: float | None, bidirectional_prefix: bool
) -> list[str]:
    """What a model config asks of `impl` that it can never do (TransformerConfig checks)."""
    errors = []
    if impl not in IMPLEMENTATIONS:
        errors.append(f"attention_impl {impl!r} not in {IMPLEMENTATIONS}")
    if impl == "cudnn" and logit_softcap is not None:
        errors.append("attention_impl 'cudnn' does not support attn_logit_softcap")
    if impl in ("cudnn", "splash") and bidirectional_prefix:
        errors.append(f"attention_impl {impl!r} does not support bidirectional_prefix")
    return errors


def cudnn_attention(
    q: Array,
    k: Array,
    v: Array,
    *,
    window: int | Array,
    windows: Sequence[int],
) -> Array:
    """cuDNN flash attention, causal with a left window (jax.nn.dot_product_attention)."""

    def run(w: int) -> Array:
        local = None if w >= q.shape[1] else (w - 1, 0)
        return jax.nn.dot_product_attention(
            q, k, v, scale=1.0, is_causal=True, local_window_size=local, implementation="cudnn"
        )

    return _per_window(run, window, windows)


def splash_attention(
    q: Array,
    k: Array,
    v: Array,
    mask: AttentionMask,
    *,
    window: int | Array,
    windows: Sequence[int],
    logit_softcap: float | None,
    interpret: bool = False,
) -> Array:
    """The Pallas TPU splash kernel (one MQA kernel per key/value head, vmapped over the batch
    and the key/value heads). `interpret` runs it in the Pallas interpreter (any backend)."""
    batch, length, heads, dh = q.shape
    keys, kv_heads = k.shape[1], k.shape[2]
    groups = heads // kv_heads
    segments = None
    if mask.q_segment_ids is not None:
        segments = splash.SegmentIds(q=mask.q_segment_ids, kv=mask.kv_segment_ids)
    q = q.reshape(batch, length, kv_heads, groups, dh).transpose(0, 2, 3, 1, 4)  # [B,K,G,L,Dh]
    k, v = k.transpose(0, 2, 1, 3), v.transpose(0, 2, 1, 3)  # [B, K, S, Dh]

    def run(w: int) -> Array:
        if w >= max(length, keys):
            head_mask = splash.CausalMask(shape=(length, keys))
        else:
            head_mask = splash.LocalMask(shape=(length, keys), window_size=(w - 1, 0), offset=0)
        kernel = splash.make_splash_mqa_single_device(
            splash.MultiHeadMask([head_mask] * groups),
            attn_logits_soft_cap=logit_softcap,
            interpret=interpret,
        )
        per_head = jax.vmap(kernel, in_axes=(0, 0, 0, None))  # over the K kv heads
        if segments is None:
            return jax.vmap(lambda q, k, v: per_head(q, k, v, None))(q, k, v)
        return jax.vmap(per_head, in_axes=(0, 0, 0, 0))(q, k, v, segments)

    out = _per_window(run, window, windows)  # [B, K, G, L, Dh]
    return out.transpose(0, 3, 1, 2, 4).reshape(batch, length, heads, dh)


def resolve(
    impl: str,
    *,
    platform: str,
    dtype: jnp.dtype,
    logit_softcap: float | None,
    mask: AttentionMask,
    decode: bool,
    lengths: tuple[int, int],
) -> str:
    """The implementation that runs: `impl`, or auto's choice; a kernel that cannot run this
    case raises ValueError naming the missing support."""
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"attention_impl {impl!r} not in {IMPLEMENTATIONS}")
    facts = dict(
        platform=platform,
        dtype=dtype,
        logit_softcap=logit_softcap,
        mask=mask,
        decode=decode,
        lengths=lengths,
    )
    if impl == "auto":
        kernel = {"tpu": "splash", "gpu": "cudnn"}.get(platform)
        if kernel is not None and kernel_refusal(kernel, **facts) is None:
            return kernel
        return "reference" if lengths[0] * lengths[1] <= BLOCK_Q * BLOCK_KV else "blockwise"
    if impl in ("cudnn", "splash"):
        reason = kernel_refusal(impl, **facts)
        if reason is not None:
            raise ValueError(f"attention_impl {impl!r} does not support {reason}")
    return impl


def attend(
    q: Array,  # [B, L, H, Dh], already scaled
    k: Array,  # [B, S, K, Dh]
    v: Array,  # [B, S, K, Dh]
    mask: AttentionMask,
    *,
    impl: str,
    window: int | Array,
    windows: Sequence[int],
    logit_softcap: float | None,
    decode: bool = False,
    platform: str | None = None,
) -> Array:  # [B, L, H, Dh]
    """Attention of q over k, v under `mask` and `window`, by implementation `impl`.

    `windows` are all the windows the model uses (the candidates of a traced `window`);
    `platform` defaults to the default backend's ("cpu", "gpu", "tpu").
    """
    platform = platform or jax.default_backend()
    chosen = resolve(
        impl,
        platform=platform,
        dtype=q.dtype,
        logit_softcap=logit_softcap,
        mask=mask,
        decode=decode,
        lengths=(q.shape[1], k.shape[1]),
    )
    if chosen == "reference":
        return reference_attention(q, k, v, mask, window=window, logit_softcap=logit_softcap)
    if chosen == "blockwise":
        return blockwise_attention(q, k, v, mask, window=window, logit_softcap=logit_softcap)
    if chosen == "cudnn":
        return cudnn_attention(q, k, v, window=window, windows=windows)
    return splash_attention(
        q, k, v, mask, window=window, windows=windows, logit_softcap=logit_softcap
    )
