"""Golden tests of QAGS sentence support, on rows in the upstream mturk_*.jsonl schema."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

# Abridged from data/mturk_cnndm.jsonl (row 2) and data/mturk_xsum.jsonl (row 1).
ARTICLE = (
    "England will send an under 20 team to the toulon tournament this summer following the "
    "successful experiment last year. Gareth southgate's squad finished fourth last may. Aidy "
    "boothroyd will lead the team this time in the toulon tournament that runs from may 27 until "
    "june 7."
)


def _responses(*votes):
    return [{"worker_id": i, "response": vote} for i, vote in enumerate(votes)]


CNNDM = [
    {
        "article": ARTICLE,
        "summary_sentences": [
            {
                "sentence": "Aidy boothroyd will be the man in charge of the under 20s this time.",
                "responses": _responses("yes", "yes", "yes"),
            },
            {
                "sentence": "Gareth southgate's squad finished first last may.",
                "responses": _responses("no", "yes", "no"),
            },
            {"sentence": "Toulon runs from may 27.", "responses": _responses("yes", "no")},
        ],
    }
]
XSUM = [
    {
        "article": "A g4s security van has been robbed outside a branch of royal bank of scotland "
        "in glasgow city centre.",
        "summary_sentences": [
            {
                "sentence": "A security van has been robbed at a bank in edinburgh.",
                "responses": _responses("yes", "yes", "no"),
            }
        ],
    }
]

GOLDEN = f"""\
INSTRUCTIONS:
title: Is the summary sentence supported by the article?
description: In this task, you will be shown a news article and one sentence of a summary of it \
written by a summarization system. Judge whether the sentence is factually consistent with the \
article: whether everything it states is supported by the article. A sentence that gets a name, \
number, date or relation wrong, combines facts that the article keeps apart, or adds information \
that the article does not contain is not supported, even if it might be true. Answer 'Yes' if the \
sentence is supported by the article. Answer 'No' if the sentence contains information that is \
not supported by the article.
output_fields: answer

CONTEXT:
article: {ARTICLE}
summary_sentence: Gareth southgate's squad finished first last may.

EVALUATION:
answer: No"""


@pytest.fixture
def root(tmp_path):
    testing.write_rows(tmp_path, "qags", "mturk_cnndm.jsonl", CNNDM)
    testing.write_rows(tmp_path, "qags", "mturk_xsum.jsonl", XSUM)
    return str(tmp_path)


def test_golden_counts_and_skips(root):
    records = testing.render("qags_sentence_support", "train", root)
    assert testing.text(records[1]) == GOLDEN
    # Majority of three votes; the xsum sentence (2 yes, 1 no) is the last record.
    assert [r.answer for r in records] == ["Yes", "No", "Yes"]
    assert Counter(r.answer for r in records) == {"Yes": 2, "No": 1}
    assert testing.skipped("qags_sentence_support", "train", root) == {"tied_votes": 1}


@pytest.mark.parametrize(
    ("sentence", "field", "message"),
    [
        (
            {"sentence": "x", "responses": _responses("yes", "maybe", "no")},
            "summary_sentences.0.responses.1.response",
            "'maybe' is not one of",
        ),
        (
            {"sentence": " ", "responses": _responses("yes")},
            "summary_sentences.0.sentence",
            "empty text",
        ),
        ({"sentence": "x"}, "summary_sentences.0.responses", "missing"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, sentence, field, message):
    rows = [XSUM[0], {"article": ARTICLE, "summary_sentences": [sentence]}]
    root = testing.write_rows(tmp_path, "qags", "mturk_cnndm.jsonl", rows)
    testing.write_rows(tmp_path, "qags", "mturk_xsum.jsonl", XSUM)
    with pytest.raises(
        DataError, match=rf"file mturk_cnndm.jsonl, row 2, field '{field}': {message}"
    ):
        testing.render("qags_sentence_support", "train", root)
