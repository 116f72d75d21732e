"""Golden tests of FaithDial hallucination classification on rows in the upstream JSON schema."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

KNOWLEDGE = (
    "It began on September 9, 2015, in Montreal, Canada, at the Bell Centre and concluded on "
    "March 20, 2016, in Sydney, Australia at Allphones Arena."
)
HISTORY = [
    "Have you ever been to a concert? They're so fun!",
    "No I cannot as a bot. However, have you been to Madonna's? Her 10th concert was used to "
    'help her 13th album called "Rebel Heart".',
    "Yeah I've heard of it but never went or what it was for. Can you tell me more about it?",
]
ORIGINAL = (
    "It started in September of 2015 and ran all the way through March of 2016. Can you imagine "
    "being on the road that long?"
)
EDITED = (
    "Sure. The concert started in September 9th of 2015 at Montreal, Canada. It continued till "
    "20th of March of 2016, where it ended at Sydney, Australia."
)


def _turn(begin, original=ORIGINAL, response=EDITED, history=HISTORY):
    return {
        "history": history,
        "speaker": "Wizard",
        "knowledge": KNOWLEDGE,
        "original_response": original,
        "response": response,
        "BEGIN": begin,
        "VRM": ["Disclosure", "Question"],
    }


DIALOGUES = [
    {
        "utterances": [
            _turn(["Hallucination", "Entailment"]),  # rewritten: WoW response + edited response
            _turn(["Entailment"], original=None, response="Madonna toured from 2015 to 2016."),
            _turn(["Generic"], original=None, response="That sounds fun!"),  # no verdict
        ]
    },
    {"utterances": [_turn(["Entailment"], original=None, response="Hi!", history=[])]},
]

GOLDEN = f"""\
INSTRUCTIONS:
title: Is the dialogue response faithful to the knowledge?
description: In this task, you will be shown a piece of knowledge from Wikipedia, a conversation \
between an information seeker and a wizard who answers using that knowledge, and the wizard's next \
response. Judge whether the response is faithful to the knowledge: every piece of information it \
gives must be supported by the knowledge. Information that cannot be verified from the knowledge \
is a hallucination even if it is true in the real world, and so are personal experiences, \
opinions or feelings the wizard presents as its own (the wizard is a bot that only knows the \
knowledge). Answer 'Hallucination' if the response contains information that is not supported \
by, or contradicts, the knowledge. Answer 'Entailment' if all of the information in the response \
is supported by the knowledge.
output_fields: answer

CONTEXT:
knowledge: {KNOWLEDGE}
history: Seeker: {HISTORY[0]}
Wizard: {HISTORY[1]}
Seeker: {HISTORY[2]}
response: {ORIGINAL}

EVALUATION:
answer: Hallucination"""


@pytest.fixture
def root(tmp_path):
    for file in ("data/train.json", "data/valid.json"):
        testing.write_rows(tmp_path, "faithdial", file, DIALOGUES)
    return str(tmp_path)


def test_golden_counts_and_skips(root):
    records = testing.render("faithdial_hallucination", "train", root)
    assert testing.text(records[0]) == GOLDEN
    responses = [dict(r.context)["response"] for r in records]
    assert responses == [ORIGINAL, EDITED, "Madonna toured from 2015 to 2016.", "Hi!"]
    assert [r.answer for r in records] == [
        "Hallucination",
        "Entailment",
        "Entailment",
        "Entailment",
    ]
    assert dict(records[3].context)["history"] == "(none: the response opens the conversation)"
    assert testing.skipped("faithdial_hallucination", "train", root) == {"no_attribution_label": 1}


def test_validation_keeps_only_the_wow_responses(root):
    records = testing.render("faithdial_hallucination", "validation", root)
    assert Counter(r.answer for r in records) == {"Hallucination": 1, "Entailment": 2}
    assert EDITED not in [dict(r.context)["response"] for r in records]


@pytest.mark.parametrize(
    ("turn", "field", "message"),
    [
        (_turn(["Hallucinated"]), "utterances.0.BEGIN.0", "'Hallucinated' is not one of"),
        ({**_turn(["Entailment"]), "knowledge": " "}, "utterances.0.knowledge", "empty text"),
        (
            {k: v for k, v in _turn(["Entailment"]).items() if k != "response"},
            "utterances.0.response",
            "missing",
        ),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, turn, field, message):
    root = testing.write_rows(
        tmp_path, "faithdial", "data/train.json", [DIALOGUES[1], {"utterances": [turn]}]
    )
    with pytest.raises(
        DataError, match=rf"file data/train.json, row 2, field '{field}': {message}"
    ):
        testing.render("faithdial_hallucination", "train", root)
