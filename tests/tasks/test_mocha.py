"""Golden tests of the MOCHA task on files written in the upstream nested-object schema."""

import json

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

PASSAGE = "Tom put on his coat and went out into the snow to walk the dog."


def _instance(candidate, score, scores, source="gpt2"):
    return {
        "context": PASSAGE,
        "question": "Why did Tom put on his coat?",
        "reference": "Because it was snowing and cold outside.",
        "candidate": candidate,
        "score": score,
        "metadata": {"scores": scores, "source": source},
    }


DATA = {
    "cosmosqa": {
        "a1": _instance("It was cold because of the snow.", 5, [5]),
        "a2": _instance("He wanted to look nice.", 1.5, [1, 2]),
    },
    "mcscript": {"b1": _instance("to walk the dog in the snow", 3.3333, [3, 3, 4], "mhpg")},
}

GOLDEN = """\
INSTRUCTIONS:
title: How correct is the candidate answer to the question about the passage?
description: In this task, you will be shown a passage, a question about it, a reference answer \
written by a person, and a candidate answer produced by a system. Judge how correct the candidate \
answer is: whether it answers the question as the passage supports, using the reference as a \
guide. A candidate can be correct while worded differently from the reference; what matters is its \
meaning, not its overlap with the reference. Give a score from 1 to 5: 1 = completely wrong or \
unrelated to the question; 2 = mostly wrong, with only a small part that is right; 3 = partly \
correct: some of it matches the correct answer, some is missing or wrong; 4 = mostly correct, with \
a small error or omission; 5 = completely correct: it means the same as the reference.
output_fields: score

CONTEXT:
passage: Tom put on his coat and went out into the snow to walk the dog.
question: Why did Tom put on his coat?
reference: Because it was snowing and cold outside.
candidate: It was cold because of the snow.

EVALUATION:
score: 5"""


def _write(root, file, data):
    path = root / "mocha" / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))  # one compact JSON object, as json.dump writes it
    return str(root)


def test_golden_counts_and_rounding(tmp_path):
    root = _write(tmp_path, "train.json", DATA)
    records = testing.render("mocha_correctness", "train", root)
    assert testing.text(records[0]) == GOLDEN
    assert [r.answer for r in records] == ["5", "2", "3"]  # 1.5 rounds up, 3.33 down
    assert testing.skipped("mocha_correctness", "train", root) == {}


def test_validation_split_reads_dev(tmp_path):
    root = _write(tmp_path, "dev.json", {"drop": {"c1": _instance("snow", 4.0, [4, 4, 4])}})
    (record,) = testing.render("mocha_correctness", "validation", root)
    assert record.answer == "4"


@pytest.mark.parametrize(
    ("instance", "field", "message"),
    [
        (_instance("x", 6, [6]), "score", "6.0 is outside 1-5 \\(instance bad\\)"),
        (_instance("x", "high", [5]), "score", "expected float"),
        (_instance(" ", 3, [3]), "candidate", "empty text"),
        ({**_instance("x", 3, [3]), "context": None}, "context", "expected str"),
    ],
)
def test_bad_instances_name_file_position_and_field(tmp_path, instance, field, message):
    data = {"cosmosqa": {"a1": DATA["cosmosqa"]["a1"], "bad": instance}}
    root = _write(tmp_path, "train.json", data)
    with pytest.raises(DataError, match=rf"file train.json, row 2, field '{field}': {message}"):
        testing.render("mocha_correctness", "train", root)


def test_a_pretty_printed_file_reads_the_same(tmp_path):
    compact = testing.render(
        "mocha_correctness", "train", _write(tmp_path / "a", "train.json", DATA)
    )
    path = tmp_path / "b" / "mocha" / "train.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(DATA, indent=4))
    assert testing.render("mocha_correctness", "train", str(tmp_path / "b")) == compact
