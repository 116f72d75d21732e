"""SimpEval, the human ratings behind LENS (Maddela et al. 2023, ACL): sentence simplifications.

Role in FLAMe: Table 7 "LENS", Quality, Pointwise. Home: GitHub Yao-Dou/LENS (the code
declares "Apache license" in lens/setup.py; the repository has no LICENSE file and states no
separate data license; the complex sentences are from Wikipedia). Files, CSV with a header:

- data/simpeval_past.csv (SimpEval_PAST, the data LENS is trained on): outputs of about two
  dozen older systems, human references (TurkCorpus, ASSET) and controls (a copy of the input,
  scrambled words) for Wikipedia sentences, rated by five annotators.
  Columns `id`, `original` (the complex sentence), `generation` (the system output as the
  system wrote it: lower-cased, tokenized, sentence splits marked "||"),
  `processed_generation` (the same text detokenized and re-cased), `original_id`, `system`,
  `rating_1`..`rating_5` (0-100) and their z-scores.
- data/simpeval_2022.csv (SimpEval_2022, the held-out set LENS is tested on): recent systems
  (GPT-3 zero/few-shot, T5-3B, MUSS, human writers) on 2022 Wikipedia sentences, rated by three
  annotators. Columns `original_id`, `original`, `generation`, `system`, `sentence_type`
  (Deletions, Paraphrases or Splittings), `rating_1`..`rating_3` and their z-scores.

Annotators rated each simplification's overall quality on a 0-100 scale, weighing how well
it keeps the meaning of the original (adequacy), how fluent it is, and how much simpler it is
(paraphrased from the paper; the annotation interface itself was not seen: unverified).

Task lens_simpeval (pointwise, capability quality): "train" reads simpeval_past.csv and
"test" simpeval_2022.csv, as upstream uses them. The simplification shown is
`processed_generation` where the file has it (what annotators read, unverified), else
`generation`. The score is the mean of the row's ratings (all `rating_<k>` columns; empty
cells are ignored), put into five equal bins of the 0-100 scale: [0, 20) -> 1, [20, 40) -> 2,
[40, 60) -> 3, [60, 80) -> 4, [80, 100] -> 5. A row whose ratings are all empty is skipped
(`no_ratings`); a rating that is not a number in [0, 100] is an error. The z-score columns and
the other files (simplikert_2022.csv: Likert ratings per worker; simpDA_2022.csv) are not used.

Pinned to commit 8779d9b, the last to change simpeval_past.csv; simpeval_2022.csv is the same
blob there as at 1af649c, its last change. Whole files at the pin: simpeval_past.csv 2,400 rows,
of which row 1616 (system UNTS) has an empty `generation` and `processed_generation` and is a
bad row (counted, left out); simpeval_2022.csv 360 rows, none bad.
"""

from __future__ import annotations

import math
import re

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Pointwise, Rating

SOURCE = Source(
    name="lens",
    title="SimpEval (LENS)",
    license="Apache-2.0 (declared for the code; no data license stated; Wikipedia text)",
    host=GitHub("Yao-Dou/LENS", ref="8779d9b6dcbd59b0ea33a82bd95e79f6261ccaf2", prefix="data"),
)

_RATING = re.compile(r"^rating_\d+$")
_BINS = (20.0, 40.0, 60.0, 80.0)  # upper bounds (exclusive) of points 1-4; 5 takes the rest

TEMPLATE = Pointwise(
    title="How good is the simplification of the sentence?",
    description=(
        "In this task, you will be shown a complex sentence from Wikipedia and a simplified "
        "version of it, written by a system or a person. Rate the overall quality of the "
        "simplification, weighing three things together: adequacy (it keeps the main meaning "
        "of the original and adds nothing false), fluency (it is grammatical and reads "
        "naturally), and simplicity (it is easier to read and understand than the original, "
        "through deleting unimportant parts, paraphrasing, or splitting the sentence)."
    ),
    context_fields=("original", "simplification"),
    scale=(
        ("1", "very poor: meaning lost or garbled, or not simpler at all (0-19 of 100)"),
        ("2", "poor: serious meaning or fluency errors, little simplification (20-39)"),
        ("3", "fair: somewhat simpler, with noticeable meaning or fluency problems (40-59)"),
        ("4", "good: simpler and fluent, with minor losses of meaning (60-79)"),
        ("5", "excellent: much simpler, fluent, and faithful to the original (80-100)"),
    ),
)


def _mean_rating(row: Row) -> float:
    if not any(_RATING.match(f) for f in row.data):
        raise row.error("rating_1", "missing (no rating_<k> columns)")
    ratings = []
    for field in sorted(f for f in row.data if _RATING.match(f)):
        cell = row.get(field, str).strip()
        if not cell:
            continue
        try:
            value = float(cell)
        except ValueError:
            raise row.error(field, f"{cell!r:.40} is not a number") from None
        if not (math.isfinite(value) and 0.0 <= value <= 100.0):
            raise row.error(field, f"{cell} is outside [0, 100]")
        ratings.append(value)
    if not ratings:
        raise SkipRow("no_ratings")
    return sum(ratings) / len(ratings)


def _point(mean: float) -> str:
    return str(1 + sum(mean >= bound for bound in _BINS))


@per_row
def _rate(row: Row) -> Rating:
    field = "processed_generation" if "processed_generation" in row.data else "generation"
    return Rating(
        {"original": row.text("original").strip(), "simplification": row.text(field).strip()},
        score=_point(_mean_rating(row)),
    )


register(
    FlameTask(
        name="lens_simpeval",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=TEMPLATE,
        splits={"train": ("simpeval_past.csv",), "test": ("simpeval_2022.csv",)},
        convert=_rate,
        skips={"no_ratings": "every rating cell of the row is empty"},
    )
)
