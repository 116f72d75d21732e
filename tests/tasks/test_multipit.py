"""Golden tests of the MultiPIT paraphrase tasks on rows in the (unverified) upstream CSV schema."""

from collections import Counter

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError
from flame_jax.data.sources import Manual

ROWS = [
    {
        "sentence1": "A tsunami hit Haiti.",
        "sentence2": "303 people died in the Haiti tsunami.",
        "label": "1",
    },
    {
        "sentence1": "Messi scores twice for Inter Miami",
        "sentence2": "Inter Miami sign a new coach",
        "label": "0",
    },
    {
        "sentence1": "Apple unveils the new iPhone",
        "sentence2": "the new iPhone was unveiled by Apple",
        "label": "1",
    },
]

CROWD = """\
INSTRUCTIONS:
title: Do the two tweets report the same information?
description: In this task, you will be shown two sentences taken from tweets about the same \
trending topic or news story. Judge whether they are paraphrases in the sense used to track \
information on Twitter: they are paraphrases if they convey the same main information, the same \
event, fact or claim, even when one of them adds some details or phrases it differently. They are \
not paraphrases if they talk about different events or aspects of the topic, or if they make \
different or contradicting claims. Answer 'Yes' if the two sentences convey the same main \
information. Answer 'No' if the two sentences convey different information.
output_fields: answer

CONTEXT:
sentence1: A tsunami hit Haiti.
sentence2: 303 people died in the Haiti tsunami.

EVALUATION:
answer: Yes"""

EXPERT_DESCRIPTION = (
    "description: In this task, you will be shown two sentences taken from tweets about the same "
    "trending topic or news story. Judge whether they are paraphrases in the strict sense: they "
    "must have the same meaning, so that each could replace the other. If either sentence "
    "contains information that the other does not, such as an added number, name, place, cause "
    "or opinion, they are not paraphrases, even if they are about the same event. Answer 'Yes' if "
    "the two sentences have the same meaning, with no information in only one. Answer 'No' if the "
    "meanings differ, or one sentence has information the other lacks.\n"
)


@pytest.fixture
def root(tmp_path):
    for subset in ("crowd", "expert"):
        for stem in ("train", "val", "test"):
            testing.write_rows(tmp_path, "multipit", f"multipit_{subset}/{stem}.csv", ROWS)
    return str(tmp_path)


def test_crowd_golden_and_counts(root):
    records = testing.render("multipit_crowd", "train", root)
    assert testing.text(records[0]) == CROWD
    assert Counter(r.answer for r in records) == {"Yes": 2, "No": 1}
    assert testing.skipped("multipit_crowd", "train", root) == {}


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_expert_uses_the_strict_definition(root, split):
    records = testing.render("multipit_expert", split, root)
    assert EXPERT_DESCRIPTION in records[0].inputs
    assert [r.answer for r in records] == ["Yes", "No", "Yes"]


def test_source_is_fetched_by_hand():
    host = registry.get_task("multipit_crowd").source.host
    assert isinstance(host, Manual)
    assert "multipit_crowd/{train,val,test}.csv" in host.steps


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({**ROWS[0], "label": "2"}, "label", "'2' is not one of"),
        ({**ROWS[0], "sentence2": "  "}, "sentence2", "empty text"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    file = "multipit_crowd/train.csv"
    root = testing.write_rows(tmp_path, "multipit", file, [ROWS[1], row])
    with pytest.raises(DataError, match=rf"file {file}, row 2, field '{field}': {message}"):
        testing.render("multipit_crowd", "train", root)


def test_missing_column_names_file_row_and_field(tmp_path):
    file = "multipit_expert/test.csv"
    rows = [{k: v for k, v in ROWS[0].items() if k != "sentence1"}]
    root = testing.write_rows(tmp_path, "multipit", file, rows)
    with pytest.raises(DataError, match=rf"file {file}, row 1, field 'sentence1': missing"):
        testing.render("multipit_expert", "test", root)


def test_expert_files_are_named_as_the_upstream_zip_names_them():
    """multipit_expert.zip at fdafc45 holds multipit_expert/{train,val,test}.csv."""
    task = registry.get_task("multipit_expert")
    assert {split: task.files(split) for split in task.splits} == {
        "train": ("multipit_expert/train.csv",),
        "validation": ("multipit_expert/val.csv",),
        "test": ("multipit_expert/test.csv",),
    }
