"""The model layer: the Flax Transformer, its config, the training loss, score and generation."""

from flame_jax.models.config import TransformerConfig
from flame_jax.models.decoding import Generation, Scores, generate, init_cache, score
from flame_jax.models.loss import LossOutput, compute_loss, cross_entropy_loss
from flame_jax.models.transformer import Transformer, batch_to_inputs, init_params

__all__ = [
    "Generation",
    "LossOutput",
    "Scores",
    "Transformer",
    "TransformerConfig",
    "batch_to_inputs",
    "compute_loss",
    "cross_entropy_loss",
    "generate",
    "init_cache",
    "init_params",
    "score",
]
