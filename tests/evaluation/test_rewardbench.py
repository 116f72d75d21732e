import json
import os

import pytest
from flame_tasks.reward_bench import FILE

from flame_jax import cli
from flame_jax.data import testing
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
    assert sections["Reasoning"] == pytest.approx(984 / (984 + 164))
    assert sections["Chat"] != sections["Chat"]  # NaN: no subset of the section was judged


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


def test_eval_cli_end_to_end_on_the_demo_checkpoint(tmp_path, shared_data, demo_checkpoint):
    rows = _rewardbench_rows(shared_data)
    root = testing.write_rows(tmp_path / "data", "reward_bench", FILE, rows)
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
    assert len(predictions) == len(rows)
    assert sorted(p["id"] for p in predictions) == sorted(str(r["id"]) for r in rows)
    scores = json.loads((out / "scores.json").read_text())["scores"]
    by_subset: dict[str, list[float]] = {}
    for p in predictions:
        by_subset.setdefault(p["subset"], []).append(p["score"])
    expected = rewardbench.section_scores({s: sum(v) / len(v) for s, v in by_subset.items()})
    assert scores["Chat Hard"] == pytest.approx(expected["Chat Hard"])
    assert scores["Reasoning"] == pytest.approx(expected["Reasoning"])
    assert scores["Chat"] != scores["Chat"]  # no chat subsets in this file
    assert 0.0 <= scores["Consistency"] <= 1.0
    report = (out / "report.md").read_text()
    assert "FLAMe-RM-24B (paper)" in report and "| 92.2 |" in report
