"""The FLAMe mixtures (paper §3).

- flame: every training task of the collection, example-proportional, each task capped at
  2**16 examples.
- flame_rm: an equal mix of the pairwise tasks of the four FLAMe-RM sources: HelpSteer (v1),
  PRM800K, CommitPack and HH-RLHF harmlessness.
- flame_<capability>: the capability's training tasks, with the flame rates.
- demo: the synthetic demo collection (the main job's embedded default), example-proportional.
"""

from __future__ import annotations

from flame_jax.data import registry
from flame_jax.data.mixtures import FLAME_CAP, example_proportional, register_mixture
from flame_jax.data.sources import Generated
from flame_jax.format import Capability

RM_TASKS = (
    "helpsteer_pairwise",
    "prm800k_pairwise",
    "commitpack_pairwise",
    "hh_rlhf_harmlessness",
)


def _collection() -> list[registry.FlameTask]:
    """The training tasks of the FLAMe collection (generated demo tasks are not part of it)."""
    return [
        t for t in registry.tasks() if t.is_training and not isinstance(t.source.host, Generated)
    ]


_flame_rate = example_proportional(FLAME_CAP)

register_mixture(
    "flame",
    [(t.name, _flame_rate) for t in _collection()],
    description="All FLAMe training tasks, example-proportional, each capped at 2**16 examples.",
)

for _capability in Capability:
    _tasks = [t.name for t in _collection() if t.capability == _capability]
    if _tasks:
        register_mixture(
            f"flame_{_capability.value}",
            [(name, _flame_rate) for name in _tasks],
            description=f"The {_capability.value} training tasks with the flame rates.",
        )

register_mixture(
    "flame_rm",
    [(name, 1.0) for name in RM_TASKS],
    description="FLAMe-RM: equal mix of HelpSteer, PRM800K, CommitPack, HH-RLHF harmlessness.",
)

register_mixture(
    "demo",
    [
        (t.name, example_proportional())
        for t in registry.tasks()
        if isinstance(t.source.host, Generated) and t.is_training
    ],
    description="The synthetic demo collection (no data download): one task per task type.",
)
