"""Golden tests of the Fine-grained RLHF qa-feedback tasks on rows in the upstream schema."""

from collections import Counter

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

P1 = (
    "Bloom is the second studio album by Troye Sivan, released on 31 August 2018. "
    "The album follows up his 2015 debut studio album."
)
P2 = "Bloom, the second studio album by Troye Sivan, was released on 31 August 2018."
P3 = "Bloom was released in 2019."


def _row(errors, preference=(0, 1, 2, 1, 0, 2), p4=P3):
    return {
        "question": "When does bloom by troye sivan come out?",
        "passages": [
            [
                "Bloom (Troye Sivan album)",
                "Bloom (Troye Sivan album)\n\nBloom is the second studio album by Troye Sivan, "
                "released on 31 August 2018.",
                "The album follows up his 2015 debut studio album.",
            ],
            ["Troye Sivan", "Troye Sivan is an Australian singer."],
        ],
        "gold": "Bloom was released on August 31, 2018.",
        "prediction 1": P1,
        "prediction 2": P2,
        "prediction 3": P3,
        "prediction 4": p4,
        "feedback": {
            "errors": [
                {"error type": kind, "explanation": "", "start": 78, "end": 126} for kind in errors
            ],
            "missing-info": [],
            "corrected-prediction": "Bloom was released on 31 August 2018.",
        },
        "preference": list(preference),
    }


ROWS = [
    # 1v2 tie, 1v3 -> 1, 1v4 -> 4, 2v3 -> 2, 2v4 tie, 3v4 identical (prediction 4 == 3)
    _row(["Irrelevant"]),
    _row(["Unverifiable", "Redundant"], preference=(2, 2, 1, 1, 1, 1), p4="Bloom is an album."),
    _row([], preference=(1, 1, 1, 1, 1, 1), p4="Bloom is an album."),
]

CONTEXT = """\
question: When does bloom by troye sivan come out?
passages: [1] Bloom (Troye Sivan album)
Bloom (Troye Sivan album)

Bloom is the second studio album by Troye Sivan, released on 31 August 2018. The album follows \
up his 2015 debut studio album.

[2] Troye Sivan
Troye Sivan is an Australian singer.
"""
INTRO = (
    "In this task, you will be shown a question, which may be ambiguous, and Wikipedia "
    "passages that contain the information needed to answer it. "
)

PREFERENCE_GOLDEN = (
    "INSTRUCTIONS:\n"
    "title: Which answer to the question is better?\n"
    f"description: {INTRO}You will also be shown two long-form answers. Choose the better "
    "answer overall: the one that answers the question (covering its different "
    "interpretations) with information that is consistent with and verifiable from the "
    "passages, that includes the important auxiliary information, and that has no irrelevant, "
    "repeated or incoherent content. Answer 'A' if answer_a is better, or 'B' if answer_b is "
    "better.\n"
    "output_fields: answer\n\n"
    f"CONTEXT:\n{CONTEXT}"
    "answer_a: {a}\n"
    "answer_b: {b}\n\n"
    "EVALUATION:\n"
    "answer: {answer}"
)

FACTUALITY_GOLDEN = (
    "INSTRUCTIONS:\n"
    "title: Does the answer contain a factual error?\n"
    f"description: {INTRO}You will also be shown a long-form answer. Judge whether the answer "
    "contains a factual error: a statement that contradicts the passages (an inconsistent "
    "fact) or that the passages do not support (an unverifiable fact). Do not count "
    "irrelevant, repeated or incoherent content, or missing information. Answer 'Yes' if some "
    "statement contradicts the passages or cannot be verified from them. Answer 'No' if every "
    "statement is consistent with and supported by the passages.\n"
    "output_fields: answer\n\n"
    f"CONTEXT:\n{CONTEXT}"
    f"answer: {P1}\n\n"
    "EVALUATION:\n"
    "answer: {answer}"
)

RELEVANCE_GOLDEN = (
    "INSTRUCTIONS:\n"
    "title: Does the answer contain irrelevant, repetitive or incoherent content?\n"
    f"description: {INTRO}You will also be shown a long-form answer. Judge whether any part of "
    "the answer is irrelevant (does not help answer the question), repetitive (repeats "
    "information already given in the answer), or incoherent (ungrammatical, or does not fit "
    "with the rest of the answer). Do not count factual errors or missing information. Answer "
    "'Yes' if some part of the answer is irrelevant, repetitive or incoherent. Answer 'No' if "
    "every part of the answer is relevant, new and coherent.\n"
    "output_fields: answer\n\n"
    f"CONTEXT:\n{CONTEXT}"
    f"answer: {P1}\n\n"
    "EVALUATION:\n"
    "answer: {answer}"
)

SPLITS = [("train", "train_feedback.json"), ("validation", "dev_feedback.json")]


@pytest.mark.parametrize(("split", "file"), SPLITS)
def test_preference_golden_counts_and_skips(tmp_path, split, file):
    root = testing.write_rows(tmp_path, "fine_grained_rlhf", file, ROWS)
    records = testing.render("fine_grained_rlhf_preference", split, root)
    assert len(records) == 3 + 6 + 6
    first = records[0]
    a, b = (P1, P3) if first.answer == "A" else (P3, P1)
    assert testing.text(first) == PREFERENCE_GOLDEN.format(a=a, b=b, answer=first.answer)
    better = [dict(r.context)["answer_" + r.answer.lower()] for r in records[:9]]
    assert better == [P1, P3, P2, P2, P3, P1, P2, P2, P3]
    assert sorted(Counter(r.answer for r in records).values()) == [7, 8]
    skipped = testing.skipped("fine_grained_rlhf_preference", split, root)
    assert skipped == {"tie": 2, "identical": 1}


@pytest.mark.parametrize(("split", "file"), SPLITS)
def test_classification_golden_and_labels(tmp_path, split, file):
    root = testing.write_rows(tmp_path, "fine_grained_rlhf", file, ROWS)
    factuality = testing.render("fine_grained_rlhf_factuality", split, root)
    relevance = testing.render("fine_grained_rlhf_relevance", split, root)
    assert testing.text(factuality[0]) == FACTUALITY_GOLDEN.format(answer="No")
    assert testing.text(relevance[0]) == RELEVANCE_GOLDEN.format(answer="Yes")
    assert [r.answer for r in factuality] == ["No", "Yes", "No"]
    assert [r.answer for r in relevance] == ["Yes", "Yes", "No"]
    for task in ("fine_grained_rlhf_factuality", "fine_grained_rlhf_relevance"):
        assert testing.skipped(task, split, root) == {}
        assert registry.get_task(task).capability == "quality"


@pytest.mark.parametrize(
    ("row", "task", "field", "message"),
    [
        (_row(["Wrong"]), "factuality", "feedback.errors.0.error type", "'Wrong' is not one of"),
        (_row([], preference=(0, 1, 3, 1, 0, 2)), "preference", "preference.2", "3 is not one"),
        (_row([], preference=(0, 1)), "preference", "preference", "2 values, expected 6"),
        ({**_row([]), "prediction 2": " "}, "preference", "prediction 2", "empty text"),
        ({**_row([]), "passages": [["Title"]]}, "relevance", "passages.0", "expected \\[title"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, task, field, message):
    root = testing.write_rows(tmp_path, "fine_grained_rlhf", "dev_feedback.json", [ROWS[0], row])
    with pytest.raises(
        DataError, match=rf"file dev_feedback.json, row 2, field '{field}': {message}"
    ):
        testing.render(f"fine_grained_rlhf_{task}", "validation", root)


@pytest.mark.parametrize(
    ("task", "records"),
    [
        ("fine_grained_rlhf_factuality", 498),
        ("fine_grained_rlhf_relevance", 498),
        ("fine_grained_rlhf_preference", 2612),
    ],
)
def test_whole_upstream_dev_file_counts_the_rows_without_passages(shared_upstream, task, records):
    """Real dev rows 182 and 478 have `"passages": []`: bad rows, counted; the split goes on."""
    tally = registry.Tally()
    got = list(registry.get_task(task).records("validation", shared_upstream, tally=tally))
    assert (tally.rows, len(got)) == (500, records)
    assert dict(tally.bad) == {"passages: no passages": 2}
    assert tally.bad_rows["passages: no passages"] == [
        "dev_feedback.json row 182",
        "dev_feedback.json row 478",
    ]
    with pytest.raises(DataError, match=r"dev_feedback.json, row 182, field 'passages'"):
        list(registry.get_task(task).records("validation", shared_upstream, budget=registry.STRICT))
