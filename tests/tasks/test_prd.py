"""Golden tests of the PRD (Vicuna80 human preferences) pairwise task on rows in the upstream
schema: answer files per model and three-annotator rating files per ordered model pair."""

import pytest
from flame_tasks import prd

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

QUESTIONS = {
    1: "How can I improve my time management skills?",
    2: "What are the most effective ways to deal with stress?",
}


def _answer(model, question_id):
    if model == "vicuna-13b" and question_id == 2:
        return " Exercise regularly."  # the same text as bard's answer to question 2
    if model == "bard" and question_id == 2:
        return "Exercise regularly."
    return f" {model} answer to question {question_id}."


def _write(tmp_path, ratings):
    """Writes every file of the task; `ratings` maps (first, second) -> [(qid, [scores])]."""
    for model, file in zip(prd.MODELS, prd.GENERATIONS, strict=True):
        rows = [
            {
                "answer_id": f"{model}{q}",
                "question_id": q,
                "model_id": model,
                "text": _answer(model, q),
            }
            for q in QUESTIONS
        ]
        testing.write_rows(tmp_path, "prd", file, rows)
    for order, file in zip(prd.ORDERS, prd.RATINGS, strict=True):
        groups = ratings.get(order, [(1, [3, 3, 3])])  # default: one all-equivalent question
        rows = [
            {"question_id": q, "text": QUESTIONS.get(q, "Unknown?"), "score": s}
            for q, scores in groups
            for s in scores
        ]
        testing.write_rows(tmp_path, "prd", file, rows)
    return str(tmp_path)


RATINGS = {
    ("gpt4", "gpt35"): [(1, [1, 1, 2]), (2, [3, 2, 3])],  # gpt4 wins q1; gpt35 wins q2
    ("bard", "vicuna-13b"): [(2, [1, 1, 1])],  # identical answers
    ("claude", "bard"): [(1, [1, 2, 3])],  # tie
}

GOLDEN = """\
INSTRUCTIONS:
title: Which answer to the user's question is better?
description: In this task, you will be shown a question that a user asked an AI assistant, and \
two answers from different assistants. Choose the better answer: the one that is more helpful, \
relevant and accurate, with an appropriate level of detail, and that does what the question asks \
(for example, writes the requested code, solves the problem, or plays the requested role). \
Answer 'A' if answer_a is better, or 'B' if answer_b is better.
output_fields: answer

CONTEXT:
question: How can I improve my time management skills?
answer_a: {a}
answer_b: {b}

EVALUATION:
answer: {answer}"""


def test_golden_counts_and_skips(tmp_path):
    root = _write(tmp_path, RATINGS)
    records = testing.render("prd_preference", "train", root)
    assert len(records) == 2
    first = records[0]
    gpt4, gpt35 = "gpt4 answer to question 1.", "gpt35 answer to question 1."
    a, b = (gpt4, gpt35) if first.answer == "A" else (gpt35, gpt4)
    assert testing.text(first) == GOLDEN.format(a=a, b=b, answer=first.answer)
    second = records[1]
    assert dict(second.context)["answer_" + second.answer.lower()] == "gpt35 answer to question 2."
    assert {r.answer for r in records} == {"A", "B"}
    # 13 default all-equivalent files + the claude-vs-bard split vote; one identical pair.
    assert testing.skipped("prd_preference", "train", root) == {"tie": 14, "identical": 1}
    assert registry.get_task("prd_preference").is_training


def test_lfqa_file_is_not_read():
    files = registry.get_task("prd_preference").files("train")
    assert len(files) == 5 + 16 and not any("lfqa" in f for f in files)


@pytest.mark.parametrize(
    ("groups", "field", "message"),
    [
        ([(1, [1, 4, 1])], "score", "4 is not one of"),
        ([(3, [1, 1, 1])], "question_id", "no answer of gpt4 to question 3"),
        ([(1, ["1", 1, 1])], "score", "expected int, got str"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, groups, field, message):
    root = _write(tmp_path, {("gpt4", "gpt35"): groups})
    file = "ratings-human/answer_gpt4-vs-answer_gpt35-human-reviewer_threeclass.jsonl"
    with pytest.raises(DataError, match=rf"file {file}, row \d, field '{field}': {message}"):
        testing.render("prd_preference", "train", root)


def test_empty_answer_is_an_error(tmp_path):
    root = _write(tmp_path, RATINGS)
    testing.write_rows(
        tmp_path,
        "prd",
        "generations/answer_gpt4.jsonl",
        [{"answer_id": "x", "question_id": 1, "model_id": "gpt4", "text": " "}],
    )
    with pytest.raises(
        DataError, match=r"file generations/answer_gpt4.jsonl, row 1, field 'text': empty text"
    ):
        testing.render("prd_preference", "train", root)
