"""RankGen human evaluation (Krishna et al. 2022, EMNLP): which of two continuations is better.

Role in FLAMe: the held-out benchmark "RankGen" (FLAME.md §4; pairwise, evaluation only).

Home: GitHub martiansideofthemoon/rankgen (Apache-2.0: the LICENSE at the pin), folder
human-eval-data/, pinned at 147b3e4c, the commit whose README describes that folder ("all the
600 annotations across two files"). The whole files at the pin: gpt2_medium.csv 309 rows (100
HITs of 3 to 5 rows), t5_xxl_c4.csv 300 rows (100 HITs of 3 rows); rows 165-167 of
gpt2_medium.csv (one HIT) have an empty Input.First and are bad rows (counted, left out). Files
(Mechanical Turk batch exports of an Upwork study: English teachers and writers, blind A/B tests
of RankGen beam search against nucleus sampling, three or more annotators per pair):
- gpt2_medium.csv: continuations of GPT2-medium (Input.Model gpt2_medium);
- t5_xxl_c4.csv: continuations of T5-XXL (Input.Model t5_xxl_descartes).

CSV schema (36 columns, the last one unnamed and empty or an id): the MTurk columns (HITId,
WorkerId, ...), Input.Prefix (the context: a Wikipedia or PG-19 passage), Input.First and
Input.Second (the two continuations, shown as "Text 1" and "Text 2"), Input.Order ("beam,nucleus"
or "nucleus,beam": the decoding behind Text 1 and Text 2; beam = RankGen), Input.Dataset (wiki or
pg19), Input.Model, Answer.utterance (the annotator's free-text answer, which starts with the
chosen text, e.g. "Text 2 - it follows the dialogue ...") and Scarecrow (error categories).

Task rankgen_continuation (pairwise, quality; evaluation only, test split = both files). One
record per HIT (a context and its two continuations). Each annotator's vote is read from
Answer.utterance as the authors' scoring script (rankgen/score_ab_text.py) reads it: an answer
starting with "Text 1" (or the typo "Test 1") or "Text 2", case-insensitive, or the one answer
starting "Neither of them sound like a good continuation to me, but I choose Text 1"; the two
junk answers the script ignores ("Xcdsds", "adfwegsdgsdgsdg") are dropped, and any other answer
is an error. The better continuation is the majority of the votes; a HIT whose votes split
evenly is skipped (`tie`), one with no readable vote too (`no_votes`). The rows of one HIT must
agree on the prefix, continuations and order. The paper's own FLAMe construction (majority or
per-annotation records) is not published; the majority vote is this module's choice.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip, annotation_groups, majority
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="rankgen",
    title="RankGen human evaluation",
    license="Apache-2.0",
    host=GitHub(
        "martiansideofthemoon/rankgen",
        ref="147b3e4c164c1706c79a46483c77ed01c6f33239",
        prefix="human-eval-data",
    ),
    evaluation_only=True,
    notes=(
        "Evaluation only (held-out benchmark). 600 A/B annotations by hired English teachers "
        "and writers, three per HIT; each record is one HIT with its majority vote."
    ),
)

FILES = ("gpt2_medium.csv", "t5_xxl_c4.csv")

SKIPS = {
    "tie": "the annotators' votes split evenly between the two continuations",
    "no_votes": "no annotator gave a readable vote (only junk answers)",
}

PAIRWISE = Pairwise(
    title="Which continuation of the text is better?",
    description=(
        "In this task, you will be shown the beginning of a text (a passage from a Wikipedia "
        "article or a book) and two possible continuations of it. Identify which of the two "
        "continuations completes the context better: it follows on naturally from where the "
        "context stops, stays relevant to it, keeps its facts, characters, timeline and style "
        "consistent, makes common sense, and is fluent and not repetitive."
    ),
    context_fields=("context",),
    response_field="continuation",
)

_ORDERS = ("beam,nucleus", "nucleus,beam")
_JUNK = ("Xcdsds", "adfwegsdgsdgsdg")  # answers the authors' scoring script ignores
_NEITHER = "Neither of them sound like a good continuation to me, but I choose Text 1"
_SAME = ("Input.Prefix", "Input.First", "Input.Second", "Input.Order")


def _vote(row: Row) -> int | None:
    """1 or 2 (the text the annotator chose), or None for an ignored junk answer."""
    text = row.get("Answer.utterance", str)
    start = text.strip().lower()
    if start.startswith(("text 1", "test 1")) or text.startswith(_NEITHER):
        return 1
    if start.startswith("text 2"):
        return 2
    if text in _JUNK:
        return None
    raise row.error("Answer.utterance", f"does not start with 'Text 1' or 'Text 2': {text!r:.80}")


def _continuations(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    for group in annotation_groups(rows, "HITId", _SAME):
        first = group[0]
        order = first.get("Input.Order", str, choices=_ORDERS).split(",")
        texts = {1: first.text("Input.First"), 2: first.text("Input.Second")}
        better = majority(map(_vote, group))
        if isinstance(better, Skip):
            yield better
            continue
        yield Pair(
            {"context": first.text("Input.Prefix")},
            better=texts[better],
            worse=texts[3 - better],
            meta={
                "winner": order[better - 1],
                "model": first.get("Input.Model", str),
                "domain": first.get("Input.Dataset", str),
            },
        )


register(
    FlameTask(
        name="rankgen_continuation",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PAIRWISE,
        splits={"test": FILES},
        convert=_continuations,
        skips=SKIPS,
        evaluation_only=True,
    )
)
