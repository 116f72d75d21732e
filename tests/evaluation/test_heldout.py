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


def _authors_release_rows(root):
    """One small file per authors'-release benchmark, in the upstream schemas."""
    from flame_tasks import copoet, rankgen

    from flame_jax.data import testing

    rows = [
        {
            "HITId": f"H{i}",
            "WorkerId": "W1",
            "Input.Prefix": f"Context {i}.",
            "Input.First": f"One {i}.",
            "Input.Second": f"Two {i}.",
            "Input.Order": "beam,nucleus",
            "Input.Dataset": "wiki",
            "Input.Model": "gpt2_medium",
            "Answer.utterance": f"Text {1 + i % 2} - reads better.",
            "Scarecrow": "",
            "": "",
        }
        for i in range(4)
    ]
    for file in rankgen.FILES:
        testing.write_rows(root, "rankgen", file, rows)
    poems = [
        {
            "HITId": f"H{i}",
            "Input.title": f"Title {i}",
            "Input.poem_1": f"First poem {i}",
            "Input.poem_2": f"Second poem {i}",
            "Answer.creative1.creative1": "TRUE" if i % 2 else "FALSE",
            "Answer.creative2.creative2": "FALSE" if i % 2 else "TRUE",
        }
        for i in range(3)
    ]
    testing.write_rows(root, "copoet", copoet.FILE, poems)
    votes = ["system a is more human-like.", "system b is more human-like."]
    testing.write_rows(
        root,
        "contrsearch",
        "human_evaluation_annotations.json",
        [
            {
                "prompt": f"Prompt {i}",
                "system_a_name": "contrastive_search",
                "system_a_result": f"Prompt {i} goes on.",
                "system_b_name": "contrastive_decoding",
                "system_b_result": f"Prompt {i} goes on and on.",
                "domain": "wikitext",
                "human_annotation": {"annotator_1": votes[i % 2]},
            }
            for i in range(3)
        ],
    )
    testing.write_rows(
        root,
        "littrans",
        "all_annotations_v1.json",
        [
            {
                "eval": "de_en_1",
                "source": f"Satz {i}.",
                "source_lang": "de",
                "target_lang": "en",
                "text1": f"Sentence {i}.",
                "text2": f"Phrase {i}.",
                "text1_tag": "sent",
                "text2_tag": "para",
                "choice": f"text{1 + i % 2}",
            }
            for i in range(3)
        ],
    )
    testing.write_rows(
        root,
        "lfqa_eval",
        "experts_pairwise_human_preferences.jsonl",
        [
            {
                "question": f"Why {i}?",
                "answer_a": f"Because {i}.",
                "answer_b": f"No idea {i}.",
                "answer_a_type": "human",
                "answer_b_type": "gpt3",
                "overall_preference": (-1, 1, 0)[i],
            }
            for i in range(3)
        ],
    )
    return str(root)


AUTHORS_RELEASES = {  # benchmark -> (paper column, items in the files above)
    "rankgen": ("RankGen", 8),
    "copoet": ("CoPoet", 3),
    "contrsearch": ("ContrSearch", 3),
    "littrans": ("LitTrans", 3),
    "lfqaeval": ("LFQAEval", 2),
}


@pytest.mark.parametrize("benchmark", sorted(AUTHORS_RELEASES))
def test_authors_release_benchmarks_run_with_their_paper_rows(tmp_path, benchmark):
    column, items = AUTHORS_RELEASES[benchmark]
    assert benchmark in benchmarks.names()
    root = _authors_release_rows(tmp_path)
    result = benchmarks.run_benchmark(benchmark, OrderJudge(oracle=True), data_dir=root)
    assert result.scores[column] == 1.0
    assert len(result.predictions) == items
    assert set(result.paper) == set(heldout.PAPER_ROWS)
    assert (
        result.paper["FLAMe-RM-24B"][column]
        == {
            "RankGen": 0.652,
            "CoPoet": 0.575,
            "ContrSearch": 0.575,
            "LitTrans": 0.676,
            "LFQAEval": 0.727,
        }[column]
    )
    biased = heldout.evaluate(OrderJudge(), benchmark, data_dir=root)
    assert biased.scores[column] == 0.5


def test_dipper_is_documented_as_not_public():
    assert "dipper" not in heldout.BENCHMARKS
    assert "Dipper" in heldout.__doc__ and "not public" in heldout.__doc__
