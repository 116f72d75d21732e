"""Golden tests of COFFEE pairwise (accepted vs rejected program), on upstream-schema rows."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

TRAIN = "data/train-00000-of-00001-62bdb66956ca881f.parquet"
EVAL = "data/eval-00000-of-00001-f29e35d20eadf42d.parquet"

WRONG = "n = int(input())\nprint(sum(range(n)))"
CORRECT = "n = int(input())\nprint(sum(range(n + 1)))"


def _row(wrong=WRONG, correct=CORRECT, problem_id="8393", **extra):
    return {
        "diff_score": 0.1,
        "feedback": "The range should include n.",
        "problem_id": problem_id,
        "wrong_code": wrong,
        "correct_code": correct,
        "input_format": "The first line contains n (1 <= n <= 10,000).",
        "index": 1,
        "variable_overlap": 1.0,
        "description": "Write a program that prints the sum 1 + 2 + ... + n.",
        "output_format": "Print the sum.",
        "user_id": "u1",
        "metadata": {
            "맞힌 사람": "100",
            "메모리 제한": "128 MB",
            "시간 제한": "2 초",
            "정답": "100",
            "정답 비율": "60%",
            "제출": "150",
        },
        "language": "Python",
        **extra,
    }


ROWS = [
    _row(),
    _row(feedback="Another feedback on the same edit."),  # duplicate_pair
    _row(wrong=CORRECT),  # identical
    _row(wrong=" "),  # empty_code
    _row(wrong="print(0)", correct="print(1)", problem_id="1000", language=""),
]

GOLDEN = """\
INSTRUCTIONS:
title: Which program correctly solves the programming problem?
description: In this task, you will be shown a programming problem from an online judge, with \
its input and output format, and two programs a user submitted for it in the given language. One \
program was rejected by the judge (a wrong answer, a runtime error, or exceeding the time or \
memory limit) and the other, the user's fixed version, was accepted. Find the bug: compare the \
two programs against the problem statement, paying attention to edge cases, off-by-one errors, \
overflow and efficiency. Choose the program that correctly solves the problem. Answer 'A' if \
code_a is better, or 'B' if code_b is better.
output_fields: answer

CONTEXT:
problem: Write a program that prints the sum 1 + 2 + ... + n.
input_format: The first line contains n (1 <= n <= 10,000).
output_format: Print the sum.
language: Python
code_a: n = int(input())
print(sum(range(n + 1)))
code_b: n = int(input())
print(sum(range(n)))

EVALUATION:
answer: A"""


@pytest.fixture
def root(tmp_path):
    testing.write_rows(tmp_path, "coffee", TRAIN, ROWS)
    return testing.write_rows(tmp_path, "coffee", EVAL, ROWS)


@pytest.mark.parametrize("split", ["train", "validation"])
def test_golden_counts_and_skips(root, split):
    records = testing.render("coffee_pairwise", split, root)
    assert testing.text(records[0]) == GOLDEN
    assert len(records) == 2
    assert dict(records[1].context)["language"] == "unspecified"
    assert Counter(r.answer for r in records) == {"A": 1, "B": 1}
    better = [dict(r.context)["code_a" if r.answer == "A" else "code_b"] for r in records]
    assert better == [CORRECT, "print(1)"]
    assert testing.skipped("coffee_pairwise", split, root) == {
        "duplicate_pair": 1,
        "identical": 1,
        "empty_code": 1,
    }


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row(description=""), "description", "empty text"),
        (_row(correct_code=3), "correct_code", "expected str, got int"),
        ({k: v for k, v in _row().items() if k != "wrong_code"}, "wrong_code", "missing"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    # One row per file: parquet columns have one type, and a missing column is missing.
    root = testing.write_rows(tmp_path, "coffee", TRAIN, [row])
    with pytest.raises(DataError, match=rf"file {TRAIN}, row 1, field '{field}': {message}"):
        testing.render("coffee_pairwise", "train", root)
