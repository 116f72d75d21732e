import pytest

from flame_jax.evaluation import benchmarks, heldout
from flame_jax.judge import Judgment, PairwiseVerdict


class OrderJudge:
    """Always answers A in both orders (a maximally position-biased pairwise judge), or the
    gold answer when `oracle`."""

    mode = "score"

    def __init__(self, oracle: bool = False):
        self.oracle = oracle

    def judge(self, records):
        out = []
        for record in records:
            if self.oracle:
                p = 1.0 if record.answer == "A" else 0.0
                pair = PairwiseVerdict(
                    p, (p, p), (record.answer, "AB".replace(record.answer, "")), True
                )
            else:
                pair = PairwiseVerdict(0.5, (1.0, 0.0), ("A", "A"), False)
            out.append(
                Judgment(record, None if pair.p_a_better == 0.5 else record.answer, pair=pair)
            )
        return out


def test_llmbar_on_the_shared_samples(shared_data):
    oracle = heldout.evaluate(OrderJudge(oracle=True), "llmbar", data_dir=shared_data)
    assert oracle.scores["Avg"] == 1.0
    assert len(oracle.predictions) == 100  # 20 rows in each of the 5 sample files
    biased = heldout.evaluate(OrderJudge(), "llmbar", data_dir=shared_data)
    assert biased.scores["Avg"] == 0.5  # every item a tie
    assert biased.scores["llmbar_natural consistency"] == 0.0


def test_unknown_benchmark_names_are_clear():
    with pytest.raises(ValueError, match="rewardbench"):
        benchmarks.run_benchmark("rewardbenc", OrderJudge())
    with pytest.raises(ValueError, match="--input"):
        benchmarks.run_benchmark("humaneval_rerank", OrderJudge())
    with pytest.raises(ValueError, match="no --input"):
        benchmarks.run_benchmark("hhh", OrderJudge(), inputs="x.jsonl")


def test_every_held_out_benchmark_has_tasks():
    for name in heldout.BENCHMARKS:
        assert heldout.task_names(name)
