"""Golden tests of the MT-Bench human-judgment task on the real rows in ../shared/data."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

TASK = "mt_bench_human_judgments_llmbar_preference"

EXPECTED = """\
INSTRUCTIONS:
title: Which answer to the user's question is better?
description: In this task, you will be shown a question that a user asked an AI assistant and \
two answers from different assistants. Judge which answer serves the user better: it follows \
the user's instructions and answers the question, and it is helpful, relevant, accurate, \
appropriately detailed and, where the question calls for it, creative. Do not let the order of \
the answers or their length decide your answer. Answer 'A' if answer_a is better, or 'B' if \
answer_b is better.
output_fields: answer

CONTEXT:
question: A is the father of B. B is the father of C. What is the relationship between A and C?
answer_a: A is the grandfather of C.
answer_b: * A is the father of B
* B is the father of C
* Therefore, A is the grandfather of C

So the relationship between A and C is:

Grandfather - Grandson

EVALUATION:
answer: B"""


def test_golden_on_real_rows(shared_data):
    records = testing.render(TASK, "test", shared_data)
    assert len(records) == 60  # elements 1-60 of 200
    # Element 13 has label 2: the experts preferred the step-by-step answer (output_2).
    assert testing.text(records[12]) == EXPECTED
    answers = [r.answer for r in records]
    assert answers.count("A") == answers.count("B") == 30
    assert testing.skipped(TASK, "test", shared_data) == {}


def test_evaluation_only_and_nothing_from_the_questions_folder():
    task = registry.get_task(TASK)
    assert task.evaluation_only and task.source.evaluation_only
    # question.jsonl and the GPT-4 reference answers hold no human judgment: no task reads them.
    assert not [t for t in registry.tasks() if t.source.name == "mt_bench"]


def test_bad_rows_name_file_row_and_field(tmp_path):
    rows = [
        {"input": "Q", "output_1": "a", "output_2": "b", "label": 1},
        {"input": "Q", "output_1": "a", "output_2": "b", "label": "2"},
    ]
    testing.write_rows(tmp_path, "mt_bench_human_judgments_llmbar", "dataset.json", rows)
    with pytest.raises(DataError, match=r"file dataset.json, row 2, field 'label': expected int"):
        testing.render(TASK, "test", str(tmp_path))
    rows = [{"output_1": "a", "output_2": "b", "label": 1}]
    testing.write_rows(tmp_path, "mt_bench_human_judgments_llmbar", "dataset.json", rows)
    with pytest.raises(DataError, match=r"file dataset.json, row 1, field 'input': missing"):
        testing.render(TASK, "test", str(tmp_path))
