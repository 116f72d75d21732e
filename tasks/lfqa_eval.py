"""LFQAEval expert preferences (Xu, Song, Iyyer and Choi 2023, ACL, "A Critical Evaluation of
Evaluations for Long-form Question Answering"): which of two long-form answers a domain expert
preferred.

Role in FLAMe: the held-out benchmark "LFQAEval" (FLAME.md §4; pairwise, evaluation only). Of
the repository's four preference files only the experts' one is this benchmark: the Hurdles and
WebGPT files re-package comparisons from FLAMe training sources (Table 7's Hurdles LFQA and
WebGPT rows).

Home: GitHub carriex/lfqa_eval (no license file seen; the questions and human answers come
from Reddit r/explainlikeimfive, so evaluation use only and nothing is redistributed), pinned at
5202745b, the commit at which the file was seen. File: preference_data/
experts_pairwise_human_preferences.jsonl, a Git LFS object (pointer: sha256 5944620336f9...,
717,802 bytes), so it is fetched from media.githubusercontent.com, which serves LFS content
(that it does so for a commit ref, as it does for a branch, is unverified). Schema (from the
README; the file content itself is behind LFS and was not seen): JSON lines of {question,
answer_a, answer_b, answer_a_type and answer_b_type (the model that wrote the answer, or
"human"), overall_preference (-1 = answer_a wins, 0 = tie, 1 = answer_b wins), optional
coherence_preference and factuality_preference (same values), optional justification (the
expert's free-text reasons), optional doc_a and doc_b (WebGPT evidence, absent here)}. The raw
annotations (raw_annotation_data/Annotated_Dataset/*.json: one file per expert in biology,
chemistry, economics, history, law, physics and tech/CS, with BetterAnswer "Answer A" or
"Answer B") show experts compared human-written ELI5 answers with each other and with
GPT-3-written answers; several experts of a domain annotated a shared set of 20 questions, so a
pair can appear more than once.

Task lfqa_eval_expert_preference (pairwise, quality; evaluation only, test split): which answer
the expert preferred overall. Ties (overall_preference 0) are skipped (`tie`), as the paper's
own evaluation of metrics removes them. Every row is kept, repeated pairs included (each is one
expert's judgment). HTML line breaks ("<br />", which the raw annotations use) are rendered as
line breaks.
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import Source, Url
from flame_jax.format import Capability, Pair, Pairwise

_COMMIT = "5202745be28c1574c79c18c95143a797567eded9"

SOURCE = Source(
    name="lfqa_eval",
    title="LFQAEval expert preferences",
    license=(
        "no license file upstream (answers and questions from Reddit r/explainlikeimfive); "
        "evaluation use only"
    ),
    host=Url(
        f"https://media.githubusercontent.com/media/carriex/lfqa_eval/{_COMMIT}/preference_data"
    ),
    evaluation_only=True,
    notes=(
        "Evaluation only (held-out benchmark). github.com/carriex/lfqa_eval keeps "
        "preference_data/*.jsonl in Git LFS; the files are fetched from media.githubusercontent."
        "com, which serves their content."
    ),
)

FILE = "experts_pairwise_human_preferences.jsonl"

SKIPS = {"tie": "the expert judged the two answers equally good (overall_preference 0)"}

PAIRWISE = Pairwise(
    title="Which answer to the question is better?",
    description=(
        "In this task, you will be shown a question asked on a forum where people explain "
        "things simply, and two long-form answers to it. As a domain expert would, choose the "
        "better answer overall: the one that is factually correct, addresses every part of the "
        "question and any false assumption in it, stays relevant without unneeded information, "
        "and is clear, easy to follow and free of serious grammar mistakes."
    ),
    context_fields=("question",),
    response_field="answer",
)


def _text(row: Row, field: str) -> str:
    return row.text(field).replace("<br />", "\n").replace("<br>", "\n").strip()


@per_row
def _pair(row: Row) -> Pair:
    preference = row.get("overall_preference", (int, float), choices=(-1, 0, 1))
    answers = {"a": _text(row, "answer_a"), "b": _text(row, "answer_b")}
    if preference == 0:
        raise SkipRow("tie")
    better, worse = ("a", "b") if preference < 0 else ("b", "a")
    return Pair(
        {"question": _text(row, "question")},
        better=answers[better],
        worse=answers[worse],
        meta={
            "winner": row.get(f"answer_{better}_type", str),
            "loser": row.get(f"answer_{worse}_type", str),
        },
    )


register(
    FlameTask(
        name="lfqa_eval_expert_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PAIRWISE,
        splits={"test": (FILE,)},
        convert=_pair,
        skips=SKIPS,
        evaluation_only=True,
    )
)
