"""CREPE (Yu et al. 2023): false presuppositions in Reddit ELI5 questions, and their corrections.

Paper: "CREPE: Open-Domain Question Answering with False Presuppositions" (ACL 2023). 8,446
questions from the Reddit forum ELI5 (Explain Like I'm Five), each with its most upvoted
comment. Annotators read the question and the comment and decided whether the question rests
on a false presupposition (an assumption it takes for granted that is false), using the
comment as evidence; for those that do, they wrote the presupposition and a correction of it.
A second annotator validated each annotation. 26% of the questions have a false
presupposition. FLAMe Table 7: Quality, Classification and Gen.

Home: GitHub velocityCavalry/CREPE (README at commit 30957c2509168bb2c484fe6f5171c79cc943cafd;
BSD license, with ELI5's copyright), which hosts the data on Google Drive (CREPE_data.zip,
unzipped to labeled_data/{train,dev,test}.jsonl). Drive downloads need a confirmation step,
so the files used are the HF copy tasksource/CREPE (license bsd; train.jsonl 48.9 MB,
dev.jsonl 28.3 MB, test.jsonl 42.3 MB, uploaded in July 2023; that they are byte-identical to
the Drive files is unverified). JSON lines, per the README: `id`, `question`, `comment`,
`labels` (["normal"], ["false_presupposition"], or both when the annotators disagreed, only in
train), `presuppositions` and `corrections` (parallel lists; empty for normal questions),
`passages` (25 retrieved Wikipedia passages, unused), `raw_labels`, `raw_presuppositions`,
`raw_corrections` (before validation, unused). The authors' evaluation code spells the label
"false presupposition" (with a space); both spellings are read.

Tasks (quality):
- crepe_presupposition (classification): does the question contain a false presupposition,
  given the question and the comment (the paper's gold-comment track)? false presupposition ->
  "Yes", normal -> "No". Questions labelled both are skipped (`disagreement`).
- crepe_correction (open-ended): for a question with a false presupposition, write the
  presupposition and its correction. Following the authors' "dedicated" preprocessing, each
  (presupposition, correction) pair is one record (in dev and test the list holds several
  annotators' versions of the same presupposition). Normal and disagreement questions give no
  record (`normal`, `disagreement`).
Splits: train, validation (dev.jsonl) and test. Unequal `presuppositions`/`corrections`
lengths, an FP question without any, an unknown label, or an empty question, comment,
presupposition or correction are errors.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Generation, Label, OpenEnded

SOURCE = Source(
    name="crepe",
    title="CREPE",
    license="BSD (CREPE; questions and comments from Reddit ELI5)",
    host=HuggingFace("tasksource/CREPE"),
    notes=(
        "The authors host the data on Google Drive (see github.com/velocityCavalry/CREPE); "
        "the files are fetched from the HF copy tasksource/CREPE."
    ),
)

SPLITS = {"train": ("train.jsonl",), "validation": ("dev.jsonl",), "test": ("test.jsonl",)}

_FALSE = ("false presupposition", "false_presupposition")
_NORMAL = "normal"

_INTRO = (
    "In this task, you will be shown a question posted on the Reddit forum Explain Like I'm "
    "Five and the most upvoted comment answering it."
)
_DEFINITION = (
    "A false presupposition is something the question assumes to be true, stated or implied, "
    "that is in fact false, so that the question cannot be answered as asked (e.g. 'Why do "
    "we only use 10% of our brain?' presupposes that we only use 10% of our brain). Use the "
    "comment as evidence: it often points out the mistaken assumption."
)

DETECTION = Classification(
    title="Does the question contain a false presupposition?",
    description=(
        f"{_INTRO} Judge whether the question contains a false presupposition. "
        f"{_DEFINITION} Questions that are merely vague, subjective or based on true "
        "assumptions have no false presupposition."
    ),
    context_fields=("question", "comment"),
    labels=(
        ("Yes", "the question rests on a false presupposition"),
        ("No", "the question has no false presupposition"),
    ),
)

CORRECTION = OpenEnded(
    title="Identify and correct the false presupposition of the question",
    description=(
        f"{_INTRO} The question contains a false presupposition. {_DEFINITION} Write the false "
        "presupposition as a declarative sentence, then a correction: a sentence stating what "
        "is actually true, as supported by the comment."
    ),
    context_fields=("question", "comment"),
    fields=("false_presupposition", "correction"),
)


def _has_false_presupposition(row: Row) -> bool:
    """True for false presupposition, False for normal; raises SkipRow on disagreement."""
    labels = row.get("labels", list)
    if not labels:
        raise row.error("labels", "empty list")
    kinds = set()
    for k, label in enumerate(labels):
        if label in _FALSE:
            kinds.add(True)
        elif label == _NORMAL:
            kinds.add(False)
        else:
            raise row.error(f"labels.{k}", f"{label!r:.80} is not one of {[*_FALSE, _NORMAL]}")
    if len(kinds) > 1:
        raise SkipRow("disagreement")
    return kinds.pop()


def _context(row: Row) -> dict[str, str]:
    return {"question": row.text("question").strip(), "comment": row.text("comment").strip()}


def _detection(row: Row) -> Label:
    label = "Yes" if _has_false_presupposition(row) else "No"
    return Label(_context(row), label=label)


def _corrections(rows: Iterator[Row]) -> Iterator[Generation | Skip]:
    for row in rows:
        try:
            if not _has_false_presupposition(row):
                yield Skip("normal")
                continue
        except SkipRow as skip:
            yield Skip(skip.reason)
            continue
        presuppositions = row.get("presuppositions", list)
        corrections = row.get("corrections", list)
        if len(presuppositions) != len(corrections):
            raise row.error(
                "corrections",
                f"{len(presuppositions)} presuppositions but {len(corrections)} corrections",
            )
        if not presuppositions:
            raise row.error("presuppositions", "a false-presupposition question has none")
        context = _context(row)
        for k in range(len(presuppositions)):
            yield Generation(
                context,
                outputs={
                    "false_presupposition": row.text(f"presuppositions.{k}").strip(),
                    "correction": row.text(f"corrections.{k}").strip(),
                },
            )


register(
    FlameTask(
        name="crepe_presupposition",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=DETECTION,
        splits=SPLITS,
        convert=per_row(_detection),
        skips={"disagreement": "the annotators disagreed (labelled both normal and false)"},
    )
)

register(
    FlameTask(
        name="crepe_correction",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=CORRECTION,
        splits=SPLITS,
        convert=_corrections,
        skips={
            "normal": "the question has no false presupposition to correct",
            "disagreement": "the annotators disagreed (labelled both normal and false)",
        },
    )
)
