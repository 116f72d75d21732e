"""Fine-grained RLHF qa-feedback (Wu et al. 2023, NeurIPS): long-form QA answers with span
error labels and pairwise preferences.

Role in FLAMe: Table 7, Quality, Pairwise + Classification. Home: GitHub
allenai/FineGrainedRLHF, folder tasks/qa_feedback/data (Apache-2.0: the repository's LICENSE
at the pin; the questions are from ASQA, the passages from Wikipedia). The
authors re-split ASQA (ambiguous factoid questions answered in a paragraph) and had workers
annotate answers sampled from a T5-large policy. Files (JSON arrays), as the data README
describes them: train_feedback.json (2,853 questions) and dev_feedback.json (500). Each
element: `question`, `passages` (lists [title, sentence, sentence, ...] of the Wikipedia
passages the answer should be grounded in), `gold` (the ASQA long answer), `prediction 1`..
`prediction 4` (four sampled answers), `feedback` (for `prediction 1` only: `errors`, spans
{`error type`, `start`, `end`, `explanation`}; `missing-info`, [{`error type`, `passage_id`,
`sentence_id`}]; `corrected-prediction`), and `preference`: the 6 comparisons 1v2, 1v3, 1v4,
2v3, 2v4, 3v4, each 1 (the first is preferred), 2 (the second) or 0 (no preference).

Span error types (the annotation interface's labels): Irrelevant, Redundant ("Repetitive"),
Incoherent -- the paper's relevance category C1 -- and Wrong-Grounding ("Inconsistent Fact",
contradicting the passages) and Unverifiable (not supported by the passages) -- the
factuality category C2.

Tasks (capability quality; "train" reads train_feedback.json, "validation" dev_feedback.json,
as upstream splits them):
- fine_grained_rlhf_preference (pairwise): the 6 comparisons per question; no preference is
  skipped (`tie`), as are two identical answers (`identical`).
- fine_grained_rlhf_factuality (classification): does `prediction 1` contain a factual error
  (any Wrong-Grounding or Unverifiable span)? Yes / No.
- fine_grained_rlhf_relevance (classification): does `prediction 1` contain irrelevant,
  repetitive or incoherent content (any Irrelevant, Redundant or Incoherent span)? Yes / No.
Unlike the paper's reward-model files, spans are not filtered by length and labels are per
answer, not per (sub-)sentence, so no sentence splitter is needed. An unknown error type, a
preference list that is not 6 values in {0, 1, 2}, an empty question or answer, or no passages
makes the row bad (counted and left out): the whole dev file has two rows with `"passages": []`
(rows 182 and 478), so 498 of its 500 rows give examples.

Passages render as "[k] <title>" followed by the passage sentences joined by spaces.
Pinned to commit 5ffbe54, whose tree holds both files; train_feedback.json is over 4 MiB and was
absent from the stored snapshot that was swept, so its rows were not checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Label, Pair, Pairwise

SOURCE = Source(
    name="fine_grained_rlhf",
    title="Fine-Grained RLHF qa-feedback",
    license="Apache-2.0 (ASQA questions, Wikipedia passages)",
    host=GitHub(
        "allenai/FineGrainedRLHF",
        ref="5ffbe54b8d4d37ef002681849791594bcc9f1e3f",
        prefix="tasks/qa_feedback/data",
    ),
)

SPLITS = {"train": ("train_feedback.json",), "validation": ("dev_feedback.json",)}
_COMPARISONS = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
_FACTUAL = ("Wrong-Grounding", "Unverifiable")
_RELEVANCE = ("Irrelevant", "Redundant", "Incoherent")

_INTRO = (
    "In this task, you will be shown a question, which may be ambiguous, and Wikipedia "
    "passages that contain the information needed to answer it."
)

PREFERENCE = Pairwise(
    title="Which answer to the question is better?",
    description=(
        f"{_INTRO} You will also be shown two long-form answers. Choose the better answer "
        "overall: the one that answers the question (covering its different interpretations) "
        "with information that is consistent with and verifiable from the passages, that "
        "includes the important auxiliary information, and that has no irrelevant, repeated "
        "or incoherent content."
    ),
    context_fields=("question", "passages"),
    response_field="answer",
)

FACTUALITY = Classification(
    title="Does the answer contain a factual error?",
    description=(
        f"{_INTRO} You will also be shown a long-form answer. Judge whether the answer "
        "contains a factual error: a statement that contradicts the passages (an "
        "inconsistent fact) or that the passages do not support (an unverifiable fact). Do "
        "not count irrelevant, repeated or incoherent content, or missing information."
    ),
    context_fields=("question", "passages", "answer"),
    labels=(
        ("Yes", "some statement contradicts the passages or cannot be verified from them"),
        ("No", "every statement is consistent with and supported by the passages"),
    ),
)

RELEVANCE = Classification(
    title="Does the answer contain irrelevant, repetitive or incoherent content?",
    description=(
        f"{_INTRO} You will also be shown a long-form answer. Judge whether any part of the "
        "answer is irrelevant (does not help answer the question), repetitive (repeats "
        "information already given in the answer), or incoherent (ungrammatical, or does not "
        "fit with the rest of the answer). Do not count factual errors or missing "
        "information."
    ),
    context_fields=("question", "passages", "answer"),
    labels=(
        ("Yes", "some part of the answer is irrelevant, repetitive or incoherent"),
        ("No", "every part of the answer is relevant, new and coherent"),
    ),
)


def _passages(row: Row) -> str:
    passages = row.get("passages", list)
    if not passages:
        raise row.error("passages", "no passages")
    parts = []
    for number, passage in enumerate(passages, start=1):
        if (
            not isinstance(passage, list)
            or len(passage) < 2
            or not all(isinstance(p, str) for p in passage)
        ):
            raise row.error(f"passages.{number - 1}", "expected [title, sentence, ...] strings")
        text = " ".join(sentence.strip() for sentence in passage[1:] if sentence.strip())
        parts.append(f"[{number}] {passage[0].strip()}\n{text}")
    return "\n\n".join(parts)


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    for row in rows:
        context = {"question": row.text("question").strip(), "passages": _passages(row)}
        answers = {k: row.text(f"prediction {k}").strip() for k in (1, 2, 3, 4)}
        preference = row.get("preference", list)
        if len(preference) != len(_COMPARISONS):
            raise row.error("preference", f"{len(preference)} values, expected 6")
        for index, (first, second) in enumerate(_COMPARISONS):
            choice = row.get(f"preference.{index}", int, choices=(0, 1, 2))
            if answers[first] == answers[second]:
                yield Skip("identical")
            elif choice == 0:
                yield Skip("tie")
            else:
                better, worse = (first, second) if choice == 1 else (second, first)
                yield Pair(context, better=answers[better], worse=answers[worse])


def _error_types(row: Row) -> set[str]:
    errors = row.get("feedback.errors", list)
    kinds = set()
    for index in range(len(errors)):
        kinds.add(
            row.get(f"feedback.errors.{index}.error type", str, choices=_FACTUAL + _RELEVANCE)
        )
    return kinds


def _classify(category: tuple[str, ...]):
    def classify(row: Row) -> Label:
        context = {
            "question": row.text("question").strip(),
            "passages": _passages(row),
            "answer": row.text("prediction 1").strip(),
        }
        return Label(context, label="Yes" if _error_types(row) & set(category) else "No")

    return per_row(classify)


register(
    FlameTask(
        name="fine_grained_rlhf_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PREFERENCE,
        splits=SPLITS,
        convert=_pairs,
        skips={
            "tie": "the annotator had no preference between the two answers",
            "identical": "the two sampled answers are the same text",
        },
    )
)

for _name, _template, _category in (
    ("factuality", FACTUALITY, _FACTUAL),
    ("relevance", RELEVANCE, _RELEVANCE),
):
    register(
        FlameTask(
            name=f"fine_grained_rlhf_{_name}",
            source=SOURCE,
            capability=Capability.QUALITY,
            template=_template,
            splits=SPLITS,
            convert=_classify(_category),
        )
    )
