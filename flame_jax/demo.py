"""The main job on its embedded default: train a tiny judge on the demo collection, judge
its held-out test split, and print per-task-type scores.

    flame-jax demo [--workdir W] [--train_steps N]

No network, no data download: the demo collection (tasks/demo.py) is generated in code, its
SentencePiece vocabulary is trained by the command, and the run uses the real trainer with the
arguments gin/runs/demo.gin binds (the same code path as `flame-jax train`), checkpoints, and
the judge as users load it (`load_autorater`):
- pairwise: both orders in one batch; accuracy of the order-averaged preference and the
  share of order-consistent verdicts;
- classification: accuracy of the most probable label;
- pointwise: accuracy of the most probable score and Spearman of the expected score;
- open-ended: greedy generation, exact match of the parsed field, parse-failure rate.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats

from flame_jax import files
from flame_jax.data import registry
from flame_jax.format import TaskType
from flame_jax.judge import Autorater, load_autorater, parse_failure_rate
from flame_jax.training import train as train_lib

RUN_GIN = "gin/runs/demo.gin"

TASKS = {
    TaskType.PAIRWISE: "demo_sorting",
    TaskType.CLASSIFICATION: "demo_support",
    TaskType.POINTWISE: "demo_sortedness",
    TaskType.OPEN_ENDED: "demo_correction",
}


def evaluate(rater: Autorater, *, split: str = "test", limit: int | None = None) -> dict:
    """Scores of the judge on each demo task's held-out split."""
    results = {}
    for task_type, name in TASKS.items():
        records = list(registry.get_task(name).records(split))[:limit]
        if task_type == TaskType.PAIRWISE:
            verdicts = rater.judge_pairs(records)
            gold = np.array([r.answer == "A" for r in records])
            predicted = np.array([v.p_a_better > 0.5 for v in verdicts])
            results[task_type.value] = {
                "task": name,
                "accuracy": float(np.mean(gold == predicted)),
                "consistency": float(np.mean([v.consistent for v in verdicts])),
            }
            continue
        judgments = rater.judge(records)
        if task_type == TaskType.OPEN_ENDED:
            results[task_type.value] = {
                "task": name,
                "exact_match": float(np.mean([j.answer == j.record.answer for j in judgments])),
                "parse_failure_rate": parse_failure_rate([j.output for j in judgments]),
            }
            continue
        scores = {"task": name, "accuracy": float(np.mean([j.correct for j in judgments]))}
        if task_type == TaskType.POINTWISE:
            expected = [j.expected_score for j in judgments]
            gold = [float(r.answer) for r in records]
            scores["spearman"] = float(stats.spearmanr(gold, expected).statistic)
        results[task_type.value] = scores
    return results


def run(train_arguments: Mapping[str, Any], *, operative_config: str | None = None) -> dict:
    """Trains with `train_arguments` (gin/runs/demo.gin's), judges the held-out test split;
    writes MODEL_DIR/results.json."""
    start = time.time()
    workdir = train_arguments["model_dir"]
    result = train_lib.train(**train_arguments, operative_config=operative_config)
    print(f"== judging the held-out test split (step {result.step})", flush=True)
    rater = load_autorater(workdir, max_new_tokens=16, progress=False)
    scores = evaluate(rater)
    for task_type, values in scores.items():
        shown = ", ".join(f"{k} {v:.1%}" for k, v in values.items() if k != "task")
        if "spearman" in values:
            shown = shown.replace(
                f"spearman {values['spearman']:.1%}", f"spearman {values['spearman']:.3f}"
            )
        print(f"{task_type:<15} {values['task']:<17} {shown}", flush=True)
    summary = {"step": result.step, "seconds": time.time() - start, "scores": scores}
    files.write_atomically(os.path.join(workdir, "results.json"), json.dumps(summary, indent=1))
    print(f"done in {summary['seconds']:.0f}s; results in {workdir}/results.json", flush=True)
    return summary
