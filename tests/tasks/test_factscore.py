"""Golden tests of the FActScore task on rows in the labeled JSON-lines schema."""

from collections import Counter

import pytest
from flame_tasks import factscore

from flame_jax.data import testing
from flame_jax.data.readers import DataError

FILES = factscore.FILES


def _fact(text, label):
    return {"text": text, "label": label}


def _row(annotations, topic="Kalki Koechlin"):
    return {
        "input": f"Question: Tell me a bio of {topic}.",
        "output": "Kalki Koechlin is an Indian actress and writer. She loves tea.",
        "topic": topic,
        "cat": ["very rare", "Asia/Pacific"],
        "annotations": annotations,
    }


ROWS = [
    _row(
        [
            {
                "text": "Kalki Koechlin is an Indian actress and writer.",
                "is-relevant": True,
                "human-atomic-facts": [
                    _fact("Kalki Koechlin is an actress.", "S"),
                    _fact("Kalki Koechlin is Indian.", "NS"),
                ],
                "model-atomic-facts": [_fact("Kalki Koechlin is an actress.", None)],
            },
            {
                "text": "She loves tea.",
                "is-relevant": False,
                "human-atomic-facts": None,
                "model-atomic-facts": [],
            },
            {
                "text": "Tea is a drink.",
                "is-relevant": True,
                "human-atomic-facts": [_fact("Tea is a drink.", "IR")],
            },
        ]
    ),
    _row(None, topic="Nobody Known"),  # the model abstained
]

GOLDEN = """\
INSTRUCTIONS:
title: Is the atomic fact about the person supported?
description: In this task, you will be shown the name of a person, a sentence from a biography of \
that person written by an AI model, and one atomic fact of that sentence: a short statement of a \
single piece of information. Judge the fact against what the person's Wikipedia article says about \
them. Answer 'Supported' if the fact is true of the person according to Wikipedia. Answer 'Not \
supported' if the fact is false or not supported by Wikipedia. Answer 'Irrelevant' if the fact has \
nothing to do with the person or the request for a bio.
output_fields: answer

CONTEXT:
person: Kalki Koechlin
sentence: Kalki Koechlin is an Indian actress and writer.
atomic_fact: Kalki Koechlin is Indian.

EVALUATION:
answer: Not supported"""


@pytest.fixture
def root(tmp_path):
    testing.write_rows(tmp_path, "factscore", FILES[0], ROWS)
    testing.write_rows(tmp_path, "factscore", FILES[1], ROWS[:1])
    return testing.write_rows(tmp_path, "factscore", FILES[2], ROWS[1:])


def test_golden_counts_and_skips(root):
    records = testing.render("factscore_atomic_fact", "train", root)
    assert testing.text(records[1]) == GOLDEN
    assert Counter(r.answer for r in records) == {
        "Supported": 2,
        "Not supported": 2,
        "Irrelevant": 2,
    }
    assert testing.skipped("factscore_atomic_fact", "train", root) == {
        "abstained": 2,
        "irrelevant_sentence": 2,
    }


def test_archive_members_are_the_labeled_files():
    members = dict(factscore.SOURCE.host.members)
    assert members == {
        "labeled/ChatGPT.jsonl": "data/labeled/ChatGPT.jsonl",
        "labeled/InstructGPT.jsonl": "data/labeled/InstructGPT.jsonl",
        "labeled/PerplexityAI.jsonl": "data/labeled/PerplexityAI.jsonl",
    }


_BAD_LABEL = _row([{"text": "X.", "human-atomic-facts": [_fact("X is Y.", "maybe")]}])
_EMPTY_FACT = _row([{"text": "X.", "human-atomic-facts": [_fact(" ", "S")]}])


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_BAD_LABEL, "annotations.0.human-atomic-facts.0.label", "'maybe' is not one of"),
        (_EMPTY_FACT, "annotations.0.human-atomic-facts.0.text", "empty text"),
        (
            _row([{"text": "X.", "human-atomic-facts": [_fact("X.", "S")]}], topic=""),
            "topic",
            "empty text",
        ),
        ({**ROWS[0], "annotations": "none"}, "annotations", "expected list"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "factscore", FILES[0], [ROWS[0], row])
    for file in FILES[1:]:
        testing.write_rows(tmp_path, "factscore", file, ROWS[:1])
    with pytest.raises(DataError, match=rf"file {FILES[0]}, row 2, field '{field}': {message}"):
        testing.render("factscore_atomic_fact", "train", root)
