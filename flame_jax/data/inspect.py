"""Inspecting tasks and mixtures from a notebook or the shell (pandas DataFrames).

    from flame_jax.data import inspect
    inspect.describe("flame", steps=30_000, batch_size=32)   # one row per task
    inspect.show("flame", n=3)                                # rendered examples

`share` is the task's share of the stream `get_dataset` produces for the split: a task without
data there (no such split, or its files missing) is left out of that stream (share 0), and the
others share its weight. `epochs` is how many times a run of `steps` x `batch_size` examples
goes through each task at its share (examples, before packing: packing puts several examples
in one sequence, so a packed run sees at least this many). `skipped` and `bad` count the rows
left out of each split: documented skips, and rows its converter could not read (within the
error budget, registry.Budget; past it, or for a file of the wrong schema, DataError).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import seqio

from flame_jax.data import binding, mixtures, registry

COLUMNS = (
    "task",
    "source",
    "task_type",
    "capability",
    "split",
    "num_examples",
    "skipped",
    "bad",
    "missing",
    "rate",
    "share",
    "epochs",
)


def _members(name: str) -> tuple[list[seqio.Task], seqio.Mixture | None]:
    provider = mixtures.get(name)
    if isinstance(provider, seqio.Mixture):
        return list(provider.tasks), provider
    return [provider], None


def describe(
    name: str,
    *,
    split: str = "train",
    steps: int | None = None,
    batch_size: int | None = None,
    data_dir: str | None = None,
) -> pd.DataFrame:
    """One row per task of a mixture (or one row for a task): counts, rate, share, epochs."""
    with binding.bound(data_dir=data_dir):  # the mixture's rates count this data dir
        frame = _describe(name, split, data_dir)
    if steps is not None and batch_size is not None:
        seen = frame["share"] * steps * batch_size
        frame["epochs"] = np.where(
            frame["num_examples"] > 0, seen / frame["num_examples"].clip(lower=1), 0.0
        )
    else:
        frame["epochs"] = np.nan
    return frame.sort_values(["share", "task"], ascending=[False, True]).reset_index(drop=True)


def _describe(name: str, split: str, data_dir: str | None) -> pd.DataFrame:
    tasks, mixture = _members(name)
    rows = []
    for task in tasks:
        flame = registry.get_task(task.name)
        has_split = split in flame.splits
        counts = registry.count(flame, split, data_dir) if has_split else None
        rate = mixture.get_rate(task) if mixture is not None else 1.0
        rows.append(
            {
                "task": flame.name,
                "source": flame.source.name,
                "task_type": flame.task_type.value,
                "capability": flame.capability.value,
                "split": split if has_split else None,
                "num_examples": counts.num_examples if counts else 0,
                "skipped": sum(counts.skipped.values()) if counts else 0,
                "bad": counts.bad if counts else 0,
                "missing": bool(counts.missing) if counts else True,
                "rate": float(rate),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS[:-2])
    streamed = ~frame["missing"] & (frame["rate"] > 0)  # as FlameMixture.get_dataset leaves out
    total = frame.loc[streamed, "rate"].sum()
    frame["share"] = np.where(streamed, frame["rate"] / total, 0.0) if total > 0 else 0.0
    return frame


def show(
    name: str, *, n: int = 3, split: str = "train", seed: int = 0, data_dir: str | None = None
) -> pd.DataFrame:
    """`n` rendered examples, tasks drawn by their mixture shares with a seeded generator."""
    frame = describe(name, split=split, data_dir=data_dir)
    frame = frame[frame["share"] > 0]
    if frame.empty:
        raise ValueError(f"{name}: no task has data in split {split!r}")
    rng = np.random.default_rng(seed)
    streams: dict[str, Iterator] = {}
    rows = []
    for task in rng.choice(frame["task"].to_numpy(), size=n, p=frame["share"].to_numpy()):
        if task not in streams:
            streams[task] = registry.get_task(task).records(split, data_dir)
        record = next(streams[task], None)
        if record is None:  # a task with fewer examples than draws starts over
            streams[task] = registry.get_task(task).records(split, data_dir)
            record = next(streams[task])
        rows.append({"task": task, "inputs": record.inputs, "targets": record.targets})
    return pd.DataFrame(rows, columns=["task", "inputs", "targets"])


def list_mixtures() -> pd.DataFrame:
    """The registered FLAMe mixtures with their number of tasks."""
    rows = [
        {
            "mixture": info.name,
            "num_tasks": len(mixtures.get(info.name).tasks),
            "description": info.description,
        }
        for info in mixtures.mixtures()
    ]
    return pd.DataFrame(rows, columns=["mixture", "num_tasks", "description"])


def list_tasks() -> pd.DataFrame:
    """Every registered FLAMe task with its source, type, capability, splits and role."""
    rows = [
        {
            "task": t.name,
            "source": t.source.name,
            "task_type": t.task_type.value,
            "capability": t.capability.value,
            "splits": ",".join(t.splits),
            "evaluation_only": t.evaluation_only,
        }
        for t in registry.tasks()
    ]
    return pd.DataFrame(rows)
