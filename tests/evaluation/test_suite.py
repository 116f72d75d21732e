"""Records longer than the judge's max_length: skipped and listed, or an error; never dropped."""

import json

import pytest

from flame_jax import cli
from flame_jax.evaluation import heldout, report, suite
from flame_jax.judge import Judgment, PairwiseVerdict


class LengthJudge:
    """A pairwise judge that answers the gold response and measures records in characters."""

    mode = "score"

    def __init__(self, max_length: int):
        self.max_length = max_length
        self.judged = []

    def sequence_length(self, record) -> int:
        return len(record.inputs)

    def judge(self, records):
        self.judged += records
        for record in records:
            if self.sequence_length(record) > self.max_length:
                raise ValueError(f"record is {len(record.inputs)} tokens")
        return [
            Judgment(
                r,
                r.answer,
                pair=PairwiseVerdict(1.0 if r.answer == "A" else 0.0, (1.0, 1.0), ("A", "B"), True),
            )
            for r in records
        ]


def test_long_items_are_skipped_counted_and_listed(shared_data, tmp_path):
    records, _ = suite.sample_records(
        "llmbar_natural", "test", max_per_task=20, data_dir=shared_data
    )
    lengths = sorted(len(r.inputs) for r in records)
    judge = LengthJudge(max_length=lengths[len(lengths) // 2])
    long = [i for i, r in enumerate(records) if len(r.inputs) > judge.max_length]
    kept, skipped = suite.split_too_long(judge, "llmbar_natural", records)
    assert kept == [i for i in range(len(records)) if i not in long]
    assert [row["item"] for row in skipped] == long
    assert all(row["tokens"] > judge.max_length == row["max_length"] for row in skipped)
    assert all(row["task"] == "llmbar_natural" for row in skipped)

    result = heldout.evaluate(judge, "llmbar", data_dir=shared_data, on_too_long="skip")
    assert len(result.predictions) + len(result.skipped) == 100  # 20 rows in 5 sample files
    assert len(judge.judged) == len(result.predictions)
    assert result.skipped and all(row["tokens"] > judge.max_length for row in result.skipped)
    assert result.scores["Avg"] == 1.0  # over the judged items
    assert any("items skipped, longer than max_length" in note for note in result.notes)

    paths = report.write(result, str(tmp_path))
    scores = json.loads(open(paths["scores"]).read())
    assert scores["num_skipped"] == len(result.skipped) and scores["skipped"] == result.skipped
    markdown = open(paths["report"]).read()
    assert f"{len(result.skipped)} items skipped: longer than the judge's max_length" in markdown
    first = result.skipped[0]
    assert f"{first['task']} item {first['item']}" in markdown

    with pytest.raises(ValueError, match=r"^llmbar_\w+: record is \d+ tokens"):
        heldout.evaluate(LengthJudge(judge.max_length), "llmbar", data_dir=shared_data)
    with pytest.raises(ValueError, match="on_too_long"):
        suite.judge_tasks(judge, [], "test", max_per_task=1, on_too_long="truncate")


def test_judge_and_eval_commands_report_skipped_records(
    tmp_path, shared_data, demo_checkpoint, capsys
):
    facts = [["Ana", 3, "cats"], ["Ben", 2, "pens"]]
    many = [[f"P{i}", i, "cups"] for i in range(40)]
    inputs = [
        {"facts": facts if i % 3 else many, "claim": ["Ana", 3, "cats"], "supported": True}
        for i in range(6)
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in inputs))
    out = tmp_path / "judged.jsonl"
    base = ["--checkpoint", demo_checkpoint, "--max_length", "100"]
    judge_argv = ["judge", *base, "--task", "demo_support", "--input", str(path)]
    assert cli.main([*judge_argv, "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 6  # one row per record, in input order
    assert [i for i, row in enumerate(rows) if "skipped" in row] == [0, 3]
    assert all(rows[i]["item"] == i and rows[i]["tokens"] > 100 for i in (0, 3))
    assert all("score" in row for row in rows if "skipped" not in row)
    assert "4 records judged" in (printed := capsys.readouterr().out)
    assert "2 skipped, longer than max_length 100" in printed

    error = tmp_path / "error.jsonl"
    argv = [*judge_argv, "--output", str(error), "--on_too_long", "error"]
    assert cli.main(argv) == 2
    assert not error.exists()
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "more than max_length 100" in message

    results = tmp_path / "llmbar"
    eval_argv = ["eval", *base[:2], "--benchmark", "llmbar", "--data_dir", shared_data]
    eval_argv += ["--max_per_task", "3", "--max_length", "400", "--output", str(results)]
    assert cli.main(eval_argv) == 0
    scores = json.loads((results / "scores.json").read_text())
    predictions = (results / "predictions.jsonl").read_text().splitlines()
    assert scores["num_skipped"] == len(scores["skipped"]) > 0
    assert len(predictions) + scores["num_skipped"] == 15  # 3 items of 5 tasks
    assert "items skipped" in (results / "report.md").read_text()
