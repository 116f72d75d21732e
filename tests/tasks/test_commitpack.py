"""Golden tests of the CommitPackFT pairwise task on rows written in the upstream schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

TASK = "commitpack_pairwise"
FOLDERS = {
    "python": "Python",
    "javascript": "JavaScript",
    "java": "Java",
    "c++": "C++",
    "go": "Go",
    "rust": "Rust",
}


def _commit(old, new, *, message="Fix the greeting", lang="Python", file="hello.py"):
    return {
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "old_file": file,
        "new_file": file,
        "old_contents": old,
        "new_contents": new,
        "subject": message.splitlines()[0],
        "message": message,
        "lang": lang,
        "license": "mit",
        "repos": "octo/hello",
    }


def _write_all(tmp_path, python_rows) -> str:
    for folder, lang in FOLDERS.items():
        rows = python_rows if folder == "python" else [_commit("a", "b", lang=lang)]
        testing.write_rows(tmp_path, "commitpack", f"data/{folder}/data.jsonl", rows)
    return str(tmp_path)


EXPECTED = """\
INSTRUCTIONS:
title: Which version of the code correctly makes the change described by the commit message?
description: In this task, you will be shown a commit message in which a developer describes a \
change to a source file, the programming language and the path of the file, and two versions \
of the file. One version makes the change that the message asks for; the other does not make \
it, or makes it wrongly. Read the message carefully and compare the two versions. Choose the \
version that correctly implements the described change. Answer 'A' if code_a is better, or 'B' \
if code_b is better.
output_fields: answer

CONTEXT:
language: Python
file: hello.py
commit_message: Print the name in the greeting

Use the name argument instead of a fixed string.
code_a: def greet(name):
    print(f"Hello, {name}!")
code_b: def greet(name):
    print("Hello, world!")

EVALUATION:
answer: A"""


def test_golden_and_documented_skips(tmp_path):
    rows = [
        _commit(
            'def greet(name):\n    print("Hello, world!")\n',
            'def greet(name):\n    print(f"Hello, {name}!")\n',
            message="Print the name in the greeting\n\n"
            "Use the name argument instead of a fixed string.\n",
        ),
        _commit("", "print('new')\n"),  # the commit creates the file
        _commit("print('old')\n", ""),  # the commit deletes the file
        _commit("x = 1\n", "x = 1"),  # only the final newline changes
    ]
    root = _write_all(tmp_path, rows)
    records = testing.render(TASK, "train", root)
    assert len(records) == 6  # one Python commit and one of each other language
    assert testing.text(records[0]) == EXPECTED
    assert [r.context[0] for r in records] == [("language", v) for v in FOLDERS.values()]
    assert testing.skipped(TASK, "train", root) == {
        "new_file": 1,
        "deleted_file": 1,
        "identical": 1,
    }


def test_six_languages_train_only():
    task = registry.get_task(TASK)
    assert task.is_training and task.capability == "coding"
    assert tuple(task.splits) == ("train",)
    assert task.files("train") == tuple(f"data/{folder}/data.jsonl" for folder in FOLDERS)


def test_bad_rows_name_file_row_and_field(tmp_path):
    bad = _commit("a = 1\n", "a = 2\n")
    del bad["message"]
    root = _write_all(tmp_path, [_commit("a = 1\n", "a = 2\n"), bad])
    with pytest.raises(
        DataError, match=r"file data/python/data.jsonl, row 2, field 'message': missing"
    ):
        testing.render(TASK, "train", root)
    bad = _commit("a = 1\n", None)
    root = _write_all(tmp_path, [bad])
    with pytest.raises(
        DataError, match=r"file data/python/data.jsonl, row 1, field 'new_contents': expected str"
    ):
        testing.render(TASK, "train", root)
