"""Golden tests of CodeContests pairwise (correct vs incorrect program) on upstream-schema rows."""

import random
from collections import Counter

import pytest
from flame_tasks import code_contests

from flame_jax.data import testing
from flame_jax.data.readers import DataError

VALID = "data/valid-00000-of-00001-5e672c5751f060d3.parquet"
DESCRIPTION = "Given two integers a and b, print a + b.\n\nInput\n\nOne line with a and b."

GOOD_PY = [
    "a, b = map(int, input().split())\nprint(a + b)",
    "print(sum(map(int, input().split())))",
]
BAD_PY = ["a, b = input().split()\nprint(a + b)", "print(0)", "print(1)"]
GOOD_CPP = (
    '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld",a+b);}'
)


def _solutions(*pairs):
    return {"language": [lang for lang, _ in pairs], "solution": [text for _, text in pairs]}


def _row(name, solutions, incorrect, description=DESCRIPTION):
    tests = {"input": ["1 2\n"], "output": ["3\n"]}
    return {
        "name": name,
        "description": description,
        "public_tests": tests,
        "private_tests": tests,
        "generated_tests": tests,
        "source": 2,
        "difficulty": 7,
        "solutions": solutions,
        "incorrect_solutions": incorrect,
        "cf_contest_id": 1,
        "cf_index": "A",
        "cf_points": 500.0,
        "cf_rating": 800,
        "cf_tags": ["implementation"],
        "is_description_translated": False,
        "untranslated_description": "",
        "time_limit": {"seconds": 1, "nanos": 0},
        "memory_limit_bytes": 256000000,
        "input_file": "",
        "output_file": "",
    }


ROWS = [
    _row(
        "1_A. Sum",
        # Python 3: 2 correct (one repeated) vs 3 incorrect -> 2 pairs; C++: correct only;
        # language 0 (unknown) is ignored.
        _solutions(
            (3, GOOD_PY[0]), (3, GOOD_PY[1]), (3, GOOD_PY[0] + "\n"), (2, GOOD_CPP), (0, "?")
        ),
        _solutions((3, BAD_PY[0]), (3, BAD_PY[1]), (3, BAD_PY[2]), (4, "class A {}")),
    ),
    _row(
        "2_B. Same",
        _solutions((1, "print 3"), (1, "print input()")),
        _solutions((1, "print 3")),  # accepted and rejected: dropped from both
    ),
]

GOLDEN_HEAD = f"""\
INSTRUCTIONS:
title: Which program correctly solves the programming problem?
description: In this task, you will be shown a competitive programming problem, the programming \
language, and two programs submitted for it. One program is accepted by the judge: it produces \
the correct output for every test within the time and memory limits. The other is rejected: it \
gives a wrong answer on some input, crashes, or exceeds the limits. Read the problem statement, \
including its constraints and edge cases, and check each program's logic against it. Choose the \
program that correctly solves the problem. Answer 'A' if solution_a is better, or 'B' if \
solution_b is better.
output_fields: answer

CONTEXT:
problem: {DESCRIPTION}
language: Python 3
"""
GOLDEN_TAIL = """\
solution_a: a, b = map(int, input().split())
print(a + b)
solution_b: a, b = input().split()
print(a + b)

EVALUATION:
answer: A"""


@pytest.fixture
def root(tmp_path):
    return testing.write_rows(tmp_path, "code_contests", VALID, ROWS)


def test_golden_pairs_and_skips(root):
    records = testing.render("code_contests_pairwise", "validation", root)
    assert len(records) == 2
    rng = random.Random(f"{code_contests.SEED}/1_A. Sum/3")
    expected = list(zip(rng.sample(GOOD_PY, 2), rng.sample(BAD_PY, 2), strict=True))
    for record, (better, worse) in zip(records, expected, strict=True):
        context = dict(record.context)
        assert testing.text(record).startswith(GOLDEN_HEAD)
        chosen = "solution_a" if record.answer == "A" else "solution_b"
        other = "solution_b" if chosen == "solution_a" else "solution_a"
        assert (context[chosen], context[other]) == (better, worse)
    assert testing.text(records[0]) == GOLDEN_HEAD + GOLDEN_TAIL
    assert Counter(r.answer for r in records) == {"A": 1, "B": 1}
    # C++ and Java are one-sided in problem 1; Python 2 of problem 2 loses its only incorrect.
    assert testing.skipped("code_contests_pairwise", "validation", root) == {
        "one_sided": 3,
        "conflicting_solution": 1,
    }


def test_pairing_is_deterministic(root):
    first = [
        r.targets + r.inputs for r in testing.render("code_contests_pairwise", "validation", root)
    ]
    second = [
        r.targets + r.inputs for r in testing.render("code_contests_pairwise", "validation", root)
    ]
    assert first == second


def test_pairs_are_capped_per_language(tmp_path):
    row = _row(
        "3_C. Many",
        _solutions(*[(2, f"int main(){{return {i};}}") for i in range(10)]),
        _solutions(*[(2, f"int main(){{return -{i};}}") for i in range(10)]),
    )
    root = testing.write_rows(tmp_path, "code_contests", VALID, [row])
    records = testing.render("code_contests_pairwise", "validation", root)
    assert len(records) == code_contests.PAIRS_PER_LANGUAGE
    assert {dict(r.context)["language"] for r in records} == {"C++"}


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row("x", _solutions((5, "x")), _solutions()), "solutions.language.0", "5 is not one of"),
        (
            _row("x", {"language": [3, 3], "solution": ["a"]}, _solutions()),
            "solutions",
            "2 languages but 1 solutions",
        ),
        (_row("x", _solutions(), _solutions(), description=" "), "description", "empty text"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "code_contests", VALID, [ROWS[1], row])
    with pytest.raises(DataError, match=rf"file {VALID}, row 2, field '{field}': {message}"):
        testing.render("code_contests_pairwise", "validation", root)
