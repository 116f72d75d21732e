"""The FLAMe record renders exactly as the paper's example (Fig. 2)."""

import pytest

from flame_jax.format import Classification, Instructions, Label, Record, TaskType

PAPER_EXAMPLE = """\
INSTRUCTIONS:
title: Is all of the information in the summary fully attributable to the source article?
description: In this task, you will be shown a summary and a source news article on which the \
summary is based. Answer 'Yes' if all the information in the summary is fully supported by the \
source article. Answer 'No' if any information in the summary is not supported by the source \
article.
output_fields: answer, explanation

CONTEXT:
article: Tower Hamlets Council said it would sell Draped Seated Woman.
summary: A Moore sculpture of a woman sitting on a concrete plinth is to be sold.

EVALUATION:
answer: No
explanation: The detail that the woman is "sitting on a concrete plinth" is not in the article."""


def test_paper_example_renders_exactly():
    template = Classification(
        title="Is all of the information in the summary fully attributable to the source article?",
        description=(
            "In this task, you will be shown a summary and a source news article on which the "
            "summary is based."
        ),
        context_fields=("article", "summary"),
        labels=(
            ("Yes", "all the information in the summary is fully supported by the source article"),
            ("No", "any information in the summary is not supported by the source article"),
        ),
        explanation=True,
    )
    record = template.render(
        Label(
            {
                "article": "Tower Hamlets Council said it would sell Draped Seated Woman.",
                "summary": (
                    "A Moore sculpture of a woman sitting on a concrete plinth is to be sold."
                ),
            },
            label="No",
            explanation='The detail that the woman is "sitting on a concrete plinth" is not in the '
            "article.",
        ),
        index=0,
        seed=0,
    )
    assert record.inputs + record.targets == PAPER_EXAMPLE
    assert record.inputs.endswith("\n\n") and record.targets.startswith("EVALUATION:\n")
    assert record.answer == "No" and record.options == ("Yes", "No")


def test_record_validates_fields():
    instructions = Instructions("t", "d", ("answer",))
    with pytest.raises(ValueError, match="differ from output_fields"):
        Record(TaskType.CLASSIFICATION, instructions, (("x", "1"),), (("score", "1"),))
    with pytest.raises(ValueError, match="not one of the options"):
        Record(
            TaskType.CLASSIFICATION,
            instructions,
            (("x", "1"),),
            (("answer", "Maybe"),),
            ("Yes", "No"),
        )
    with pytest.raises(ValueError, match="lower_snake_case"):
        Record(TaskType.CLASSIFICATION, instructions, (("Bad Name", "1"),), (("answer", "x"),))
    with pytest.raises(ValueError, match="no output fields"):
        Instructions("t", "d", ())
