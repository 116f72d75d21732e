"""Golden tests of the e-SNLI tasks, on rows written in the authors' CSV schema."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

PREMISE = "Two women are embracing while holding to go packages."


def _row(label, hypothesis, explanation, pair_id="4705552913.jpg#2r1n"):
    return {
        "pairID": pair_id,
        "gold_label": label,
        "Sentence1": PREMISE,
        "Sentence2": hypothesis,
        "Explanation_1": explanation,
        "WorkerId": "A1",
        "Sentence1_marked_1": PREMISE,
        "Sentence2_marked_1": hypothesis,
        "Sentence1_Highlighted_1": "{}",
        "Sentence2_Highlighted_1": "{}",
    }


ROWS = [
    _row(
        "neutral",
        "The sisters are hugging goodbye while holding to go packages after just eating lunch.",
        "The to go packages may not be from lunch.",
    ),
    _row(
        "entailment",
        "Two woman are holding packages.",
        "Saying the two women are holding "
        "packages is a way to paraphrase that the packages they are holding are to go packages.",
    ),
    _row(
        "contradiction",
        "The men are fighting outside a deli.",
        "In the first sentence there "
        "is an action of affection between women while on the second sentence there is a fight "
        "between men.",
    ),
    _row("entailment", "", "no hypothesis"),  # empty_text
    _row("neutral", "Two women hug.", ""),  # no_explanation (explanation task only)
]

ATTRIBUTION = f"""\
INSTRUCTIONS:
title: Is all of the information in the hypothesis fully supported by the premise?
description: In this task, you will be shown a premise, a sentence describing a scene, and a \
hypothesis, a statement about the same scene. Judge whether the hypothesis is fully attributable \
to the premise: whether someone who reads only the premise would have to conclude that everything \
the hypothesis says is true. A hypothesis that adds information the premise does not give, or \
that contradicts the premise, is not supported. Answer 'Yes' if all of the information in the \
hypothesis is supported by the premise. Answer 'No' if some information in the hypothesis is not \
supported by, or contradicts, the premise.
output_fields: answer

CONTEXT:
premise: {PREMISE}
hypothesis: Two woman are holding packages.

EVALUATION:
answer: Yes"""

EXPLANATION = f"""\
INSTRUCTIONS:
title: Explain the relation between the premise and the hypothesis
description: In this task, you will be shown a premise, a hypothesis and their relation: \
entailment (the hypothesis must be true given the premise), contradiction (the hypothesis cannot \
be true given the premise) or neutral (the hypothesis may or may not be true given the premise). \
Write a short, self-contained explanation in your own words of why the relation holds, pointing \
to the parts of the premise and the hypothesis that decide it, without simply repeating the two \
sentences.
output_fields: explanation

CONTEXT:
premise: {PREMISE}
hypothesis: The sisters are hugging goodbye while holding to go packages after just eating lunch.
relation: neutral

EVALUATION:
explanation: The to go packages may not be from lunch."""


@pytest.fixture
def root(tmp_path):
    for files in (("esnli_train_1.csv", ROWS[:2]), ("esnli_train_2.csv", ROWS[2:])):
        testing.write_rows(tmp_path, "esnli", *files)
    testing.write_rows(tmp_path, "esnli", "esnli_dev.csv", ROWS)
    return str(tmp_path)


def test_attribution_golden_counts_and_skips(root):
    records = testing.render("esnli_attribution", "train", root)
    assert testing.text(records[1]) == ATTRIBUTION
    assert [r.answer for r in records] == ["No", "Yes", "No", "No"]
    assert Counter(r.answer for r in records) == {"No": 3, "Yes": 1}
    assert testing.skipped("esnli_attribution", "train", root) == {"empty_text": 1}


@pytest.mark.parametrize("split", ["train", "validation"])
def test_explanation_golden_and_skips(root, split):
    records = testing.render("esnli_explanation", split, root)
    assert testing.text(records[0]) == EXPLANATION
    assert len(records) == 3
    assert testing.skipped("esnli_explanation", split, root) == {
        "empty_text": 1,
        "no_explanation": 1,
    }


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({**ROWS[0], "gold_label": "-"}, "gold_label", "'-' is not one of"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "esnli", "esnli_test.csv", [ROWS[1], row])
    for task in ("esnli_attribution", "esnli_explanation"):
        with pytest.raises(
            DataError, match=rf"file esnli_test.csv, row 2, field '{field}': {message}"
        ):
            testing.render(task, "test", root)


def test_missing_column_names_file_row_and_field(tmp_path):
    rows = [{k: v for k, v in ROWS[0].items() if k != "Explanation_1"}]
    root = testing.write_rows(tmp_path, "esnli", "esnli_test.csv", rows)
    with pytest.raises(
        DataError, match=r"file esnli_test.csv, row 1, field 'Explanation_1': missing"
    ):
        testing.render("esnli_explanation", "test", root)
