"""Golden tests of the SEAHORSE tasks on rows written in the (tasksource) parquet schema."""

from collections import Counter

import pytest
from flame_tasks import seahorse

from flame_jax.data import testing
from flame_jax.data.readers import DataError

TRAIN = seahorse.SPLITS["train"]
ARTICLE = "Schools are being urged to bring back overseas exchange trips, the British Council says."
SUMMARY = "Schools in England, Wales and Scotland are being urged to bring back exchange trips."
QUESTIONS = [
    "The summary can be read and understood by the rater.",
    "The summary is free of unnecessarily repeated information.",
    "The summary is grammatically correct.",
    "All the information in the summary is fully attributable to the source article.",
    "The summary captures the main idea(s) of the source article.",
    "The summary concisely represents the information in the source article.",
]


def _row(question, answer, summary=SUMMARY, article=ARTICLE, gem_id="xlsum_english-val-6416"):
    return {
        "gem_id": gem_id,
        "worker_lang": "en-US",
        "model": "t5_base",
        "article": article,
        "summary": summary,
        "question": question,
        "answer": answer,
    }


ROWS = [
    *(_row(q, a) for q, a in zip(QUESTIONS, ["Yes", "Yes", "No", "No", "Yes", "Yes"], strict=True)),
    _row(QUESTIONS[0], "No", summary="the the the", gem_id="xsum-1"),
    *(_row(q, None, summary="the the the", gem_id="xsum-1") for q in QUESTIONS[1:]),
    _row("question4", "Yes", article=None, gem_id="wiki_lingua-2"),  # upstream column name
]

GRAMMAR_FIRST = """\
INSTRUCTIONS:
title: Is the summary grammatically correct?
description: In this task, you will be shown a summary of an article, written by a person or a \
summarization system; it may be in German, English, Spanish, Russian, Turkish or Vietnamese. Judge \
whether the summary is grammatically correct in its language: word forms, agreement, word order \
and punctuation. Minor stylistic choices are not errors. Answer 'Yes' if the summary is \
grammatically correct. Answer 'No' if the summary has grammatical errors.
output_fields: answer

CONTEXT:
summary: Schools in England, Wales and Scotland are being urged to bring back exchange trips.

EVALUATION:
answer: No"""

ATTRIBUTION_FIRST = """\
INSTRUCTIONS:
title: Is all of the information in the summary fully attributable to the article?
description: In this task, you will be shown an article and a summary of it, written by a person \
or a summarization system; they may be in German, English, Spanish, Russian, Turkish or \
Vietnamese. Judge whether all of the information in the summary is fully attributable to the \
article: a reader of the article alone would agree that 'According to the article, <the summary>' \
is true. Information that is not in the article, even if true of the world, or that contradicts \
it, is not attributable. Answer 'Yes' if all of the information in the summary is supported by the \
article. Answer 'No' if some information in the summary is not supported by the article.
output_fields: answer

CONTEXT:
article: Schools are being urged to bring back overseas exchange trips, the British Council says.
summary: Schools in England, Wales and Scotland are being urged to bring back exchange trips.

EVALUATION:
answer: No"""


@pytest.fixture
def root(tmp_path):
    testing.write_rows(tmp_path, "seahorse", TRAIN[0], ROWS[:6])
    testing.write_rows(tmp_path, "seahorse", TRAIN[1], ROWS[6:])
    testing.write_rows(tmp_path, "seahorse", TRAIN[2], ROWS[:1])
    return str(tmp_path)


def test_summary_question_golden_and_counts(root):
    records = testing.render("seahorse_grammar", "train", root)
    assert testing.text(records[0]) == GRAMMAR_FIRST
    assert len(records) == 1
    assert testing.skipped("seahorse_grammar", "train", root) == {"not_rated": 1}
    comprehensible = testing.render("seahorse_comprehensible", "train", root)
    assert Counter(r.answer for r in comprehensible) == {"Yes": 2, "No": 1}
    assert testing.skipped("seahorse_comprehensible", "train", root) == {}


def test_article_question_golden_and_skips(root):
    records = testing.render("seahorse_attribution", "train", root)
    assert testing.text(records[0]) == ATTRIBUTION_FIRST
    assert len(records) == 1
    assert testing.skipped("seahorse_attribution", "train", root) == {
        "not_rated": 1,
        "no_article": 1,
    }
    for name, answer in [("repetition", "Yes"), ("main_ideas", "Yes"), ("conciseness", "Yes")]:
        assert [r.answer for r in testing.render(f"seahorse_{name}", "train", root)] == [answer]


def test_validation_and_test_splits(tmp_path):
    for split in ("validation", "test"):
        testing.write_rows(tmp_path, "seahorse", seahorse.SPLITS[split][0], ROWS[:6])
        assert len(testing.render("seahorse_main_ideas", split, str(tmp_path))) == 1


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row("Is it good?", "Yes"), "question", "'Is it good\\?' is not one of the six"),
        (_row(QUESTIONS[2], "Unsure"), "answer", "'Unsure' is not one of"),
        (_row(QUESTIONS[2], "Yes", summary=" "), "summary", "empty text"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "seahorse", TRAIN[0], [ROWS[0], row])
    testing.write_rows(tmp_path, "seahorse", TRAIN[1], ROWS[:1])
    testing.write_rows(tmp_path, "seahorse", TRAIN[2], ROWS[:1])
    with pytest.raises(DataError, match=rf"file {TRAIN[0]}, row 2, field '{field}': {message}"):
        testing.render("seahorse_grammar", "train", root)
