"""Metric functions of FLAMe tasks, by task type (seqio metric_fns).

Targets and predictions reach the metrics as parsed EVALUATION fields (`parse_output`):
a dict of fields, or None when the generated text does not parse. Unparseable predictions
count as wrong for accuracy and are reported as `parse_failure_rate`.

- pairwise, classification: accuracy of the first output field (`answer`).
- pointwise: accuracy of the score, and Spearman and Kendall rank correlations between the
  gold and predicted scores (an unparseable prediction takes the scale's midpoint, so a
  judge cannot raise its correlation by failing on hard items).
- open-ended: ROUGE-L F1 (whitespace tokens, longest common subsequence) over the output
  fields joined in order, and exact match.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

from flame_jax.format import ParseError, TaskType, Template, parse_evaluation

Parsed = dict[str, str] | None


def parse_output(text: str, *, template: Template, example=None, is_target: bool = False) -> Parsed:
    """seqio postprocess_fn: the EVALUATION fields of a decoded target or prediction."""
    del example
    try:
        return parse_evaluation(text, template.output_fields, options=template.options)
    except ParseError:
        if is_target:
            raise
        return None


def _first(parsed: Parsed, field: str) -> str | None:
    return None if parsed is None else parsed.get(field)


def accuracy(targets: Sequence[Parsed], predictions: Sequence[Parsed], *, field: str) -> dict:
    if len(targets) != len(predictions):
        raise ValueError(f"{len(targets)} targets but {len(predictions)} predictions")
    if not targets:
        return {}
    gold = [_first(t, field) for t in targets]
    guess = [_first(p, field) for p in predictions]
    return {
        "accuracy": 100.0 * float(np.mean([g == p for g, p in zip(gold, guess, strict=True)])),
        "parse_failure_rate": 100.0 * float(np.mean([p is None for p in guess])),
    }


def rank_correlation(
    targets: Sequence[Parsed], predictions: Sequence[Parsed], *, field: str, scale: Sequence[str]
) -> dict:
    if not targets:
        return {}
    midpoint = (float(scale[0]) + float(scale[-1])) / 2
    gold = np.array([float(_first(t, field)) for t in targets])
    guess = np.array(
        [midpoint if _first(p, field) is None else float(_first(p, field)) for p in predictions]
    )
    if np.ptp(gold) == 0 or np.ptp(guess) == 0:
        # A constant ranking has no defined correlation; report 0 rather than NaN.
        return {"spearman": 0.0, "kendall": 0.0}
    return {
        "spearman": float(stats.spearmanr(gold, guess).statistic),
        "kendall": float(stats.kendalltau(gold, guess).statistic),
    }


def rouge_l_f1(reference: str, candidate: str) -> float:
    """ROUGE-L F1 on whitespace tokens (Lin 2004, beta = 1)."""
    ref, cand = reference.split(), candidate.split()
    if not ref or not cand:
        return float(ref == cand)
    previous = [0] * (len(cand) + 1)
    for r in ref:
        current = [0]
        for j, c in enumerate(cand):
            current.append(previous[j] + 1 if r == c else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def text_overlap(
    targets: Sequence[Parsed], predictions: Sequence[Parsed], *, fields: Sequence[str]
) -> dict:
    if not targets:
        return {}

    def joined(parsed: Parsed) -> str:
        return "" if parsed is None else "\n".join(parsed.get(f, "") for f in fields)

    pairs = [(joined(t), joined(p)) for t, p in zip(targets, predictions, strict=True)]
    return {
        "rouge_l": 100.0 * float(np.mean([rouge_l_f1(t, p) for t, p in pairs])),
        "exact_match": 100.0 * float(np.mean([t == p for t, p in pairs])),
        "parse_failure_rate": 100.0 * float(np.mean([p is None for p in predictions])),
    }


def metric_fns(template: Template) -> list[Callable]:
    """The metric functions that fit a template's task type."""
    first = template.output_fields[0]
    if template.task_type in (TaskType.PAIRWISE, TaskType.CLASSIFICATION):
        return [functools.partial(accuracy, field=first)]
    if template.task_type == TaskType.POINTWISE:
        return [
            functools.partial(accuracy, field=first),
            functools.partial(rank_correlation, field=first, scale=template.options),
        ]
    return [functools.partial(text_overlap, fields=template.output_fields)]
