"""RAGTruth (Niu et al., ACL 2024): word-level hallucination labels on RAG responses.

RAGTruth has six LLMs (GPT-3.5/4, Llama-2-7B/13B/70B-chat, Mistral-7B-Instruct) answer
retrieval-augmented prompts of three kinds: question answering over MS MARCO passages,
summarization of CNN/DM and recent news, and data-to-text writing from Yelp business records.
Annotators marked every span of a response that the provided content does not support:
conflicts with the content (evident or subtle) and introductions of baseless information
(evident or subtle), each with a comment. FLAMe (Table 7, factuality) uses it for
classification.

Home: GitHub ParticleMedia/RAGTruth (MIT), files dataset/source_info.jsonl and
dataset/response.jsonl, pinned to commit f767afd0b3c222c30e2058a13ea7a645edbd14c9 (the release
of the authors' baseline, whose prepare_dataset.py reads ../dataset/response.jsonl and
../dataset/source_info.jsonl; both are in the tree at the pin, but over 4 MiB, so the stored
snapshot that was swept lacked their contents). Schema (README):
- source_info.jsonl: `source_id`, `task_type` (QA | Summary | Data2txt), `source`, `source_info`
  (the retrieved content: a string for Summary, a dict for QA and Data2txt) and `prompt` (the
  full instruction the models answered, retrieved content included).
- response.jsonl: `id`, `source_id`, `model`, `temperature`, `labels` (the hallucination spans:
  `start`, `end`, `text`, `label_type`, `meta`, optionally `due_to_null`, `implicit_true`),
  `split` (train | test), `quality` (good | incorrect_refusal | truncated) and `response`.

Tasks (classification, factuality): does the response contain hallucinated content? Context:
the prompt (which holds the retrieved content) and the response; Yes when the response has at
least one labelled span (spans marked `implicit_true`, true in the world but absent from the
content, count too: they are not supported by the content), else No.
- ragtruth_hallucination: RAGTruth's train split only (`split` = train), split "train".
  LLM-AggreFact also includes RAGTruth (its test responses) for evaluation, so the training
  task never reads test rows.
- ragtruth_hallucination_test: the test split (`split` = test), evaluation only.
Responses with a quality issue (incorrect_refusal, truncated) are skipped (`quality_issue`), as
the authors' baseline does; rows of the other split are counted as `other_split`. A response
whose source_id has no row in source_info.jsonl is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="ragtruth",
    title="RAGTruth",
    license="MIT",
    host=GitHub(
        "ParticleMedia/RAGTruth", ref="f767afd0b3c222c30e2058a13ea7a645edbd14c9", prefix="dataset"
    ),
    notes="Responses of GPT-3.5/4, Llama-2 and Mistral; sources from MS MARCO, CNN/DM, news, Yelp.",
)

_SOURCES = "source_info.jsonl"
_RESPONSES = "response.jsonl"
FILES = (_SOURCES, _RESPONSES)
_TASK_TYPES = ("QA", "Summary", "Data2txt")
_QUALITIES = ("good", "incorrect_refusal", "truncated")

HALLUCINATION = Classification(
    title="Does the response contain information not supported by the provided content?",
    description=(
        "In this task, you will be shown a prompt given to an AI assistant, which includes "
        "retrieved content (passages to answer a question from, a news article to summarize, "
        "or structured data about a business to describe), and the assistant's response. The "
        "response must be based strictly on the provided content. Judge whether the response "
        "contains hallucinated content: statements that conflict with the content, evidently "
        "or subtly (e.g. a changed number, date, name or relation), or information that the "
        "content does not support, whether clearly made up or a subtle addition such as an "
        "inference, an opinion or background knowledge not in the content, even if it is "
        "true in the real world."
    ),
    context_fields=("prompt", "response"),
    labels=(
        (
            "Yes",
            "the response contains content that conflicts with, or is not supported by, the "
            "provided content",
        ),
        ("No", "everything in the response is supported by the provided content"),
    ),
)

SKIPS = {
    "quality_issue": "the response mistakenly refuses to answer or is truncated (quality is not "
    "good), as the authors' baseline excludes",
    "other_split": "the response belongs to RAGTruth's other split",
}


def _labels(split: str) -> Callable[[Iterator[Row]], Iterator[Label | Skip]]:
    def convert(rows: Iterator[Row]) -> Iterator[Label | Skip]:
        prompts: dict[str, tuple[str, str]] = {}
        for row in rows:
            source_id = str(row.get("source_id", (str, int)))
            if row.file == _SOURCES:
                task_type = row.get("task_type", str, choices=_TASK_TYPES)
                prompts[source_id] = (row.text("prompt").strip(), task_type)
                continue
            if row.get("split", str, choices=("train", "test")) != split:
                yield Skip("other_split")
                continue
            if row.get("quality", str, choices=_QUALITIES) != "good":
                yield Skip("quality_issue")
                continue
            if source_id not in prompts:
                raise row.error("source_id", f"{source_id!r} has no row in {_SOURCES}")
            spans = row.get("labels", list)
            for i in range(len(spans)):
                row.get(f"labels.{i}.label_type", str)
            prompt, task_type = prompts[source_id]
            yield Label(
                {"prompt": prompt, "response": row.text("response").strip()},
                label="Yes" if spans else "No",
                meta={"task_type": task_type},
            )

    convert.__name__ = f"labels_{split}"
    return convert


for _name, _split, _evaluation in (
    ("ragtruth_hallucination", "train", False),
    ("ragtruth_hallucination_test", "test", True),
):
    register(
        FlameTask(
            name=_name,
            source=SOURCE,
            capability=Capability.FACTUALITY,
            template=HALLUCINATION,
            splits={_split: FILES},
            convert=_labels(_split),
            skips=SKIPS,
            evaluation_only=_evaluation,
        )
    )
