"""Golden tests of the AlpacaFarm human-preference task on rows written in the upstream schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

TASK = "alpaca_farm_human_preference"
FILE = "alpaca_human_preference.json"

HEADER = """\
INSTRUCTIONS:
title: Which output better follows the instruction?
description: In this task, you will be shown an instruction, possibly with an input it refers \
to, and two outputs written in response. Choose the output you would prefer to receive: the one \
that follows the instruction and is more helpful, correct and clear. If both are good or both \
are bad, still choose the better one. Answer 'A' if output_a is better, or 'B' if output_b is \
better.
output_fields: answer

CONTEXT:
"""

ROWS = [
    {
        "instruction": "Translate the sentence into French.",
        "input": "The cat is sleeping.",
        "output_1": "Le chien mange.",
        "output_2": "Le chat dort.",
        "preference": 2,
    },
    {
        "instruction": "Name a primary color.",
        "input": "",
        "output_1": "Red.",
        "output_2": "Purple.",
        "preference": 1,
    },
    {
        "instruction": "Say hi.",
        "input": "",
        "output_1": "Hi!",
        "output_2": "Hi!",
        "preference": 1,
    },
]


def test_golden_and_identical_skip(tmp_path):
    root = testing.write_rows(tmp_path, "alpaca_farm", FILE, ROWS)
    records = testing.render(TASK, "test", root)
    assert [testing.text(r) for r in records] == [
        HEADER + "instruction: Translate the sentence into French.\n\nThe cat is sleeping.\n"
        "output_a: Le chien mange.\noutput_b: Le chat dort.\n\nEVALUATION:\nanswer: B",
        HEADER + "instruction: Name a primary color.\n"
        "output_a: Red.\noutput_b: Purple.\n\nEVALUATION:\nanswer: A",
    ]
    assert testing.skipped(TASK, "test", root) == {"identical": 1}


def test_bad_preference_names_file_row_and_field(tmp_path):
    rows = [dict(ROWS[0]), dict(ROWS[1], preference=0)]
    root = testing.write_rows(tmp_path, "alpaca_farm", FILE, rows)
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field 'preference': 0 is not one"):
        testing.render(TASK, "test", root)
    rows = [{k: v for k, v in ROWS[0].items() if k != "output_1"}]
    root = testing.write_rows(tmp_path, "alpaca_farm", FILE, rows)
    with pytest.raises(DataError, match=rf"file {FILE}, row 1, field 'output_1': missing"):
        testing.render(TASK, "test", root)


def test_evaluation_only():
    task = registry.get_task(TASK)
    assert task.evaluation_only and task.source.evaluation_only
    assert task.source.license == "CC-BY-NC-4.0"
