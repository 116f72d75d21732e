"""Golden tests of the GENIE tasks on rows in the project-defined layout of the manual source."""

from collections import Counter

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError
from flame_jax.data.sources import Manual

FILE = "genie_human_evaluation.jsonl"
SOURCE_DE = "Der Hund schläft im Garten."


def _row(output, rating, *, system="sys", dataset="wmt19", instance="17", text=SOURCE_DE):
    return {
        "dataset": dataset,
        "instance_id": instance,
        "input": text,
        "system": system,
        "output": output,
        "rating": rating,
    }


ROWS = [
    _row("The dog sleeps in the garden.", 4.67, system="a"),
    _row("The dog is sleeping in the yard.", 4.67, system="b"),  # ties a
    _row("The cat sleeps.", 2.5, system="c"),
    _row("Why is the sky blue?", 3, dataset="arc_da", instance="q1", text="Why is the sky blue?"),
]

TRANSLATE = "Translate the German sentence (input) into English."
INTRO = (
    "In this task, you will be shown a text generation task, its input, and {what} written by a "
    "system. Judge the {quality}: whether it correctly and completely does what the task asks (a "
    "faithful translation, a summary of the article's main point, a correct answer, a plausible "
    "explanation that fits both observations), and whether it is fluent and concise."
)

RATING_GOLDEN = (
    "INSTRUCTIONS:\n"
    "title: How good is the system output?\n"
    "description: "
    + INTRO.format(what="an output", quality="output's overall quality")
    + " Give a score from 1 to 5: 1 = very poor: wrong, unrelated or unreadable; 2 = poor: mostly "
    "wrong or badly written; 3 = fair: partly right, or right but with clear problems; 4 = good: "
    "right and fluent, with minor problems; 5 = excellent: fully right, fluent and concise.\n"
    "output_fields: score\n\n"
    "CONTEXT:\n"
    f"task: {TRANSLATE}\n"
    f"input: {SOURCE_DE}\n"
    "output: The dog sleeps in the garden.\n\n"
    "EVALUATION:\n"
    "score: 5"
)

PAIRWISE_GOLDEN = (
    "INSTRUCTIONS:\n"
    "title: Which system output is better?\n"
    "description: "
    + INTRO.format(what="two outputs", quality="outputs' overall quality")
    + " Choose the better output. Answer 'A' if output_a is better, or 'B' if output_b is "
    "better.\n"
    "output_fields: answer\n\n"
    "CONTEXT:\n"
    f"task: {TRANSLATE}\n"
    f"input: {SOURCE_DE}\n"
    "output_a: {a}\n"
    "output_b: {b}\n\n"
    "EVALUATION:\n"
    "answer: {answer}"
)

GENERATION_GOLDEN = f"""\
INSTRUCTIONS:
title: Write a good output for the text generation task
description: In this task, you will be shown a text generation task and its input. Write an \
output that does what the task asks, correctly, completely, fluently and concisely.
output_fields: output

CONTEXT:
task: {TRANSLATE}
input: {SOURCE_DE}

EVALUATION:
output: The dog sleeps in the garden."""


def test_rating_golden_and_scores(tmp_path):
    root = testing.write_rows(tmp_path, "genie", FILE, ROWS)
    records = testing.render("genie_rating", "train", root)
    assert testing.text(records[0]) == RATING_GOLDEN
    assert [r.answer for r in records] == ["5", "5", "3", "3"]  # 2.5 rounds up
    assert testing.skipped("genie_rating", "train", root) == {}


def test_pairwise_golden_counts_and_skips(tmp_path):
    root = testing.write_rows(tmp_path, "genie", FILE, ROWS)
    records = testing.render("genie_pairwise", "train", root)
    assert len(records) == 2  # (a, b) tie; (a, c) a; (b, c) b; arc_da q1 single
    first = records[0]
    pair = ("The dog sleeps in the garden.", "The cat sleeps.")
    a, b = pair if first.answer == "A" else pair[::-1]
    assert testing.text(first) == PAIRWISE_GOLDEN.format(a=a, b=b, answer=first.answer)
    assert sorted(Counter(r.answer for r in records).values()) == [1, 1]
    assert testing.skipped("genie_pairwise", "train", root) == {"tie": 1, "single_output": 1}


def test_generation_golden_and_skips(tmp_path):
    root = testing.write_rows(tmp_path, "genie", FILE, ROWS)
    records = testing.render("genie_generation", "train", root)
    assert [testing.text(r) for r in records] == [GENERATION_GOLDEN]
    assert testing.skipped("genie_generation", "train", root) == {"no_good_output": 1}


def test_source_is_manual_and_tasks_are_quality_training_tasks():
    for name in ("genie_rating", "genie_pairwise", "genie_generation"):
        task = registry.get_task(name)
        assert isinstance(task.source.host, Manual) and FILE in task.source.host.steps
        assert task.is_training and task.capability == "quality"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row("x", 6), "rating", "6.0 is outside"),
        (_row("x", 3, dataset="squad"), "dataset", "'squad' is not one of"),
        (_row("", 3), "output", "empty text"),
        (_row("x", "3"), "rating", "expected int/float, got str"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "genie", FILE, [ROWS[0], row])
    for task in ("genie_rating", "genie_pairwise", "genie_generation"):
        with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
            testing.render(task, "train", root)
