"""Gin wiring: the one place that makes library objects configurable.

Core code takes plain typed arguments and never imports gin; importing this module registers
the configurables that gin files name:

    TransformerConfig.num_layers = 2            (flame_jax.models.TransformerConfig)
    train.model_config = @TransformerConfig()   (flame_jax.training.train)
    train.optimizer = @make_optimizer()         (flame_jax.training.make_optimizer)
    make_optimizer.learning_rate = 1e-4
"""

import gin

from flame_jax.models.config import TransformerConfig
from flame_jax.training import optimizers
from flame_jax.training import train as train_lib

model_config_from_gin = gin.external_configurable(TransformerConfig, module="flame_jax.models")
gin.external_configurable(optimizers.make_optimizer, module="flame_jax.training")
train_from_gin = gin.external_configurable(
    train_lib.train, name="train", module="flame_jax.training"
)
