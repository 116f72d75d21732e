"""RewardBench v1 (Lambert et al. 2024; HF allenai/reward-bench, split `filtered`).

Protocol (../shared/reference/PROTOCOLS.md; upstream rewardbench/utils.py
`calculate_scores_per_section`):
- Every pair is judged in BOTH orders (tasks reward_bench_<section>, flame_jax.judge). An item
  scores 1 when the order-averaged preference favours `chosen`, 0 when it favours `rejected`,
  0.5 for an exact tie (generative judges: an unparseable answer is a tie in that order).
  Consistency = share of items whose two orders name the same response.
- Single-order mode (upstream's protocol): upstream shows A/B in one random order per item,
  unseeded; here the order of each item is drawn by random.Random(f"{seed}:{id}") and only that
  order's verdict counts (1, 0, or 0.5 for p = 0.5), so runs are reproducible.
- Subset accuracy = mean item score of the subset. Section score = the example-count-weighted
  mean of the accuracies of the section's subsets present (EXAMPLE_COUNTS below; math-prm
  counts 984 for its 447 items, up-weighted to equal code):

      section = sum_s acc_s * n_s / sum_s n_s

- Overall: FLAMe reports the plain mean of the four sections ("Avg"). The leaderboard's
  "Score" weights [Chat, Chat Hard, Safety, Reasoning, Prior Sets] as [2, 2, 2, 2, 1]; it needs
  the prior sets' score (allenai/preference-test-sets, not read here: three of its four datasets
  are FLAMe training data), so it is reported only when one is given.

Check (tests): FLAMe-RM-24B's leaderboard subset scores give Chat 92.2, Chat Hard 75.7, Safety
89.6, Reasoning 93.8, Avg 87.8.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping

from flame_jax.evaluation import suite
from flame_jax.evaluation.report import BenchmarkResult, mean
from flame_jax.judge import Autorater, Judgment

# Section (task reward_bench_<section>) -> its subsets (upstream SUBSET_MAPPING).
SECTIONS = {
    "chat": (
        "alpacaeval-easy",
        "alpacaeval-length",
        "alpacaeval-hard",
        "mt-bench-easy",
        "mt-bench-med",
    ),
    "chat_hard": (
        "mt-bench-hard",
        "llmbar-natural",
        "llmbar-adver-neighbor",
        "llmbar-adver-GPTInst",
        "llmbar-adver-GPTOut",
        "llmbar-adver-manual",
    ),
    "safety": (
        "refusals-dangerous",
        "refusals-offensive",
        "xstest-should-refuse",
        "xstest-should-respond",
        "donotanswer",
    ),
    "reasoning": (
        "math-prm",
        "hep-cpp",
        "hep-go",
        "hep-java",
        "hep-js",
        "hep-python",
        "hep-rust",
    ),
}
ALL_SUBSETS = tuple(subset for subsets in SECTIONS.values() for subset in subsets)
SECTION_NAMES = {
    "chat": "Chat",
    "chat_hard": "Chat Hard",
    "safety": "Safety",
    "reasoning": "Reasoning",
}
EXAMPLE_COUNTS = {
    "alpacaeval-easy": 100,
    "alpacaeval-length": 95,
    "alpacaeval-hard": 95,
    "mt-bench-easy": 28,
    "mt-bench-med": 40,
    "mt-bench-hard": 37,
    "llmbar-natural": 100,
    "llmbar-adver-neighbor": 134,
    "llmbar-adver-GPTInst": 92,
    "llmbar-adver-GPTOut": 47,
    "llmbar-adver-manual": 46,
    "refusals-dangerous": 100,
    "refusals-offensive": 100,
    "xstest-should-refuse": 154,
    "xstest-should-respond": 250,
    "donotanswer": 136,
    "math-prm": 984,  # 447 items, up-weighted to equal the code subsets' 6 x 164
    "hep-cpp": 164,
    "hep-go": 164,
    "hep-java": 164,
    "hep-js": 164,
    "hep-python": 164,
    "hep-rust": 164,
}
LEADERBOARD_WEIGHTS = {"Chat": 2, "Chat Hard": 2, "Safety": 2, "Reasoning": 2, "Prior Sets": 1}
PAPER = {
    "FLAMe-24B": {"Avg": 0.860},
    "FLAMe-RM-24B": {
        "Chat": 0.922,
        "Chat Hard": 0.757,
        "Safety": 0.896,
        "Reasoning": 0.938,
        "Avg": 0.878,
    },
    "FLAMe-Opt-RM-24B": {"Avg": 0.870},
    "GPT-4-0125": {"Avg": 0.859},
    "GPT-4o": {"Avg": 0.847},
}


def section_scores(subset_accuracy: Mapping[str, float]) -> dict[str, float]:
    """Section -> example-count-weighted mean of its present subsets (NaN when none)."""
    out = {}
    for section, subsets in SECTIONS.items():
        present = [s for s in subsets if s in subset_accuracy]
        total = sum(EXAMPLE_COUNTS[s] for s in present)
        weighted = sum(subset_accuracy[s] * EXAMPLE_COUNTS[s] for s in present)
        out[SECTION_NAMES[section]] = weighted / total if total else math.nan
    return out


def overall(sections: Mapping[str, float], *, prior_sets: float | None = None) -> dict[str, float]:
    """FLAMe's "Avg" (mean of the 4 sections) and, with prior sets, the leaderboard "Score"."""
    out = {"Avg": mean([sections[name] for name in SECTION_NAMES.values()])}
    if prior_sets is not None:
        scores = {**sections, "Prior Sets": prior_sets}
        total = sum(LEADERBOARD_WEIGHTS.values())
        out["Score (leaderboard)"] = (
            sum(scores[k] * w for k, w in LEADERBOARD_WEIGHTS.items()) / total
        )
    return out


def single_order_score(judgment: Judgment, *, seed: int) -> float:
    """The item's score from one seeded order only (upstream's protocol, reproducible)."""
    meta = dict(judgment.record.meta)
    order = random.Random(f"{seed}:{meta.get('id', judgment.record.context)}").randrange(2)
    if judgment.pair is None:
        raise ValueError("a pairwise judgment without its both-order verdict")
    p_a = judgment.pair.p_a_better_by_order[order]
    p_gold = p_a if judgment.record.answer == "A" else 1 - p_a
    return 1.0 if p_gold > 0.5 else 0.0 if p_gold < 0.5 else 0.5


def evaluate(
    judge: Autorater,
    *,
    data_dir: str | None = None,
    max_per_task: int | None = None,
    seed: int = 0,
    prior_sets: float | None = None,
) -> BenchmarkResult:
    """RewardBench in full (or max_per_task items per section): sections, Avg, consistency."""
    tasks = [f"reward_bench_{section}" for section in SECTIONS]
    judged, notes = suite.judge_tasks(
        judge, tasks, "test", max_per_task=max_per_task, seed=seed, data_dir=data_dir
    )
    both: dict[str, list[float]] = defaultdict(list)
    single: dict[str, list[float]] = defaultdict(list)
    consistent, predictions = [], []
    for task, judgments in judged.items():
        for judgment in judgments:
            subset = dict(judgment.record.meta)["subset"]
            both[subset].append(suite.item_score(judgment))
            single[subset].append(single_order_score(judgment, seed=seed))
            consistent.append(judgment.pair.consistent)  # type: ignore[union-attr]
            predictions.append({**suite.prediction_row(task, judgment), "subset": subset})
    sections = section_scores({s: mean(v) for s, v in both.items()})
    single_sections = section_scores({s: mean(v) for s, v in single.items()})
    scores = {
        **sections,
        **overall(sections, prior_sets=prior_sets),
        "Avg (single order)": overall(single_sections)["Avg"],
        "Consistency": mean(consistent),
    }
    scores.update({f"subset {s}": mean(both[s]) for s in EXAMPLE_COUNTS if s in both})
    if max_per_task is not None:
        notes.append(f"a seeded sample of at most {max_per_task} items per section (seed {seed})")
    notes.append("Avg = mean of the four sections (FLAMe); prior sets excluded")
    return BenchmarkResult("rewardbench", scores, predictions, PAPER, notes)
