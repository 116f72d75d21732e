"""Golden tests of the summarize-from-feedback tasks on the real README records.

The samples in ../shared/data are named *.sample.jsonl; the tasks read upstream names
(comparisons/<batch>.json, axis_evals/<name>.json), so the tests write the real records
under those names in tmp_path: each under its own batch, the other files holding copies
moved to a validation split (which the tasks skip and count).
"""

import json
import os

import pytest
from flame_tasks import summarize_from_feedback as sff

from flame_jax.data import testing
from flame_jax.data.readers import DataError

SOURCE = "summarize_from_feedback"


def _sample(shared_data: str, name: str) -> dict:
    with open(os.path.join(shared_data, SOURCE, name)) as f:
        return json.loads(f.read())


def _write_lines(tmp_path, file: str, rows: list[dict]) -> None:
    """Upstream files are JSON lines despite their .json names."""
    path = tmp_path / SOURCE / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def _write(tmp_path, comparison: dict | None = None, axis: dict | None = None) -> str:
    for file in sff.COMPARISON_FILES if comparison else ():
        row = comparison if file == "comparisons/batch9.json" else {**comparison, "split": "valid2"}
        _write_lines(tmp_path, file, [row])
    for file in sff.AXIS_FILES if axis else ():
        row = axis if file == "axis_evals/cnndm1.json" else {**axis, "split": "valid1"}
        _write_lines(tmp_path, file, [row])
    return str(tmp_path)


COMPARISON_HEAD = """\
INSTRUCTIONS:
title: Which summary is better?
description: In this task, you will be shown a text (a Reddit post or a news article) and two \
summaries of it. Choose the better summary: the one that better conveys the most important \
information of the text, is accurate to it (no claims the text does not support), and is clear and \
easy to understand on its own. Answer 'A' if summary_a is better, or 'B' if summary_b is better.
output_fields: answer

CONTEXT:
source: Reddit, r/legaladvice
title: Anybody with knowledge of the Dutch law around ? car accident questions.
document: """

COMPARISON_TAIL = """
summary_a: car accident caused me 2-3m damage to my car both doors totally jammed and driving way \
faster than usual. need info on what to do with this.. thanks :)
summary_b: we suspect other party involved of speeding when he hit me but I can't prove it without \
an investigation into the damage, how can i get such an investigation ? if at all possible.

EVALUATION:
answer: B"""


def test_comparisons_golden_on_the_real_record(shared_data, tmp_path):
    row = _sample(shared_data, "comparisons.sample.jsonl")
    root = _write(tmp_path, comparison=row)
    (record,) = testing.render("summarize_from_feedback_comparisons", "train", root)
    # The post verbatim (it has no surrounding whitespace); choice 1 = the second summary.
    assert testing.text(record) == COMPARISON_HEAD + row["info"]["post"] + COMPARISON_TAIL
    # The 22 other batches hold the record moved to valid2: skipped and counted.
    assert testing.skipped("summarize_from_feedback_comparisons", "train", root) == {
        "validation_row": 22
    }


AXIS_HEAD = """\
INSTRUCTIONS:
title: How good is the summary overall?
description: In this task, you will be shown a text (a Reddit post or a news article) and a \
summary of it. Rate how good the summary is overall at representing the text, taking into \
account its accuracy (no claims the text does not support), its coverage of the text's important \
information, and its coherence. Give a score from 1 to 7: 1 = very poor: the summary fails to \
represent the text; 2 = poor; 3 = below average; 4 = acceptable: a fair summary with clear \
shortcomings; 5 = good; 6 = very good; 7 = excellent: the summary represents the text as well as \
a summary can.
output_fields: score

CONTEXT:
source: news, dailymail
title: Newcastle United midfielder Moussa Sissoko faces disciplinary action from the club after \
dangerous tackle on Lucas Leiva
document: """

AXIS_TAIL = """
summary: Moussa Sissoko was sent off against Liverpool on Monday night.. John Carver felt that \
Sissoko's second booking was worthy of a red card.. Midfielder could be punished by his club on \
top of a two-game ban.. Carver admits he is only concerned with results and not performances.. \
Newcastle are 13th in the table, nine points off the relegation zone.

EVALUATION:
score: 3"""


def test_axis_golden_on_the_real_record(shared_data, tmp_path):
    row = _sample(shared_data, "axis_evals.sample.jsonl")
    root = _write(tmp_path, axis=row)
    (record,) = testing.render("summarize_from_feedback_axis", "test", root)
    assert testing.text(record) == AXIS_HEAD + row["info"]["article"] + AXIS_TAIL
    assert testing.skipped("summarize_from_feedback_axis", "test", root) == {"validation_row": 4}


def test_axis_is_evaluation_only_and_skips_missing_overall(shared_data, tmp_path):
    from flame_jax.data import registry

    assert registry.get_task("summarize_from_feedback_axis").evaluation_only
    assert registry.get_task("summarize_from_feedback_comparisons").is_training
    row = _sample(shared_data, "axis_evals.sample.jsonl")
    axes = {k: v for k, v in row["summary"]["axes"].items() if k != "overall"}
    no_overall = {**row, "summary": {**row["summary"], "axes": axes}}
    for file in sff.AXIS_FILES:
        _write_lines(tmp_path, file, [row, no_overall])
    assert testing.skipped("summarize_from_feedback_axis", "test", str(tmp_path)) == {
        "no_overall": 5
    }


def test_identical_summaries_are_skipped(shared_data, tmp_path):
    row = _sample(shared_data, "comparisons.sample.jsonl")
    same = {**row, "summaries": [row["summaries"][0], row["summaries"][0]]}
    for file in sff.COMPARISON_FILES:
        _write_lines(tmp_path, file, [same])
    assert testing.skipped("summarize_from_feedback_comparisons", "train", str(tmp_path)) == {
        "identical": 23
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"choice": 2}, "choice", "2 is not one of"),
        ({"split": "valid3"}, "split", "'valid3' is not one of"),
        ({"summaries": []}, "summaries", "expected 2 summaries, got 0"),
    ],
)
def test_bad_comparisons_name_file_row_and_field(shared_data, tmp_path, change, field, message):
    row = {**_sample(shared_data, "comparisons.sample.jsonl"), **change}
    _write(tmp_path, comparison=row)
    with pytest.raises(
        DataError, match=rf"file comparisons/batch9.json, row 1, field '{field}': {message}"
    ):
        testing.render("summarize_from_feedback_comparisons", "train", str(tmp_path))


def test_bad_axis_score_names_file_row_and_field(shared_data, tmp_path):
    row = _sample(shared_data, "axis_evals.sample.jsonl")
    bad = {**row, "summary": {**row["summary"], "axes": {"overall": 9}}}
    _write(tmp_path, axis=bad)
    with pytest.raises(
        DataError,
        match=r"file axis_evals/cnndm1.json, row 1, field 'summary.axes.overall': 9 is not one",
    ):
        testing.render("summarize_from_feedback_axis", "test", str(tmp_path))
