"""InstruSum (Liu et al. 2024, NAACL): human judgments of instruction-controllable summaries.

Role in FLAMe: Table 7, Quality, Pairwise + Classification. Home: HF Salesforce/InstruSum
(BSD-3-Clause; gated: the hub asks users to share their contact information before
download), with the paper's code and prompts at GitHub yale-nlp/InstruSum. 100 examples,
each a news article and a natural-language summary requirement written by the authors,
summarized by five systems: text-davinci-002, text-davinci-003, gpt-3.5-turbo-0301,
gpt-4-0314 and "hybrid" (an LLM summary revised by the authors).

File: human_eval.json (the card's `human_eval` config), one row per example with `article`,
`requirement` and `annotations` {<system>: {`summary`, `score` {`overall`, `missing`,
`irrelevant`, `factual`}}}. Per the card and the repository's demo notebook: `overall` is
the overall quality of the summary with respect to the requirement, `missing` whether it
omits crucial information the requirement asks for, `irrelevant` whether it includes
information irrelevant to the requirement (these three are 1-5, higher is better, averaged
over annotators, e.g. 3.667), and `factual` whether the summary is consistent with the
article (1 = consistent, 0 = it contains a factual error).

Tasks (capability quality, all rows in "train"; upstream has no split):
- instrusum_overall (pairwise): two systems' summaries of one example, the better one having
  the higher `overall` score. Every two systems of a row (system names in sorted order, i
  before j) make one pair; equal scores are skipped (`tie`), as are two identical summaries
  (`identical`: the hybrid summary can equal the LLM summary it started from).
- instrusum_factual (classification): is one system's summary factually consistent with the
  article? `factual` above 0.5 -> Yes, below -> No; exactly 0.5 (annotators split) is
  skipped (`tie`).

The card's later `human_eval_pairwise` config (columns article, requirement, doc_id, sys_1/2,
output_1/2, score_1/2, winner) is converted from the same annotations, keeping only pairs on
which the annotators' rankings agreed; it is not used (its `winner` values were not seen), so
instrusum_overall compares the averaged overall scores instead and may keep pairs on which
annotators disagreed.

Unverified: whether human_eval.json is a JSON array or JSON lines (the reader takes both); that
`factual` is always 0 or 1 in the file (the demo shows 1.0 and per-system means such as
0.64); the hub revision (files are read from main).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Label, Pair, Pairwise

SOURCE = Source(
    name="instrusum",
    title="InstruSum",
    license="BSD-3-Clause",
    host=HuggingFace("Salesforce/InstruSum", gated=True),
    notes=(
        "Gated on the HF hub: log in, agree to share contact information at "
        "https://huggingface.co/datasets/Salesforce/InstruSum, then set HF_TOKEN before "
        "`flame-jax data download`."
    ),
)

FILE = "human_eval.json"

OVERALL = Pairwise(
    title="Which summary better satisfies the summary requirement?",
    description=(
        "In this task, you will be shown a news article, a requirement that says what a "
        "summary of it should focus on, and two summaries. Choose the summary of better "
        "overall quality with respect to the requirement: one that includes the crucial "
        "information of the article that the requirement asks for, leaves out information "
        "irrelevant to the requirement, and is factually consistent with the article."
    ),
    context_fields=("article", "requirement"),
    response_field="summary",
)

FACTUAL = Classification(
    title="Is the summary factually consistent with the article?",
    description=(
        "In this task, you will be shown a news article, a requirement that says what a "
        "summary of it should focus on, and a summary written for that requirement. Judge "
        "whether the summary is consistent with the facts presented in the article, without "
        "contradicting or misrepresenting any of its information and without adding facts "
        "the article does not state. Judge only factual consistency, not how well the "
        "summary meets the requirement."
    ),
    context_fields=("article", "requirement", "summary"),
    labels=(
        ("Yes", "everything the summary states is consistent with the article"),
        ("No", "the summary contradicts, misrepresents or goes beyond the article"),
    ),
)


def _systems(row: Row) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(system, summary, scores) per system, in sorted system order."""
    annotations = row.get("annotations", dict)
    systems = []
    for system in sorted(annotations):
        entry = annotations[system]
        field = f"annotations[{system}]"
        if not isinstance(entry, Mapping):
            raise row.error(field, f"expected an object, got {type(entry).__name__}")
        summary = entry.get("summary")
        if not isinstance(summary, str):
            raise row.error(f"{field}.summary", "missing" if summary is None else "not text")
        if not summary.strip():
            raise row.error(f"{field}.summary", "empty text")
        scores = entry.get("score")
        if not isinstance(scores, Mapping):
            raise row.error(f"{field}.score", "missing or not an object")
        systems.append((system, summary.strip(), scores))
    return systems


def _score(
    row: Row, system: str, scores: Mapping[str, Any], aspect: str, *, low: float, high: float
) -> float:
    field = f"annotations[{system}].score.{aspect}"
    value = scores.get(aspect)
    if value is None:
        raise row.error(field, "missing")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise row.error(field, f"expected a number, got {type(value).__name__} {value!r:.40}")
    if not low <= value <= high:
        raise row.error(field, f"{value} is outside [{low:g}, {high:g}]")
    return float(value)


def _context(row: Row) -> dict[str, str]:
    return {"article": row.text("article").strip(), "requirement": row.text("requirement").strip()}


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    for row in rows:
        context = _context(row)
        scored = [
            (summary, _score(row, system, scores, "overall", low=1, high=5))
            for system, summary, scores in _systems(row)
        ]
        for (first, first_score), (second, second_score) in itertools.combinations(scored, 2):
            if first == second:
                yield Skip("identical")
            elif first_score == second_score:
                yield Skip("tie")
            elif first_score > second_score:
                yield Pair(context, better=first, worse=second)
            else:
                yield Pair(context, better=second, worse=first)


def _factual(rows: Iterator[Row]) -> Iterator[Label | Skip]:
    for row in rows:
        context = _context(row)
        for system, summary, scores in _systems(row):
            factual = _score(row, system, scores, "factual", low=0, high=1)
            if factual == 0.5:
                yield Skip("tie")
            else:
                label = "Yes" if factual > 0.5 else "No"
                yield Label({**context, "summary": summary}, label=label)


register(
    FlameTask(
        name="instrusum_overall",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=OVERALL,
        splits={"train": (FILE,)},
        convert=_pairs,
        skips={
            "tie": "the two summaries have the same overall score",
            "identical": "the two summaries are the same text",
        },
    )
)

register(
    FlameTask(
        name="instrusum_factual",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=FACTUAL,
        splits={"train": (FILE,)},
        convert=_factual,
        skips={"tie": "the annotators split evenly on factual consistency (score 0.5)"},
    )
)
