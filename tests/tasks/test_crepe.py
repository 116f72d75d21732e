"""Golden tests of the CREPE tasks on rows written in the upstream JSON-lines schema."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

QUESTION = "Why does the moon only come out at night?"
COMMENT = "It doesn't. The moon is often visible during the day; it's just fainter than the sun."


def _row(labels, presuppositions=(), corrections=(), question=QUESTION, comment=COMMENT):
    return {
        "id": "b8x2f1",
        "question": question,
        "comment": comment,
        "labels": list(labels),
        "presuppositions": list(presuppositions),
        "corrections": list(corrections),
        "passages": ["The Moon is Earth's only natural satellite."] * 2,
        "raw_labels": list(labels),
        "raw_presuppositions": list(presuppositions),
        "raw_corrections": list(corrections),
    }


ROWS = [
    _row(
        ["false_presupposition"],
        ["The moon only comes out at night.", "The moon is only visible at night."],
        ["The moon is often visible during the day.", "The moon can be seen in daytime."],
    ),
    _row(["normal"], question="Why is the sky blue?", comment="Rayleigh scattering."),
    _row(["false presupposition", "normal"], ["The moon only comes out at night."], ["No."]),
    _row(["false presupposition"], ["The moon only comes out at night."], ["It does not."]),
]

DETECTION_FIRST = """\
INSTRUCTIONS:
title: Does the question contain a false presupposition?
description: In this task, you will be shown a question posted on the Reddit forum Explain Like \
I'm Five and the most upvoted comment answering it. Judge whether the question contains a false \
presupposition. A false presupposition is something the question assumes to be true, stated or \
implied, that is in fact false, so that the question cannot be answered as asked (e.g. 'Why do we \
only use 10% of our brain?' presupposes that we only use 10% of our brain). Use the comment as \
evidence: it often points out the mistaken assumption. Questions that are merely vague, subjective \
or based on true assumptions have no false presupposition. Answer 'Yes' if the question rests on a \
false presupposition. Answer 'No' if the question has no false presupposition.
output_fields: answer

CONTEXT:
question: Why does the moon only come out at night?
comment: It doesn't. The moon is often visible during the day; it's just fainter than the sun.

EVALUATION:
answer: Yes"""

CORRECTION_FIRST = """\
INSTRUCTIONS:
title: Identify and correct the false presupposition of the question
description: In this task, you will be shown a question posted on the Reddit forum Explain Like \
I'm Five and the most upvoted comment answering it. The question contains a false presupposition. \
A false presupposition is something the question assumes to be true, stated or implied, that is in \
fact false, so that the question cannot be answered as asked (e.g. 'Why do we only use 10% of our \
brain?' presupposes that we only use 10% of our brain). Use the comment as evidence: it often \
points out the mistaken assumption. Write the false presupposition as a declarative sentence, then \
a correction: a sentence stating what is actually true, as supported by the comment.
output_fields: false_presupposition, correction

CONTEXT:
question: Why does the moon only come out at night?
comment: It doesn't. The moon is often visible during the day; it's just fainter than the sun.

EVALUATION:
false_presupposition: The moon only comes out at night.
correction: The moon is often visible during the day."""


@pytest.fixture
def root(tmp_path):
    return testing.write_rows(tmp_path, "crepe", "train.jsonl", ROWS)


def test_detection_golden_counts_and_skips(root):
    records = testing.render("crepe_presupposition", "train", root)
    assert testing.text(records[0]) == DETECTION_FIRST
    assert Counter(r.answer for r in records) == {"Yes": 2, "No": 1}
    assert testing.skipped("crepe_presupposition", "train", root) == {"disagreement": 1}


def test_correction_golden_flattens_pairs(root):
    records = testing.render("crepe_correction", "train", root)
    assert testing.text(records[0]) == CORRECTION_FIRST
    assert [dict(r.evaluation)["correction"] for r in records] == [
        "The moon is often visible during the day.",
        "The moon can be seen in daytime.",
        "It does not.",
    ]
    assert testing.skipped("crepe_correction", "train", root) == {"normal": 1, "disagreement": 1}


def test_validation_and_test_files(tmp_path):
    testing.write_rows(tmp_path, "crepe", "dev.jsonl", ROWS[:2])
    testing.write_rows(tmp_path, "crepe", "test.jsonl", ROWS[1:2])
    assert len(testing.render("crepe_presupposition", "validation", str(tmp_path))) == 2
    assert len(testing.render("crepe_correction", "test", str(tmp_path))) == 0


@pytest.mark.parametrize(
    ("row", "task", "field", "message"),
    [
        (_row(["odd"]), "crepe_presupposition", "labels.0", "'odd' is not one of"),
        (_row(["normal"], comment=" "), "crepe_presupposition", "comment", "empty text"),
        (_row(["false_presupposition"], ["A."], []), "crepe_correction", "corrections", "1 pre"),
        (_row(["false_presupposition"]), "crepe_correction", "presuppositions", "a false-pre"),
        (
            _row(["false_presupposition"], ["A."], [""]),
            "crepe_correction",
            "corrections.0",
            "empty",
        ),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, task, field, message):
    root = testing.write_rows(tmp_path, "crepe", "train.jsonl", [ROWS[1], row])
    with pytest.raises(DataError, match=rf"file train.jsonl, row 2, field '{field}': {message}"):
        testing.render(task, "train", root)
