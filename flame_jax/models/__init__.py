"""The model layer: the Flax Transformer, its config, the training loss, score and generation."""

from flame_jax.models.config import TransformerConfig
from flame_jax.models.decoding import Generation, Scores, generate, init_cache, score
from flame_jax.models.loss import (
    LossOutput,
    chunked_cross_entropy,
    compute_loss,
    cross_entropy_loss,
)
from flame_jax.models.transformer import (
    Transformer,
    batch_to_inputs,
    init_params,
    logits_at,
    output_weights,
    unembed,
)

__all__ = [
    "Generation",
    "LossOutput",
    "Scores",
    "Transformer",
    "TransformerConfig",
    "batch_to_inputs",
    "chunked_cross_entropy",
    "compute_loss",
    "cross_entropy_loss",
    "generate",
    "init_cache",
    "init_params",
    "logits_at",
    "output_weights",
    "score",
    "unembed",
]
