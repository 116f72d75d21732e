import json
import math
import os

import numpy as np
import pytest
from flame_tasks.reward_bench import FILE

from flame_jax import cli
from flame_jax.data import registry, testing
from flame_jax.evaluation import rewardbench, suite
from flame_jax.format import Pair, Pairwise
from flame_jax.judge import Judgment, PairwiseVerdict

# FLAMe-RM-24B's leaderboard subset scores (PROTOCOLS.md).
FLAME_RM_SUBSETS = {
    "alpacaeval-easy": 0.93,
    "alpacaeval-length": 0.863,
    "alpacaeval-hard": 0.958,
    "mt-bench-easy": 1.0,
    "mt-bench-med": 0.90,
    "mt-bench-hard": 0.838,
    "llmbar-natural": 0.92,
    "llmbar-adver-neighbor": 0.612,
    "llmbar-adver-GPTInst": 0.793,
    "llmbar-adver-GPTOut": 0.723,
    "llmbar-adver-manual": 0.717,
    "refusals-dangerous": 0.92,
    "refusals-offensive": 0.93,
    "xstest-should-refuse": 0.981,
    "xstest-should-respond": 0.892,
    "donotanswer": 0.765,
    "math-prm": 1.0,
    "hep-cpp": 0.866,
    "hep-go": 0.896,
    "hep-java": 0.921,
    "hep-js": 0.872,
    "hep-python": 0.866,
    "hep-rust": 0.835,
}


def test_flame_rm_subset_scores_give_the_papers_sections():
    # The leaderboard shows each subset's accuracy k/n rounded to 3 decimals; the sections are
    # computed from the accuracies themselves, so recover k/n from the shown value first
    # (with the rounded values Chat Hard would come out at 75.64 instead of 75.66).
    accuracies = {
        subset: round(value * rewardbench.EXAMPLE_COUNTS[subset])
        / rewardbench.EXAMPLE_COUNTS[subset]
        for subset, value in FLAME_RM_SUBSETS.items()
    }
    assert all(abs(accuracies[s] - v) < 5e-4 for s, v in FLAME_RM_SUBSETS.items())
    sections = rewardbench.section_scores(accuracies)
    shown = {name: round(100 * value, 1) for name, value in sections.items()}
    assert shown == {"Chat": 92.2, "Chat Hard": 75.7, "Safety": 89.6, "Reasoning": 93.8}
    assert round(100 * rewardbench.overall(sections)["Avg"], 1) == 87.8


def test_leaderboard_score_weights_prior_sets_once():
    sections = {"Chat": 0.9, "Chat Hard": 0.7, "Safety": 0.8, "Reasoning": 0.6}
    out = rewardbench.overall(sections, prior_sets=0.5)
    assert out["Avg"] == pytest.approx(0.75)
    assert out["Score (leaderboard)"] == pytest.approx((2 * (0.9 + 0.7 + 0.8 + 0.6) + 0.5) / 9)
    assert "Score (leaderboard)" not in rewardbench.overall(sections)


def test_sections_use_only_the_subsets_present():
    sections = rewardbench.section_scores({"math-prm": 1.0, "hep-go": 0.0})
    assert sections == {"Reasoning": pytest.approx(984 / (984 + 164))}  # no NaN sections
    assert rewardbench.overall(sections, prior_sets=0.5) == {}  # Avg needs all four


def _upstream_average(subset_scores: dict, prior: dict) -> tuple[dict, float]:
    """allenai/reward-bench analysis/get_benchmark_results.py get_average_over_rewardbench,
    transcribed for one model (numpy, as upstream computes it)."""
    out = {}
    for section, subsets in rewardbench.SECTIONS.items():
        cols = [s for s in rewardbench.EXAMPLE_COUNTS if s in subsets]
        data = np.array([subset_scores[c] for c in cols])
        out[section] = np.average(data, weights=[rewardbench.EXAMPLE_COUNTS[c] for c in cols])
    prior_sets = np.nanmean(
        [prior[c] for c in ["anthropic_helpful", "anthropic_hhh", "shp", "summarize"]]
    )
    final = np.array([*out.values(), prior_sets])
    masked = np.ma.masked_array(final, np.isnan(final))
    return out, float(np.ma.average(masked, weights=[2, 2, 2, 2, 1]))


def test_leaderboard_formula_matches_upstream_on_random_predictions():
    rng = np.random.default_rng(0)
    for _ in range(20):
        subsets = {s: float(rng.random()) for s in rewardbench.EXAMPLE_COUNTS}
        prior = {s: float(rng.random()) for s in rewardbench.PRIOR_SETS}
        sections = rewardbench.section_scores(subsets)
        ours = rewardbench.overall(sections, prior_sets=rewardbench.prior_sets_score(prior))
        upstream_sections, upstream_score = _upstream_average(subsets, prior)
        assert list(sections.values()) == [float(v) for v in upstream_sections.values()]
        assert ours["Score (leaderboard)"] == pytest.approx(upstream_score, abs=1e-15)


def _judgment(gold: str, by_order: tuple[float, float], item_id: str = "1") -> Judgment:
    template = Pairwise(title="t", description="d", context_fields=("prompt",))
    record = template.render(
        Pair({"prompt": "p"}, "good", "bad"), index=0 if gold == "A" else 1, seed=0
    )
    record = record.__class__(**{**record.__dict__, "meta": (("subset", "x"), ("id", item_id))})
    p = sum(by_order) / 2
    pair = PairwiseVerdict(p, by_order, ("A", "B"), True)
    return Judgment(record, "A" if p > 0.5 else "B", pair=pair)


def test_item_scores_count_ties_as_half():
    assert suite.item_score(_judgment("A", (0.9, 0.7))) == 1.0
    assert suite.item_score(_judgment("B", (0.9, 0.7))) == 0.0
    assert suite.item_score(_judgment("A", (1.0, 0.0))) == 0.5


def test_an_unparseable_order_counts_half_in_both_protocols():
    # Generate mode: the original order unparseable (0.5), the swapped one right.
    judgment = _judgment("A", (0.5, 1.0))
    assert rewardbench.order_scores(judgment) == (0.5, 1.0)
    assert {rewardbench.single_order_score(judgment, seed=s) for s in range(20)} == {0.5, 1.0}
    judgment = _judgment("B", (1.0, 0.0))  # wrong in one order, right in the other
    assert rewardbench.order_scores(judgment) == (0.0, 1.0)


def test_single_order_mode_is_seeded_and_uses_one_order():
    judgment = _judgment("A", (1.0, 0.0))  # right in the original order, wrong when swapped
    scores = {rewardbench.single_order_score(judgment, seed=s) for s in range(20)}
    assert scores == {0.0, 1.0}
    assert rewardbench.single_order_score(judgment, seed=3) == rewardbench.single_order_score(
        judgment, seed=3
    )


def _rewardbench_rows(shared_data: str, per_subset: int = 3) -> list[dict]:
    """A small RewardBench `filtered` file from the LLMBar and HumanEvalPack samples."""
    rows = []
    llmbar = {
        "llmbar-natural": "Natural",
        "llmbar-adver-neighbor": "Adversarial/Neighbor",
        "llmbar-adver-GPTInst": "Adversarial/GPTInst",
    }
    for subset, folder in llmbar.items():
        with open(os.path.join(shared_data, "llmbar", "LLMBar", folder, "dataset.json")) as f:
            items = sorted(json.load(f), key=lambda r: len(r["input"] + r["output_1"]))
        for item in items[:per_subset]:
            chosen, rejected = item[f"output_{item['label']}"], item[f"output_{3 - item['label']}"]
            rows.append(
                {
                    "prompt": item["input"],
                    "chosen": chosen,
                    "rejected": rejected,
                    "subset": subset,
                    "id": len(rows),
                }
            )
    with open(os.path.join(shared_data, "humanevalpack", "python", "humanevalpack.jsonl")) as f:
        items = sorted((json.loads(line) for line in f), key=lambda r: len(r["prompt"]))
    for item in items[:per_subset]:
        rows.append(
            {
                "prompt": item["instruction"],
                "chosen": item["declaration"] + item["canonical_solution"],
                "rejected": item["declaration"] + item["buggy_solution"],
                "subset": "hep-python",
                "id": len(rows),
            }
        )
    for row in rows:
        row.update(chosen_model="human", rejected_model="model")
    return rows


def _prior_set_rows(shared_data: str, name: str, n: int = 2) -> list[dict]:
    """Prior-set rows in upstream's schema from the HH-RLHF sample (turns as {role, content})."""
    rows = []
    for record in registry.get_task("hh_rlhf_harmlessness").records("test", shared_data):
        if len(rows) == n:
            break
        context = dict(record.context)
        chosen, rejected = (
            (context["response_a"], context["response_b"])
            if record.answer == "A"
            else (context["response_b"], context["response_a"])
        )
        turns = [{"role": "user", "content": context["conversation"][:300]}]
        if name == "shp":  # a multi-turn prompt
            turns = [*turns, {"role": "assistant", "content": "Go on."}, turns[0]]
        rows.append({"prompt": turns, "chosen": chosen[:300], "rejected": rejected[:300]})
    return rows


def test_eval_cli_end_to_end_on_the_demo_checkpoint(tmp_path, shared_data, demo_checkpoint):
    rows = _rewardbench_rows(shared_data)
    root = testing.write_rows(tmp_path / "data", "reward_bench", FILE, rows)
    prior = {name: _prior_set_rows(shared_data, name) for name in rewardbench.PRIOR_SETS}
    for name, prior_rows in prior.items():
        file = rewardbench.PRIOR_SET_FILE.format(name=name)
        testing.write_rows(tmp_path / "data", "reward_bench_prior", file, prior_rows)
    out = tmp_path / "out"
    argv = [
        "eval",
        "--checkpoint",
        demo_checkpoint,
        "--benchmark",
        "rewardbench",
        "--data_dir",
        root,
        "--output",
        str(out),
        "--batch_size",
        "2",
        "--max_length",
        "4096",
    ]
    assert cli.main(argv) == 0
    predictions = [
        json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()
    ]
    core = [
        p for p in predictions if p["task"].startswith("reward_bench_") and "prior" not in p["task"]
    ]
    assert len(predictions) == len(rows) + 2 * len(rewardbench.PRIOR_SETS)
    assert sorted(p["id"] for p in core) == sorted(str(r["id"]) for r in rows)
    result = json.loads((out / "scores.json").read_text())
    scores = result["scores"]
    for suffix, key in (("", "score"), (" (single order)", "score_single_order")):
        by_subset: dict[str, list[float]] = {}
        for p in predictions:
            by_subset.setdefault(p["subset"], []).append(p[key])
        accuracy = {s: sum(v) / len(v) for s, v in by_subset.items()}
        expected = rewardbench.section_scores(accuracy)
        assert scores[f"Chat Hard{suffix}"] == pytest.approx(expected["Chat Hard"])
        assert scores[f"Reasoning{suffix}"] == pytest.approx(expected["Reasoning"])
        assert scores[f"Prior Sets{suffix}"] == pytest.approx(
            rewardbench.prior_sets_score(accuracy)
        )
    # No chat or safety subsets in this file: those sections, Avg and Score are not reported.
    assert "Chat" not in scores and "Avg" not in scores and "Score (leaderboard)" not in scores
    assert any(n.startswith("Chat: none of its subsets") for n in result["notes"])
    assert 0.0 <= scores["Consistency"] <= 1.0
    report = (out / "report.md").read_text()
    assert "FLAMe-RM-24B (paper)" in report and "single order" in report


class OrderJudge:
    """Prefers `chosen` in the original order; the swapped order is unparseable (0.5) for
    the reasoning subsets and prefers `rejected` for the prior sets, `chosen` elsewhere."""

    def judge(self, records):
        out = []
        for record in records:
            meta = dict(record.meta)
            gold_a = record.answer == "A"
            swapped = 0.5 if meta.get("subset", "").startswith(("hep", "math")) else None
            if swapped is None:
                right = "set" not in meta
                swapped = float(gold_a) if right else float(not gold_a)
            by_order = (float(gold_a), swapped)
            pair = PairwiseVerdict(sum(by_order) / 2, by_order, ("A", "A"), False)
            out.append(Judgment(record, "A", pair=pair))
        return out


def test_score_is_reported_with_every_section_and_the_prior_sets(tmp_path):
    rows = [
        {"prompt": f"q{i}", "chosen": f"good {i}", "rejected": f"bad {i}", "subset": s, "id": i}
        for i, s in enumerate(rewardbench.EXAMPLE_COUNTS)
    ]
    root = testing.write_rows(tmp_path, "reward_bench", FILE, rows)
    for name in rewardbench.PRIOR_SETS:
        prior = [{"prompt": ["hi"], "chosen": "good", "rejected": "bad"}]
        testing.write_rows(
            tmp_path, "reward_bench_prior", rewardbench.PRIOR_SET_FILE.format(name=name), prior
        )
    result = rewardbench.evaluate(OrderJudge(), data_dir=root)
    scores = result.scores
    # Both orders: 1 everywhere but reasoning (1 and 0.5: 0.75) and the prior sets (1 and 0).
    assert (scores["Chat"], scores["Reasoning"], scores["Prior Sets"]) == (1.0, 0.75, 0.5)
    assert scores["Avg"] == pytest.approx((3 + 0.75) / 4)
    assert scores["Score (leaderboard)"] == pytest.approx((2 * 3.75 + 0.5) / 9)
    # Single order: each item scores its seeded order's 1, 0.5 or 0.
    single = [p["score_single_order"] for p in result.predictions]
    assert set(single) <= {0.0, 0.5, 1.0}
    assert {"Avg (single order)", "Score (leaderboard, single order)"} <= set(scores)
    assert not any(math.isnan(v) for v in scores.values())
    assert "Prior sets missing" not in " ".join(result.notes)
