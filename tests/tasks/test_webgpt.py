"""Golden tests of the WebGPT tasks on rows written in the HF parquet schema."""

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

FILE = "default/train/0000.parquet"
QUESTION = "Why do cats purr?"
QUOTES = [
    (
        "Why do cats purr? - Wikipedia (en.wikipedia.org)",
        "Cats purr when content and when stressed.",
    ),
    ("Purring - Scientific American (www.scientificamerican.com)", "Purring may help heal bones."),
]
GOOD = "Cats purr to signal contentment [1] and possibly to heal [2]."


def _row(first: tuple, second: tuple, question_id: str = "eli5_1") -> dict:
    """A comparison of two (answer, quotes, score) records."""
    row = {"question": {"dataset": "eli5", "id": question_id, "full_text": QUESTION}}
    for k, (answer, quotes, score) in enumerate((first, second)):
        row[f"quotes_{k}"] = {"title": [t for t, _ in quotes], "extract": [e for _, e in quotes]}
        row[f"answer_{k}"] = answer
        row[f"tokens_{k}"] = {"prefix": [1, 2, 3], "completion": [4, 5]}
        row[f"score_{k}"] = score
    return row


ROWS = [
    _row(("Nobody really knows.", [], -1.0), (GOOD, QUOTES, 1.0)),
    _row(("They are happy.", [], 0.0), ("Purring is a mystery.", [], 0.0)),  # tie
    _row((GOOD, QUOTES, 0.5), ("Cats purr all the time.", [], -0.5)),  # GOOD preferred again
]

PREFERENCE_FIRST = """\
INSTRUCTIONS:
title: Which answer to the question is better?
description: In this task, you will be shown a question and two answers to it, each written with \
the help of a web browser and followed by the quotes it collected from web pages, if any (cited in \
the answer as [1], [2], ...). Choose the better answer: the one that is more useful to the person \
asking, more accurate and better supported by its quotes, and more coherent overall. Judge claims \
by whether the quotes back them up. Answer 'A' if answer_a is better, or 'B' if answer_b is better.
output_fields: answer

CONTEXT:
question: Why do cats purr?
answer_a: Nobody really knows.
answer_b: Cats purr to signal contentment [1] and possibly to heal [2].

Quotes:
[1] Why do cats purr? - Wikipedia (en.wikipedia.org)
Cats purr when content and when stressed.

[2] Purring - Scientific American (www.scientificamerican.com)
Purring may help heal bones.

EVALUATION:
answer: B"""

ANSWER_FIRST = """\
INSTRUCTIONS:
title: Write a well-supported answer to the question
description: In this task, you will be shown a question and quotes collected from web pages while \
researching it, numbered [1], [2] and so on. Write a helpful, accurate and coherent answer to the \
question that is supported by the quotes, citing them as [1], [2], ... where they support a claim.
output_fields: answer

CONTEXT:
question: Why do cats purr?
quotes: [1] Why do cats purr? - Wikipedia (en.wikipedia.org)
Cats purr when content and when stressed.

[2] Purring - Scientific American (www.scientificamerican.com)
Purring may help heal bones.

EVALUATION:
answer: Cats purr to signal contentment [1] and possibly to heal [2]."""


def test_preference_golden_and_ties(tmp_path):
    root = testing.write_rows(tmp_path, "webgpt", FILE, ROWS)
    records = testing.render("webgpt_preference", "train", root)
    assert len(records) == 2
    assert testing.text(records[0]) == PREFERENCE_FIRST
    assert testing.skipped("webgpt_preference", "train", root) == {"tie": 1}


def test_answer_golden_ties_and_duplicates(tmp_path):
    root = testing.write_rows(tmp_path, "webgpt", FILE, ROWS)
    (record,) = testing.render("webgpt_answer", "train", root)
    assert testing.text(record) == ANSWER_FIRST
    assert testing.skipped("webgpt_answer", "train", root) == {"tie": 1, "duplicate": 1}


def test_answer_without_quotes_says_so(tmp_path):
    row = _row(("Because they like it.", [], 1.0), ("No idea.", QUOTES, -1.0))
    root = testing.write_rows(tmp_path, "webgpt", FILE, [row])
    (record,) = testing.render("webgpt_answer", "train", root)
    assert dict(record.context)["quotes"] == "(no quotes)"
    assert record.answer == "Because they like it."


def test_empty_answers_are_skipped(tmp_path):
    row = _row((" ", [], 1.0), (GOOD, QUOTES, -1.0))
    root = testing.write_rows(tmp_path, "webgpt", FILE, [row])
    for task in ("webgpt_preference", "webgpt_answer"):
        assert testing.skipped(task, "train", root) == {"empty_answer": 1}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"score_1": 1.5}, "score_1", "1.5 is outside"),
        ({"answer_1": None}, "answer_1", "expected str, got NoneType"),  # a null in parquet
        ({"quotes_0": {"title": ["a", "b"], "extract": ["x"]}}, "quotes_0", "2 titles but 1"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, change, field, message):
    bad = {**ROWS[0], **change}
    root = testing.write_rows(tmp_path, "webgpt", FILE, [ROWS[0], bad])
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
        testing.render("webgpt_preference", "train", root)
