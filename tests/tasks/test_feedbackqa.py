"""Golden tests of the FeedbackQA tasks on rows written in the upstream JSON-array schema."""

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

TRAIN = "data/feedback_train.json"


def _row(question, content, ratings, feedback, domain="CDC"):
    return {
        "question": question,
        "passage": {
            "passage_id": 88,
            "source": domain,
            "uri": "https://www.cdc.gov/coronavirus/2019-ncov/hcp/faq.html",
            "reference_type": "FAQ",
            "reference": {
                "page_title": "Clinical Questions about COVID-19: Questions and Answers",
                "section_headers": ["Obstetrical Care"],
                "section_content": content,
                "selection_span": None,
                "section_content_html": f"<p>{content}</p>",
            },
        },
        "feedback": feedback,
        "rating": ratings,
        "domain": domain,
    }


ROWS = [
    _row(
        "How should an OB/GYN setting handle a shortage of respirators?",
        "During respirator shortages, N95 respirators should be reserved for\n"
        "aerosol-generating procedures.\n",
        ["Could be Improved", "Excellent"],
        [
            "Says how to use respirators in a shortage, but not for an OB/GYN setting.",
            "Detailed and informative about what to do during respirator shortages.",
        ],
    ),
    _row(
        "How can the homeless protect themselves from COVID-19?",
        "Those with suspected COVID-19 should stay isolated.",
        ["Bad", "acceptable"],
        ["Only about people who already have the virus.", "  "],
    ),
]

RATING_FIRST = """\
INSTRUCTIONS:
title: How good is the answer to the question?
description: In this task, you will be shown a question about COVID-19 that a user asked a \
question answering system, and the answer the system returned: a passage retrieved from an \
official health or government website. Rate the answer as the user who asked would: whether it is \
relevant to the question, whether it actually answers it, and whether it is complete, specific and \
clear enough to act on. Give a score from 1 to 4: 1 = bad: the answer is irrelevant or does not \
address the question at all; 2 = could be improved: the answer is related to the question but does \
not answer it, or answers it only vaguely or in small part; 3 = acceptable: the answer addresses \
the question but is incomplete, indirect or lacks some useful detail; 4 = excellent: the answer is \
relevant and fully answers the question.
output_fields: score

CONTEXT:
question: How should an OB/GYN setting handle a shortage of respirators?
answer: During respirator shortages, N95 respirators should be reserved for
aerosol-generating procedures.

EVALUATION:
score: 2"""

FEEDBACK_FIRST = """\
INSTRUCTIONS:
title: Write feedback on the answer to the question
description: In this task, you will be shown a question about COVID-19 that a user asked a \
question answering system, and the answer the system returned: a passage retrieved from an \
official health or government website. Write feedback on the answer, as the user who asked would: \
a short explanation of its strengths and weaknesses, such as whether it is relevant, whether it \
answers the question directly and fully, what it leaves out, and what makes it useful.
output_fields: feedback

CONTEXT:
question: How should an OB/GYN setting handle a shortage of respirators?
answer: During respirator shortages, N95 respirators should be reserved for
aerosol-generating procedures.

EVALUATION:
feedback: Says how to use respirators in a shortage, but not for an OB/GYN setting."""


@pytest.fixture
def root(tmp_path):
    return testing.write_rows(tmp_path, "feedbackqa", TRAIN, ROWS)


def test_rating_golden_counts_and_scores(root):
    records = testing.render("feedbackqa_rating", "train", root)
    assert testing.text(records[0]) == RATING_FIRST
    assert [r.answer for r in records] == ["2", "4", "1", "3"]  # one record per annotation
    assert testing.skipped("feedbackqa_rating", "train", root) == {}


def test_feedback_golden_and_empty_feedback(root):
    records = testing.render("feedbackqa_feedback", "train", root)
    assert testing.text(records[0]) == FEEDBACK_FIRST
    assert len(records) == 3
    assert [r.answer for r in records][1:] == [
        "Detailed and informative about what to do during respirator shortages.",
        "Only about people who already have the virus.",
    ]
    assert testing.skipped("feedbackqa_feedback", "train", root) == {"empty_feedback": 1}


def test_validation_and_test_splits(tmp_path):
    for file in ("data/feedback_valid.json", "data/feedback_test.json"):
        testing.write_rows(tmp_path, "feedbackqa", file, ROWS[:1])
    for split in ("validation", "test"):
        assert len(testing.render("feedbackqa_rating", split, str(tmp_path))) == 2


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row("Q?", "A.", ["Great"], ["Fine."]), "rating.0", "'Great' is not one of"),
        (_row("Q?", "A.", ["Bad", "Bad"], ["No."]), "rating", "2 ratings but 1 feedback"),
        (_row("Q?", " ", ["Bad"], ["No."]), "passage.reference.section_content", "empty text"),
        ({**_row("Q?", "A.", ["Bad"], ["No."]), "question": None}, "question", "expected str"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "feedbackqa", TRAIN, [ROWS[0], row])
    with pytest.raises(DataError, match=rf"file {TRAIN}, row 2, field '{field}': {message}"):
        testing.render("feedbackqa_rating", "train", root)
