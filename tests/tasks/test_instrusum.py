"""Golden tests of the InstruSum tasks on rows written in the upstream schema (human_eval)."""

from collections import Counter

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

FILE = "human_eval.json"
ARTICLE = (
    "Lloyds refunded more than 14,000 pounds stolen from a woman with dementia through direct "
    "debits, after first saying they had been set up legitimately. Vodafone will give the "
    "police details of a suspect."
)
REQUIREMENT = "Summarize the conclusion of the fraud case."
GPT4 = "Lloyds refunded the stolen money and Vodafone will help the police."


def _system(summary, overall, factual, missing=3.0, irrelevant=3.0):
    return {
        "summary": summary,
        "score": {
            "overall": overall,
            "missing": missing,
            "irrelevant": irrelevant,
            "factual": factual,
        },
    }


ROWS = [
    {
        "article": ARTICLE,
        "requirement": REQUIREMENT,
        "annotations": {
            "text-davinci-002": _system("Direct debit fraud is rising.", 2.0, 1.0),
            "gpt-4-0314": _system(GPT4, 4.333333333333333, 1.0, missing=3.6666666666666665),
            "hybrid": _system(GPT4, 4.0, 1.0),  # same text as gpt-4-0314: no pair
            "gpt-3.5-turbo-0301": _system("Lloyds refused to refund the money.", 2.0, 0.0),
        },
    },
    {
        "article": ARTICLE,
        "requirement": "Who refunded the money?",
        "annotations": {
            "gpt-4-0314": _system("Lloyds.", 5.0, 0.5),
            "text-davinci-003": _system("Vodafone.", 1.0, 0.0),
        },
    },
]

OVERALL_GOLDEN = f"""\
INSTRUCTIONS:
title: Which summary better satisfies the summary requirement?
description: In this task, you will be shown a news article, a requirement that says what a \
summary of it should focus on, and two summaries. Choose the summary of better overall quality \
with respect to the requirement: one that includes the crucial information of the article that \
the requirement asks for, leaves out information irrelevant to the requirement, and is \
factually consistent with the article. Answer 'A' if summary_a is better, or 'B' if summary_b \
is better.
output_fields: answer

CONTEXT:
article: {ARTICLE}
requirement: {REQUIREMENT}
summary_a: {{a}}
summary_b: {{b}}

EVALUATION:
answer: {{answer}}"""

FACTUAL_GOLDEN = f"""\
INSTRUCTIONS:
title: Is the summary factually consistent with the article?
description: In this task, you will be shown a news article, a requirement that says what a \
summary of it should focus on, and a summary written for that requirement. Judge whether the \
summary is consistent with the facts presented in the article, without contradicting or \
misrepresenting any of its information and without adding facts the article does not state. \
Judge only factual consistency, not how well the summary meets the requirement. Answer 'Yes' \
if everything the summary states is consistent with the article. Answer 'No' if the summary \
contradicts, misrepresents or goes beyond the article.
output_fields: answer

CONTEXT:
article: {ARTICLE}
requirement: {REQUIREMENT}
summary: Lloyds refused to refund the money.

EVALUATION:
answer: No"""


def test_overall_pairs_golden_and_skips(tmp_path):
    root = testing.write_rows(tmp_path, "instrusum", FILE, ROWS)
    records = testing.render("instrusum_overall", "train", root)
    # Row 1, systems sorted: gpt-3.5 (2.0), gpt-4 (4.33), hybrid (4.0), davinci-002 (2.0):
    # (3.5, 4) 4 better; (3.5, hybrid) hybrid; (3.5, 002) tie; (4, hybrid) identical;
    # (4, 002) 4 better; (hybrid, 002) hybrid better. Row 2: (4, 003) 4 better.
    assert len(records) == 5
    first = dict(records[0].context)
    better_first = first["summary_a"] == GPT4
    a, b = (GPT4, "Lloyds refused to refund the money.")[:: 1 if better_first else -1]
    assert testing.text(records[0]) == OVERALL_GOLDEN.format(
        a=a, b=b, answer="A" if better_first else "B"
    )
    better = [dict(r.context)["summary_" + r.answer.lower()] for r in records]
    assert better == [GPT4, GPT4, GPT4, GPT4, "Lloyds."]
    assert Counter(r.answer for r in records) in ({"A": 3, "B": 2}, {"A": 2, "B": 3})
    assert testing.skipped("instrusum_overall", "train", root) == {"tie": 1, "identical": 1}


def test_factual_golden_counts_and_skips(tmp_path):
    root = testing.write_rows(tmp_path, "instrusum", FILE, ROWS)
    records = testing.render("instrusum_factual", "train", root)
    assert testing.text(records[0]) == FACTUAL_GOLDEN
    assert [r.answer for r in records] == ["No", "Yes", "Yes", "Yes", "No"]
    assert testing.skipped("instrusum_factual", "train", root) == {"tie": 1}


def test_tasks_are_training_quality_tasks():
    for name in ("instrusum_overall", "instrusum_factual"):
        task = registry.get_task(name)
        assert task.is_training and task.capability == "quality"
    assert registry.get_task("instrusum_overall").source.host.gated


def _bad(**changes):
    systems = dict(ROWS[1]["annotations"])
    systems["gpt-4-0314"] = {**systems["gpt-4-0314"], **changes.pop("system", {})}
    return {**ROWS[1], "annotations": systems, **changes}


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            _bad(system={"score": {"overall": 6.0, "factual": 1.0}}),
            r"annotations\[gpt-4-0314\].score.overall",
            "6.0 is outside",
        ),
        (
            _bad(system={"score": {"overall": "5", "factual": 1.0}}),
            r"annotations\[gpt-4-0314\].score.overall",
            "expected a number",
        ),
        (_bad(system={"summary": " "}), r"annotations\[gpt-4-0314\].summary", "empty text"),
        (_bad(requirement=""), "requirement", "empty text"),
        ({k: v for k, v in ROWS[1].items() if k != "annotations"}, "annotations", "missing"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "instrusum", FILE, [ROWS[0], row])
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
        testing.render("instrusum_overall", "train", root)


def test_factual_outside_zero_one_is_an_error(tmp_path):
    row = _bad(system={"score": {"overall": 5.0, "factual": 2}})
    root = testing.write_rows(tmp_path, "instrusum", FILE, [row])
    with pytest.raises(
        DataError, match=r"row 1, field 'annotations\[gpt-4-0314\].score.factual': 2 is outside"
    ):
        testing.render("instrusum_factual", "train", root)
