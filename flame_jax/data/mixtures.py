"""FLAMe mixtures: example-proportional rates with a cap, fixed rates, mixtures of mixtures.

- `example_proportional(maximum)`: a task's rate is its number of training examples, capped
  at `maximum` (FLAMe: 2**16), so small tasks are not drowned and large ones are capped.
  Counts are read once per data directory and cached (registry.count), not at registration.
- A mixture never takes an evaluation-only task: `register_mixture` refuses it.
- Tasks whose data is missing from the data directory are left out of the dataset with a
  warning that names them and the share they would have had (never a silent change).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

import seqio

from flame_jax.data import registry

FLAME_CAP = 2**16
Rate = float | Callable[[seqio.Task], float]


def example_proportional(
    maximum: int = FLAME_CAP, split: str = "train"
) -> Callable[[seqio.Task], float]:
    """Rate = min(number of examples in `split`, maximum); 0 when the data is missing."""

    def rate(task: seqio.Task) -> float:
        return float(min(registry.count(registry.get_task(task.name), split).num_examples, maximum))

    rate.__name__ = f"example_proportional_{maximum}"
    return rate


class FlameMixture(seqio.Mixture):
    """A seqio Mixture that leaves out (with a warning) the tasks whose data is missing."""

    def get_dataset(self, sequence_length=None, split: str = "train", **kwargs):
        present, missing = [], []
        for task in self.tasks:
            if split not in task.splits:
                continue
            counts = registry.count(registry.get_task(task.name), split)
            (missing if counts.missing else present).append(task)
        if missing:
            logging.warning(
                "mixture %s, split %s: leaving out %d task(s) whose data is missing: %s",
                self.name,
                split,
                len(missing),
                ", ".join(self.describe_missing(missing)),
            )
        rated = [(task, self.get_rate(task)) for task in present]
        rated = [(task, rate) for task, rate in rated if rate > 0]
        if not rated:
            raise ValueError(
                f"mixture {self.name}: no task has data in split {split!r} "
                "(check --data_dir / FLAME_DATA_DIR, or run `flame-jax data check`)"
            )
        present_only = seqio.Mixture(f"{self.name}_present", rated)
        return present_only.get_dataset(sequence_length=sequence_length, split=split, **kwargs)

    def describe_missing(self, tasks: Sequence[seqio.Task]) -> list[str]:
        """Each missing task with the share a fixed rate gives it; a rate computed from example
        counts has no size for a task without data, and says so."""
        total = self.total_rate or 1.0
        out = []
        for task in tasks:
            rate = self.rate_per_task_name.get(task.name)
            if callable(rate):
                out.append(f"{task.name} (size unknown: no data)")
            else:
                out.append(f"{task.name} (share {self.get_rate(task) / total:.1%})")
        return out


@dataclasses.dataclass(frozen=True)
class MixtureInfo:
    name: str
    description: str


_MIXTURES: dict[str, MixtureInfo] = {}


def register_mixture(
    name: str,
    tasks: Sequence[tuple[str, Rate]],
    *,
    description: str,
) -> seqio.Mixture:
    """Registers a training mixture of tasks or mixtures (name, rate); evaluation tasks refused.

    A sub-mixture's rate must be a number (seqio): its tasks share it by their own rates.
    """
    for sub, _ in tasks:
        if sub in seqio.MixtureRegistry.names():
            continue
        task = registry.get_task(sub)
        if task.evaluation_only:
            raise ValueError(f"mixture {name}: {sub} is an evaluation task and cannot be mixed in")
    mixture = FlameMixture(name, list(tasks))
    seqio.MixtureRegistry.add_provider(name, mixture)
    _MIXTURES[name] = MixtureInfo(name, description)
    return mixture


def mixtures() -> list[MixtureInfo]:
    return [_MIXTURES[name] for name in sorted(_MIXTURES)]


def get(name: str) -> seqio.Mixture | seqio.Task:
    """A registered mixture or task; unknown names get suggestions."""
    if name in seqio.MixtureRegistry.names():
        return seqio.get_mixture_or_task(name)
    if name in seqio.TaskRegistry.names():
        return seqio.get_mixture_or_task(name)
    raise KeyError(
        registry.unknown_name(
            "mixture or task",
            name,
            list(seqio.MixtureRegistry.names()) + list(seqio.TaskRegistry.names()),
        )
    )
