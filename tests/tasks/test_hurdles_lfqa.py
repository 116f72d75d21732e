"""Golden tests of the Hurdles LFQA preference task on rows written in the upstream schema."""

from collections import Counter

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

FILE = "hurldes_pairwise_human_preferences.jsonl"
QUESTION = "Why do we get goosebumps?"
HUMAN = "Tiny muscles at the base of each hair contract, a reflex left over from furrier ancestors."
MODEL = "Goosebumps are goosebumps. They are bumps that are goose. Geese have them too."


def _row(a, b, preference, a_type="human", b_type="rt_p0.6_predicted"):
    return {
        "question": QUESTION,
        "answer_a": a,
        "answer_b": b,
        "answer_a_type": a_type,
        "answer_b_type": b_type,
        "overall_preference": preference,
    }


ROWS = [
    _row(HUMAN, MODEL, -1),
    _row(MODEL, HUMAN, 1, a_type="rt_p0.6_random", b_type="human"),
    _row(MODEL, HUMAN, 0),
    _row(HUMAN, HUMAN, -1),
    _row("Cold makes your skin tighten.", MODEL, -1.0),
]

GOLDEN = f"""\
INSTRUCTIONS:
title: Which answer to the question is better?
description: In this task, you will be shown a question from the Reddit forum "Explain Like I'm \
Five" (ELI5), where people ask for simple explanations of complex topics, and two \
paragraph-length answers to it. Choose the better answer overall: the one that answers the \
question more directly and helpfully, is more accurate, and is more coherent and fluent, without \
repetition or content unrelated to the question. Answer 'A' if answer_a is better, or 'B' if \
answer_b is better.
output_fields: answer

CONTEXT:
question: {QUESTION}
answer_a: {{a}}
answer_b: {{b}}

EVALUATION:
answer: {{answer}}"""


def test_golden_counts_and_skips(tmp_path):
    root = testing.write_rows(tmp_path, "hurdles_lfqa", FILE, ROWS)
    records = testing.render("hurdles_lfqa_preference", "train", root)
    assert len(records) == 3
    first = records[0]
    a, b = (HUMAN, MODEL) if first.answer == "A" else (MODEL, HUMAN)
    assert testing.text(first) == GOLDEN.format(a=a, b=b, answer=first.answer)
    better = [dict(r.context)["answer_" + r.answer.lower()] for r in records]
    assert better == [HUMAN, HUMAN, "Cold makes your skin tighten."]
    assert sorted(Counter(r.answer for r in records).values()) == [1, 2]
    assert testing.skipped("hurdles_lfqa_preference", "train", root) == {
        "tie": 1,
        "identical": 1,
    }
    assert registry.get_task("hurdles_lfqa_preference").is_training


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row(HUMAN, MODEL, 2), "overall_preference", "2.0 is not one of"),
        (_row(HUMAN, MODEL, "-1"), "overall_preference", "expected int/float, got str"),
        (_row(HUMAN, "", -1), "answer_b", "empty text"),
        ({k: v for k, v in ROWS[0].items() if k != "question"}, "question", "missing"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "hurdles_lfqa", FILE, [ROWS[0], row])
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
        testing.render("hurdles_lfqa_preference", "train", root)
