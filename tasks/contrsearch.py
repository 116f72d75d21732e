"""Contrastive search vs. contrastive decoding human evaluation (Su and Xu 2022, "An Empirical
Study On Contrastive Search And Contrastive Decoding For Open-ended Text Generation"): which of
two continuations of a prompt is more human-like.

Role in FLAMe: the held-out benchmark "ContrSearch" (FLAME.md §4; pairwise, evaluation only).
That FLAMe's ContrSearch is this study (and not the human evaluation of "Contrastive Search Is
What You Need For Neural Text Generation", whose repository yxuansu/Contrastive_Search_Is_What_
You_Need holds no annotation file in the index) is an inference: this is the contrastive-search
human evaluation whose annotations are public.

Home: GitHub yxuansu/Contrastive_Search_versus_Contrastive_Decoding, pinned at c7a4a44a (the
commit at which the annotations were read; MIT LICENSE there); used for evaluation only. File:
human_evaluation_annotations/human_evaluation_annotations.json, a JSON array of {prompt,
mapping_dict, system_mapping, system_a_name and system_b_name ("contrastive_search" or
"contrastive_decoding", in a random order), system_a_result and system_b_result (the prompt
followed by GPT2-XL's continuation), domain (book, wikinews or wikitext), human_annotation
{annotator_1: ..., annotator_4: ...}}, each annotation one of "system a is more human-like.",
"system b is more human-like." and "two systems are comparable." (the authors'
parse_human_annotation_results.py rejects any other value, and so does this module). The README
reports 50 prompts per domain (contrastive search better in 65-68.5% of annotations).

Task contrsearch_human_likeness (pairwise, quality; evaluation only, test split). One record per
prompt: the better continuation is the one more annotators found more human-like ("comparable"
votes count for neither); equal counts are skipped (`tie`). Each continuation is rendered
without the prompt it repeats (a result that does not start with its prompt is rendered whole);
a continuation empty after that is an error. The paper's own FLAMe construction (majority or
per-annotation records) is not published; the majority vote is this module's choice.
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="contrsearch",
    title="Contrastive search vs. contrastive decoding human evaluation",
    license="MIT",
    host=GitHub(
        "yxuansu/Contrastive_Search_versus_Contrastive_Decoding",
        ref="c7a4a44a62d74933c83591c37fca788451b5050c",
        prefix="human_evaluation_annotations",
    ),
    evaluation_only=True,
    notes=(
        "Evaluation only (held-out benchmark). Four annotators per prompt judged which GPT2-XL "
        "continuation (contrastive search or contrastive decoding) is more human-like."
    ),
)

FILE = "human_evaluation_annotations.json"

SKIPS = {"tie": "as many annotators found either continuation more human-like"}

PAIRWISE = Pairwise(
    title="Which continuation of the prompt is more human-like?",
    description=(
        "In this task, you will be shown the beginning of a text (from a news article, a "
        "Wikipedia article or a story) and two continuations of it. Choose the continuation "
        "that reads more like text written by a human: it stays coherent with the prompt and "
        "with itself, is fluent and grammatical, is informative and engaging, and does not "
        "repeat itself or drift into unrelated content."
    ),
    context_fields=("prompt",),
    response_field="continuation",
)

_SYSTEMS = ("contrastive_search", "contrastive_decoding")
_VOTES = {
    "system a is more human-like.": "a",
    "system b is more human-like.": "b",
    "two systems are comparable.": None,
}


def _continuation(row: Row, side: str, prompt: str) -> str:
    field = f"system_{side}_result"
    result = row.text(field)
    if result.startswith(prompt):
        result = result[len(prompt) :]
    if not result.strip():
        raise row.error(field, "no continuation after the prompt")
    return result.strip()


@per_row
def _pair(row: Row) -> Pair:
    prompt = row.text("prompt")
    names = {side: row.get(f"system_{side}_name", str, choices=_SYSTEMS) for side in "ab"}
    if names["a"] == names["b"]:
        raise row.error("system_b_name", f"both systems are {names['a']!r}")
    annotations = row.get("human_annotation", dict)
    if not annotations:
        raise row.error("human_annotation", "no annotations")
    votes = [
        _VOTES[row.get(f"human_annotation.{key}", str, choices=tuple(_VOTES))]
        for key in annotations
    ]
    a, b = votes.count("a"), votes.count("b")
    if a == b:
        raise SkipRow("tie")
    better, worse = ("a", "b") if a > b else ("b", "a")
    return Pair(
        {"prompt": prompt.strip()},
        better=_continuation(row, better, prompt),
        worse=_continuation(row, worse, prompt),
        meta={"winner": names[better], "domain": row.get("domain", str)},
    )


register(
    FlameTask(
        name="contrsearch_human_likeness",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PAIRWISE,
        splits={"test": (FILE,)},
        convert=_pair,
        skips=SKIPS,
        evaluation_only=True,
    )
)
