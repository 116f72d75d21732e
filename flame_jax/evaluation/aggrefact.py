"""LLM-AggreFact (Tang et al. 2024, MiniCheck; HF lytang/LLM-AggreFact, gated).

Protocol (../shared/reference/PROTOCOLS.md):
- Per (doc, claim) the judge predicts "supported" (label Yes): in score mode when
  p(Yes) > 0.5 (the threshold on the probability), in generate mode when the parsed answer is
  Yes (an unparseable answer counts as "not supported").
- Balanced accuracy per source dataset (tasks llm_aggrefact_<dataset>):

      BAcc = (TPR + TNR) / 2,  TPR = TP / (TP + FN),  TNR = TN / (TN + FP)

  A class absent from a sample contributes nothing (the mean of the rates that exist),
  as scikit-learn's balanced_accuracy_score does.
- "Avg": the unweighted mean over the datasets. FLAMe used the mid-2024 release (10 datasets);
  the current release adds RAGTruth, so "Avg (FLAMe's 10)" leaves it out for comparison with
  the paper and "Avg" uses every dataset present.
- FLAMe's groups (unweighted means of their datasets): LLM-FactVerify = ClaimVerify +
  FactCheck-GPT + Reveal; Wiki-FactVerify = WiCE; Summarization = AggreFact-CNN,
  AggreFact-XSum, TofuEval-MediaS, TofuEval-MeetB; Long-form QA = ExpertQA + LFQA.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from flame_jax.evaluation import suite
from flame_jax.evaluation.report import BenchmarkResult, mean
from flame_jax.judge import Autorater

# Upstream `dataset` value -> task name suffix (tasks llm_aggrefact_<suffix>): the release with
# RAGTruth (11 datasets). The collection (tasks/llm_aggrefact.py) registers one task per entry.
DATASETS = {
    "AggreFact-CNN": "aggrefact_cnn",
    "AggreFact-XSum": "aggrefact_xsum",
    "TofuEval-MediaS": "tofueval_medias",
    "TofuEval-MeetB": "tofueval_meetb",
    "Wice": "wice",
    "Reveal": "reveal",
    "ClaimVerify": "claimverify",
    "FactCheck-GPT": "factcheck_gpt",
    "ExpertQA": "expertqa",
    "Lfqa": "lfqa",
    "RAGTruth": "ragtruth",
}
GROUPS = {
    "LLM-FactVerify": ("claimverify", "factcheck_gpt", "reveal"),
    "Wiki-FactVerify": ("wice",),
    "Summarization": ("aggrefact_cnn", "aggrefact_xsum", "tofueval_medias", "tofueval_meetb"),
    "Long-form QA": ("expertqa", "lfqa"),
}
ADDED_AFTER_FLAME = ("ragtruth",)
PAPER = {
    "FLAMe-24B": {"Avg (FLAMe's 10)": 0.811},
    "FLAMe-RM-24B": {"Avg (FLAMe's 10)": 0.808},
    "FLAMe-Opt-RM-24B": {"Avg (FLAMe's 10)": 0.802},
    "GPT-4-0125": {"Avg (FLAMe's 10)": 0.806},
    "GPT-4o": {"Avg (FLAMe's 10)": 0.802},
}


def balanced_accuracy(gold: Sequence[bool], predicted: Sequence[bool]) -> float:
    """Mean of the true-positive and true-negative rates over the classes present."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    rates = []
    for positive in (True, False):
        hits = [p == g for g, p in zip(gold, predicted, strict=True) if g == positive]
        if hits:
            rates.append(sum(hits) / len(hits))
    return mean(rates)


def evaluate(
    judge: Autorater,
    *,
    data_dir: str | None = None,
    max_per_task: int | None = 256,
    seed: int = 0,
    split: str = "test",
    on_too_long: str = "error",
) -> BenchmarkResult:
    """Balanced accuracy per dataset, FLAMe's groups and the averages (`on_too_long`: items
    longer than the judge's max_length "skip" (listed) or "error")."""
    tasks = {suffix: f"llm_aggrefact_{suffix}" for suffix in DATASETS.values()}
    judged, notes, too_long = suite.judge_tasks(
        judge,
        list(tasks.values()),
        split,
        max_per_task=max_per_task,
        seed=seed,
        data_dir=data_dir,
        on_too_long=on_too_long,
    )
    per_dataset, predictions = {}, []
    for suffix, task in tasks.items():
        judgments = judged[task]
        if not judgments:
            notes.append(f"{task}: no items in this release")
            continue
        gold = [j.record.answer == "Yes" for j in judgments]
        predicted = [j.answer == "Yes" for j in judgments]
        per_dataset[suffix] = balanced_accuracy(gold, predicted)
        predictions += [suite.prediction_row(task, j) for j in judgments]
    scores = {
        "Avg": mean(list(per_dataset.values())),
        "Avg (FLAMe's 10)": mean([v for k, v in per_dataset.items() if k not in ADDED_AFTER_FLAME]),
    }
    for group, members in GROUPS.items():
        values = [per_dataset[m] for m in members if m in per_dataset]
        scores[group] = mean(values) if values else math.nan
    scores.update({f"BAcc {suffix}": value for suffix, value in per_dataset.items()})
    notes.append(
        f"split {split}; {max_per_task or 'all'} items per dataset (seed {seed}); "
        "threshold 0.5 on p(Yes)"
    )
    return BenchmarkResult("aggrefact", scores, predictions, PAPER, notes, too_long)
