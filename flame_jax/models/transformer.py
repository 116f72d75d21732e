"""The decoder-only Transformer (flax.linen) of the Gemma / Llama family.

Shapes in comments: B batch, L query length, S key length (L, or the cache length when
decoding), D embed_dim, H query heads, K key/value heads, G = H / K, Dh head_dim, F mlp_dim,
V vocab_size, N num_layers.

Every parameter is created with logical axis names (nn.with_logical_partitioning) and the main
activations are constrained with logical names (nn.with_logical_constraint); the single
table in flame_jax.partitioning maps the names to mesh axes. Outside such a context the
constraints are no-ops, so the model runs unchanged on one device.

Inputs follow seqio's PrefixLMFeatureConverter (`batch_to_inputs` maps the feature names):
tokens, positions (rotary positions; packed examples restart at 0), segment ids (packed
examples never attend to each other; 0 = padding) and, for the prefix-LM option, the
causal-attention flags. Logits are float32.

Decoding (`decode=True`, `mutable=["cache"]`) keeps a key/value cache: each call writes its
L tokens at the cache index and attends to everything written before. flame_jax.models.decoding
builds the cache and drives it; its layout (prompts left-aligned) is documented there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from flame_jax.models import attention
from flame_jax.models.attention import AttentionMask, softcap
from flame_jax.models.config import TransformerConfig

Array = jax.Array


def _param(
    module: nn.Module,
    name: str,
    init: nn.initializers.Initializer,
    shape: tuple[int, ...],
    names: tuple[str | None, ...],
) -> Array:
    """A parameter of `module` (which has a `config`) carrying its logical axis names (one
    name per dimension), stored in the configured parameter dtype."""
    init = nn.with_logical_partitioning(init, names)
    return module.param(name, init, shape, module.config.weight_dtype)


def _constrain(x: Array, names: tuple[str | None, ...]) -> Array:
    return nn.with_logical_constraint(x, names)


def apply_rope(
    x: Array, positions: Array, base: float | Array, scale: float | Array = 1.0
) -> Array:
    """Rotary position embedding of x [B, L, N, Dh] at positions [B, L].

    The rotate-half layout of Gemma and of Hugging Face's Llama (the two halves of each head
    are the real and imaginary parts), so converted checkpoints need no permutation. `scale`
    is linear position scaling (positions / scale, Hugging Face's rope_type "linear").
    """
    half = x.shape[-1] // 2
    fraction = 2.0 * jnp.arange(half, dtype=jnp.float32) / x.shape[-1]
    timescale = jnp.asarray(base, jnp.float32) ** fraction  # [Dh/2]
    timescale = timescale * jnp.asarray(scale, jnp.float32)
    angles = positions[..., None].astype(jnp.float32) / timescale  # [B, L, Dh/2]
    sin, cos = jnp.sin(angles)[:, :, None, :], jnp.cos(angles)[:, :, None, :]
    x1, x2 = jnp.split(x.astype(jnp.float32), 2, axis=-1)
    out = jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    return out.astype(x.dtype)


def batch_to_inputs(batch: Mapping[str, Array]) -> dict[str, Array | None]:
    """Keyword arguments of Transformer.__call__ from PrefixLMFeatureConverter features.

    Unpacked batches have no segment ids or positions: rows are right-padded, and under
    causal attention padding never reaches a real token, so none are needed.
    """
    return {
        "tokens": batch["decoder_input_tokens"],
        "positions": batch.get("decoder_positions"),
        "segment_ids": batch.get("decoder_segment_ids"),
        "causal_attention": batch.get("decoder_causal_attention"),
    }


class RMSNorm(nn.Module):
    """Root-mean-square norm over the last axis, computed in float32.

    Gemma multiplies by (1 + scale) (scale initialised at 0), Llama by scale (initialised at 1):
    `config.norm_scale_plus_one` picks one, so checkpoints of both load without conversion.
    """

    config: TransformerConfig

    @nn.compact
    def __call__(self, x: Array) -> Array:
        cfg = self.config
        init = nn.initializers.zeros if cfg.norm_scale_plus_one else nn.initializers.ones
        scale = _param(self, "scale", init, (x.shape[-1],), ("norm",))
        x32 = x.astype(jnp.float32)
        y = x32 * lax.rsqrt(jnp.mean(jnp.square(x32), axis=-1, keepdims=True) + cfg.norm_eps)
        scale = scale.astype(jnp.float32)
        if cfg.norm_scale_plus_one:
            scale = 1.0 + scale
        return (y * scale).astype(cfg.compute_dtype)


class Attention(nn.Module):
    """Grouped-query self-attention with rotary positions, optional soft-capping and window.

    The window and rotary base arrive as (possibly traced) per-layer scalars so that local and
    global layers share one body under nn.scan.
    """

    config: TransformerConfig
    decode: bool = False

    @nn.compact
    def __call__(
        self,
        x: Array,  # [B, L, D]
        positions: Array,  # [B, L]
        mask: AttentionMask,  # queries [B, L], keys [B, S]
        *,
        window: int | Array,
        rope_base: float | Array,
        rope_scale: float | Array = 1.0,
    ) -> Array:  # [B, L, D]
        cfg = self.config
        d, h, k, dh = cfg.embed_dim, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
        init = nn.initializers.variance_scaling(1.0, "fan_in", "normal", in_axis=0, out_axis=(1, 2))
        out_init = nn.initializers.variance_scaling(
            1.0, "fan_in", "normal", in_axis=(0, 1), out_axis=2
        )
        w_q = _param(self, "q", init, (d, h, dh), ("embed", "heads", "kv"))
        w_k = _param(self, "k", init, (d, k, dh), ("embed", "kv_heads", "kv"))
        w_v = _param(self, "v", init, (d, k, dh), ("embed", "kv_heads", "kv"))
        w_o = _param(self, "out", out_init, (h, dh, d), ("heads", "kv", "embed"))

        dtype = cfg.compute_dtype
        x = x.astype(dtype)
        q = jnp.einsum("bld,dhk->blhk", x, w_q.astype(dtype))  # [B, L, H, Dh]
        key = jnp.einsum("bld,dhk->blhk", x, w_k.astype(dtype))  # [B, L, K, Dh]
        value = jnp.einsum("bld,dhk->blhk", x, w_v.astype(dtype))  # [B, L, K, Dh]
        if cfg.attention_bias:
            zeros = nn.initializers.zeros_init()
            q = q + _param(self, "q_bias", zeros, (h, dh), ("heads", "kv")).astype(dtype)
            key = key + _param(self, "k_bias", zeros, (k, dh), ("kv_heads", "kv")).astype(dtype)
            value = value + _param(self, "v_bias", zeros, (k, dh), ("kv_heads", "kv")).astype(dtype)
        q = _constrain(q, ("batch", "length", "heads", "kv"))
        key = _constrain(key, ("batch", "length", "kv_heads", "kv"))
        value = _constrain(value, ("batch", "length", "kv_heads", "kv"))
        if cfg.qk_norm:
            q = RMSNorm(cfg, name="query_norm")(q)
            key = RMSNorm(cfg, name="key_norm")(key)
        q = apply_rope(q, positions, rope_base, rope_scale)
        key = apply_rope(key, positions, rope_base, rope_scale)
        q = (q * cfg.query_scale).astype(dtype)

        if self.decode:
            batch, cache_length = mask.kv_segment_ids.shape
            cache_shape = (batch, cache_length, k, dh)
            cached_key = self.variable("cache", "cached_key", jnp.zeros, cache_shape, dtype)
            cached_value = self.variable("cache", "cached_value", jnp.zeros, cache_shape, dtype)
            start = (0, mask.q_offset, 0, 0)
            key = lax.dynamic_update_slice(cached_key.value, key.astype(dtype), start)
            value = lax.dynamic_update_slice(cached_value.value, value.astype(dtype), start)
            cached_key.value, cached_value.value = key, value  # [B, S, K, Dh]

        out = attention.attend(
            q,
            key.astype(dtype),
            value.astype(dtype),
            mask,
            impl=cfg.attention_impl,
            window=window,
            windows=cfg.layer_windows(),
            logit_softcap=cfg.attn_logit_softcap,
            decode=self.decode,
        )  # [B, L, H, Dh]
        out = _constrain(out, ("batch", "length", "heads", "kv"))
        return jnp.einsum("blhk,hkd->bld", out, w_o.astype(dtype))


class Mlp(nn.Module):
    """Gated MLP: down(act(gate(x)) * up(x)); GeGLU (gelu-tanh) for Gemma, SwiGLU for Llama."""

    config: TransformerConfig

    @nn.compact
    def __call__(self, x: Array) -> Array:  # [B, L, D] -> [B, L, D]
        cfg = self.config
        d, f, dtype = cfg.embed_dim, cfg.mlp_dim, cfg.compute_dtype
        init = nn.initializers.variance_scaling(1.0, "fan_in", "normal")
        w_gate = _param(self, "gate", init, (d, f), ("embed", "mlp"))
        w_up = _param(self, "up", init, (d, f), ("embed", "mlp"))
        w_down = _param(self, "down", init, (f, d), ("mlp", "embed"))
        x = x.astype(dtype)
        gate = x @ w_gate.astype(dtype)  # [B, L, F]
        gate = (
            jax.nn.gelu(gate, approximate=True)
            if cfg.mlp_activation == "gelu"
            else jax.nn.silu(gate)
        )
        hidden = _constrain(gate * (x @ w_up.astype(dtype)), ("batch", "length", "mlp"))
        return hidden @ w_down.astype(dtype)


class Block(nn.Module):
    """One pre-norm Transformer block, with Gemma 2's optional post-norms.

    Returns (x, None) so that the same module is the body of nn.scan.
    """

    config: TransformerConfig
    decode: bool = False
    deterministic: bool = True

    @nn.compact
    def __call__(
        self,
        x: Array,  # [B, L, D]
        layer: tuple[int | Array, float | Array, float | Array],  # (window, rope base, scale)
        positions: Array,  # [B, L]
        mask: AttentionMask,
    ) -> tuple[Array, None]:
        cfg = self.config
        window, rope_base, rope_scale = layer
        dropout = nn.Dropout(cfg.dropout_rate, deterministic=self.deterministic)
        h = RMSNorm(cfg, name="pre_attn_norm")(x)
        h = Attention(cfg, decode=self.decode, name="attn")(
            h,
            positions,
            mask,
            window=window,
            rope_base=rope_base,
            rope_scale=rope_scale,
        )
        if cfg.post_attn_norm:
            h = RMSNorm(cfg, name="post_attn_norm")(h)
        x = x + dropout(h)
        h = RMSNorm(cfg, name="pre_mlp_norm")(x)
        h = Mlp(cfg, name="mlp")(h)
        if cfg.post_mlp_norm:
            h = RMSNorm(cfg, name="post_mlp_norm")(h)
        x = x + dropout(h)
        return _constrain(x, ("batch", "length", "embed")), None


_REMAT_POLICIES = {
    "full": jax.checkpoint_policies.nothing_saveable,
    # MaxText's "minimal": keep the matmul outputs, recompute the elementwise rest.
    "minimal": jax.checkpoint_policies.dots_with_no_batch_dims_saveable,
}


class Transformer(nn.Module):
    """Decoder-only Transformer: tokens [B, L] -> float32 logits [B, L, V], or the final
    hidden states [B, L, D] (`return_hidden`) for the callers that unembed only the positions
    they use (`unembed`, `logits_at`; the chunked loss and score of loss.py).

    Parameters: "embedding" [V, D], "layers_{i}/..." per block (or "layers/..." with a
    leading [N] axis when scan_layers), "final_norm/scale", and "unembed" [D, V] if untied.
    A block's attention holds q [D, H, Dh], k and v [D, K, Dh], out [H, Dh, D] (plus q_bias
    [H, Dh], k_bias and v_bias [K, Dh] with attention_bias); flame_jax.convert maps these
    to and from Hugging Face's tensor names.
    """

    config: TransformerConfig

    @nn.compact
    def __call__(
        self,
        tokens: Array,  # [B, L] int32
        positions: Array | None = None,  # [B, L]; default 0..L-1
        segment_ids: Array | None = None,  # [B, L]; default: one example per row, no padding
        causal_attention: Array | None = None,  # [B, L]; used with bidirectional_prefix
        *,
        deterministic: bool = True,
        decode: bool = False,
        return_hidden: bool = False,
    ) -> Array:  # [B, L, V] float32 logits, or [B, L, D] hidden states (compute dtype)
        cfg = self.config
        length = tokens.shape[1]
        dtype = cfg.compute_dtype
        if positions is None:
            positions = jnp.broadcast_to(jnp.arange(length, dtype=jnp.int32), tokens.shape)

        embed_init = nn.initializers.variance_scaling(
            1.0, "fan_in", "normal", in_axis=1, out_axis=0
        )
        embedding = _param(
            self,
            "embedding",
            embed_init,
            (cfg.vocab_size, cfg.embed_dim),
            ("vocab", "embed"),
        )
        x = jnp.take(embedding, tokens, axis=0).astype(dtype)  # [B, L, D]
        if cfg.scale_embeddings:
            # Gemma rounds the normaliser to the compute dtype; so do we, for parity.
            x = x * jnp.asarray(math.sqrt(cfg.embed_dim), dtype)
        x = nn.Dropout(cfg.dropout_rate, deterministic=deterministic)(x)
        x = _constrain(x, ("batch", "length", "embed"))

        if decode:
            mask = self._decode_mask(tokens, segment_ids, causal_attention)
        else:
            prefix = None
            if cfg.bidirectional_prefix and causal_attention is not None:
                prefix = causal_attention.astype(bool)
            mask = AttentionMask(segment_ids, segment_ids, prefix, prefix, jnp.zeros((), jnp.int32))

        block = Block
        if cfg.remat_policy != "none" and not decode:
            block = nn.remat(
                Block, policy=_REMAT_POLICIES[cfg.remat_policy], prevent_cse=not cfg.scan_layers
            )
        windows, bases, scales = (
            cfg.layer_windows(),
            cfg.layer_rope_bases(),
            cfg.layer_rope_scales(),
        )
        if cfg.scan_layers:
            stack = nn.scan(
                block,
                variable_axes={"params": 0, "cache": 0, "intermediates": 0},
                split_rngs={"params": True, "dropout": True},
                in_axes=(0, nn.broadcast, nn.broadcast),
                length=cfg.num_layers,
                metadata_params={nn.PARTITION_NAME: "layers"},
            )
            x, _ = stack(cfg, decode=decode, deterministic=deterministic, name="layers")(
                x,
                (
                    jnp.asarray(windows, jnp.int32),
                    jnp.asarray(bases, jnp.float32),
                    jnp.asarray(scales, jnp.float32),
                ),
                positions,
                mask,
            )
        else:
            for i in range(cfg.num_layers):
                x, _ = block(cfg, decode=decode, deterministic=deterministic, name=f"layers_{i}")(
                    x, (windows[i], bases[i], scales[i]), positions, mask
                )

        x = RMSNorm(cfg, name="final_norm")(x)
        if cfg.tie_embeddings:
            weights = embedding
        else:
            weights = _param(
                self,
                "unembed",
                nn.initializers.variance_scaling(1.0, "fan_in", "normal"),
                (cfg.embed_dim, cfg.vocab_size),
                ("embed", "vocab"),
            )
        if return_hidden:
            return x
        return _constrain(unembed(cfg, weights, x), ("batch", "length", "vocab"))

    def _decode_mask(
        self, tokens: Array, segment_ids: Array | None, causal_attention: Array | None
    ) -> AttentionMask:
        """The mask of L new tokens against the S cache slots (their offset: the cache index).

        The cache remembers each slot's segment id (0: padding or not yet written) and prefix
        flag; its length S is fixed when the cache is created.
        """
        batch, length = tokens.shape
        if segment_ids is None:
            segment_ids = jnp.ones_like(tokens, dtype=jnp.int32)
        if causal_attention is None:
            causal_attention = jnp.zeros_like(tokens, dtype=jnp.int32)
        index = self.variable("cache", "index", lambda: jnp.zeros((), jnp.int32))
        # On creation (init_cache's model.init) the cache is as long as the given tokens.
        segments = self.variable("cache", "key_segment", jnp.zeros, (batch, length), jnp.int32)
        prefix = self.variable("cache", "key_prefix", jnp.zeros, (batch, length), jnp.int32)
        start = index.value
        key_segment = lax.dynamic_update_slice(
            segments.value, segment_ids.astype(jnp.int32), (0, start)
        )
        key_prefix = lax.dynamic_update_slice(
            prefix.value, causal_attention.astype(jnp.int32), (0, start)
        )
        segments.value, prefix.value = key_segment, key_prefix
        index.value = start + length
        q_prefix = kv_prefix = None
        if self.config.bidirectional_prefix:
            q_prefix, kv_prefix = causal_attention.astype(bool), key_prefix.astype(bool)
        return AttentionMask(segment_ids, key_segment, q_prefix, kv_prefix, start)


def unembed(config: TransformerConfig, weights: Array, hidden: Array) -> Array:
    """float32 logits [..., V] of final hidden states [..., D] (`return_hidden=True`), the
    final soft cap included: what Transformer.__call__ returns at those positions. `weights`
    is output_weights(config, params)."""
    weights = weights.astype(config.compute_dtype)
    hidden = hidden.astype(config.compute_dtype)
    if config.tie_embeddings:
        logits = jnp.einsum("...d,vd->...v", hidden, weights)
    else:
        logits = jnp.einsum("...d,dv->...v", hidden, weights)
    return softcap(logits.astype(jnp.float32), config.final_logit_softcap)


def output_weights(config: TransformerConfig, params: Mapping[str, Any]) -> Array:
    """The output projection in `params`: the embedding [V, D] if tied, else unembed [D, V]."""
    return nn.unbox(params["embedding" if config.tie_embeddings else "unembed"])


def logits_at(
    config: TransformerConfig,
    params: Mapping[str, Any],
    hidden: Array,  # [B, L, D]
    positions: Array,  # [B, T] int: indices into L
) -> Array:  # [B, T, V] float32
    """The logits of T positions per row only: the hidden states are gathered before the
    unembedding, so no [B, L, V] array is built."""
    gathered = jnp.take_along_axis(hidden, positions[..., None].astype(jnp.int32), axis=1)
    return unembed(config, output_weights(config, params), gathered)


def init_params(
    model: Transformer, rng: Array, *, batch_size: int = 1, length: int = 8
) -> dict[str, Any]:
    """Fresh parameters, boxed with their logical axis names (nn.LogicallyPartitioned).

    Wrap in jax.eval_shape for the abstract tree that flame_jax.partitioning turns into
    shardings; nn.unbox gives plain arrays (apply accepts either).
    """
    tokens = jnp.ones((batch_size, length), jnp.int32)
    return model.init({"params": rng}, tokens)["params"]


def stack_layers(params: Mapping[str, Any], num_layers: int) -> dict[str, Any]:
    """Per-layer parameters ("layers_0" ... ) -> the scan_layers layout ("layers", [N, ...])."""
    out = {k: v for k, v in params.items() if not k.startswith("layers_")}
    layers = [params[f"layers_{i}"] for i in range(num_layers)]
    out["layers"] = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *layers)
    return out


def unstack_layers(params: Mapping[str, Any]) -> dict[str, Any]:
    """The scan_layers layout -> per-layer parameters; the inverse of stack_layers."""
    out = {k: v for k, v in params.items() if k != "layers"}
    num_layers = jax.tree_util.tree_leaves(params["layers"])[0].shape[0]
    for i in range(num_layers):
        out[f"layers_{i}"] = jax.tree_util.tree_map(lambda x, i=i: x[i], params["layers"])
    return out
