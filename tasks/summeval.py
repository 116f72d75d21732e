"""SummEval (Fabbri et al. 2021, TACL): expert 1-5 ratings of CNN/DailyMail summaries.

Role in FLAMe: Table 7, Quality, Pointwise. Home: GitHub Yale-LILY/SummEval (MIT; the
articles are CNN/DailyMail's). The human annotations are a file on the authors' GCS bucket,
https://storage.googleapis.com/sfr-summarization-repo-research/model_annotations.aligned.jsonl
(linked from the repository README; 1,600 rows: 16 systems x 100 CNN/DM test articles). That
file ships WITHOUT the articles: each row names its story (`filepath`, e.g.
cnndm/dailymail/stories/<hash>.story), and the repository's data_processing/pair_data.py
adds the article as `text` and writes model_annotations.aligned.paired.jsonl. The tasks read
that paired file, so this source is manual (see SOURCE.host.steps).

Row schema (JSON lines): `id` (e.g. dm-test-<hash>), `model_id` (M0..M23), `decoded` (the
system summary), `expert_annotations` (3 x {coherence, consistency, fluency, relevance}:
integers 1-5), `turker_annotations` (5 x the same; not used: the paper found crowd ratings
unreliable against the experts'), `references` (11 reference summaries; unused),
`filepath`, and, after pairing, `text` (the article: the story before its @highlight lines,
lines joined by spaces).

Tasks (capability quality, pointwise, all 1,600 rows in "train"; upstream has no split):
summeval_coherence, summeval_consistency, summeval_fluency, summeval_relevance. The score is
the mean of the three experts' ratings of that dimension rounded to the nearest integer (a
mean of three integers is never halfway, so rounding is unambiguous). The instructions
paraphrase the paper's definitions of the four dimensions (taken from DUC quality questions
and Kryscinski et al. 2019). No row is skipped; a missing field, an empty summary or article,
a rating outside 1-5 or a number of experts other than 3 is an error.

Unverified: that the scores are stored as JSON integers (floats with an integral value are
also accepted).
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import Manual, Source
from flame_jax.format import Capability, Pointwise, Rating

_ANNOTATIONS_URL = (
    "https://storage.googleapis.com/sfr-summarization-repo-research/model_annotations.aligned.jsonl"
)
FILE = "model_annotations.aligned.paired.jsonl"

SOURCE = Source(
    name="summeval",
    title="SummEval",
    license="MIT (annotations); articles from CNN/DailyMail",
    host=Manual(
        steps=(
            f"1. Download the human annotations: {_ANNOTATIONS_URL}. "
            "2. Download the CNN and Daily Mail stories from https://cs.nyu.edu/~kcho/DMQA/ and "
            "unpack them into a folder cnndm/ (cnndm/cnn/stories, cnndm/dailymail/stories). "
            "3. In a clone of https://github.com/Yale-LILY/SummEval run `python3 "
            "data_processing/pair_data.py --data_annotations model_annotations.aligned.jsonl "
            "--story_files <folder holding cnndm/>`. "
            f"4. Copy the resulting {FILE} to DATA_DIR/summeval/{FILE}."
        ),
        home="https://github.com/Yale-LILY/SummEval",
    ),
    notes=(
        "The annotations ship without the CNN/DM articles; the repository's pair_data.py "
        "adds them (manual steps)."
    ),
)

_EXPERTS = 3
_SCALE = (1, 2, 3, 4, 5)
_INTRO = "In this task, you will be shown a news article and a summary of it written by a system."

# dimension -> (title, definition from the SummEval paper, anchors for 1..5)
_DIMENSIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "coherence": (
        "How coherent is the summary?",
        "Rate the summary's coherence: the collective quality of all its sentences. A coherent "
        "summary is well structured and well organized; it is not a heap of related "
        "information but builds from sentence to sentence into a coherent body of information "
        "about a topic.",
        (
            "incoherent: unrelated sentences with no structure",
            "poorly organized: hard to follow as a whole",
            "partly coherent: some sentences connect, others feel out of place",
            "mostly coherent, with minor lapses in structure",
            "fully coherent: a well-organized, logically ordered body of information",
        ),
    ),
    "consistency": (
        "Is the summary consistent with the article?",
        "Rate the summary's consistency: its factual alignment with the article. A consistent "
        "summary contains only statements that are entailed by the article; penalize "
        "hallucinated facts, i.e. statements that the article does not support or that "
        "contradict it.",
        (
            "mostly unsupported or contradicted by the article",
            "several statements are unsupported or wrong",
            "some statements are unsupported or wrong",
            "nearly all statements are supported, with one minor inconsistency",
            "every statement is supported by the article",
        ),
    ),
    "fluency": (
        "How fluent is the summary?",
        "Rate the summary's fluency: the quality of its individual sentences. Sentences should "
        "have no formatting problems, capitalization errors or obviously ungrammatical "
        "constructions (fragments, missing components) that make the text hard to read.",
        (
            "unreadable: most sentences are ungrammatical or broken",
            "many errors that make the text hard to read",
            "some errors, but the text is readable",
            "minor errors that barely affect reading",
            "fluent: well-formed sentences with no errors",
        ),
    ),
    "relevance": (
        "How relevant is the summary?",
        "Rate the summary's relevance: how well it selects the important content of the "
        "article. The summary should include only the important information of the article; "
        "penalize redundancy and excess information.",
        (
            "misses the article's main points entirely",
            "covers few important points, or mostly unimportant or repeated content",
            "covers some important points, with notable omissions or excess content",
            "covers most important points, with little redundancy",
            "covers the important information and nothing superfluous",
        ),
    ),
}

TEMPLATES = {
    dimension: Pointwise(
        title=title,
        description=f"{_INTRO} {definition}",
        context_fields=("article", "summary"),
        scale=tuple((str(point), anchor) for point, anchor in zip(_SCALE, anchors, strict=True)),
    )
    for dimension, (title, definition, anchors) in _DIMENSIONS.items()
}


def _expert_score(row: Row, dimension: str) -> int:
    """The mean of the experts' ratings of `dimension`, rounded (never halfway for 3)."""
    experts = row.get("expert_annotations", list)
    if len(experts) != _EXPERTS:
        raise row.error("expert_annotations", f"{len(experts)} experts, expected {_EXPERTS}")
    total = 0
    for index in range(_EXPERTS):
        field = f"expert_annotations.{index}.{dimension}"
        value = row.get(field, (int, float))
        if value not in _SCALE:
            raise row.error(field, f"{value:g} is not one of {list(_SCALE)}")
        total += int(value)
    return round(total / _EXPERTS)


def _rate(dimension: str):
    def rate(row: Row) -> Rating:
        return Rating(
            {"article": row.text("text").strip(), "summary": row.text("decoded").strip()},
            score=str(_expert_score(row, dimension)),
        )

    rate.__name__ = f"rate_{dimension}"
    return per_row(rate)


for _dimension, _template in TEMPLATES.items():
    register(
        FlameTask(
            name=f"summeval_{_dimension}",
            source=SOURCE,
            capability=Capability.QUALITY,
            template=_template,
            splits={"train": (FILE,)},
            convert=_rate(_dimension),
        )
    )
