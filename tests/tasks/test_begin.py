"""Golden tests of BEGIN attribution: real dev rows from ../shared/data, test-made rows."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

GOLDEN = """\
INSTRUCTIONS:
title: Is the dialogue response fully attributable to the knowledge?
description: In this task, you will be shown a piece of knowledge, the previous turn of a \
conversation, and a response written by a dialogue system that was meant to use the knowledge. \
Judge whether the information the response conveys can be attributed to the knowledge: whether \
someone who reads the knowledge would agree that it states everything the response claims. \
Opinions, feelings and questions that convey no information are not facts to attribute. Answer \
'Fully attributable' if all of the information in the response is supported by the knowledge. \
Answer 'Not fully attributable' if some information in the response is not supported by, or \
contradicts, the knowledge. Answer 'Generic' if the response conveys no information to \
attribute, e.g. a bare reaction, a vague statement or a question.
output_fields: answer

CONTEXT:
knowledge: cheerleading is an activity wherein the participants (referred to as "cheerleaders") \
cheer for their team as a form of encouragement.
message: i love cheerleading!
response: cheerleading is an activity where participants cheer for their team

EVALUATION:
answer: Fully attributable"""

HEADER = ("model_name", "data_source", "knowledge", "message", "response", "begin_label")


def _row(*values):
    return dict(zip(HEADER, values, strict=True))


def test_golden_on_real_dev_rows(shared_data):
    records = testing.render("begin_attribution", "train", shared_data)
    # 50 rows of each of cmu-dog, topicalchat, wow dev files, in that order: row 4 of wow.
    assert testing.text(records[103]) == GOLDEN
    assert len(records) == 150
    assert Counter(r.answer for r in records) == {
        "Not fully attributable": 100,
        "Fully attributable": 44,
        "Generic": 6,
    }
    assert testing.skipped("begin_attribution", "train", shared_data) == {}


def test_test_split_reads_the_three_test_files(tmp_path):
    for folder, short in (("cmu-dog", "cmu"), ("topicalchat", "tc"), ("wow", "wow")):
        row = _row("t5", short, "Paris is in France.", "", "that's great!", "Generic")
        testing.write_rows(tmp_path, "begin", f"{folder}/begin_test_{short}.tsv", [row])
    records = testing.render("begin_attribution", "test", str(tmp_path))
    assert [r.answer for r in records] == ["Generic"] * 3
    # An empty previous turn renders as a placeholder, not an empty field.
    assert testing.text(records[0]).endswith(
        "CONTEXT:\nknowledge: Paris is in France.\n"
        "message: (none: the response opens the conversation)\nresponse: that's great!\n\n"
        "EVALUATION:\nanswer: Generic"
    )


def test_bad_label_names_file_row_and_field(tmp_path):
    file = "wow/begin_test_wow.tsv"
    for folder, short in (("cmu-dog", "cmu"), ("topicalchat", "tc")):
        row = _row("t5", short, "k", "m", "r", "Generic")
        testing.write_rows(tmp_path, "begin", f"{folder}/begin_test_{short}.tsv", [row])
    rows = [_row("t5", "wow", "k", "m", "r", "Generic"), _row("t5", "wow", "k", "m", "r", "Yes")]
    testing.write_rows(tmp_path, "begin", file, rows)
    with pytest.raises(DataError, match=rf"file {file}, row 2, field 'begin_label': 'Yes' is not"):
        testing.render("begin_attribution", "test", str(tmp_path))
