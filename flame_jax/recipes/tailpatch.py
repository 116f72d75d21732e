"""The tail-patch runs of the Opt-RM search (FLAME.md §3, steps 1-2).

From a partially trained checkpoint (the "base"), each training task alone is fine-tuned for a
short budget (paper: at most 3,000 steps) with gin/runs/tailpatch.gin, and the target
benchmark's categories are evaluated every `eval_every` steps. Everything lives in the search's
workdir W, so an interrupted search resumes where it stopped:

    W/tailpatch/base_scores.json      the base checkpoint's category scores (computed once)
    W/tailpatch/<task>/model/         the task's run (MODEL_DIR; its newest checkpoint only)
    W/tailpatch/<task>/curve.json     base + evaluations so far (flame_jax.recipes.opt_rm)

A task runs in chunks: train to the next evaluation step (TRAIN_STEPS is absolute: the base's
step + the steps so far; the trainer resumes its own MODEL_DIR), evaluate the newest checkpoint,
rewrite curve.json atomically. An evaluation already in the curve is never redone; a complete
curve is skipped. The model and the codec are the base run's own, read from its manifest
(MODEL_DIR/run.json: plain JSON, never a gin file of the base, which is data, not code); the
rest of each run (batch size, optimizer, steps) is what the caller's `train_arguments` gives,
which the command line takes from gin/runs/tailpatch.gin and the user's gin files.

Targets (the categories whose curves the search rates):
- rewardbench: Chat, Chat Hard, Safety (section scores), Math (math-prm) and Coding (the hep-*
  subsets), the paper's five categories;
- demo: the demo collection's judged task types on its validation split (Pairwise =
  demo_sorting, Classification = demo_support, Pointwise = demo_sortedness), for scaled-down
  runs on one machine.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shlex
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flame_jax import files
from flame_jax.data.codec import Codec
from flame_jax.evaluation import report, rewardbench, suite
from flame_jax.judge import Autorater, load_autorater
from flame_jax.recipes import opt_rm
from flame_jax.training import checkpoints, manifest
from flame_jax.training import train as train_lib

TAILPATCH_GIN = "gin/runs/tailpatch.gin"
# (task=, model_dir=, train_steps=, vocabulary=, initial_checkpoint_path=)
#   -> (train()'s keyword arguments, the operative config text)
TrainArguments = Callable[..., tuple[dict[str, Any], str]]


@dataclasses.dataclass(frozen=True)
class Target:
    """A target benchmark: its categories, how to score a judge on them, and the search's
    per-category bundle thresholds and fixed-weight ("weakest") categories."""

    categories: tuple[str, ...]
    evaluate: Callable[..., dict[str, float]]  # (judge, *, data_dir, max_per_task, seed)
    thresholds: Mapping[str, float]
    fixed_categories: tuple[str, ...]


def _rewardbench_categories(judge: Autorater, *, data_dir, max_per_task, seed) -> dict:
    result = rewardbench.evaluate(judge, data_dir=data_dir, max_per_task=max_per_task, seed=seed)
    by_subset: dict[str, list[float]] = defaultdict(list)
    for row in result.predictions:
        by_subset[row["subset"]].append(row["score"])
    coding = [subset for subset in by_subset if subset.startswith("hep-")]
    return {
        # A section whose subsets have no data is not scored: NaN in the curve, as a category
        # without items is.
        "Chat": result.scores.get("Chat", math.nan),
        "Chat Hard": result.scores.get("Chat Hard", math.nan),
        "Safety": result.scores.get("Safety", math.nan),
        "Math": report.mean(by_subset.get("math-prm", [])),
        "Coding": report.mean([report.mean(by_subset[s]) for s in coding]),
    }


DEMO_CATEGORIES = {
    "Pairwise": "demo_sorting",
    "Classification": "demo_support",
    "Pointwise": "demo_sortedness",
}


def _demo_categories(judge: Autorater, *, data_dir, max_per_task, seed) -> dict:
    judged, _, _ = suite.judge_tasks(
        judge,
        list(DEMO_CATEGORIES.values()),
        "validation",
        max_per_task=max_per_task,
        seed=seed,
        data_dir=data_dir,
    )
    return {
        category: report.mean([suite.item_score(j) for j in judged[task]])
        for category, task in DEMO_CATEGORIES.items()
    }


TARGETS = {
    "rewardbench": Target(
        ("Chat", "Chat Hard", "Math", "Coding", "Safety"),
        _rewardbench_categories,
        opt_rm.PAPER_THRESHOLDS,
        ("Chat Hard", "Coding", "Safety"),  # the paper's weakest three
    ),
    # Scaled-down searches: every task type must be learned; pairwise is the demo's weakest.
    "demo": Target(
        tuple(DEMO_CATEGORIES),
        _demo_categories,
        {"Pairwise": 0.9, "Classification": 0.9, "Pointwise": 0.6},
        ("Pairwise",),
    ),
}


def target_of(workdir: str) -> str:
    """The target a search's workdir was run for (from its base_scores.json)."""
    path = os.path.join(workdir, "tailpatch", "base_scores.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is missing: run `flame-jax opt-rm tailpatch` first")
    with open(path) as f:
        return json.load(f)["key"]["target"]


def evaluation_steps(steps: int, eval_every: int) -> list[int]:
    """The steps after which a run is evaluated: every eval_every, and the last step."""
    if steps < 1 or eval_every < 1:
        raise ValueError(f"steps {steps} and eval_every {eval_every} must be >= 1")
    out = list(range(eval_every, steps + 1, eval_every))
    return out if out and out[-1] == steps else [*out, steps]


def _score(checkpoint: str, target: Target, options: Mapping) -> dict[str, float]:
    judge = load_autorater(checkpoint, progress=False)
    return target.evaluate(judge, **options)


def base_scores(base_checkpoint: str, workdir: str, target: str, options: Mapping) -> dict:
    """The base checkpoint's category scores, computed once per workdir and kept."""
    path = os.path.join(workdir, "tailpatch", "base_scores.json")
    key = {"base_checkpoint": os.path.abspath(base_checkpoint), "target": target, **options}
    if os.path.exists(path):
        with open(path) as f:
            saved = json.load(f)
        if saved["key"] != key:
            raise ValueError(
                f"{path} was computed for {saved['key']}, not {key}: use a fresh --workdir for "
                "another base, target or sample"
            )
        return saved["scores"]
    scores = _score(base_checkpoint, TARGETS[target], options)
    files.write_atomically(path, json.dumps({"key": key, "scores": scores}, indent=1))
    return scores


def run(
    base_checkpoint: str,
    tasks: Sequence[str],
    *,
    workdir: str,
    target: str = "rewardbench",
    steps: int = 3000,
    eval_every: int = 500,
    train_arguments: TrainArguments,
    data_dir: str | None = None,
    max_per_task: int | None = None,
    seed: int = 0,
) -> dict[str, opt_rm.Curve]:
    """Runs (or resumes) the tail-patch run of every task; returns the curves.

    `train_arguments(task=, model_dir=, train_steps=, vocabulary=, initial_checkpoint_path=)`
    gives the keyword arguments of train() for one chunk of one task's run and the operative
    config text; the model config, the codec and (unless given) the feature lengths are the
    base's.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; known: {sorted(TARGETS)}")
    workdir = os.path.abspath(workdir)
    base_dir = manifest.find_model_dir(base_checkpoint)
    base_run = manifest.read(base_dir)
    base_step = checkpoints.checkpoint_step(base_checkpoint)
    codec = Codec.load(base_run.vocabulary, base_run.chat_template)
    options = {"data_dir": data_dir, "max_per_task": max_per_task, "seed": seed}
    base = base_scores(base_checkpoint, workdir, target, options)
    schedule = evaluation_steps(steps, eval_every)
    print(f"== base {base_checkpoint} (step {base_step}): {_line(base)}", flush=True)
    curves = {}
    for number, task in enumerate(tasks, start=1):
        path = opt_rm.curve_path(workdir, task)
        curve = opt_rm.Curve(task, base, ())
        if os.path.exists(path):
            curve = opt_rm.read_curves(workdir)[task]
            if dict(curve.base) != base:
                raise ValueError(f"{path}: its base scores differ from {base}: another base?")
        for step in schedule:
            if step <= curve.last_step:
                continue
            print(f"== [{number}/{len(tasks)}] {task}: training to step {step}/{steps}", flush=True)
            model_dir = os.path.join(os.path.dirname(path), "model")
            arguments, operative_config = train_arguments(
                task=task,
                model_dir=model_dir,
                train_steps=base_step + step,
                vocabulary=base_run.vocabulary,
                initial_checkpoint_path=os.path.abspath(base_checkpoint),
            )
            arguments.setdefault("task_feature_lengths", base_run.task_feature_lengths)
            arguments |= {"model_config": base_run.model_config, "codec": codec}
            train_lib.train(**arguments, operative_config=operative_config)
            scores = _score(model_dir, TARGETS[target], options)
            curve = opt_rm.Curve(
                task,
                base,
                (*curve.evaluations, opt_rm.Evaluation(step, scores)),
                complete=step == schedule[-1],
            )
            opt_rm.write_curve(path, curve)
            print(f"== {task} at step {step}: {_line(scores)}", flush=True)
        curves[task] = curve
    return curves


def commands(
    base_checkpoint: str,
    tasks: Sequence[str],
    *,
    workdir: str,
    target: str,
    steps: int,
    eval_every: int,
    extra: Sequence[str] = (),
) -> list[str]:
    """One `flame-jax opt-rm tailpatch` command per task, to run on a cluster (same workdir)."""
    return [
        shlex.join(
            [
                "flame-jax",
                "opt-rm",
                "tailpatch",
                "--base_checkpoint",
                base_checkpoint,
                "--target",
                target,
                "--tasks",
                task,
                "--workdir",
                workdir,
                "--steps",
                str(steps),
                "--eval_every",
                str(eval_every),
                *extra,
            ]
        )
        for task in tasks
    ]


def _line(scores: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.1%}" for k, v in scores.items())
