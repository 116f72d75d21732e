"""QAGS human judgments (Wang, Cho and Lewis, ACL 2020): is a summary sentence supported?

To validate the QAGS metric, the authors had crowdworkers judge the factual consistency of
model-written summaries of CNN/DailyMail and XSum articles, one summary sentence at a time:
given the article, is the sentence supported by it (yes) or not (no)? Three workers judged each
sentence. FLAMe (Table 7, factuality) uses it for classification.

Home: GitHub W4ngatang/qags, pinned to commit 07449840cc46a1980b4623644cff726b4fa4a371, files
data/mturk_cnndm.jsonl (235 summaries of 3 sentences each, per the paper) and
data/mturk_xsum.jsonl (239 one-sentence summaries). Each line: `article` (the source text,
lower-cased except at sentence starts, as in the files) and `summary_sentences`: [{`sentence`,
`responses`: [{`worker_id`: int, `response`: "yes" | "no"}]}] (schema read from the files).
License: the repository states none; the articles are CNN/DailyMail and BBC (XSum) news text,
for research use.

qags_sentence_support (classification): one example per summary sentence, with the article;
the answer is the majority of the workers' votes (yes -> Yes, no -> No). Both files feed
"train" (QAGS has no split). A sentence whose votes tie (an even number of responses split
evenly) is skipped (`tied_votes`); an empty sentence or an unknown response is an error.
AggreFact (Tang et al. 2023) re-uses these annotations as QAGS-C and
QAGS-X, so LLM-AggreFact's AggreFact-CNN/XSum sets may overlap with them (unverified).
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="qags",
    title="QAGS: human judgments of summary factual consistency",
    license="unspecified (no license file; CNN/DailyMail and BBC articles, research use)",
    host=GitHub("W4ngatang/qags", ref="07449840cc46a1980b4623644cff726b4fa4a371", prefix="data"),
)

FILES = ("mturk_cnndm.jsonl", "mturk_xsum.jsonl")

SUPPORT = Classification(
    title="Is the summary sentence supported by the article?",
    description=(
        "In this task, you will be shown a news article and one sentence of a summary of it "
        "written by a summarization system. Judge whether the sentence is factually consistent "
        "with the article: whether everything it states is supported by the article. A "
        "sentence that gets a name, number, date or relation wrong, combines facts that the "
        "article keeps apart, or adds information that the article does not contain is not "
        "supported, even if it might be true."
    ),
    context_fields=("article", "summary_sentence"),
    labels=(
        ("Yes", "the sentence is supported by the article"),
        ("No", "the sentence contains information that is not supported by the article"),
    ),
)

SKIPS = {"tied_votes": "the workers' yes and no votes on the sentence are tied"}


def _labels(rows: Iterator[Row]) -> Iterator[Label | Skip]:
    for row in rows:
        article = row.text("article").strip()
        for i in range(len(row.get("summary_sentences", list))):
            sentence = f"summary_sentences.{i}"
            responses = row.get(f"{sentence}.responses", list)
            if not responses:
                raise row.error(f"{sentence}.responses", "no responses")
            votes = [
                row.get(f"{sentence}.responses.{k}.response", str, choices=("yes", "no"))
                for k in range(len(responses))
            ]
            yes, no = votes.count("yes"), votes.count("no")
            text = row.text(f"{sentence}.sentence").strip()
            if yes == no:
                yield Skip("tied_votes")
                continue
            yield Label(
                {"article": article, "summary_sentence": text}, label="Yes" if yes > no else "No"
            )


register(
    FlameTask(
        name="qags_sentence_support",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=SUPPORT,
        splits={"train": FILES},
        convert=_labels,
        skips=SKIPS,
    )
)
