"""Hugging Face model families <-> TransformerConfig, and the tensor-name map between them.

Supported families (Hugging Face `model_type`, architecture class):
  gemma        GemmaForCausalLM       Gemma 1: GeGLU, (1 + scale) norms, sqrt(d) embeddings
  gemma2       Gemma2ForCausalLM      + post-norms, soft-capping, local/global alternation
  gemma3_text  Gemma3ForCausalLM      + qk-norm, 5 local : 1 global, per-kind rotary base,
                                        linear rotary scaling of the global layers (4B and up)
  llama        LlamaForCausalLM       Llama 2 / 3 (rope_type "default" or "linear"; Llama 3.1's
                                        "llama3" scaling is not implemented)
  mistral      MistralForCausalLM     Llama with an optional sliding window on every layer
  qwen2        Qwen2ForCausalLM       Llama with query/key/value biases

Config files of both transformers 4 (rope_theta, rope_scaling, sliding_window_pattern,
rope_local_base_freq) and transformers 5 (rope_parameters, layer_types) are read. Every option
that changes the numbers is checked: one this model does not implement raises a ValueError
naming it, so a converted model never silently computes something else.

Tensor layout: Hugging Face stores nn.Linear weights as [out, in]; flame-jax stores
[in, ...out] with heads split out (q [D, H, Dh], out [H, Dh, D]). Each `TensorMap` says how
one Hugging Face tensor, reshaped row-major to `hf_view`, becomes a flame-jax parameter by a
transpose (`perm`). Being a view plus a transpose, a device's block of the flame-jax
parameter reads only the matching block of the Hugging Face tensor.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from flame_jax.models.config import TransformerConfig

GEMMA_FAMILIES = ("gemma", "gemma2", "gemma3_text")
FAMILIES = (*GEMMA_FAMILIES, "llama", "mistral", "qwen2")
ARCHITECTURES = {
    "GemmaForCausalLM": "gemma",
    "Gemma2ForCausalLM": "gemma2",
    "Gemma3ForCausalLM": "gemma3_text",
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "mistral",
    "Qwen2ForCausalLM": "qwen2",
}
_CLASS_OF = {family: cls for cls, family in ARCHITECTURES.items()}
_UNSUPPORTED_HINTS = {
    "Gemma3ForConditionalGeneration": (
        "a multimodal Gemma 3 checkpoint: convert its text model (Gemma3ForCausalLM, "
        "model_type gemma3_text) instead"
    ),
    "MixtralForCausalLM": "mixture-of-experts layers are not implemented",
    "Qwen3ForCausalLM": "Qwen3's plain-RMSNorm qk-norm is not implemented",
}

# Fields of TransformerConfig that describe the architecture (and so the numbers); the rest
# (dtypes, remat, scan, dropout, prefix-LM attention) are training choices.
ARCHITECTURE_FIELDS = (
    "vocab_size",
    "embed_dim",
    "num_layers",
    "num_heads",
    "num_kv_heads",
    "head_dim",
    "mlp_dim",
    "mlp_activation",
    "norm_eps",
    "norm_scale_plus_one",
    "rope_base",
    "local_rope_base",
    "rope_scale_factor",
    "tie_embeddings",
    "scale_embeddings",
    "final_logit_softcap",
    "attn_logit_softcap",
    "sliding_window",
    "attention_pattern",
    "post_attn_norm",
    "post_mlp_norm",
    "qk_norm",
    "attention_bias",
    "query_pre_attn_scalar",
)

_ACTIVATIONS = {"gelu_pytorch_tanh": "gelu", "gelu_new": "gelu", "silu": "silu", "swish": "silu"}
_KIND_OF_LAYER_TYPE = {"full_attention": "global", "sliding_attention": "local"}
_LAYER_TYPE_OF_KIND = {kind: t for t, kind in _KIND_OF_LAYER_TYPE.items()}
_MAX_POSITIONS = {
    "gemma": 8192,
    "gemma2": 8192,
    "gemma3_text": 131072,
    "llama": 8192,
    "mistral": 32768,
    "qwen2": 32768,
}


class UnsupportedError(ValueError):
    """A checkpoint or config that this converter cannot represent exactly."""


# -- config.json -> TransformerConfig ---------------------------------------------------------


def family_of(hf_config: Mapping[str, Any]) -> str:
    """The family of a Hugging Face config.json (by its architecture class, else model_type)."""
    architectures = list(hf_config.get("architectures") or [])
    for cls in architectures:
        if cls in ARCHITECTURES:
            return ARCHITECTURES[cls]
    if architectures:
        hint = _UNSUPPORTED_HINTS.get(architectures[0])
        raise UnsupportedError(
            f"unsupported architecture {architectures[0]}"
            + (f" ({hint})" if hint else "")
            + f"; supported: {', '.join(ARCHITECTURES)}"
        )
    model_type = hf_config.get("model_type")
    if model_type in FAMILIES:
        return model_type
    raise UnsupportedError(
        f"unsupported model_type {model_type!r} (config.json names no architecture); "
        f"supported: {', '.join(FAMILIES)}"
    )


def _rope_factor(params: Mapping[str, Any] | None, where: str) -> float:
    """The linear scaling factor of one rope dict ({"rope_type", "factor", ...})."""
    if not params:
        return 1.0
    rope_type = params.get("rope_type", params.get("type", "default"))
    if params.get("partial_rotary_factor", 1.0) != 1.0:
        raise UnsupportedError(f"{where}: partial_rotary_factor is not implemented")
    if rope_type in (None, "default"):
        return 1.0
    if rope_type == "linear":
        return float(params["factor"])
    raise UnsupportedError(
        f'{where}: rope_type "{rope_type}" is not implemented (only "default" and "linear")'
    )


def _rope(hf: Mapping[str, Any], family: str) -> tuple[float, float | None, float]:
    """(global base, local base, global linear factor) from either config format."""
    local_base: float | None = None
    params = hf.get("rope_parameters")
    if params and ("full_attention" in params or "sliding_attention" in params):  # per kind
        full = params.get("full_attention") or {}
        sliding = params.get("sliding_attention") or {}
        base = float(full.get("rope_theta", hf.get("rope_theta", 10_000.0)))
        factor = _rope_factor(full, "rope_parameters.full_attention")
        if sliding:
            local_base = float(sliding.get("rope_theta", base))
            if _rope_factor(sliding, "rope_parameters.sliding_attention") != 1.0:
                raise UnsupportedError("rotary scaling of the sliding-window layers")
        return base, local_base, factor
    if params:  # one dict for every layer
        base = float(params.get("rope_theta", hf.get("rope_theta", 10_000.0)))
        factor = _rope_factor(params, "rope_parameters")
    else:
        base = float(hf.get("rope_theta", 1_000_000.0 if family == "gemma3_text" else 10_000.0))
        factor = _rope_factor(hf.get("rope_scaling"), "rope_scaling")
    if family == "gemma3_text":  # transformers 4: the local base is separate, scaling global
        local_base = float(hf.get("rope_local_base_freq", 10_000.0))
    return base, local_base, factor


def _layer_kinds(hf: Mapping[str, Any], family: str, num_layers: int) -> list[str]:
    if hf.get("layer_types"):
        types = list(hf["layer_types"])
        unknown = sorted(set(types) - set(_KIND_OF_LAYER_TYPE))
        if unknown:
            raise UnsupportedError(f"layer_types {unknown} are not implemented")
        if len(types) != num_layers:
            raise UnsupportedError(f"layer_types has {len(types)} entries for {num_layers} layers")
        return [_KIND_OF_LAYER_TYPE[t] for t in types]
    if family == "gemma2":  # transformers 4: even layers local
        return ["local" if i % 2 == 0 else "global" for i in range(num_layers)]
    if family == "gemma3_text":
        pattern = int(hf.get("sliding_window_pattern", hf.get("_sliding_window_pattern", 6)))
        return ["local" if (i + 1) % pattern else "global" for i in range(num_layers)]
    if family == "mistral":
        return ["local" if hf.get("sliding_window") else "global"] * num_layers
    if family == "qwen2" and hf.get("use_sliding_window") and hf.get("sliding_window"):
        first = int(hf.get("max_window_layers", num_layers))
        return ["local" if i >= first else "global" for i in range(num_layers)]
    return ["global"] * num_layers


def _cyclic_pattern(kinds: Sequence[str]) -> tuple[str, ...]:
    """The shortest pattern whose cyclic repetition gives `kinds`."""
    for period in range(1, len(kinds) + 1):
        if all(kinds[i] == kinds[i % period] for i in range(len(kinds))):
            return tuple(kinds[:period])
    return tuple(kinds)


def _activation(hf: Mapping[str, Any], family: str) -> str:
    key = "hidden_activation" if hf.get("hidden_activation") else "hidden_act"
    name = hf.get(key) or ("gelu_pytorch_tanh" if family in GEMMA_FAMILIES else "silu")
    if family == "gemma" and name == "gelu":
        name = "gelu_pytorch_tanh"  # transformers' rule: Gemma 1's "gelu" means the tanh form
    if name not in _ACTIVATIONS:
        raise UnsupportedError(f"{key} {name!r} is not implemented (known: {sorted(_ACTIVATIONS)})")
    return _ACTIVATIONS[name]


def _reject(hf: Mapping[str, Any], checks: Mapping[str, Any]) -> None:
    """Raises for options set to anything but their harmless value."""
    for key, harmless in checks.items():
        value = hf.get(key)
        if value not in (None, harmless):
            raise UnsupportedError(f"{key}={value!r} is not implemented")


def config_from_hf(hf: Mapping[str, Any], **training: Any) -> TransformerConfig:
    """The TransformerConfig of a Hugging Face config.json; `training` sets the training fields
    (scan_layers, remat_policy, param_dtype, dtype, ...)."""
    family = family_of(hf)
    gemma = family in GEMMA_FAMILIES
    num_layers = int(hf["num_hidden_layers"])
    num_heads = int(hf["num_attention_heads"])
    embed_dim = int(hf["hidden_size"])
    head_dim = int(hf.get("head_dim") or embed_dim // num_heads)
    _reject(hf, {"mlp_bias": False, "use_bidirectional_attention": False})
    if family != "qwen2":
        _reject(hf, {"attention_bias": False})
    if not gemma:
        _reject(hf, {"attn_logit_softcapping": None, "final_logit_softcapping": None})
    base, local_base, factor = _rope(hf, family)
    kinds = _layer_kinds(hf, family, num_layers)
    window = hf.get("sliding_window") if "local" in kinds else None
    if "local" in kinds and not window:
        raise UnsupportedError("sliding-window layers without a sliding_window size")
    tied_default = gemma  # transformers' defaults: Gemma ties, Llama, Mistral, Qwen2 do not
    fields: dict[str, Any] = {
        "vocab_size": int(hf["vocab_size"]),
        "embed_dim": embed_dim,
        "num_layers": num_layers,
        "num_heads": num_heads,
        "num_kv_heads": int(hf.get("num_key_value_heads") or num_heads),
        "head_dim": head_dim,
        "mlp_dim": int(hf["intermediate_size"]),
        "mlp_activation": _activation(hf, family),
        "norm_eps": float(hf.get("rms_norm_eps", 1e-6)),
        "norm_scale_plus_one": gemma,
        "rope_base": base,
        "local_rope_base": local_base if local_base != base and "local" in kinds else None,
        "rope_scale_factor": factor,
        "tie_embeddings": bool(hf.get("tie_word_embeddings", tied_default)),
        "scale_embeddings": gemma,
        "final_logit_softcap": _float_or_none(hf.get("final_logit_softcapping")) if gemma else None,
        "attn_logit_softcap": _float_or_none(hf.get("attn_logit_softcapping")) if gemma else None,
        "sliding_window": int(window) if window else None,
        "attention_pattern": _cyclic_pattern(kinds),
        "post_attn_norm": family in ("gemma2", "gemma3_text"),
        "post_mlp_norm": family in ("gemma2", "gemma3_text"),
        "qk_norm": family == "gemma3_text",
        "attention_bias": family == "qwen2",
        "query_pre_attn_scalar": (
            float(hf["query_pre_attn_scalar"])
            if family in ("gemma2", "gemma3_text") and hf.get("query_pre_attn_scalar")
            else None
        ),
    }
    if factor != 1.0 and "local" in kinds and family != "gemma3_text":
        raise UnsupportedError(f"{family}: rotary scaling with sliding-window layers")
    return TransformerConfig(**fields, **training)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


# -- TransformerConfig -> config.json ---------------------------------------------------------


def infer_family(config: TransformerConfig) -> str:
    """The Hugging Face family a flame-jax architecture belongs to."""
    kinds = set(config.layer_kinds())
    if config.norm_scale_plus_one and config.scale_embeddings:
        if config.qk_norm:
            return "gemma3_text"
        if config.post_attn_norm or config.attn_logit_softcap or "local" in kinds:
            return "gemma2"
        return "gemma"
    if config.attention_bias:
        return "qwen2"
    if kinds == {"local"}:
        return "mistral"
    return "llama"


def hf_config(
    config: TransformerConfig,
    family: str | None = None,
    *,
    extras: Mapping[str, Any] | None = None,
    dtype: str = "bfloat16",
) -> dict[str, Any]:
    """A transformers-5 config.json for `config` (family inferred unless given).

    `extras` adds fields this config does not hold (token ids, max_position_embeddings).
    Raises UnsupportedError if the family cannot express the architecture exactly (checked by
    reading the result back with config_from_hf).
    """
    family = family or infer_family(config)
    if family not in FAMILIES:
        raise UnsupportedError(f"unknown family {family!r}; supported: {', '.join(FAMILIES)}")
    gemma = family in GEMMA_FAMILIES
    activation = "gelu_pytorch_tanh" if config.mlp_activation == "gelu" else "silu"
    out: dict[str, Any] = {
        "architectures": [_CLASS_OF[family]],
        "model_type": family,
        "vocab_size": config.vocab_size,
        "hidden_size": config.embed_dim,
        "intermediate_size": config.mlp_dim,
        "num_hidden_layers": config.num_layers,
        "num_attention_heads": config.num_heads,
        "num_key_value_heads": config.num_kv_heads,
        "head_dim": config.head_dim,
        ("hidden_activation" if family in ("gemma2", "gemma3_text") else "hidden_act"): activation,
        "rms_norm_eps": config.norm_eps,
        "tie_word_embeddings": config.tie_embeddings,
        "max_position_embeddings": _MAX_POSITIONS[family],
        "dtype": dtype,
    }
    rope = {"rope_type": "default", "rope_theta": config.rope_base}
    if config.rope_scale_factor != 1.0:
        rope = {
            "rope_type": "linear",
            "factor": config.rope_scale_factor,
            "rope_theta": rope["rope_theta"],
        }
    kinds = config.layer_kinds()
    if family == "gemma3_text":
        local = config.rope_base if config.local_rope_base is None else config.local_rope_base
        out["rope_parameters"] = {
            "full_attention": rope,
            "sliding_attention": {"rope_type": "default", "rope_theta": local},
        }
    else:
        out["rope_parameters"] = rope
    if family in ("gemma2", "gemma3_text", "qwen2"):
        out["layer_types"] = [_LAYER_TYPE_OF_KIND[k] for k in kinds]
    if family in ("gemma2", "gemma3_text", "mistral", "qwen2"):
        out["sliding_window"] = config.sliding_window
    if family == "qwen2":
        out["use_sliding_window"] = "local" in kinds
        out["max_window_layers"] = kinds.index("local") if "local" in kinds else config.num_layers
    if family in ("gemma2", "gemma3_text"):
        out["query_pre_attn_scalar"] = (
            config.head_dim
            if config.query_pre_attn_scalar is None
            else config.query_pre_attn_scalar
        )
        out["attn_logit_softcapping"] = config.attn_logit_softcap
        out["final_logit_softcapping"] = config.final_logit_softcap
    if family in ("llama", "gemma", "gemma2", "gemma3_text"):
        out["attention_bias"] = False
    if family == "llama":
        out["mlp_bias"] = False
    if gemma:
        out.update({"pad_token_id": 0, "eos_token_id": 1, "bos_token_id": 2})
    out.update(dict(extras or {}))
    check_expressible(config, out)
    return out


def check_expressible(config: TransformerConfig, hf: Mapping[str, Any]) -> None:
    """Raises UnsupportedError unless `hf` describes exactly config's architecture."""
    back = config_from_hf(hf)
    differ = [
        f"{name} (flame-jax {getattr(config, name)!r}, {hf['model_type']} gives "
        f"{getattr(back, name)!r})"
        for name in same_architecture(config, back)
    ]
    if differ:
        raise UnsupportedError(
            f"a {hf['model_type']} config cannot express this model: " + "; ".join(differ)
        )


def _effective(config: TransformerConfig, name: str) -> Any:
    """A field as the model uses it (None and an explicit default compute the same)."""
    if name == "query_pre_attn_scalar":
        return config.query_scale
    if name in ("local_rope_base", "rope_base"):
        return config.layer_rope_bases()
    if name in ("attention_pattern", "sliding_window"):
        return config.layer_windows()
    if name == "rope_scale_factor":
        return config.layer_rope_scales()
    return getattr(config, name)


def same_architecture(a: TransformerConfig, b: TransformerConfig) -> list[str]:
    """The architecture fields on which two configs compute differently."""
    return [name for name in ARCHITECTURE_FIELDS if _effective(a, name) != _effective(b, name)]


def unboxed_shapes(boxed: Any) -> Any:
    """The shapes of boxed parameters (jax.eval_shape of init_params) without their logical
    metadata; nn.unbox would add a sharding constraint, which fails on shapes under a mesh."""
    import flax.linen as nn  # noqa: PLC0415
    import jax  # noqa: PLC0415

    return jax.tree.map(
        lambda x: x.value if isinstance(x, nn.LogicallyPartitioned) else x,
        boxed,
        is_leaf=lambda x: isinstance(x, nn.LogicallyPartitioned),
    )


# -- tensor names -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TensorMap:
    """One Hugging Face tensor and the flame-jax parameter it is.

    flame = hf.reshape(hf_view).transpose(perm); path is in the per-layer tree (layers_{i}).
    """

    hf_name: str
    hf_shape: tuple[int, ...]
    path: tuple[str, ...]
    hf_view: tuple[int, ...]
    perm: tuple[int, ...]

    @property
    def flame_shape(self) -> tuple[int, ...]:
        return tuple(self.hf_view[p] for p in self.perm)

    def to_flame_index(self, index: tuple[slice, ...]) -> tuple[slice, ...]:
        """The hf_view index that holds the flame-jax block `index`."""
        out = [slice(None)] * len(self.perm)
        for axis, p in enumerate(self.perm):
            out[p] = index[axis]
        return tuple(out)

    def to_hf(self, flame: Any) -> Any:
        """The Hugging Face tensor of a flame-jax parameter value (numpy)."""
        inverse = [self.perm.index(i) for i in range(len(self.perm))]
        return flame.transpose(inverse).reshape(self.hf_shape)


def _linear(name: str, path: tuple[str, ...], out_dims: tuple[int, ...], in_dim: int):
    """nn.Linear weight [prod(out), in] -> flame [in, *out]."""
    n = len(out_dims)
    return TensorMap(name, (math.prod(out_dims), in_dim), path, (*out_dims, in_dim), (n, *range(n)))


def tensor_maps(config: TransformerConfig, family: str) -> list[TensorMap]:
    """Every tensor of a Hugging Face checkpoint of `family` with this config, in order."""
    d, h, k, dh, f = (
        config.embed_dim,
        config.num_heads,
        config.num_kv_heads,
        config.head_dim,
        config.mlp_dim,
    )
    gemma_norms = family in ("gemma2", "gemma3_text")  # post_attention_layernorm is a post-norm
    maps = [
        TensorMap(
            "model.embed_tokens.weight",
            (config.vocab_size, d),
            ("embedding",),
            (config.vocab_size, d),
            (0, 1),
        )
    ]
    for i in range(config.num_layers):
        hf, fl = f"model.layers.{i}.", f"layers_{i}"

        def vec(name: str, path: tuple[str, ...], size: int, hf=hf, fl=fl) -> TensorMap:
            return TensorMap(hf + name, (size,), (fl, *path), (size,), (0,))

        maps += [
            _linear(hf + "self_attn.q_proj.weight", (fl, "attn", "q"), (h, dh), d),
            _linear(hf + "self_attn.k_proj.weight", (fl, "attn", "k"), (k, dh), d),
            _linear(hf + "self_attn.v_proj.weight", (fl, "attn", "v"), (k, dh), d),
            # o_proj [D, H*Dh] viewed [D, H, Dh] -> out [H, Dh, D]
            TensorMap(
                hf + "self_attn.o_proj.weight",
                (d, h * dh),
                (fl, "attn", "out"),
                (d, h, dh),
                (1, 2, 0),
            ),
            _linear(hf + "mlp.gate_proj.weight", (fl, "mlp", "gate"), (f,), d),
            _linear(hf + "mlp.up_proj.weight", (fl, "mlp", "up"), (f,), d),
            _linear(hf + "mlp.down_proj.weight", (fl, "mlp", "down"), (d,), f),
            vec("input_layernorm.weight", ("pre_attn_norm", "scale"), d),
        ]
        if config.attention_bias:
            maps += [
                TensorMap(
                    hf + f"self_attn.{p}_proj.bias",
                    (n * dh,),
                    (fl, "attn", f"{p}_bias"),
                    (n, dh),
                    (0, 1),
                )
                for p, n in (("q", h), ("k", k), ("v", k))
            ]
        if config.qk_norm:
            maps += [
                vec("self_attn.q_norm.weight", ("attn", "query_norm", "scale"), dh),
                vec("self_attn.k_norm.weight", ("attn", "key_norm", "scale"), dh),
            ]
        if gemma_norms:
            maps += [
                vec("post_attention_layernorm.weight", ("post_attn_norm", "scale"), d),
                vec("pre_feedforward_layernorm.weight", ("pre_mlp_norm", "scale"), d),
                vec("post_feedforward_layernorm.weight", ("post_mlp_norm", "scale"), d),
            ]
        else:
            maps.append(vec("post_attention_layernorm.weight", ("pre_mlp_norm", "scale"), d))
    maps.append(TensorMap("model.norm.weight", (d,), ("final_norm", "scale"), (d,), (0,)))
    if not config.tie_embeddings:
        maps.append(_linear("lm_head.weight", ("unembed",), (config.vocab_size,), d))
    return maps
