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


class TextJudge:
    """A generate-mode judge whose outputs are given texts (cycled), judged like the Autorater."""

    mode = "generate"

    def __init__(self, texts):
        self.texts = texts

    def judge(self, records):
        from flame_jax.judge import GeneratedEvaluation, generated_verdict, parse_generated
        from flame_jax.judge.scoring import swap_responses

        out = []
        for i, record in enumerate(records):
            outputs = []
            for k, shown in enumerate((record, swap_responses(record))):
                text = self.texts[(i + k) % len(self.texts)]
                outputs.append(
                    GeneratedEvaluation(text, parse_generated(text, shown), 4, finished=True)
                )
            pair = generated_verdict(*outputs)
            answer = None if pair.p_a_better == 0.5 else "A" if pair.p_a_better > 0.5 else "B"
            out.append(Judgment(record, answer, pair=pair, output=outputs[0]))
        return out


def test_generate_mode_reports_seqio_metrics_of_the_rendered_order(shared_data):
    texts = ["EVALUATION:\nanswer: A", "answer: B", "I cannot tell", "EVALUATION:\nanswer: B"]
    result = heldout.evaluate(TextJudge(texts), "llmbar", data_dir=shared_data)
    rows = [p for p in result.predictions if p["task"] == "llmbar_natural"]
    first_order = [p["verdicts"][0] for p in rows]
    expected = sum(v == p["gold"] for v, p in zip(first_order, rows, strict=True)) / len(rows)
    assert result.scores["llmbar_natural seqio accuracy"] == pytest.approx(expected)
    failures = sum(v == "?" for v in first_order) / len(rows)
    assert result.scores["llmbar_natural seqio parse_failure_rate"] == pytest.approx(failures)
    assert 0 < failures < 1
