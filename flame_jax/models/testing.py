"""Test helpers of the model layer (part of the API, like flame_jax.data.testing)."""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from flame_jax.models.config import TransformerConfig
from flame_jax.models.transformer import Transformer, init_params


def abstract_params(config: TransformerConfig) -> Any:
    """Unboxed parameter shapes, without running (or compiling) the initialisers."""
    return jax.eval_shape(lambda: nn.unbox(init_params(Transformer(config), jax.random.key(0))))


def random_params(config: TransformerConfig, seed: int = 0) -> Any:
    """Random parameters filled with numpy (N(0, 0.2) matrices, N(0, 0.1) vectors): compiling
    the real initialisers takes seconds on a CPU, and tests need many models."""
    rng = np.random.default_rng(seed)
    return jax.tree_util.tree_map(
        lambda x: jnp.asarray(rng.normal(0.0, 0.2 if x.ndim > 1 else 0.1, x.shape), x.dtype),
        abstract_params(config),
    )
