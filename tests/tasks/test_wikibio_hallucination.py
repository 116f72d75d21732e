"""Golden tests of the WikiBio GPT-3 hallucination task on rows in the HF parquet schema."""

from collections import Counter

import pytest
from flame_tasks import wikibio_hallucination

from flame_jax.data import testing
from flame_jax.data.readers import DataError

FILE = wikibio_hallucination.FILE
SENTENCES = [
    "John Smith (born 1950) is an English footballer who played as a striker.",
    "He played for Arsenal and won three league titles.",
    "He later became the mayor of Paris.",
]


def _row(sentences=SENTENCES, labels=("accurate", "minor_inaccurate", "major_inaccurate")):
    return {
        "gpt3_text": " ".join(SENTENCES),
        "wiki_bio_text": "John Smith (born 1950) is an English former footballer who played for "
        "Arsenal as a striker.",
        "gpt3_sentences": list(sentences),
        "annotation": list(labels),
        "wiki_bio_test_idx": 62464,
        "gpt3_text_samples": ["John Smith is a footballer."],
    }


GOLDEN = """\
INSTRUCTIONS:
title: How factual is the sentence of the generated biography?
description: In this task, you will be shown a Wikipedia-style passage about a person written by a \
language model, one sentence of that passage, and the first paragraph of the person's real \
Wikipedia article. Judge whether the information in the sentence is factually accurate about the \
person, using the Wikipedia paragraph as evidence together with what you know; information the \
paragraph does not mention is not false for that reason alone. Give a score from 0 to 2: 0 = major \
inaccurate: the sentence is entirely hallucinated, with nothing true about the person; 1 = minor \
inaccurate: the sentence is about the person but contains some non-factual information; 2 = \
accurate: all the information in the sentence is correct.
output_fields: score

CONTEXT:
passage: John Smith (born 1950) is an English footballer who played as a striker. He played for \
Arsenal and won three league titles. He later became the mayor of Paris.
sentence: He played for Arsenal and won three league titles.
wikipedia_paragraph: John Smith (born 1950) is an English former footballer who played for \
Arsenal as a striker.

EVALUATION:
score: 1"""


def test_golden_counts_and_scores(tmp_path):
    root = testing.write_rows(tmp_path, "wikibio_hallucination", FILE, [_row(), _row()])
    records = testing.render("wikibio_hallucination_sentence", "train", root)
    assert testing.text(records[1]) == GOLDEN
    assert len(records) == 6
    assert Counter(r.answer for r in records) == {"2": 2, "1": 2, "0": 2}
    assert testing.skipped("wikibio_hallucination_sentence", "train", root) == {}


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row(labels=("accurate", "wrong", "accurate")), "annotation.1", "'wrong' is not one of"),
        (_row(labels=("accurate",)), "annotation", "1 labels for 3 sentences"),
        (_row(sentences=(SENTENCES[0], " ", SENTENCES[2])), "gpt3_sentences.1", "empty text"),
        ({**_row(), "wiki_bio_text": None}, "wiki_bio_text", "expected str, got NoneType"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "wikibio_hallucination", FILE, [_row(), row])
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
        testing.render("wikibio_hallucination_sentence", "train", root)
