import json

import numpy as np
import pytest

from flame_jax import cli, judge
from flame_jax.data import registry
from flame_jax.format import TaskType
from flame_jax.judge import Autorater, GeneratedEvaluation, generated_verdict


@pytest.fixture(scope="module")
def rater(demo_checkpoint) -> Autorater:
    return judge.load_autorater(demo_checkpoint, batch_size=4, progress=False)


def _records(task: str, n: int):
    return registry.first_records(registry.get_task(task), "test", n)


def test_judge_matches_the_scoring_functions(rater):
    records = [*_records("demo_support", 3), *_records("demo_sortedness", 2)]
    judged = rater.judge(records)
    direct = judge.option_probabilities(rater.model, rater.params, rater.codec, records)
    for judgment, probabilities, record in zip(judged, direct, records, strict=True):
        assert judgment.record is record
        assert judgment.probabilities == pytest.approx(probabilities, rel=1e-4)  # batch shapes
        assert judgment.answer == judge.verdict(probabilities)
    assert judged[3].expected_score == pytest.approx(judge.expected_score(direct[3]), rel=1e-4)
    assert judged[0].expected_score is None


def test_pairwise_judges_both_orders(rater):
    records = _records("demo_sorting", 4)
    judged = rater.judge(records)
    pairs = judge.pairwise_both_orders(rater.model, rater.params, rater.codec, records)
    for judgment, pair in zip(judged, pairs, strict=True):
        assert judgment.pair.p_a_better == pytest.approx(pair.p_a_better, rel=1e-4)
        assert judgment.answer == ("A" if pair.p_a_better > 0.5 else "B")
    assert rater.judge_pairs(records)[0].p_a_better == pytest.approx(pairs[0].p_a_better, rel=1e-4)


def test_ad_hoc_judgments(rater):
    pair = rater.pairwise("Sort: 3 1 2", "1 2 3", "3 2 1")
    assert pair.answer in ("A", "B") and pair.pair is not None
    assert sum(pair.probabilities.values()) == pytest.approx(1.0)
    # Swapping the responses mirrors the order-averaged preference exactly.
    swapped = rater.pairwise("Sort: 3 1 2", "3 2 1", "1 2 3")
    assert swapped.pair.p_a_better == pytest.approx(1 - pair.pair.p_a_better, abs=1e-6)
    rating = rater.pointwise("a list", "1 2 3 5 4", criteria="How sorted is it?")
    assert set(rating.probabilities) == {"1", "2", "3", "4", "5"}
    assert 1.0 <= rating.expected_score <= 5.0
    label = rater.classify(
        {"facts": "Ana has 3 cats", "claim": "Ana has 3 cats"},
        question="Is the claim supported?",
        labels=("Yes", "No"),
    )
    assert label.answer in ("Yes", "No")


def test_generate_mode_parses_and_reports_failures(demo_checkpoint):
    rater = judge.load_autorater(
        demo_checkpoint, mode="generate", max_new_tokens=8, batch_size=2, progress=False
    )
    records = _records("demo_correction", 2) + _records("demo_sorting", 1)
    judged = rater.judge(records)
    assert [j.record.task_type for j in judged] == [
        TaskType.OPEN_ENDED,
        TaskType.OPEN_ENDED,
        TaskType.PAIRWISE,
    ]
    for j in judged:
        assert j.output is not None and j.output.num_tokens <= 8
    for j in judged[:2]:
        assert (j.answer is None) == (not j.output.parsed)
    pair = judged[2].pair
    assert set(pair.p_a_better_by_order) <= {0.0, 0.5, 1.0}
    assert (judged[2].answer is None) == (pair.p_a_better == 0.5)


def _generated(answer):
    return GeneratedEvaluation(
        text="", fields=None if answer is None else {"answer": answer}, num_tokens=1, finished=True
    )


def test_generated_verdict_follows_rewardbench_rules():
    agree = generated_verdict(_generated("A"), _generated("B"))
    assert agree.p_a_better == 1.0 and agree.consistent
    first_slot = generated_verdict(_generated("A"), _generated("A"))
    assert first_slot.p_a_better == 0.5 and not first_slot.consistent
    unparsed = generated_verdict(_generated(None), _generated("B"))
    assert unparsed.p_a_better_by_order == (0.5, 1.0) and not unparsed.consistent


def test_load_errors_are_clear(tmp_path, demo_checkpoint):
    with pytest.raises(ValueError, match=r"no run\.json"):
        judge.load_autorater(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="--vocabulary"):
        judge.load_autorater(demo_checkpoint, vocabulary=str(tmp_path / "none.model"))
    with pytest.raises(ValueError, match="mode"):
        Autorater(None, None, None, mode="sample")


def test_judge_cli_on_rows_in_the_upstream_schema(tmp_path, demo_checkpoint, capsys):
    rows = [
        {
            "facts": [["Ana", 3, "cats"], ["Ben", 2, "pens"]],
            "claim": ["Ana", 3, "cats"],
            "supported": True,
        },
        {
            "facts": [["Ana", 3, "cats"], ["Ben", 2, "pens"]],
            "claim": ["Ben", 5, "pens"],
            "supported": False,
        },
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    args = ["judge", "--checkpoint", demo_checkpoint, "--task", "demo_support"]
    assert cli.main([*args, "--input", str(path), "--output", str(out)]) == 0
    judged = [json.loads(line) for line in out.read_text().splitlines()]
    assert [j["gold"] for j in judged] == ["Yes", "No"]
    assert all(j["score"] == float(j["answer"] == j["gold"]) for j in judged)
    assert "2 records judged" in capsys.readouterr().out

    out = tmp_path / "split.jsonl"
    argv = [*args, "--split", "test", "--max_items", "5", "--output", str(out)]
    assert cli.main([*argv, "--mode", "generate", "--max_new_tokens", "8"]) == 0
    assert len(out.read_text().splitlines()) == 5
    assert "parse failures" in capsys.readouterr().out

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"facts": [], "claim": ["Ana", 3, "cats"]}) + "\n")
    assert cli.main([*args, "--input", str(bad), "--output", str(tmp_path / "x.jsonl")]) == 2
    assert "row 1" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def test_pairwise_probabilities_are_deterministic(rater):
    records = _records("demo_sorting", 3)
    first = [j.pair.p_a_better for j in rater.judge(records)]
    second = [j.pair.p_a_better for j in rater.judge(records)]
    np.testing.assert_array_equal(first, second)


def test_two_judges_with_different_vocabularies_score_in_one_process(demo_checkpoint, tmp_path):
    """Nothing about tokenization is process-wide: a judge with another vocabulary and chat
    template judges between calls of the demo judge, and each gives what it gives alone."""
    from flame_jax.data import chat, testing
    from flame_jax.data.codec import Codec
    from flame_jax.models import Transformer, TransformerConfig
    from flame_jax.models.testing import random_params

    records = _records("demo_support", 6)
    demo = judge.load_autorater(demo_checkpoint, batch_size=4, progress=False)
    alone = [j.probabilities for j in demo.judge(records)]
    vocab = testing.train_gemma_style_sentencepiece(
        [r.inputs + r.targets for r in records] * 10, str(tmp_path / "gemma"), vocab_size=500
    )
    gemma_codec = Codec.load(vocab, "gemma")
    assert gemma_codec.vocabulary.vocab_size != demo.codec.vocabulary.vocab_size
    config = TransformerConfig(
        vocab_size=640, embed_dim=32, num_layers=1, num_heads=2, num_kv_heads=1, head_dim=16
    )
    other = Autorater(Transformer(config), random_params(config, seed=1), gemma_codec)
    other_alone = [j.probabilities for j in other.judge(records)]
    for _ in range(2):  # interleaved
        assert [j.probabilities for j in demo.judge(records)] == alone
        assert [j.probabilities for j in other.judge(records)] == other_alone
    assert other.codec.chat_template == chat.TEMPLATES["gemma"] and demo.codec.chat_template is None
    assert gemma_codec.encode_inputs(records[0].inputs) != demo.codec.encode_inputs(
        records[0].inputs
    )


def test_loading_a_run_never_executes_its_files(demo_checkpoint, tmp_path):
    """A checkpoint is data: a hostile config.gin (imports, os.system bound as a configurable)
    beside the run is never parsed, and a hostile run.json is refused field by field."""
    import shutil

    run = str(tmp_path / "run")
    shutil.copytree(demo_checkpoint, run)
    marker = tmp_path / "pwned"
    with open(f"{run}/config.gin", "w") as f:
        f.write(
            "from __gin__ import dynamic_registration\nimport os\n"
            f"os.system.command = 'touch {marker}'\n"
            "train.model_config = @os.system()\n"
        )
    rater = judge.load_autorater(run, progress=False)
    assert rater.judge(_records("demo_support", 1))[0].answer is not None
    assert not marker.exists()

    with open(f"{run}/run.json") as f:
        manifest = json.load(f)
    for field, value in (
        ("model_config", {"num_layers": "__import__('os').system('x')"}),
        ("chat_template", {"prefix": 1, "suffix": ""}),
        ("vocabulary", ["a"]),
        ("extra", 1),
    ):
        with open(f"{run}/run.json", "w") as f:
            json.dump({**manifest, field: value}, f)
        with pytest.raises(ValueError, match=field):
            judge.load_autorater(run, progress=False)
    assert not marker.exists()


def test_token_budget_changes_passes_not_judgments(rater):
    """Records of several lengths, judged 16 rows at a time or 1: the same probabilities, in
    input order; a record longer than max_length raises before anything is judged."""
    import dataclasses

    short = _records("demo_support", 3)
    long = dataclasses.replace(short[1], context=tuple((n, v * 4) for n, v in short[1].context))
    records = [short[0], long, short[2], *_records("demo_sorting", 2)]
    tight = Autorater(
        rater.model, rater.params, rater.codec, token_budget=64, batch_size=4, progress=False
    )
    for a, b in zip(rater.judge(records), tight.judge(records), strict=True):
        assert a.record is b.record
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-6)

    assert rater.sequence_length(long) > rater.sequence_length(short[1])
    limit = rater.sequence_length(long) - 1
    strict = Autorater(rater.model, rater.params, rater.codec, max_length=limit, progress=False)
    with pytest.raises(ValueError, match=rf"record 1 is {limit + 1} tokens, more than max_length"):
        strict.judge(records)
    generating = Autorater(
        rater.model, rater.params, rater.codec, mode="generate", max_new_tokens=8, progress=False
    )
    pair = records[3]
    assert generating.sequence_length(pair) == 8 + max(
        len(rater.codec.encode_inputs(r.inputs)) for r in (pair, judge.swap_responses(pair))
    )
