"""GENIE (Khashabi et al. 2022, EMNLP, "GENIE: Toward Reproducible and Standardized Human
Evaluation for Text Generation"): crowd ratings of system outputs on four generation tasks.

Role in FLAMe: Table 7, Quality, Pairwise + Pointwise + Gen. GENIE is AllenAI's human-evaluation
leaderboard (https://genie.apps.allenai.org): submissions to WMT19 German-English translation,
XSUM summarization, ARC-DA (free-form answers to science questions) and aNLG (abductive
generation: a plausible explanation between two observations) are rated by Mechanical Turk
workers on 5-point Likert scales (correctness, fluency, conciseness, ... depending on the task),
with a model of worker quality that filters noisy annotators. Only the annotator-scoring code
is public (GitHub allenai/genie-worker-scoring); no file of the ratings was found in any public
repository, dataset hub or on the paper's pages, so this source is manual: its license and
format are unknown (unverified).

Expected file (this project's schema, NOT an upstream format): DATA_DIR/genie/
genie_human_evaluation.jsonl, one row per rated output, which the user builds from the data
obtained from the GENIE team: `dataset` (wmt19, xsum, arc_da or anlg), `instance_id` (the
input's id within the dataset), `input` (the German sentence; the article; the question; or
the two observations as "<obs1> ... <obs2>"), `system` (the submission's name), `output`, and
`rating`: the workers' mean 5-point Likert rating of the output on the dataset's main question
(1 = worst, 5 = best), a number in [1, 5].

Tasks (capability quality, all in "train"):
- genie_rating (pointwise): the rating rounded to the nearest point (halves round up).
- genie_pairwise (pairwise): two outputs for the same (dataset, instance_id), in file order;
  the higher mean rating wins; equal ratings are skipped (`tie`), identical outputs too
  (`identical`), and an instance with a single output gives no pair (`single_output`).
- genie_generation (open-ended): write the output for an instance, the target being its
  best-rated output when that rating is at least 4 (ties at the top: the first in file
  order); instances without such an output are skipped (`no_good_output`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import Manual, Source
from flame_jax.format import (
    Capability,
    Generation,
    OpenEnded,
    Pair,
    Pairwise,
    Pointwise,
    Rating,
)

FILE = "genie_human_evaluation.jsonl"

SOURCE = Source(
    name="genie",
    title="GENIE human evaluations",
    license="unknown (not publicly released; ask the GENIE authors)",
    host=Manual(
        steps=(
            "The GENIE human ratings are not published as files. Ask the GENIE team at the "
            "Allen Institute for AI (https://genie.apps.allenai.org; paper: Khashabi et al. "
            "2022, arXiv 2101.06561) for the rated submissions, then write them as "
            f"DATA_DIR/genie/{FILE}: JSON lines with dataset (wmt19, xsum, arc_da or anlg), "
            "instance_id, input, system, output and rating (mean 5-point Likert rating, 1-5)."
        ),
        home="https://genie.apps.allenai.org",
    ),
    notes="Manual source with a project-defined file layout (see the module docstring).",
)

# dataset -> what the system was asked to do (shown as the `task` context field)
DATASETS = {
    "wmt19": "Translate the German sentence (input) into English.",
    "xsum": "Summarize the news article (input) in one sentence.",
    "arc_da": "Answer the grade-school science question (input) in a sentence.",
    "anlg": (
        "Given two observations (input), write a plausible explanation of what happened "
        "between them."
    ),
}
_INTRO = (
    "In this task, you will be shown a text generation task, its input, and {what} written by "
    "a system. Judge the {quality}: whether it correctly and completely does what the task asks "
    "(a faithful translation, a summary of the article's main point, a correct answer, a "
    "plausible explanation that fits both observations), and whether it is fluent and concise."
)

RATING = Pointwise(
    title="How good is the system output?",
    description=_INTRO.format(what="an output", quality="output's overall quality"),
    context_fields=("task", "input", "output"),
    scale=(
        ("1", "very poor: wrong, unrelated or unreadable"),
        ("2", "poor: mostly wrong or badly written"),
        ("3", "fair: partly right, or right but with clear problems"),
        ("4", "good: right and fluent, with minor problems"),
        ("5", "excellent: fully right, fluent and concise"),
    ),
)

PAIRWISE = Pairwise(
    title="Which system output is better?",
    description=_INTRO.format(what="two outputs", quality="outputs' overall quality")
    + " Choose the better output.",
    context_fields=("task", "input"),
    response_field="output",
)

GENERATION = OpenEnded(
    title="Write a good output for the text generation task",
    description=(
        "In this task, you will be shown a text generation task and its input. Write an output "
        "that does what the task asks, correctly, completely, fluently and concisely."
    ),
    context_fields=("task", "input"),
    fields=("output",),
)


def _rated(row: Row) -> tuple[tuple[str, str], dict[str, str], str, float]:
    """((dataset, instance_id), context {task, input}, output, rating)."""
    dataset = row.get("dataset", str, choices=tuple(DATASETS))
    instance = row.text("instance_id").strip()
    rating = row.get("rating", (int, float))
    if not (math.isfinite(rating) and 1.0 <= rating <= 5.0):
        raise row.error("rating", f"{rating} is outside [1, 5]")
    context = {"task": DATASETS[dataset], "input": row.text("input").strip()}
    return (dataset, instance), context, row.text("output").strip(), rating


@per_row
def _rate(row: Row) -> Rating:
    _, context, output, rating = _rated(row)
    return Rating({**context, "output": output}, score=str(math.floor(rating + 0.5)))


def _instances(rows: Iterator[Row]):
    groups: dict[tuple[str, str], tuple[dict[str, str], list[tuple[str, float]]]] = {}
    for row in rows:
        key, context, output, rating = _rated(row)
        groups.setdefault(key, (context, []))[1].append((output, rating))
    return groups.values()


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    for context, outputs in _instances(rows):
        if len(outputs) == 1:
            yield Skip("single_output")
            continue
        for (first, first_rating), (second, second_rating) in itertools.combinations(outputs, 2):
            if first == second:
                yield Skip("identical")
            elif first_rating == second_rating:
                yield Skip("tie")
            elif first_rating > second_rating:
                yield Pair(context, better=first, worse=second)
            else:
                yield Pair(context, better=second, worse=first)


def _generations(rows: Iterator[Row]) -> Iterator[Generation | Skip]:
    for context, outputs in _instances(rows):
        best, rating = max(outputs, key=lambda item: item[1])  # first of equal maxima
        if rating < 4.0:
            yield Skip("no_good_output")
        else:
            yield Generation(context, outputs={"output": best})


for _name, _template, _convert, _skips in (
    ("genie_rating", RATING, _rate, {}),
    (
        "genie_pairwise",
        PAIRWISE,
        _pairs,
        {
            "tie": "the two outputs have the same mean rating",
            "identical": "the two outputs are the same text",
            "single_output": "the instance has only one rated output (counted per instance)",
        },
    ),
    (
        "genie_generation",
        GENERATION,
        _generations,
        {"no_good_output": "no output of the instance is rated 4 or more (per instance)"},
    ),
):
    register(
        FlameTask(
            name=_name,
            source=SOURCE,
            capability=Capability.QUALITY,
            template=_template,
            splits={"train": (FILE,)},
            convert=_convert,
            skips=_skips,
        )
    )
