"""Golden tests of the Scarecrow tasks on rows written in the grouped_data.csv schema."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

FILE = "grouped_data.csv"
PROMPT = "China sets new record for economic growth."
GENERATION = (
    "The Chinese economy fell 10% this month, the third such loss this year. "
    "Economists said the economy grew and grew."
)


def _at(text):
    start = GENERATION.index(text)
    return start, start + len(text)


def _row(responses, generation=GENERATION, prompt=PROMPT):
    return {
        "id": "0",
        "gid": "17",
        "prompt": prompt,
        "generation": generation,
        "model": "gpt3",
        "p": "0.96",
        "temperature": "1.0",
        "frequency_penalty": "0.0",
        "responses": responses if isinstance(responses, str) else repr(responses),
    }


OFF = _at("fell 10% this month")
REDUNDANT = _at("grew and grew")
ROWS = [
    _row(
        [
            [
                [
                    "Off-prompt",
                    "The prompt says growth_SEP_ not a _QUOTE_fall_QUOTE_.",
                    3,
                    *OFF,
                    [],
                ],
                ["Redundant", "Repeats _QUOTE_grew_QUOTE_.", 1, *REDUNDANT, [*_at("grew")]],
            ],
            [],  # this annotator found no problems
            [
                ["Off-prompt", "  ", 2, *OFF, []],
                ["Needs_Google", "Is it the third?", 1, 500, 510, []],  # outside the text
            ],
        ]
    ),
]

ERROR_TYPE_FIRST = """\
INSTRUCTIONS:
title: What kind of error does the marked span of the text contain?
description: In this task, you will be shown the beginning of a news article written by a person \
(the prompt), its continuation written by a language model or a person, and a span of the \
continuation that a reader marked as problematic. Choose the type of error the span contains. \
Language errors: Grammar and Usage, Redundant, Off-prompt, Self-contradiction, Incoherent; factual \
errors: Technical Jargon, Needs Google; reader issues: Bad Math, Commonsense, Encyclopedic. Answer \
'Grammar and Usage' if missing words, extra words, or incorrect or out-of-order words. Answer \
'Redundant' if the text repeats itself, either the exact words or the same idea in other words. \
Answer 'Off-prompt' if the text is unrelated to the prompt, or related but contradicts it. Answer \
'Self-contradiction' if the text contradicts something written earlier in the continuation. Answer \
'Incoherent' if the text fits no other category but still does not make sense. Answer 'Technical \
Jargon' if the text uses jargon or specialised words of a field a general reader may not know. \
Answer 'Needs Google' if the text states a fact or figure that may be true but would need a search \
to confirm. Answer 'Bad Math' if the text gets basic arithmetic, unit conversions or currency \
conversions wrong. Answer 'Commonsense' if the text violates everyday, basic understanding of the \
world. Answer 'Encyclopedic' if the text is factually wrong about something written down in a \
reference source such as a textbook, an encyclopedia or a Wikipedia infobox.
output_fields: answer

CONTEXT:
prompt: China sets new record for economic growth.
continuation: The Chinese economy fell 10% this month, the third such loss this year. Economists \
said the economy grew and grew.
span: fell 10% this month

EVALUATION:
answer: Off-prompt"""

EXPLANATION_FIRST = """\
INSTRUCTIONS:
title: Explain the error in the marked span of the text
description: In this task, you will be shown the beginning of a news article written by a person \
(the prompt), its continuation written by a language model or a person, and a span of the \
continuation that a reader marked as problematic. You are also given the type of the error (one of \
Grammar and Usage, Redundant, Off-prompt, Self-contradiction, Incoherent, Technical Jargon, Needs \
Google, Bad Math, Commonsense, Encyclopedic). Explain briefly what is wrong with the span: what is \
missing, repeated, contradicted, false or confusing, and why.
output_fields: explanation

CONTEXT:
prompt: China sets new record for economic growth.
continuation: The Chinese economy fell 10% this month, the third such loss this year. Economists \
said the economy grew and grew.
span: fell 10% this month
error_type: Off-prompt

EVALUATION:
explanation: The prompt says growth, not a "fall"."""


@pytest.fixture
def root(tmp_path):
    return testing.write_rows(tmp_path, "scarecrow", FILE, ROWS)


def test_error_type_golden_counts_and_skips(root):
    records = testing.render("scarecrow_error_type", "train", root)
    assert testing.text(records[0]) == ERROR_TYPE_FIRST
    assert Counter(r.answer for r in records) == {"Off-prompt": 2, "Redundant": 1}
    assert testing.skipped("scarecrow_error_type", "train", root) == {"bad_offsets": 1}


def test_explanation_golden_unescapes_and_skips(root):
    records = testing.render("scarecrow_explanation", "train", root)
    assert testing.text(records[0]) == EXPLANATION_FIRST
    assert [r.answer for r in records] == [
        'The prompt says growth, not a "fall".',
        'Repeats "grew".',
    ]
    assert testing.skipped("scarecrow_explanation", "train", root) == {
        "bad_offsets": 1,
        "empty_explanation": 1,
    }


@pytest.mark.parametrize(
    ("responses", "field", "message"),
    [
        ("[[['Off-prompt', 'x', 1, 4, 9, []]", "responses", "not a list literal"),
        ("{'a': 1}", "responses", "expected a list of per-annotator lists"),
        ([[["Boring", "x", 1, *OFF, []]]], "responses.0.0", "error type 'Boring' is not one"),
        ([[["Redundant", "x", 1]]], "responses.0.0", "expected \\[type, explanation"),
        ([[["Redundant", "x", 1, "4", 9, []]]], "responses.0.0", "offsets '4', 9 are not"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, responses, field, message):
    root = testing.write_rows(tmp_path, "scarecrow", FILE, [ROWS[0], _row(responses)])
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
        testing.render("scarecrow_error_type", "train", root)


def test_empty_prompt_names_the_field(tmp_path):
    root = testing.write_rows(tmp_path, "scarecrow", FILE, [_row([[]], prompt=" ")])
    with pytest.raises(DataError, match=rf"file {FILE}, row 1, field 'prompt': empty text"):
        testing.render("scarecrow_error_type", "train", root)
