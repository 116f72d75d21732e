"""FRANK (Pagnoni et al. 2021): factuality of CNN/DM and XSum summaries, typology annotations.

Home: GitHub artidoro/frank (MIT), files below data/. Files:

- benchmark_data.json: a JSON array of the texts, one element per (article, summarization
  model) with `hash` (CNN/DM sha1 or XSum bbcid), `model_name`, `article`, `summary`,
  `reference`, `split`.
- human_annotations.json: a JSON array with one record per (`hash`, `model_name`): `dataset`
  (cnndm: 1,250 | bbc: the XSum part, 996), `split` (valid | test), `Factuality` (0-1: the
  fraction of summary sentences that annotators found free of factual errors) and per-category
  error scores.

Annotators read the article and marked, sentence by sentence, factual errors of a typology:
semantic-frame errors (wrong predicate, entity or circumstance), discourse errors (wrong
coreference or links between statements) and content-verifiability errors (information not in
the article, or ungrammatical to the point of being unverifiable). A summary is factual
(Yes) when `Factuality` == 1.0, i.e. no sentence has an error; otherwise No.

Annotations are joined to their texts on (`hash`, `model_name`), as upstream's
evaluation/evaluate.py does; an annotation without texts is an error naming the row. FRANK's
own validation/test split is meant for tuning factuality metrics; FLAMe trains on FRANK, so
all 2,246 annotations (both upstream splits) feed "train". No row is skipped. The counts are
those of human_annotations.json at the pinned commit; benchmark_data.json is over 4 MiB and was
absent from the stored snapshot that was swept, so the join was not run over the whole files.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="frank",
    title="FRANK: Factuality Evaluation Benchmark",
    license="MIT",
    host=GitHub("artidoro/frank", ref="80a88fb12cc0bfc17ff6ee2c5ebb0c4f4dd8a5f4", prefix="data"),
)

_TEXTS = "benchmark_data.json"
_ANNOTATIONS = "human_annotations.json"

FACTUALITY = Classification(
    title="Is all of the information in the summary factually consistent with the article?",
    description=(
        "In this task, you will be shown a news article and a summary of it written by a "
        "summarization system. Read the summary sentence by sentence and check each statement "
        "against the article. A summary is not factual if any sentence gets a predicate, an "
        "entity or a circumstance (time, place, manner) wrong, links statements or pronouns "
        "in a way the article does not support, or adds information that cannot be verified "
        "from the article."
    ),
    context_fields=("article", "summary"),
    labels=(
        ("Yes", "every statement in the summary is consistent with the article"),
        ("No", "at least one statement in the summary has a factual error"),
    ),
)


def _key(row: Row) -> tuple[str, str]:
    return str(row.get("hash", (str, int))), row.text("model_name")


def _factuality(rows: Iterator[Row]) -> Iterator[Label]:
    texts: dict[tuple[str, str], tuple[str, str]] = {}
    for row in rows:
        if row.file == _TEXTS:
            key = _key(row)
            entry = (row.text("article"), row.text("summary"))
            if texts.setdefault(key, entry) != entry:
                raise row.error("hash", f"(hash, model_name) {key} repeats with other texts")
            continue
        key = _key(row)
        if key not in texts:
            raise row.error("hash", f"no texts for (hash, model_name) {key} in {_TEXTS}")
        score = row.get("Factuality", float)
        if not 0.0 <= score <= 1.0:
            raise row.error("Factuality", f"{score!r} is outside 0-1")
        article, summary = texts[key]
        yield Label({"article": article, "summary": summary}, label="Yes" if score == 1.0 else "No")


register(
    FlameTask(
        name="frank_factuality",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=FACTUALITY,
        splits={"train": (_TEXTS, _ANNOTATIONS)},
        convert=_factuality,
    )
)
