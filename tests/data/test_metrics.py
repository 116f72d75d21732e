"""Task metrics against hand-computed values."""

import pytest

from flame_jax.data import metrics
from flame_jax.format import OpenEnded, Pairwise, Pointwise

PAIR = Pairwise(title="t", description="d", context_fields=("p",))
POINT = Pointwise(
    title="t", description="d", context_fields=("p",), scale=(("1", "a"), ("2", "b"), ("3", "c"))
)


def parsed(template, texts):
    return [metrics.parse_output(t, template=template) for t in texts]


def test_pairwise_accuracy_and_parse_failures():
    targets = parsed(PAIR, ["EVALUATION:\nanswer: A"] * 4)
    predictions = parsed(PAIR, ["answer: A", "answer: B", "garbage", "EVALUATION:\nanswer: a"])
    (fn,) = metrics.metric_fns(PAIR)
    assert fn(targets, predictions) == {"accuracy": 50.0, "parse_failure_rate": 25.0}


def test_pointwise_rank_correlations():
    targets = parsed(POINT, [f"score: {s}" for s in (1, 2, 3, 3)])
    predictions = parsed(POINT, [f"score: {s}" for s in (1, 3, 2, 3)])
    accuracy, correlation = (fn(targets, predictions) for fn in metrics.metric_fns(POINT))
    assert accuracy["accuracy"] == 50.0
    # Hand-computed. Spearman: ranks gold (1, 2, 3.5, 3.5) and predicted (1, 3.5, 2, 3.5),
    # centred (-1.5, -.5, 1, 1) and (-1.5, 1, -.5, 1): 2.25 / 4.5 = 0.5. Kendall tau-b: 3
    # concordant, 1 discordant pair, one tie on each side: (3 - 1) / sqrt(5 * 5) = 0.4.
    assert correlation["spearman"] == pytest.approx(0.5)
    assert correlation["kendall"] == pytest.approx(0.4)
    # An unparseable prediction takes the midpoint (2), not a free pass.
    broken = parsed(POINT, ["score: 1", "?", "score: 3", "score: 3"])
    assert metrics.rank_correlation(targets, broken, field="score", scale=("1", "2", "3"))[
        "spearman"
    ] == pytest.approx(1.0)


def test_rouge_l_hand_computed():
    # LCS("the cat sat on the mat", "the cat on the mat") = 5: P = 5/5, R = 5/6.
    assert metrics.rouge_l_f1("the cat sat on the mat", "the cat on the mat") == pytest.approx(
        2 * (1 * 5 / 6) / (1 + 5 / 6)
    )
    assert metrics.rouge_l_f1("a b", "c d") == 0.0
    template = OpenEnded(title="t", description="d", context_fields=("p",), fields=("fix",))
    (fn,) = metrics.metric_fns(template)
    out = fn(parsed(template, ["fix: a b c"]), parsed(template, ["fix: a b c"]))
    assert out == {"rouge_l": 100.0, "exact_match": 100.0, "parse_failure_rate": 0.0}
