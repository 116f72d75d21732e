"""The main job on its embedded default: train a tiny judge on the demo collection, judge
its held-out test split, and print per-task-type scores.

    flame-jax demo [--workdir W] [--train_steps N]

No network, no data download: the demo collection (tasks/demo.py) is generated in code, its
SentencePiece vocabulary is trained here, and the run uses the real trainer (gin/runs/
demo.gin, the same code path as `flame-jax train`), checkpoints and the judge:
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

import flax.linen as nn
import jax
import numpy as np
from scipy import stats

from flame_jax import judge
from flame_jax.data import registry
from flame_jax.format import TaskType
from flame_jax.models import Transformer, TransformerConfig, init_params
from flame_jax.training import checkpoints
from flame_jax.training import train as train_lib

TASKS = {
    TaskType.PAIRWISE: "demo_sorting",
    TaskType.CLASSIFICATION: "demo_support",
    TaskType.POINTWISE: "demo_sortedness",
    TaskType.OPEN_ENDED: "demo_correction",
}


def evaluate(model: Transformer, params, *, split: str = "test", limit: int | None = None) -> dict:
    """Scores of the judge on each demo task's held-out split."""
    results = {}
    for task_type, name in TASKS.items():
        records = list(registry.get_task(name).records(split))[:limit]
        if task_type == TaskType.PAIRWISE:
            verdicts = judge.pairwise_both_orders(model, params, records)
            gold = np.array([r.answer == "A" for r in records])
            predicted = np.array([v.p_a_better > 0.5 for v in verdicts])
            results[task_type.value] = {
                "task": name,
                "accuracy": float(np.mean(gold == predicted)),
                "consistency": float(np.mean([v.consistent for v in verdicts])),
            }
        elif task_type == TaskType.OPEN_ENDED:
            generated = judge.generate_evaluations(model, params, records, max_new_tokens=16)
            field = records[0].instructions.output_fields[0]
            results[task_type.value] = {
                "task": name,
                "exact_match": float(
                    np.mean(
                        [
                            (g.fields or {}).get(field) == r.answer
                            for g, r in zip(generated, records, strict=True)
                        ]
                    )
                ),
                "parse_failure_rate": judge.parse_failure_rate(generated),
            }
        else:
            probabilities = judge.option_probabilities(model, params, records)
            accuracy = float(
                np.mean(
                    [
                        judge.verdict(p) == r.answer
                        for p, r in zip(probabilities, records, strict=True)
                    ]
                )
            )
            scores = {"task": name, "accuracy": accuracy}
            if task_type == TaskType.POINTWISE:
                expected = [judge.expected_score(p) for p in probabilities]
                gold = [float(r.answer) for r in records]
                scores["spearman"] = float(stats.spearmanr(gold, expected).statistic)
            results[task_type.value] = scores
    return results


def run(
    workdir: str, *, train_steps: int | None = None, extra_bindings: tuple[str, ...] = ()
) -> dict:
    """Builds the vocabulary, trains with gin/runs/demo.gin, evaluates; writes results.json."""
    import gin  # noqa: PLC0415
    from flame_tasks import demo  # noqa: PLC0415

    from flame_jax import configurables  # noqa: PLC0415

    start = time.time()
    workdir = os.path.abspath(workdir)
    os.makedirs(workdir, exist_ok=True)
    vocab = demo.build_vocabulary(os.path.join(workdir, "vocab", "demo.model"))
    print(f"== vocabulary: {vocab}", flush=True)
    flags = [
        "--gin_file=gin/runs/demo.gin",
        f'--gin.MODEL_DIR="{workdir}"',
        f'--gin.VOCABULARY="{vocab}"',
        *(f"--gin.TRAIN_STEPS={train_steps}" for _ in [train_steps] if train_steps),
        *(f"--gin_bindings={b}" for b in extra_bindings),
    ]
    gin.clear_config()
    result = train_lib.main(flags)
    config: TransformerConfig = configurables.model_config_from_gin()
    model = Transformer(config)
    abstract = jax.eval_shape(lambda rng: nn.unbox(init_params(model, rng)), jax.random.key(0))
    params = checkpoints.restore_params(os.path.join(workdir, "checkpoints"), abstract)
    print(f"== judging the held-out test split (step {result.step})", flush=True)
    scores = evaluate(model, params)
    for task_type, values in scores.items():
        shown = ", ".join(f"{k} {v:.1%}" for k, v in values.items() if k != "task")
        if "spearman" in values:
            shown = shown.replace(
                f"spearman {values['spearman']:.1%}", f"spearman {values['spearman']:.3f}"
            )
        print(f"{task_type:<15} {values['task']:<17} {shown}", flush=True)
    summary = {"step": result.step, "seconds": time.time() - start, "scores": scores}
    with open(os.path.join(workdir, "results.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"done in {summary['seconds']:.0f}s; results in {workdir}/results.json", flush=True)
    return summary
