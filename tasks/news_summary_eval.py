"""News Summary Evaluation (Goyal, Li and Durrett 2022, "News Summarization and Evaluation in
the Era of GPT-3"): best/worst judgments of three summaries of 2022 CNN and BBC articles.

Role in FLAMe: Table 7, Quality, Pairwise. Home: the authors' page
https://tagoyal.github.io/zeroshot-news-annotations.html, served from GitHub
tagoyal/tagoyal.github.io; its "full dataset" link is zero-shot-explorer/human_annotations.zip,
fetched here from that repository at commit 0c18a02 (the version seen). The zip holds
human_annotations/{cnn,bbc,keyword}_human.json (member paths as a public loader,
Salesforce's NND code, opens them after unzipping) and human_annotations/LICENSE.txt: CC BY
4.0. The articles are CNN's and BBC's.

Files: one JSON *object* per file, keyed by document index ("0", "1", ...), each value
{`article`, `annotators` (three: {`best_summary`: [system, ...], `worst_summary`: [system,
...]}), `t0`, `gpt3`, `brio` ({`text`}: the summaries of T0, OpenAI text-davinci-002 and
fine-tuned BRIO)}. 100 articles per file, scraped March-June 2022. The explorer copies show
both pretty-printed (cnn) and single-line (bbc) layouts, and annotators who name several
systems as best or worst (even one system in both). keyword_human.json (keyword-focused
summaries) holds only the annotators' choices and keywords, not the summaries, in the copy
seen, and is not used.

Each file is one JSON object of documents keyed by id, read with readers.keyed_rows (row n =
the n-th document).

Task news_summary_eval_preference (pairwise, capability quality, "train" = cnn_human.json +
bbc_human.json; upstream has no split). Each annotator scores each system +1 if it is among
their best, -1 if among their worst (0 if both or neither), so a usual annotation (one best,
one worst) ranks all three systems. For every two systems of a document (brio, gpt3, t0 in
that order) each annotator votes for the one they scored higher; the pair goes to the majority
of votes and is skipped when the votes tie (`tie`, which includes no votes). Identical summaries
are skipped (`identical`). An unknown system name or a missing or empty summary is an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import Archive, Source
from flame_jax.format import Capability, Pair, Pairwise

_ZIP = (
    "https://raw.githubusercontent.com/tagoyal/tagoyal.github.io/"
    "0c18a02d1821a049cedc588b8431a845ef947b90/zero-shot-explorer/human_annotations.zip"
)
FILES = ("cnn_human.json", "bbc_human.json")
SYSTEMS = ("brio", "gpt3", "t0")


SOURCE = Source(
    name="news_summary_eval",
    title="News Summarization and Evaluation in the Era of GPT-3: human annotations",
    license="CC BY 4.0 (human_annotations/LICENSE.txt; articles from CNN and BBC)",
    host=Archive(_ZIP, {file: f"human_annotations/{file}" for file in FILES}),
    notes=(
        "From the authors' page tagoyal.github.io (human_annotations.zip); files are JSON "
        "objects keyed by document id, read by this module's KeyedJsonSource."
    ),
)

TEMPLATE = Pairwise(
    title="Which summary of the news article is better?",
    description=(
        "In this task, you will be shown a news article and two summaries of it, each written "
        "by a different summarization system. Choose the better summary overall: the one "
        "that better conveys the most important information of the article, is factually "
        "consistent with it, and reads as a clear, fluent and coherent summary."
    ),
    context_fields=("article",),
    response_field="summary",
)


def _annotator_scores(row: Row) -> list[dict[str, int]]:
    """Per annotator: system -> +1 (best), -1 (worst), 0 (neither, or both)."""
    annotators = row.get("annotators", list)
    if not annotators:
        raise row.error("annotators", "no annotators")
    scores = []
    for index in range(len(annotators)):
        marks = {}
        for key, sign in (("best_summary", 1), ("worst_summary", -1)):
            field = f"annotators.{index}.{key}"
            systems = row.get(field, list)
            for system in systems:
                if system not in SYSTEMS:
                    raise row.error(field, f"{system!r:.40} is not one of {list(SYSTEMS)}")
            marks[sign] = set(systems)
        scores.append({s: (s in marks[1]) - (s in marks[-1]) for s in SYSTEMS})
    return scores


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    for row in rows:
        article = row.text("article").strip()
        summaries = {system: row.text(f"{system}.text").strip() for system in SYSTEMS}
        scores = _annotator_scores(row)
        for first, second in itertools.combinations(SYSTEMS, 2):
            votes = sum((s[first] > s[second]) - (s[first] < s[second]) for s in scores)
            if summaries[first] == summaries[second]:
                yield Skip("identical")
            elif votes == 0:
                yield Skip("tie")
            else:
                better, worse = (first, second) if votes > 0 else (second, first)
                yield Pair({"article": article}, better=summaries[better], worse=summaries[worse])


register(
    FlameTask(
        name="news_summary_eval_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=TEMPLATE,
        splits={"train": FILES},
        convert=_pairs,
        keyed=("id",),
        skips={
            "tie": "the annotators' votes on the two summaries are even (or there are none)",
            "identical": "the two systems wrote the same summary",
        },
    )
)
