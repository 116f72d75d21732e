"""XSum hallucination annotations (Maynez et al. 2020): faithfulness and factuality of summaries.

Home: GitHub google-research-datasets/xsum_hallucination_annotations (CC BY 4.0). Summaries
of 500 XSum (BBC) test articles by several systems (`system`: BERTS2S, PtGen, TConvS2S,
TranS2S, ...), each judged by three workers (wid_0..wid_2). Files:

- factuality_annotations_xsum_summaries.csv: `bbcid`, `system`, `summary`, `is_factual`
  (yes | no | NULL), `worker_id`; one row per worker and summary.
- hallucination_annotations_xsum_summaries.csv: `bbcid`, `system`, `summary`,
  `hallucination_type` (intrinsic | extrinsic | NULL), `hallucinated_span`,
  `hallucinated_span_start`, `hallucinated_span_end` (1-based character offsets, end
  exclusive), `worker_id`; one row per marked span, or one NULL row when a worker marked none.
- eval_scores_xsum_summaries.csv (automatic metrics and averaged human scores) is not used.

The source articles are not in these files (they are XSum's, joined on `bbcid`), so both tasks
show only the summary. A summary's rows are grouped by (`bbcid`, `system`); the hallucination
file writes apostrophes as \\' , which is unescaped (the offsets count the unescaped text).

- xsum_hallucination_annotations_factuality (classification): workers judged whether the
  summary is factual, i.e. whether what it says is true of the world (they could look facts
  up), whether or not the article says it. The answer is the majority of the workers' yes/no
  votes (NULL votes ignored). Summaries with a tied vote or no vote are skipped.
- xsum_hallucination_annotations_spans (open-ended): workers marked the spans of the summary
  not supported by the article, as intrinsic (misrepresenting the article's information) or
  extrinsic (information the article does not have). A word (whitespace-separated) is
  hallucinated when a strict majority of the summary's workers marked a span overlapping it;
  runs of consecutive hallucinated words, trimmed of punctuation at their ends, form the
  output spans, one per line as `"<span>" (<type>)`, where the type is the one the workers
  marked most on the span's words ("intrinsic and extrinsic" when tied). A summary with no
  majority word gets "none". A summary whose marked span text differs from the summary at the
  span's offsets is skipped.

Both tasks feed "train" from their one file. Malformed values (an unknown label, type or
worker repeated, offsets outside the summary, summaries that differ within a group) make a
row bad (counted and left out; the rest of its summary's rows still count).

Repairs (counted): the annotation tool counted offsets in the summary preceded by a line end,
so a span that begins with that line end has start 0 (1-based) and its text begins with "\\n"
(26 rows of the whole file at the pin: 1098, 1114, 2652, ...): the line end is dropped and the
span starts at the summary's first character (`leading_newline`). A span of start 0 whose text
is the whole summary followed by "\\n" (8 rows: 2383, 2550, ...) is the whole summary
(`trailing_newline`). Five other spans of start 0 (rows 1201, 8681, 9219, 11063, 11064) match
no reading of the summary and stay bad rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from flame_jax.data.readers import Repaired, Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Generation, Label, OpenEnded

SOURCE = Source(
    name="xsum_hallucination_annotations",
    title="XSum Hallucination Annotations",
    license="CC BY 4.0",
    host=GitHub(
        "google-research-datasets/xsum_hallucination_annotations",
        ref="4abdbb2c807cb93c1df1188a1992d20a55cdcc34",
    ),
    notes="The XSum source articles are not part of these files; tasks show the summary only.",
)

_FACTUALITY_FILE = "factuality_annotations_xsum_summaries.csv"
_SPANS_FILE = "hallucination_annotations_xsum_summaries.csv"
_NULL = "NULL"
_WORD = re.compile(r"\S+")
_EDGE_PUNCTUATION = ".,;:!?\"'"  # words keep their punctuation; output spans drop it at the ends

FACTUALITY = Classification(
    title="Is the news summary factual?",
    description=(
        "In this task, you will be shown a one-sentence summary of a BBC news article, written "
        "by a summarization system. Judge whether the summary is factual: whether everything it "
        "states is true of the world, using what you know (people, places, numbers, dates, "
        "events). A statement can be factual even if it is not the point of the article; a "
        "summary with any false statement is not factual."
    ),
    context_fields=("summary",),
    labels=(
        ("Yes", "everything the summary states is true"),
        ("No", "the summary states something false"),
    ),
)

SPANS = OpenEnded(
    title="Which parts of the news summary are hallucinated?",
    description=(
        "In this task, you will be shown a one-sentence summary of a BBC news article, written "
        "by a summarization system; the article itself is not shown. List the spans of the "
        "summary that are not supported by the article, one per line as the quoted span "
        "followed by its type in parentheses: intrinsic if it misrepresents information of the "
        "article (e.g. mixes up who did what), extrinsic if it adds information the article "
        "does not contain (e.g. an invented age, title or place). Answer 'none' if the whole "
        "summary is faithful to the article."
    ),
    context_fields=("summary",),
    fields=("hallucinated_spans",),
)


def _unescape(text: str) -> str:
    return text.replace("\\'", "'")


def _groups(rows: Iterator[Row]) -> Iterator[tuple[str, list[Row]]]:
    """(summary, rows) per (bbcid, system), in order of first appearance."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.text("bbcid"), row.text("system")), []).append(row)
    for group in groups.values():
        summary = _unescape(group[0].text("summary"))
        for row in group[1:]:
            if _unescape(row.text("summary")) != summary:
                raise row.error("summary", "differs from the summary of the same bbcid and system")
        yield summary, group


def _factuality(rows: Iterator[Row]) -> Iterator[Label | Skip]:
    for summary, group in _groups(rows):
        votes: dict[str, str] = {}
        for row in group:
            worker = row.text("worker_id")
            if worker in votes:
                raise row.error("worker_id", f"{worker} votes twice on this summary")
            votes[worker] = row.get("is_factual", str, choices=("yes", "no", _NULL))
        counts = Counter(vote for vote in votes.values() if vote != _NULL)
        if not counts:
            yield Skip("no_votes")
        elif counts["yes"] == counts["no"]:
            yield Skip("tie")
        else:
            label = "Yes" if counts["yes"] > counts["no"] else "No"
            yield Label({"summary": summary}, label=label)


_NEWLINE = "\\n"  # the file writes a line end inside a span as a backslash and an n


def _marks(row: Row, summary: str) -> tuple[int, int, str, str, str] | None:
    """The 0-based [start, end), type and text of a row's span, and the repair made to it
    ("" for none); None when the worker marked none."""
    kind = row.get("hallucination_type", str, choices=("intrinsic", "extrinsic", _NULL))
    if kind == _NULL:
        return None
    try:
        start = int(row.text("hallucinated_span_start")) - 1
        end = int(row.text("hallucinated_span_end")) - 1
    except ValueError as e:
        raise row.error("hallucinated_span_start", f"offsets are not integers ({e})") from e
    span, repair = _unescape(row.text("hallucinated_span")), ""
    if start == -1 and span.startswith(_NEWLINE) and span[len(_NEWLINE) :] == summary[:end]:
        start, span, repair = 0, span[len(_NEWLINE) :], "leading_newline"
    elif start == -1 and end == len(summary) and span == summary + _NEWLINE:
        start, span, repair = 0, summary, "trailing_newline"
    if not 0 <= start < end <= len(summary):
        raise row.error(
            "hallucinated_span_start",
            f"span {start + 1}-{end + 1} lies outside the summary of {len(summary)} characters",
            kind="span outside the summary",
        )
    return start, end, kind, span, repair


def _spans(rows: Iterator[Row]) -> Iterator[Generation | Skip | Repaired]:
    for summary, group in _groups(rows):
        words = [(m.start(), m.end()) for m in _WORD.finditer(summary)]
        workers: set[str] = set()
        marks: list[set[tuple[str, str]]] = [set() for _ in words]  # per word: (worker, type)
        mismatch, repairs = False, []
        for row in group:
            worker = row.text("worker_id")
            workers.add(worker)
            marked = _marks(row, summary)
            if marked is None:
                continue
            start, end, kind, span, repair = marked
            if repair:
                repairs.append(Repaired(repair))
            if summary[start:end] != span:
                mismatch = True
            for index, (word_start, word_end) in enumerate(words):
                if word_start < end and start < word_end:
                    marks[index].add((worker, kind))
        yield from repairs
        if mismatch:
            yield Skip("span_mismatch")
            continue
        majority = [len({w for w, _ in m}) * 2 > len(workers) for m in marks]
        lines, index = [], 0
        while index < len(words):
            if not majority[index]:
                index += 1
                continue
            first = index
            kinds: Counter = Counter()
            while index < len(words) and majority[index]:
                kinds.update(kind for _, kind in marks[index])
                index += 1
            top = kinds.most_common()
            tied = len(top) > 1 and top[0][1] == top[1][1]
            kind = "intrinsic and extrinsic" if tied else top[0][0]
            span = summary[words[first][0] : words[index - 1][1]].strip(_EDGE_PUNCTUATION)
            if span:
                lines.append(f'"{span}" ({kind})')
        yield Generation(
            {"summary": summary}, outputs={"hallucinated_spans": "\n".join(lines) or "none"}
        )


register(
    FlameTask(
        name="xsum_hallucination_annotations_factuality",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=FACTUALITY,
        splits={"train": (_FACTUALITY_FILE,)},
        convert=_factuality,
        skips={
            "tie": "as many workers voted yes as no",
            "no_votes": "every worker's vote is NULL",
        },
    )
)

register(
    FlameTask(
        name="xsum_hallucination_annotations_spans",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=SPANS,
        splits={"train": (_SPANS_FILE,)},
        convert=_spans,
        skips={
            "span_mismatch": "a marked span's text differs from the summary at its offsets",
        },
        version=2,  # spans off by the tool's leading line end are repaired
    )
)
