"""FeedbackQA (Li et al. 2022): user ratings and written feedback on retrieved COVID-19 answers.

Paper: "Using Interactive Feedback to Improve the Accuracy and Explainability of Question
Answering Systems Post-Deployment" (Findings of ACL 2022). Crowdworkers asked a deployed
retrieval-based QA system questions about COVID-19; the system answered with a passage from an
official website (Australian government, US CDC, UK government, WHO). For each question-answer
pair the workers gave a rating (Excellent, Acceptable, Could be improved, Bad) and a natural
language explanation of the answer's strengths and weaknesses. FLAMe Table 7: Quality,
Pointwise and Gen.

Home: HF McGill-NLP/feedbackQA (Apache-2.0, the dataset card), pinned to the revision
96b35dfd7ff885b1407ba0b10b7fcd0df07c2673, whose tree has data/feedback_train.json (17.7 MB),
data/feedback_valid.json (4.36 MB) and data/feedback_test.json (6.93 MB); the same files are in
GitHub McGill-NLP/feedbackqa under data/. Each file is one JSON array; each element (README of
the GitHub repository): `question`; `passage` {passage_id, source, uri, reference_type,
`reference` {page_title, section_headers, section_content, selection_span,
section_content_html}}; `feedback` (list of explanations) and `rating` (list of ratings, one
per feedback, same order); `domain` (Australia, CDC, UK, WHO, ...). The answer shown is the
passage's `section_content`. Ratings are written "Excellent", "Acceptable",
"Could be Improved" and "Bad" in the repository's files (the HF card says "good" for
"acceptable"); they are matched case-insensitively and "Good" is read as Acceptable.

Every annotation (one rating with its explanation) is one human judgment, so both tasks give
one record per annotation: a question-answer pair rated by two workers gives two records.
- feedbackqa_rating (pointwise): the rating on a 1-4 scale (Bad 1, Could be improved 2,
  Acceptable 3, Excellent 4).
- feedbackqa_feedback (open-ended): write the worker's feedback on the answer. Empty feedback
  texts are skipped (`empty_feedback`).
Splits: train, validation and test from the three files. A `feedback`/`rating` length
mismatch, an unknown rating or a missing/empty question or answer is an error. The scale
anchors and the instructions paraphrase the paper's description of the rating task (the
workers' full interface text was not available): unverified beyond that.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Generation, OpenEnded, Pointwise, Rating

SOURCE = Source(
    name="feedbackqa",
    title="FeedbackQA",
    license="Apache-2.0",
    host=HuggingFace("McGill-NLP/feedbackQA", revision="96b35dfd7ff885b1407ba0b10b7fcd0df07c2673"),
)

SPLITS = {
    "train": ("data/feedback_train.json",),
    "validation": ("data/feedback_valid.json",),
    "test": ("data/feedback_test.json",),
}

# rating (case-folded) -> scale point
_POINTS = {"bad": 1, "could be improved": 2, "acceptable": 3, "good": 3, "excellent": 4}

_INTRO = (
    "In this task, you will be shown a question about COVID-19 that a user asked a question "
    "answering system, and the answer the system returned: a passage retrieved from an official "
    "health or government website."
)

RATING = Pointwise(
    title="How good is the answer to the question?",
    description=(
        f"{_INTRO} Rate the answer as the user who asked would: whether it is relevant to the "
        "question, whether it actually answers it, and whether it is complete, specific and "
        "clear enough to act on."
    ),
    context_fields=("question", "answer"),
    scale=(
        ("1", "bad: the answer is irrelevant or does not address the question at all"),
        (
            "2",
            "could be improved: the answer is related to the question but does not answer it, "
            "or answers it only vaguely or in small part",
        ),
        (
            "3",
            "acceptable: the answer addresses the question but is incomplete, indirect or "
            "lacks some useful detail",
        ),
        ("4", "excellent: the answer is relevant and fully answers the question"),
    ),
)

FEEDBACK = OpenEnded(
    title="Write feedback on the answer to the question",
    description=(
        f"{_INTRO} Write feedback on the answer, as the user who asked would: a short "
        "explanation of its strengths and weaknesses, such as whether it is relevant, whether it "
        "answers the question directly and fully, what it leaves out, and what makes it useful."
    ),
    context_fields=("question", "answer"),
    fields=("feedback",),
)


def _annotations(row: Row) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """(context, [(scale point, feedback)]) of one question-answer pair."""
    context = {
        "question": row.text("question").strip(),
        "answer": row.text("passage.reference.section_content").strip(),
    }
    ratings = row.get("rating", list)
    feedback = row.get("feedback", list)
    if len(ratings) != len(feedback):
        raise row.error("rating", f"{len(ratings)} ratings but {len(feedback)} feedback texts")
    out = []
    for k, (rating, text) in enumerate(zip(ratings, feedback, strict=True)):
        if not isinstance(rating, str) or rating.strip().casefold() not in _POINTS:
            raise row.error(f"rating.{k}", f"{rating!r:.80} is not one of {sorted(_POINTS)}")
        if not isinstance(text, str):
            raise row.error(f"feedback.{k}", f"expected str, got {type(text).__name__}")
        out.append((_POINTS[rating.strip().casefold()], text.strip()))
    return context, out


def _ratings(rows: Iterator[Row]) -> Iterator[Rating]:
    for row in rows:
        context, annotations = _annotations(row)
        for point, _ in annotations:
            yield Rating(context, score=str(point))


def _feedback(rows: Iterator[Row]) -> Iterator[Generation | Skip]:
    for row in rows:
        context, annotations = _annotations(row)
        for _, text in annotations:
            if not text:
                yield Skip("empty_feedback")
            else:
                yield Generation(context, outputs={"feedback": text})


register(
    FlameTask(
        name="feedbackqa_rating",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=RATING,
        splits=SPLITS,
        convert=_ratings,
    )
)

register(
    FlameTask(
        name="feedbackqa_feedback",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=FEEDBACK,
        splits=SPLITS,
        convert=_feedback,
        skips={"empty_feedback": "the worker's feedback text is empty"},
    )
)
