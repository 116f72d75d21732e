"""HaluEval (Li et al. 2023), general part: hallucinations in ChatGPT answers to user queries.

Home: GitHub RUCAIBox/HaluEval (MIT; the queries come from Stanford Alpaca, the responses are
ChatGPT outputs). File: data/general_data.json, JSON lines despite the .json name, with `ID`,
`user_query`, `chatgpt_response`, `hallucination` (yes | no, the human label) and
`hallucination_spans` (the passages marked as hallucinated; empty for `no`). The task-specific
files (qa, dialogue, summarization) pair answers generated to be wrong with right ones, without
human labels, and are not used.

Annotators read each query and response and marked whether the response contains
hallucinated information: content that is false, cannot be verified, or is irrelevant to the
query. yes -> Yes, no -> No. All 4,507 rows feed "train". No row is skipped.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="halueval",
    title="HaluEval",
    license="MIT (queries from Stanford Alpaca, CC BY-NC 4.0)",
    host=GitHub("RUCAIBox/HaluEval", ref="b7253db3cdaa0ab2c382f92b26b390109174f77e", prefix="data"),
)

HALLUCINATION = Classification(
    title="Does the response contain hallucinated information?",
    description=(
        "In this task, you will be shown a user query and the response of an AI assistant. "
        "Judge whether the response contains hallucinated information: statements that are "
        "false, that cannot be verified from reliable knowledge, or that have nothing to do with "
        "what the user asked. Check names, numbers, dates, quotations and examples in "
        "particular; a response that declines or only gives true, relevant information has no "
        "hallucination."
    ),
    context_fields=("user_query", "response"),
    labels=(
        ("Yes", "some of the response is false, unverifiable or irrelevant to the query"),
        ("No", "the response contains no hallucinated information"),
    ),
)


@per_row
def _hallucination(row: Row) -> Label:
    label = row.get("hallucination", str, choices=("yes", "no"))
    return Label(
        {"user_query": row.text("user_query"), "response": row.text("chatgpt_response")},
        label="Yes" if label == "yes" else "No",
    )


register(
    FlameTask(
        name="halueval_general",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=HALLUCINATION,
        splits={"train": ("general_data.json",)},
        convert=_hallucination,
    )
)
