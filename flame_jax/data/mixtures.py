"""FLAMe mixtures: example-proportional rates with a cap, fixed rates, mixtures of mixtures.

- `example_proportional(maximum)`: a task's rate is its number of training examples, capped
  at `maximum` (FLAMe: 2**16), so small tasks are not drowned and large ones are capped.
  Counts are read once per data directory (the one bound while the dataset is built,
  flame_jax.data.binding) and cached (registry.count), not at registration.
- A mixture never takes an evaluation-only task: `register_mixture` refuses it.
- Tasks whose data is missing from the data directory are left out of the dataset with a
  warning that names them and the share they would have had (never a silent change).
- Read from the offline cache (`use_cached=True`, t5x's USE_CACHED_TASKS; see data/cache.py),
  a mixture takes its tasks and their example counts from the cache alone, so hosts need no
  data directory; a task missing from the cache is left out with a warning in the same way.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

import seqio

from flame_jax.data import binding, cache, registry, vocabularies

FLAME_CAP = 2**16
Rate = float | Callable[[seqio.Task], float]


class ExampleProportional:
    """Rate = min(number of examples in `split`, maximum); 0 when the data is missing."""

    def __init__(self, maximum: int = FLAME_CAP, split: str = "train"):
        self.maximum, self.split = maximum, split
        self.__name__ = f"example_proportional_{maximum}"

    def __call__(self, task: seqio.Task) -> float:
        """The rate in the data directory bound while the dataset is built, or from the
        cache's statistics when the tasks are read from the offline cache (the data directory
        may be absent there)."""
        bound = binding.current()
        if bound.use_cached:
            examples = cache.num_cached_examples(task.name, self.split)
        else:
            examples = registry.count(registry.get_task(task.name), self.split, bound.data_dir)
            examples = examples.num_examples
        return float(min(examples, self.maximum))


def example_proportional(maximum: int = FLAME_CAP, split: str = "train") -> ExampleProportional:
    """Rate = min(number of examples in `split`, maximum); 0 when the data is missing."""
    return ExampleProportional(maximum, split)


class FlameMixture(seqio.Mixture):
    """A seqio Mixture that leaves out (with a warning) the tasks whose data is missing."""

    def get_dataset(
        self, sequence_length=None, split: str = "train", use_cached: bool = False, **kwargs
    ):
        tasks = [task for task in self.tasks if split in task.splits]
        root = binding.current().data_dir
        if use_cached:  # a clear error when nothing is cached, or with another vocabulary
            bound = binding.current().vocabulary
            cached = set(
                cache.check_cached(
                    self.name,
                    split,
                    tasks=[t.name for t in tasks],
                    vocabulary_path=vocabularies.path_of(bound) if bound is not None else None,
                )
            )
        present, missing = [], []
        for task in tasks:
            if use_cached:
                has_data = task.name in cached
            else:
                has_data = registry.count(registry.get_task(task.name), split, root).present
            (present if has_data else missing).append(task)
        where = (
            f"cache is missing (cache dirs: {', '.join(seqio.get_global_cache_dirs()) or 'none'})"
            if use_cached
            else "data is missing"
        )
        with binding.bound(use_cached=use_cached):  # rates and shares from the cache's stats
            rated = [(task, self.get_rate(task)) for task in present]
            if missing:
                sources = sorted({registry.get_task(t.name).source.name for t in missing})
                logging.warning(
                    "mixture %s, split %s: leaving out %d task(s) of %d source(s) whose %s: %s",
                    self.name,
                    split,
                    len(missing),
                    len(sources),
                    where,
                    "; ".join(self.describe_missing(missing, sum(r for _, r in rated))),
                )
        rated = [(task, rate) for task, rate in rated if rate > 0]
        if not rated:
            hint = (
                "build the cache with `flame-jax data cache` and pass its directory, or set "
                "USE_CACHED_TASKS=False"
                if use_cached
                else "check --data_dir / FLAME_DATA_DIR, or run `flame-jax data check`"
            )
            raise ValueError(f"mixture {self.name}: no task has data in split {split!r} ({hint})")
        present_only = seqio.Mixture(f"{self.name}_present", rated)
        return present_only.get_dataset(
            sequence_length=sequence_length, split=split, use_cached=use_cached, **kwargs
        )

    def largest_share(self, task: seqio.Task, present_rate: float) -> float | None:
        """The share a task without data would have next to the tasks present (`present_rate`,
        their summed rates): exact for a fixed rate; for an example-proportional rate (no data,
        so no size) the most it could be, at its cap; None when nothing bounds it."""
        rate = self.rate_per_task_name.get(task.name)
        if callable(rate):
            rate = getattr(rate, "maximum", None)
            if rate is None:
                return None
        else:
            rate = self.get_rate(task)
        return rate / (present_rate + rate) if present_rate + rate > 0 else None

    def describe_missing(self, tasks: Sequence[seqio.Task], present_rate: float) -> list[str]:
        """Per source, its missing tasks with the share they would have had (largest_share)."""
        by_source: dict[str, list[str]] = {}
        for task in tasks:
            rate = self.rate_per_task_name.get(task.name)
            bound = self.largest_share(task, present_rate)
            if bound is None:
                share = "size unknown: no data"
            elif callable(rate):
                share = f"share up to {bound:.1%} at its cap of {rate.maximum:,} examples"  # type: ignore[attr-defined]
            else:
                share = f"share {bound:.1%}"
            source = registry.get_task(task.name).source.name
            by_source.setdefault(source, []).append(f"{task.name} ({share})")
        return [f"source {name}: {', '.join(items)}" for name, items in sorted(by_source.items())]


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
