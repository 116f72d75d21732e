"""Golden tests of the LFQAEval expert-preference task on rows in the upstream JSONL schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

TASK = "lfqa_eval_expert_preference"
FILE = "experts_pairwise_human_preferences.jsonl"

INSTRUCTIONS = """\
INSTRUCTIONS:
title: Which answer to the question is better?
description: In this task, you will be shown a question asked on a forum where people explain \
things simply, and two long-form answers to it. As a domain expert would, choose the better \
answer overall: the one that is factually correct, addresses every part of the question and any \
false assumption in it, stays relevant without unneeded information, and is clear, easy to \
follow and free of serious grammar mistakes. Answer 'A' if answer_a is better, or 'B' if \
answer_b is better.
output_fields: answer

CONTEXT:
"""

TWINS = "Why aren't identical twins half the size of single humans?<br />If the egg splits..."
GOOD = "The egg does not contain all the material of the final human being.<br />It grows."
BAD = "Essentially, yes. Identical twinning is a genetically transmitted characteristic."
BALD = "Why do people go bald on the top of their head?<br />"
GPT3 = "There are a few reasons why people go bald on the top of their head."
HUMAN = "Seems unsettled but here's a theory: tension in a band of tissue over the head."


def _row(question, a, b, preference, types=("human", "human")):
    return {
        "question": question,
        "answer_a": a,
        "answer_b": b,
        "answer_a_type": types[0],
        "answer_b_type": types[1],
        "overall_preference": preference,
        "justification": "A addresses the false assumption in the question.",
    }


ROWS = [
    _row(TWINS, GOOD, BAD, -1),
    _row(BALD, GPT3, HUMAN, 1, types=("gpt3", "human")),
    _row(BALD, HUMAN, GPT3, 0, types=("human", "gpt3")),
]


def test_golden_and_tie_skip(tmp_path):
    root = testing.write_rows(tmp_path, "lfqa_eval", FILE, ROWS)
    records = testing.render(TASK, "test", root)
    twins = TWINS.replace("<br />", "\n")
    good = GOOD.replace("<br />", "\n")
    assert [testing.text(r) for r in records] == [
        INSTRUCTIONS + f"question: {twins}\nanswer_a: {BAD}\nanswer_b: {good}\n\n"
        "EVALUATION:\nanswer: B",
        INSTRUCTIONS + "question: Why do people go bald on the top of their head?\n"
        f"answer_a: {HUMAN}\nanswer_b: {GPT3}\n\nEVALUATION:\nanswer: A",
    ]
    assert [dict(r.meta) for r in records] == [
        {"winner": "human", "loser": "human"},
        {"winner": "human", "loser": "gpt3"},
    ]
    assert testing.skipped(TASK, "test", root) == {"tie": 1}


def test_answers_are_balanced_between_positions(tmp_path):
    rows = [_row(f"Question {i}?", f"A {i}.", f"B {i}.", (-1, 1)[i % 2]) for i in range(10)]
    root = testing.write_rows(tmp_path, "lfqa_eval", FILE, rows)
    answers = [r.evaluation[0][1] for r in testing.render(TASK, "test", root)]
    assert answers.count("A") == answers.count("B") == 5


def test_bad_rows_name_file_row_and_field(tmp_path):
    root = testing.write_rows(tmp_path, "lfqa_eval", FILE, [ROWS[0], _row(BALD, GPT3, HUMAN, 2)])
    with pytest.raises(
        DataError, match=rf"file {FILE}, row 2, field 'overall_preference': 2.0 is not one"
    ):
        testing.render(TASK, "test", root)
    root = testing.write_rows(tmp_path, "lfqa_eval", FILE, [_row(BALD, GPT3, HUMAN, "a")])
    with pytest.raises(DataError, match=r"row 1, field 'overall_preference': expected int/float"):
        testing.render(TASK, "test", root)
    root = testing.write_rows(tmp_path, "lfqa_eval", FILE, [_row(BALD, "", HUMAN, 1)])
    with pytest.raises(DataError, match=r"row 1, field 'answer_a': empty text"):
        testing.render(TASK, "test", root)
    missing = {k: v for k, v in ROWS[0].items() if k != "question"}
    root = testing.write_rows(tmp_path, "lfqa_eval", FILE, [missing])
    with pytest.raises(DataError, match=r"row 1, field 'question': missing"):
        testing.render(TASK, "test", root)


def test_source_url_and_evaluation_only():
    task = registry.get_task(TASK)
    assert task.evaluation_only and task.source.evaluation_only
    assert task.source.host.url(FILE) == (
        "https://media.githubusercontent.com/media/carriex/lfqa_eval/"
        f"5202745be28c1574c79c18c95143a797567eded9/preference_data/{FILE}"
    )
