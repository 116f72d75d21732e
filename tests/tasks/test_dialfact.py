"""Golden tests of the DialFact task on rows in the upstream JSON-lines schema."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

FILE = "valid_split.jsonl"
HISTORY = [
    'Elvis Aaron Presley was a famous musician known as the "King of Rock and Roll."',
    "I've definitely heard of him. What else do you know about him?",
]
SNIPPET = (
    "His music career began there in 1954, recording at Sun Records with producer Sam Phillips."
)


def _row(response, label, evidence=None, context=HISTORY, type_label="factual"):
    if evidence is None:
        evidence = [["Elvis Presley", "https://en.wikipedia.org/wiki/Elvis_Presley", SNIPPET, "0"]]
    return {
        "context_id": "557___2",
        "id": "557___2--0",
        "data_type": "written",
        "context": list(context),
        "response": response,
        "evidence_list": evidence,
        "response_label": label,
        "type_label": type_label,
    }


ROWS = [
    _row("His music career began in Nashville, with producer Sam Wilson.", "REFUTES"),
    _row("His career began in 1954 at Sun Records.", "SUPPORTS"),
    _row(
        "I love his music so much!",
        "NOT ENOUGH INFO",
        evidence=[
            ["Elvis Presley", "https://en.wikipedia.org/wiki/Elvis_Presley", "", "0"],
            ["", "", "He is regarded as a cultural icon.", "extra", "gt_evidence_added"],
        ],
        type_label="personal",
    ),
    _row("Hi! Do you like Elvis?", "NOT ENOUGH INFO", evidence=[], context=[]),
]

GOLDEN = """\
INSTRUCTIONS:
title: Is the dialogue response supported by the evidence?
description: In this task, you will be shown the history of a conversation about a topic, the \
next response in the conversation, and evidence snippets from Wikipedia. Judge whether the \
evidence supports the factual information in the response, contradicts it, or is not enough to \
tell. Personal statements and opinions ("I love hiking") cannot be verified, and neither can facts \
the evidence does not cover. Answer 'SUPPORTS' if the evidence shows that the response's factual \
claims are true. Answer 'REFUTES' if the evidence shows that a factual claim of the response is \
false. Answer 'NOT ENOUGH INFO' if the evidence does not say whether the response is true or false.
output_fields: answer

CONTEXT:
history: Elvis Aaron Presley was a famous musician known as the "King of Rock and Roll."
I've definitely heard of him. What else do you know about him?
response: His music career began in Nashville, with producer Sam Wilson.
evidence: Elvis Presley: His music career began there in 1954, recording at Sun Records with \
producer Sam Phillips.

EVALUATION:
answer: REFUTES"""


def test_golden_counts_and_evidence(tmp_path):
    root = testing.write_rows(tmp_path, "dialfact", FILE, ROWS)
    records = testing.render("dialfact_verification", "train", root)
    assert testing.text(records[0]) == GOLDEN
    assert Counter(r.answer for r in records) == {
        "REFUTES": 1,
        "SUPPORTS": 1,
        "NOT ENOUGH INFO": 2,
    }
    assert dict(records[2].context)["evidence"] == "He is regarded as a cultural icon."
    assert dict(records[3].context)["evidence"] == "(no evidence)"
    assert dict(records[3].context)["history"] == "(no history)"
    assert testing.skipped("dialfact_verification", "train", root) == {}


def test_test_split_reads_test_file(tmp_path):
    root = testing.write_rows(tmp_path, "dialfact", "test_split.jsonl", ROWS[:2])
    assert len(testing.render("dialfact_verification", "test", root)) == 2


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row("x", "TRUE"), "response_label", "'TRUE' is not one of"),
        (_row(" ", "SUPPORTS"), "response", "empty text"),
        (_row("x", "SUPPORTS", evidence=[["Elvis", "link"]]), "evidence_list.0", "expected \\["),
        (_row("x", "SUPPORTS", context=["hi", 3]), "context.1", "expected str, got int"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "dialfact", FILE, [ROWS[0], row])
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
        testing.render("dialfact_verification", "train", root)
