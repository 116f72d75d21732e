"""TransformerConfig: every hyperparameter of the decoder-only family FLAMe starts from.

One frozen dataclass covers Gemma 1/2/3 and Llama 2/3 style models; the gin files in
gin/models/ bind its fields for each size. Defaults are a small Gemma-2-like model.
`num_params()` counts parameters exactly (the parity numbers of the public checkpoints are
in tests/models/test_transformer.py); `flops_per_token()` is the model-FLOPs count used for MFU.
"""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp

from flame_jax.models.attention import config_refusals

_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16}
_ACTIVATIONS = ("gelu", "silu")
_ATTENTION_KINDS = ("global", "local")
_REMAT_POLICIES = ("none", "full", "minimal")

# A window wider than any sequence: "global" layers use it so that local and global layers
# share one masking code path (and one scanned layer body).
GLOBAL_WINDOW = 2**30


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """Hyperparameters of a decoder-only Transformer (Gemma / Llama family).

    Attributes:
      vocab_size: Rows of the embedding table (pad id 0, eos id 1 in the FLAMe vocabularies).
      embed_dim: Width of the residual stream.
      num_layers: Number of Transformer blocks.
      num_heads: Query heads.
      num_kv_heads: Key/value heads (grouped-query attention); must divide num_heads.
        num_kv_heads == num_heads is multi-head attention, 1 is multi-query attention.
      head_dim: Width of one attention head (not necessarily embed_dim / num_heads: Gemma).
      mlp_dim: Hidden width of the gated MLP.
      mlp_activation: "gelu" (tanh approximation; GeGLU as in Gemma) or "silu" (SwiGLU, Llama).
      norm_eps: RMSNorm epsilon (Gemma 1e-6, Llama 3 1e-5).
      norm_scale_plus_one: Gemma's RMSNorm multiplies by (1 + scale) with scale initialised at
        0; False is the plain Llama RMSNorm (scale initialised at 1).
      rope_base: Rotary-embedding base frequency (Gemma 10_000, Llama 3 500_000).
      local_rope_base: Base frequency of the local (sliding-window) layers; None = rope_base
        (Gemma 3 uses 10_000 locally and 1_000_000 globally).
      rope_scale_factor: Linear rotary scaling of the global layers: their positions are
        divided by this factor (Hugging Face's rope_type "linear"; Gemma 3 4B-27B use 8 on
        their global layers). Local layers are never scaled.
      tie_embeddings: Use the input embedding table as the output projection (Gemma).
      scale_embeddings: Multiply input embeddings by sqrt(embed_dim) (Gemma).
      final_logit_softcap: If set, logits = cap * tanh(logits / cap) (Gemma 2: 30).
      attn_logit_softcap: If set, the same soft cap on attention logits (Gemma 2: 50).
      sliding_window: Width of local attention (tokens attended, the query included).
      attention_pattern: Attention kind per layer, repeated cyclically over the layers:
        ("global",) everywhere; ("local", "global") for Gemma 2; 5 x "local" + "global" for
        Gemma 3. "local" needs sliding_window.
      post_attn_norm: RMSNorm on the attention output before the residual add (Gemma 2/3).
      post_mlp_norm: RMSNorm on the MLP output before the residual add (Gemma 2/3).
      qk_norm: RMSNorm on queries and keys per head (Gemma 3).
      attention_bias: Learned biases on the query, key and value projections (Qwen2); the
        output projection has none.
      query_pre_attn_scalar: Queries are multiplied by query_pre_attn_scalar ** -0.5;
        None = head_dim (the usual 1/sqrt(d)); Gemma 2 27B uses embed_dim / num_heads.
      dropout_rate: Dropout on the embeddings and on the attention and MLP outputs (the
        FLAMe paper fine-tunes with 0.05).
      bidirectional_prefix: Prefix-LM attention: positions flagged by decoder_causal_attention
        (the inputs plus one) attend to each other bidirectionally, as t5x's make_decoder_mask.
        False (default) is plain causal attention, as the open base models were trained.
      remat_policy: Rematerialisation of each block in the backward pass: "none", "full"
        (recompute everything) or "minimal" (keep the matmul outputs, recompute the rest).
      scan_layers: Run the blocks with nn.scan (one compiled body, parameters stacked along a
        leading "layers" axis): faster compilation for deep models.
      param_dtype: Storage dtype of the parameters ("float32" or "bfloat16").
      dtype: Compute dtype of the matmuls ("float32" or "bfloat16"); norms, softmax and the
        logits are always computed in float32.
      attention_impl: How attention is computed (flame_jax.models.attention): "auto" (the
        fused kernel of the backend where it supports the layer's case, else "blockwise"),
        "reference" (materialised [L, S] scores, quadratic memory), "blockwise" (pure JAX,
        memory linear in the length, every backend), "cudnn" (GPU) or "splash" (TPU).
        Numerics only; parameters and checkpoints do not depend on it.
      loss_chunk_length: Sequence positions per chunk of the training loss and of score:
        float32 logits exist for [B, loss_chunk_length, V] at a time, never [B, L, V].
    """

    vocab_size: int = 32_128
    embed_dim: int = 512
    num_layers: int = 8
    num_heads: int = 8
    num_kv_heads: int = 4
    head_dim: int = 64
    mlp_dim: int = 2048
    mlp_activation: str = "gelu"
    norm_eps: float = 1e-6
    norm_scale_plus_one: bool = True
    rope_base: float = 10_000.0
    local_rope_base: float | None = None
    rope_scale_factor: float = 1.0
    tie_embeddings: bool = True
    scale_embeddings: bool = True
    final_logit_softcap: float | None = None
    attn_logit_softcap: float | None = None
    sliding_window: int | None = None
    attention_pattern: tuple[str, ...] = ("global",)
    post_attn_norm: bool = False
    post_mlp_norm: bool = False
    qk_norm: bool = False
    attention_bias: bool = False
    query_pre_attn_scalar: float | None = None
    dropout_rate: float = 0.0
    bidirectional_prefix: bool = False
    remat_policy: str = "none"
    scan_layers: bool = False
    param_dtype: str = "float32"
    dtype: str = "float32"
    attention_impl: str = "auto"
    loss_chunk_length: int = 256

    def __post_init__(self) -> None:
        # gin binds lists; a frozen, hashable config needs tuples.
        object.__setattr__(self, "attention_pattern", tuple(self.attention_pattern))
        errors = []
        if self.num_heads % self.num_kv_heads:
            errors.append(f"num_kv_heads {self.num_kv_heads} must divide num_heads")
        if self.head_dim % 2:
            errors.append(f"head_dim {self.head_dim} must be even (rotary embeddings)")
        if self.mlp_activation not in _ACTIVATIONS:
            errors.append(f"mlp_activation {self.mlp_activation!r} not in {_ACTIVATIONS}")
        if not self.attention_pattern or any(
            kind not in _ATTENTION_KINDS for kind in self.attention_pattern
        ):
            errors.append(f"attention_pattern {self.attention_pattern} must use {_ATTENTION_KINDS}")
        if "local" in self.attention_pattern and not self.sliding_window:
            errors.append("attention_pattern has local layers but sliding_window is not set")
        if self.rope_scale_factor <= 0:
            errors.append(f"rope_scale_factor {self.rope_scale_factor} must be positive")
        if self.remat_policy not in _REMAT_POLICIES:
            errors.append(f"remat_policy {self.remat_policy!r} not in {_REMAT_POLICIES}")
        for name in ("param_dtype", "dtype"):
            if getattr(self, name) not in _DTYPES:
                errors.append(f"{name} {getattr(self, name)!r} not in {tuple(_DTYPES)}")
        errors += config_refusals(
            self.attention_impl,
            logit_softcap=self.attn_logit_softcap,
            bidirectional_prefix=self.bidirectional_prefix,
        )
        if self.loss_chunk_length < 1:
            errors.append(f"loss_chunk_length {self.loss_chunk_length} must be positive")
        if errors:
            raise ValueError("invalid TransformerConfig: " + "; ".join(errors))

    # -- derived values ---------------------------------------------------------------------

    @property
    def compute_dtype(self) -> jnp.dtype:
        """The jnp dtype of the matmuls."""
        return _DTYPES[self.dtype]

    @property
    def weight_dtype(self) -> jnp.dtype:
        """The jnp dtype the parameters are stored in."""
        return _DTYPES[self.param_dtype]

    def layer_kinds(self) -> tuple[str, ...]:
        """ "local" or "global" for each layer, the pattern repeated cyclically."""
        pattern = self.attention_pattern
        return tuple(pattern[i % len(pattern)] for i in range(self.num_layers))

    def layer_windows(self) -> tuple[int, ...]:
        """The attention window of each layer (GLOBAL_WINDOW for global layers)."""
        return tuple(
            self.sliding_window if kind == "local" else GLOBAL_WINDOW for kind in self.layer_kinds()
        )

    def layer_rope_bases(self) -> tuple[float, ...]:
        """The rotary base frequency of each layer."""
        local = self.rope_base if self.local_rope_base is None else self.local_rope_base
        return tuple(local if kind == "local" else self.rope_base for kind in self.layer_kinds())

    def layer_rope_scales(self) -> tuple[float, ...]:
        """The linear rotary scaling factor of each layer (1.0 for local layers)."""
        return tuple(
            1.0 if kind == "local" else self.rope_scale_factor for kind in self.layer_kinds()
        )

    # -- size and cost ----------------------------------------------------------------------

    def num_embedding_params(self) -> int:
        """Parameters of the embedding table(s): one table if tied, two if not."""
        return self.vocab_size * self.embed_dim * (1 if self.tie_embeddings else 2)

    def num_layer_params(self) -> int:
        """Parameters of one Transformer block."""
        d, h, k, hd = self.embed_dim, self.num_heads, self.num_kv_heads, self.head_dim
        attention = d * h * hd * 2 + d * k * hd * 2  # q, out; k, v
        mlp = 3 * d * self.mlp_dim  # gate, up, down
        norms = d * (2 + int(self.post_attn_norm) + int(self.post_mlp_norm))
        norms += 2 * hd * int(self.qk_norm)
        biases = (h + 2 * k) * hd * int(self.attention_bias)
        return attention + mlp + norms + biases

    def num_params(self) -> int:
        """Total parameter count (embeddings, blocks, final norm)."""
        return (
            self.num_embedding_params() + self.num_layers * self.num_layer_params() + self.embed_dim
        )

    def flops_per_token(self, seq_len: int) -> float:
        """Training FLOPs per token (forward + backward) for sequences of `seq_len` tokens.

        PaLM's model-FLOPs formula (Chowdhery et al. 2022, appendix B): 6N + 12 L H Q T, where N
        counts the parameters used in matmuls (the blocks and the output projection; the input
        embedding lookup costs no matmul) and the attention term uses T = min(seq_len, window)
        per layer, so local layers cost less. Rematerialisation is not counted (model FLOPs,
        not hardware FLOPs), as MFU requires.
        """
        matmul_params = self.num_layers * self.num_layer_params() + self.vocab_size * self.embed_dim
        attention = sum(
            12 * self.num_heads * self.head_dim * min(seq_len, window)
            for window in self.layer_windows()
        )
        return 6.0 * matmul_params + float(attention)

    @property
    def query_scale(self) -> float:
        """The factor queries are multiplied by before the dot product."""
        scalar = self.head_dim if self.query_pre_attn_scalar is None else self.query_pre_attn_scalar
        return 1.0 / math.sqrt(scalar)
