"""GLUE (Wang et al. 2019): CoLA acceptability, STS-B similarity and QQP duplicate questions.

Home: HF nyu-mll/glue (parquet). Licenses differ per task: CoLA is released for research by
its authors (Warstadt et al. 2019), STS-B collects SemEval STS data under their sources' terms
(CC BY-SA 3.0 for the Wikipedia-derived parts), and QQP follows Quora's terms of service
(non-commercial research use). Files (paths inside the HF repository, under DATA_DIR/glue/):

- cola/{train,validation}-00000-of-00001.parquet: `sentence`, `label` (0 = unacceptable,
  1 = acceptable), `idx`.
- stsb/{train,validation}-00000-of-00001.parquet: `sentence1`, `sentence2`, `label` (float
  0-5, the mean of the annotators' similarity scores), `idx`.
- qqp/{train,validation}-00000-of-00001.parquet: `question1`, `question2`, `label`
  (0 = not duplicate, 1 = duplicate), `idx`.

Upstream train files feed "train" and validation files "validation"; the GLUE test files
have no labels (label -1) and are not used. Tasks:

- glue_cola (classification, quality): is the sentence acceptable English? Yes = label 1.
- glue_stsb (pointwise, factuality): how close in meaning are the two sentences? The mean
  score is rounded half up to the nearest integer of the 0-5 STS scale (2.5 -> 3, 3.4 -> 3),
  whose anchors paraphrase the STS annotation guidelines (Agirre et al. 2012).
- glue_qqp (classification, factuality): do the two questions ask the same thing? Yes =
  label 1.

No row is skipped: a label outside its range or an empty text is an error.
"""

from __future__ import annotations

import math

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Label, Pointwise, Rating

SOURCE = Source(
    name="glue",
    title="GLUE: General Language Understanding Evaluation",
    license="per task: CoLA research use; STS-B CC BY-SA 3.0; QQP Quora terms (non-commercial)",
    host=HuggingFace("nyu-mll/glue"),
    notes="Only the CoLA, STS-B and QQP parquet files are used; test files carry no labels.",
)


def _splits(config: str) -> dict[str, tuple[str, ...]]:
    return {
        split: (f"{config}/{split}-00000-of-00001.parquet",) for split in ("train", "validation")
    }


COLA = Classification(
    title="Is this sentence acceptable English?",
    description=(
        "In this task, you will be shown a single English sentence. Judge whether a native "
        "speaker would consider it a possible, well-formed sentence of English. Judge the form "
        "only: a sentence can be acceptable even if its meaning is odd, false or unlikely, and "
        "it is unacceptable if its word order, agreement, argument structure or other grammar "
        "is broken."
    ),
    context_fields=("sentence",),
    labels=(
        ("Yes", "the sentence is acceptable English"),
        ("No", "the sentence is not acceptable English"),
    ),
)

STSB = Pointwise(
    title="How similar in meaning are these two sentences?",
    description=(
        "In this task, you will be shown two sentences. Rate how close their meanings are: "
        "whether they describe the same situation or make the same statement, and how much of "
        "the important information the two share."
    ),
    context_fields=("sentence1", "sentence2"),
    scale=(
        ("0", "the sentences are about different topics"),
        ("1", "the sentences are not equivalent, but are on the same topic"),
        ("2", "the sentences are not equivalent, but share some details"),
        ("3", "the sentences are roughly equivalent, but some important information differs"),
        ("4", "the sentences are mostly equivalent, and only unimportant details differ"),
        ("5", "the sentences are completely equivalent: they mean the same thing"),
    ),
)

QQP = Classification(
    title="Do these two questions ask the same thing?",
    description=(
        "In this task, you will be shown two questions asked on a question-answering website. "
        "Judge whether they are duplicates: whether they ask for the same information, so that "
        "one answer would fully answer both, even if they are worded differently."
    ),
    context_fields=("question1", "question2"),
    labels=(
        ("Yes", "the two questions ask the same thing"),
        ("No", "the two questions ask different things"),
    ),
)


@per_row
def _cola(row: Row) -> Label:
    label = row.get("label", int, choices=(0, 1))
    return Label({"sentence": row.text("sentence")}, label="Yes" if label == 1 else "No")


@per_row
def _stsb(row: Row) -> Rating:
    score = row.get("label", float)
    if not 0.0 <= score <= 5.0:
        raise row.error("label", f"{score!r} is outside the 0-5 STS scale")
    return Rating(
        {"sentence1": row.text("sentence1"), "sentence2": row.text("sentence2")},
        score=str(math.floor(score + 0.5)),  # round half up (Python's round() rounds to even)
    )


@per_row
def _qqp(row: Row) -> Label:
    label = row.get("label", int, choices=(0, 1))
    return Label(
        {"question1": row.text("question1"), "question2": row.text("question2")},
        label="Yes" if label == 1 else "No",
    )


register(
    FlameTask(
        name="glue_cola",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=COLA,
        splits=_splits("cola"),
        convert=_cola,
    )
)

register(
    FlameTask(
        name="glue_stsb",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=STSB,
        splits=_splits("stsb"),
        convert=_stsb,
    )
)

register(
    FlameTask(
        name="glue_qqp",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=QQP,
        splits=_splits("qqp"),
        convert=_qqp,
    )
)
