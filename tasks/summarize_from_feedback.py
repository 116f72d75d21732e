"""OpenAI summarize-from-feedback (Stiennon et al. 2020): summary comparisons and Likert ratings.

Home: HF openai/summarize_from_feedback, a loading script that reads OpenAI's files from
https://openaipublic.blob.core.windows.net/summarize-from-feedback/dataset (modified MIT
license; TL;DR posts from Syed et al. 2018, CNN/DM news articles). Files, as named there
(JSON lines despite the .json suffix), the same lists as the HF script:
- comparisons/<batch>.json for the 23 batches in COMPARISON_FILES (TL;DR batch3-batch22 and
  edit_b2_eval_test, CNN/DM batch0_cnndm, cnndm0, cnndm2): `info` {id, post, title,
  subreddit; or article, site, title for CNN/DM}, `summaries` (two {text, policy, note}),
  `choice` (0/1: the index of the summary the labeler preferred), `worker`, `batch`,
  `split` (train, valid1 or valid2), `extra` {confidence}.
- axis_evals/<name>.json for the 5 files in AXIS_FILES: `info`, `split` (test, valid1 or
  valid2), `summary` {text, policy, note, axes {overall, accuracy, coverage, coherence:
  1-7 Likert; compatible}}, `worker`, `batch`.

Tasks (capability quality):
- summarize_from_feedback_comparisons (pairwise, training): which of two summaries the
  labeler preferred, on the rows whose `split` is train; rows of the validation splits in
  the same files are skipped (`validation_row`), as are identical summaries (`identical`).
- summarize_from_feedback_axis (pointwise, evaluation only: the paper's held-out
  "SummFeedback" benchmark): the `overall` 1-7 score of one summary, on the rows whose
  `split` is test; validation rows are skipped (`validation_row`) and so are ratings without
  an overall score (`no_overall`).
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import Source, Url
from flame_jax.format import Capability, Pair, Pairwise, Pointwise, Rating

SOURCE = Source(
    name="summarize_from_feedback",
    title="OpenAI summarize-from-feedback",
    license="MIT (modified, OpenAI)",
    host=Url("https://openaipublic.blob.core.windows.net/summarize-from-feedback/dataset"),
    notes=(
        "The HF dataset openai/summarize_from_feedback is a loading script over these same "
        "files on OpenAI's blob storage; they are fetched from there."
    ),
)

COMPARISON_FILES = tuple(
    f"comparisons/{name}.json"
    for name in (
        *(f"batch{i}" for i in (3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22)),
        *(f"batch{i}" for i in (6, 7, 8, 9)),
        "batch0_cnndm",
        "cnndm0",
        "cnndm2",
        "edit_b2_eval_test",
    )
)
AXIS_FILES = tuple(
    f"axis_evals/{name}.json" for name in ("cnndm1", "cnndm3", "cnndm4", "tldraxis1", "tldraxis2")
)

COMPARISON = Pairwise(
    title="Which summary is better?",
    description=(
        "In this task, you will be shown a text (a Reddit post or a news article) and two "
        "summaries of it. Choose the better summary: the one that better conveys the most "
        "important information of the text, is accurate to it (no claims the text does not "
        "support), and is clear and easy to understand on its own."
    ),
    context_fields=("source", "title", "document"),
    response_field="summary",
)

AXIS = Pointwise(
    title="How good is the summary overall?",
    description=(
        "In this task, you will be shown a text (a Reddit post or a news article) and a "
        "summary of it. Rate how good the summary is overall at representing the text, "
        "taking into account its accuracy (no claims the text does not support), its "
        "coverage of the text's important information, and its coherence."
    ),
    context_fields=("source", "title", "document", "summary"),
    scale=(
        ("1", "very poor: the summary fails to represent the text"),
        ("2", "poor"),
        ("3", "below average"),
        ("4", "acceptable: a fair summary with clear shortcomings"),
        ("5", "good"),
        ("6", "very good"),
        ("7", "excellent: the summary represents the text as well as a summary can"),
    ),
)

_VALIDATION = ("valid1", "valid2")


def _context(row: Row) -> dict[str, str]:
    """The summarized text: a TL;DR Reddit post (subreddit) or a CNN/DM article (site)."""
    if row.get("info.post", str, default=None) is not None:
        source = f"Reddit, r/{row.text('info.subreddit').strip()}"
        document = row.text("info.post")
    else:
        source = f"news, {row.text('info.site').strip()}"
        document = row.text("info.article")
    return {"source": source, "title": row.text("info.title").strip(), "document": document.strip()}


def _comparison(row: Row) -> Pair:
    if row.get("split", str, choices=("train", *_VALIDATION)) != "train":
        raise SkipRow("validation_row")
    summaries = row.get("summaries", list)
    if len(summaries) != 2:
        raise row.error("summaries", f"expected 2 summaries, got {len(summaries)}")
    texts = [row.text(f"summaries.{k}.text").strip() for k in (0, 1)]
    choice = row.get("choice", int, choices=(0, 1))
    if texts[0] == texts[1]:
        raise SkipRow("identical")
    return Pair(_context(row), better=texts[choice], worse=texts[1 - choice])


def _axis(row: Row) -> Rating:
    if row.get("split", str, choices=("test", *_VALIDATION)) != "test":
        raise SkipRow("validation_row")
    overall = row.get("summary.axes.overall", int, choices=range(1, 8), default=None)
    if overall is None:
        raise SkipRow("no_overall")
    context = _context(row)
    context["summary"] = row.text("summary.text").strip()
    return Rating(context, score=str(overall))


register(
    FlameTask(
        name="summarize_from_feedback_comparisons",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=COMPARISON,
        splits={"train": COMPARISON_FILES},
        convert=per_row(_comparison),
        skips={
            "validation_row": "the comparison belongs to the valid1/valid2 split",
            "identical": "the two summaries are the same text",
        },
    )
)

register(
    FlameTask(
        name="summarize_from_feedback_axis",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=AXIS,
        splits={"test": AXIS_FILES},
        convert=per_row(_axis),
        skips={
            "validation_row": "the rating belongs to the valid1/valid2 split",
            "no_overall": "the rating has no overall score",
        },
        evaluation_only=True,
    )
)
