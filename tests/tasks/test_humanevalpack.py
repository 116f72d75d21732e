"""Golden tests of the HumanEvalPack tasks on the real rows in ../shared/data/humanevalpack.

The sample keeps the files as <lang>/humanevalpack.jsonl; upstream (HF bigcode/humanevalpack)
they are data/<lang>/data/humanevalpack.jsonl, so the tests copy their bytes to that path.
"""

import json
import os
import shutil

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

LANGUAGES = ("cpp", "go", "java", "js", "python", "rust")

HEADER = """\
INSTRUCTIONS:
title: Which program correctly solves the programming task?
description: In this task, you will be shown a programming task that asks for a function, and \
two implementations of that function. One of them is correct; the other contains a bug, such \
as missing or extra logic, a wrong value, operator or variable, or a call to the wrong \
function, that makes it return wrong results or fail on some inputs. Read both programs \
carefully against the task and its examples. Choose the correct program. Answer 'A' if \
program_a is better, or 'B' if program_b is better.
output_fields: answer

CONTEXT:
"""

TRUNCATE = (
    "to solve the following problem:\n"
    "Given a positive floating point number, it can be decomposed into\n"
    "and integer part (largest integer smaller than given number) and decimals\n"
    "(leftover part always smaller than 1).\n"
    "Return the decimal part of the number.\n"
)
CPP_INCLUDES = (
    "#include<stdio.h>\n#include<math.h>\nusing namespace std;\n#include<algorithm>\n"
    "#include<stdlib.h>\nfloat truncate_number(float number){\n"
)
RUST_USES = (
    "\nuse std::{slice::Iter, cmp::{max, self}, mem::replace, collections::{HashSet, HashMap}, "
    "ops::Index, ascii::AsciiExt};\nuse rand::Rng;\nuse regex::Regex;\nuse md5;\n"
    "use std::any::{Any, TypeId};\n\nfn greatest_common_divisor(mut a:i32,mut b:i32) -> i32{\n"
    "\n\n    while b > 0 {\n        (a, b) = (b, a % b);\n    }\n"
)

# (language, record index, CONTEXT + EVALUATION): declaration + canonical_solution is the
# better program, declaration + buggy_solution the worse one (checked against the rows).
GOLDEN = [
    (
        "cpp",
        2,
        "task: Write a C++ function `float truncate_number(float number)` "
        + TRUNCATE
        + ">>> truncate_number(3.5)\n0.5\n"
        + "program_a: "
        + CPP_INCLUDES
        + "    return number-int(number);\n}\n\n"
        + "program_b: "
        + CPP_INCLUDES
        + "    return number-int(number)+1;\n}\n\n\nEVALUATION:\nanswer: A",
    ),
    (
        "go",
        2,
        "task: Write a Go function `func TruncateNumber(number float64) float64` "
        + TRUNCATE
        + ">>> TruncateNumber(3.5)\n0.5\n"
        + "program_a: \nfunc TruncateNumber(number float64) float64 {\n"
        + "    return math.Mod(number,1)\n}\n\n\n"
        + "program_b: \nfunc TruncateNumber(number float64) float64 {\n"
        + "    return math.Mod(number,1)+1\n}\n\n\n\nEVALUATION:\nanswer: A",
    ),
    (
        "java",
        2,
        "task: Write a Java function `public double truncateNumber(double number)` "
        + TRUNCATE
        + ">>> truncateNumber(3.5)\n0.5\n"
        + "program_a: import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n"
        + "    public double truncateNumber(double number) {\n        return number % 1.0;\n"
        + "    }\n}\n"
        + "program_b: import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n"
        + "    public double truncateNumber(double number) {\n"
        + "        return number % 1.0 + 1.0;\n    }\n}\n\nEVALUATION:\nanswer: A",
    ),
    (
        "js",
        15,
        "task: Write a JavaScript function `const stringSequence = (n)` to solve the following "
        "problem:\nReturn a string containing space-delimited numbers starting from 0 upto n "
        "inclusive.\n>>> stringSequence(0)\n'0'\n>>> stringSequence(5)\n'0 1 2 3 4 5'\n"
        "program_a: \nconst stringSequence = (n) => {\n"
        "  return [...Array(n-1).keys(), n].join(' ')\n}\n\n\n"
        "program_b: \nconst stringSequence = (n) => {\n"
        "  return [...Array(n).keys(), n].join(' ')\n}\n\n\n\nEVALUATION:\nanswer: B",
    ),
    (
        "python",
        15,
        "task: Write a Python function `string_sequence(n: int) -> str` to solve the following "
        "problem:\nReturn a string containing space-delimited numbers starting from 0 upto n "
        "inclusive.\n>>> string_sequence(0)\n'0'\n>>> string_sequence(5)\n'0 1 2 3 4 5'\n"
        "program_a: def string_sequence(n: int) -> str:\n"
        "    return ' '.join([str(x) for x in range(n + 1)])\n\n"
        "program_b: def string_sequence(n: int) -> str:\n"
        "    return ' '.join([str(x) for x in range(n)])\n\n\nEVALUATION:\nanswer: A",
    ),
    (
        "rust",
        13,
        "task: Write a Rust function `greatest_common_divisor(mut a:i32,mut b:i32) -> i32` to "
        "solve the following problem:\nReturn a greatest common divisor of two integers a and "
        "b\n"
        + "program_a: "
        + RUST_USES
        + "    return b;\n}\n\n\n"
        + "program_b: "
        + RUST_USES
        + "    return a;\n}\n\n\n\nEVALUATION:\nanswer: B",
    ),
]


def _upstream_layout(shared_data, tmp_path) -> str:
    for lang in LANGUAGES:
        target = tmp_path / "humanevalpack" / "data" / lang / "data"
        target.mkdir(parents=True)
        shutil.copyfile(
            os.path.join(shared_data, "humanevalpack", lang, "humanevalpack.jsonl"),
            target / "humanevalpack.jsonl",
        )
    return str(tmp_path)


@pytest.mark.parametrize(("lang", "index", "expected"), GOLDEN)
def test_golden_on_real_rows(shared_data, tmp_path, lang, index, expected):
    root = _upstream_layout(shared_data, tmp_path)
    records = testing.render(f"humanevalpack_{lang}", "test", root)
    assert len(records) == 20  # tasks 0-19 of 164
    assert testing.text(records[index]) == HEADER + expected
    assert testing.skipped(f"humanevalpack_{lang}", "test", root) == {}


def test_tasks_are_evaluation_only():
    for lang in LANGUAGES:
        task = registry.get_task(f"humanevalpack_{lang}")
        assert task.evaluation_only and task.source.evaluation_only
        assert task.files("test") == (f"data/{lang}/data/humanevalpack.jsonl",)


def test_bad_rows_name_file_row_and_field(shared_data, tmp_path):
    path = os.path.join(shared_data, "humanevalpack", "python", "humanevalpack.jsonl")
    rows = [json.loads(line) for line in open(path)][:3]
    del rows[1]["buggy_solution"]
    file = "data/python/data/humanevalpack.jsonl"
    testing.write_rows(tmp_path, "humanevalpack", file, rows)
    with pytest.raises(DataError, match=rf"file {file}, row 2, field 'buggy_solution': missing"):
        testing.render("humanevalpack_python", "test", str(tmp_path))
    # A Go row in the Python file is caught by its task_id.
    rows = [json.loads(line) for line in open(path)][:1]
    rows[0]["task_id"] = "Go/0"
    testing.write_rows(tmp_path, "humanevalpack", file, rows)
    with pytest.raises(DataError, match=rf"file {file}, row 1, field 'task_id': 'Go/0' is not"):
        testing.render("humanevalpack_python", "test", str(tmp_path))
