"""Golden tests of the HelpSteer tasks on rows written in the upstream schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

PROMPT = "What is the capital of France?"
ROWS = [
    {
        "prompt": PROMPT,
        "response": "Paris is the capital of France.",
        "helpfulness": 4,
        "correctness": 4,
        "coherence": 3,
        "complexity": 1,
        "verbosity": 0,
    },
    {
        "prompt": PROMPT,
        "response": "France's capital is Lyon.",
        "helpfulness": 1,
        "correctness": 0,
        "coherence": 4,
        "complexity": 0,
        "verbosity": 0,
    },
    {  # same helpfulness as the first: a tie
        "prompt": PROMPT,
        "response": "The capital of France is Paris, on the Seine.",
        "helpfulness": 4,
        "correctness": 4,
        "coherence": 4,
        "complexity": 1,
        "verbosity": 1,
    },
    {  # the only response to its prompt: no pair
        "prompt": "Name a primary colour.",
        "response": "Red.",
        "helpfulness": 3,
        "correctness": 4,
        "coherence": 4,
        "complexity": 0,
        "verbosity": 0,
    },
]

INTRO = (
    "INSTRUCTIONS:\n"
    "title: {title}\n"
    "description: In this task, you will be shown a prompt given to an AI assistant and the "
    "assistant's response. "
)
CONTEXT = (
    "\noutput_fields: score\n\n"
    "CONTEXT:\n"
    "prompt: What is the capital of France?\n"
    "response: Paris is the capital of France.\n\n"
    "EVALUATION:\n"
    "score: {score}"
)

EXPECTED = {
    "helpfulness": INTRO.format(title="How helpful is the response?")
    + "Rate the response's helpfulness: how useful the response is overall to the person who "
    "wrote the prompt, and how well it follows the spirit of the request. Give a score from 0 to "
    "4: 0 = not helpful at all: it misses what the user asked for entirely; 1 = hardly helpful: it "
    "mostly misses the user's goal, though a small part is usable; 2 = partly helpful: it "
    "addresses the request but misses part of what the user wanted; 3 = mostly helpful: it meets "
    "the user's goal, with some room for improvement; 4 = extremely helpful: it fully "
    "accomplishes what the prompt asks for." + CONTEXT.format(score=4),
    "correctness": INTRO.format(title="How correct is the response?")
    + "Rate the response's correctness: whether the response contains all the facts the prompt "
    "calls for, without errors, false statements or made-up content. Give a score from 0 to 4: "
    "0 = entirely wrong: all of its information is false, irrelevant or made up; 1 = mostly wrong "
    "or incomplete, with only some correct elements; 2 = a mix of correct and incorrect or "
    "missing information; 3 = mostly correct, with small omissions and no false claims; 4 = fully "
    "correct: every relevant fact is there and nothing is false or made up."
    + CONTEXT.format(score=4),
    "coherence": INTRO.format(title="How coherent is the response?")
    + "Rate the response's coherence: how clear and self-consistent the writing is, and how easy "
    "the response is to follow. Give a score from 0 to 4: 0 = incomprehensible: no sensible "
    "meaning can be made out; 1 = mostly hard to follow, with contradictions or confusing "
    "language throughout; 2 = somewhat unclear, with some inconsistencies or confusing passages; "
    "3 = mostly clear and consistent, with one or two confusing spots; 4 = perfectly clear, "
    "self-consistent and logically ordered." + CONTEXT.format(score=3),
    "complexity": INTRO.format(title="How complex is the language of the response?")
    + "Rate the response's complexity: how much intellectual depth and expertise it takes to "
    "write the response, from what anyone with a basic command of the language could write to "
    "what only a domain expert could. Give a score from 0 to 4: 0 = basic: language that anyone, "
    "even a child, can understand; 1 = simple: plain wording that needs some elementary or "
    "middle school education; 2 = intermediate: vocabulary and sentences that a high-school "
    "graduate understands; 3 = advanced: sophisticated vocabulary, as a university student of "
    "the subject writes; 4 = expert: the technical, specialised language of an expert in the "
    "field." + CONTEXT.format(score=1),
    "verbosity": INTRO.format(title="How verbose is the response?")
    + "Rate the response's verbosity: how much detail the response gives relative to what the "
    "prompt asks for. Give a score from 0 to 4: 0 = succinct: as short as possible, nothing "
    "beyond what the prompt needs; 1 = short: on the short side, though a few words could still "
    "be cut; 2 = medium: neither particularly short nor particularly wordy for the request; "
    "3 = long: on the longer side, with more detail than strictly needed; 4 = verbose: "
    "particularly long, wordy or extensive given what was asked." + CONTEXT.format(score=0),
}

PAIRWISE_FIRST = """\
INSTRUCTIONS:
title: Which response is more helpful?
description: In this task, you will be shown a prompt given to an AI assistant and two of its \
responses. Choose the response that is more helpful overall: the one that better accomplishes what \
the prompt asks for, in its spirit, correctly and clearly. Answer 'A' if response_a is better, or \
'B' if response_b is better.
output_fields: answer

CONTEXT:
prompt: What is the capital of France?
"""
# The better response's place is set by the task name's seed: A in one task, B in the other.
BETTER_FIRST = """\
response_a: Paris is the capital of France.
response_b: France's capital is Lyon.

EVALUATION:
answer: A"""
BETTER_SECOND = """\
response_a: France's capital is Lyon.
response_b: Paris is the capital of France.

EVALUATION:
answer: B"""

SPLITS = [
    ("helpsteer", "train", "train.jsonl.gz"),
    ("helpsteer_validation", "validation", "validation.jsonl.gz"),
]


@pytest.mark.parametrize("attribute", sorted(EXPECTED))
@pytest.mark.parametrize(("prefix", "split", "file"), SPLITS)
def test_pointwise_golden(tmp_path, attribute, prefix, split, file):
    root = testing.write_rows(tmp_path, "helpsteer", file, ROWS)
    records = testing.render(f"{prefix}_{attribute}", split, root)
    assert len(records) == 4
    assert testing.text(records[0]) == EXPECTED[attribute]
    assert [r.answer for r in records] == [str(row[attribute]) for row in ROWS]


@pytest.mark.parametrize(
    ("prefix", "split", "file", "tail"),
    [(*SPLITS[0], BETTER_FIRST), (*SPLITS[1], BETTER_SECOND)],
)
def test_pairwise_golden_and_skips(tmp_path, prefix, split, file, tail):
    root = testing.write_rows(tmp_path, "helpsteer", file, ROWS)
    records = testing.render(f"{prefix}_pairwise", split, root)
    # Pairs of the first prompt: (1, 2) -> 1 better; (1, 3) tie; (2, 3) -> 3 better.
    assert len(records) == 2
    assert testing.text(records[0]) == PAIRWISE_FIRST + tail
    second = dict(records[1].context)
    assert {second["response_a"], second["response_b"]} == {
        "France's capital is Lyon.",
        "The capital of France is Paris, on the Seine.",
    }
    better = "response_a" if records[1].answer == "A" else "response_b"
    assert second[better] == "The capital of France is Paris, on the Seine."
    assert testing.skipped(f"{prefix}_pairwise", split, root) == {"tie": 1, "single_response": 1}


def test_identical_responses_are_skipped(tmp_path):
    rows = [ROWS[0], {**ROWS[1], "response": ROWS[0]["response"]}]
    root = testing.write_rows(tmp_path, "helpsteer", "train.jsonl.gz", rows)
    assert testing.skipped("helpsteer_pairwise", "train", root) == {"identical": 1}


def test_validation_tasks_are_evaluation_only():
    for attribute in (*EXPECTED, "pairwise"):
        assert registry.get_task(f"helpsteer_{attribute}").is_training
        assert registry.get_task(f"helpsteer_validation_{attribute}").evaluation_only


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({**ROWS[0], "helpfulness": 5}, "helpfulness", "5 is not one of"),
        ({k: v for k, v in ROWS[0].items() if k != "response"}, "response", "missing"),
        ({**ROWS[0], "helpfulness": "4"}, "helpfulness", "expected int, got str"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "helpsteer", "train.jsonl.gz", [ROWS[1], row])
    for task in ("helpsteer_helpfulness", "helpsteer_pairwise"):
        with pytest.raises(
            DataError, match=rf"file train.jsonl.gz, row 2, field '{field}': {message}"
        ):
            testing.render(task, "train", root)
