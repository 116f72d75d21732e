import random

import numpy as np
import pytest
from flame_tasks.llm_aggrefact import DATASETS, SPLITS
from sklearn.metrics import balanced_accuracy_score

from flame_jax.data import testing
from flame_jax.evaluation import aggrefact
from flame_jax.judge import Judgment


@pytest.mark.parametrize("seed", range(5))
def test_balanced_accuracy_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    gold = rng.random(40) < rng.uniform(0.1, 0.9)
    predicted = rng.random(40) < 0.5
    assert aggrefact.balanced_accuracy(list(gold), list(predicted)) == pytest.approx(
        balanced_accuracy_score(gold, predicted)
    )


def test_balanced_accuracy_of_a_one_class_sample_is_its_recall():
    with pytest.warns(UserWarning):
        expected = balanced_accuracy_score([True, True, True], [True, False, True])
    assert aggrefact.balanced_accuracy([True, True, True], [True, False, True]) == expected
    with pytest.raises(ValueError, match="2 gold labels but 1"):
        aggrefact.balanced_accuracy([True, False], [True])


class KeywordJudge:
    """Says Yes when the claim's text appears in the document (a judge with known answers)."""

    mode = "score"

    def judge(self, records):
        out = []
        for record in records:
            context = dict(record.context)
            yes = context["claim"] in context["document"]
            out.append(Judgment(record, "Yes" if yes else "No", {"Yes": float(yes)}))
        return out


def test_evaluate_reports_datasets_groups_and_flames_average(tmp_path):
    rng = random.Random(0)
    rows = []
    for dataset in DATASETS:
        for i in range(12):
            label = i % 3 != 0
            claim = f"fact {i} of {dataset}"
            # The keyword judge is right on supported claims and on 3 of 4 unsupported ones.
            doc = claim if label or i == 3 else f"something else {rng.random()}"
            rows.append(
                {
                    "dataset": dataset,
                    "doc": doc,
                    "claim": claim,
                    "label": int(label),
                    "contamination_identifier": "x",
                }
            )
    root = testing.write_rows(tmp_path, "llm_aggrefact", SPLITS["test"][0], rows)
    result = aggrefact.evaluate(KeywordJudge(), data_dir=root, max_per_task=None)
    per_dataset = (1.0 + 3 / 4) / 2
    for suffix in DATASETS.values():
        assert result.scores[f"BAcc {suffix}"] == pytest.approx(per_dataset)
    assert result.scores["Avg"] == pytest.approx(per_dataset)
    assert result.scores["Avg (FLAMe's 10)"] == pytest.approx(per_dataset)
    assert result.scores["Summarization"] == pytest.approx(per_dataset)
    assert len(result.predictions) == 12 * len(DATASETS)
    assert "FLAMe-24B (paper)" in result.markdown()


def test_max_per_task_draws_a_seeded_sample(tmp_path):
    rows = [
        {
            "dataset": "Wice",
            "doc": f"d{i}",
            "claim": f"c{i}",
            "label": i % 2,
            "contamination_identifier": "x",
        }
        for i in range(30)
    ]
    root = testing.write_rows(tmp_path, "llm_aggrefact", SPLITS["test"][0], rows)
    first = aggrefact.evaluate(KeywordJudge(), data_dir=root, max_per_task=8, seed=1)
    again = aggrefact.evaluate(KeywordJudge(), data_dir=root, max_per_task=8, seed=1)
    other = aggrefact.evaluate(KeywordJudge(), data_dir=root, max_per_task=8, seed=2)
    claims = [[p["task"] for p in r.predictions] for r in (first, again)]
    assert claims[0] == claims[1] and len(first.predictions) == 8
    assert first.predictions == again.predictions
    assert first.predictions != other.predictions
