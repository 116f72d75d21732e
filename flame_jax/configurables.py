"""Gin wiring: the one place that makes library objects configurable.

Core code takes plain typed arguments and never imports gin; importing this module registers
the configurables (gin files name them under their module, e.g.
`TransformerConfig.num_layers = 2` or `@flame_jax.models.TransformerConfig()`).
"""

import gin

from flame_jax.models.config import TransformerConfig

gin.external_configurable(TransformerConfig, module="flame_jax.models")
