"""The train state: what a checkpoint holds besides the data position."""

from __future__ import annotations

from typing import Any

import flax.struct
import jax


@flax.struct.dataclass
class TrainState:
    """step (int32 scalar), params (the model's parameter tree), opt_state (optax state)."""

    step: jax.Array
    params: Any
    opt_state: Any
