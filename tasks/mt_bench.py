"""MT-Bench human judgments (Zheng et al. 2023), as processed by LLMBar: expert pairwise votes.

Home: GitHub princeton-nlp/LLMBar (MIT; derived from lmsys/mt_bench_human_judgments, CC BY 4.0).
File: Dataset/Processed/MT-Bench/dataset.json, a JSON array of 200 {input (the first-turn user
question), output_1, output_2 (two model answers), label (1 or 2)}. LLMBar built it from the
MT-Bench expert votes by majority vote, removed ties and sampled 200 instances. Pinned to the
LLMBar commit of tasks/llmbar.py, where the whole file has these 200 rows.

Task mt_bench_human_judgments_llmbar_preference (evaluation only, test split): which answer the
expert judges preferred. Two identical answers would carry no label and are reported as an
error.

What the MT-Bench questions folder (FastChat fastchat/llm_judge/data/mt_bench: question.jsonl
with question_id, category and two user turns; reference_answer/gpt-4.jsonl with GPT-4 answers
for math, reasoning and coding questions) gives: nothing is registered from it. It holds no
human judgment (the questions are prompts, the reference answers GPT-4 outputs), and adding its
category or a GPT-4 reference answer to the judgment context would change the benchmark that
LLMBar and RewardBench report. On the samples, 28 of the first 60 judgment inputs equal the
first turn of a question in the first 40 lines of question.jsonl exactly (the others belong to
questions 121-160, absent from the sample), so a join by question text is possible if ever
needed.
"""

from __future__ import annotations

from flame_tasks import llmbar

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="mt_bench_human_judgments_llmbar",
    title="MT-Bench human judgments (LLMBar processed)",
    license="MIT",
    host=GitHub("princeton-nlp/LLMBar", ref=llmbar.COMMIT, prefix="Dataset/Processed/MT-Bench"),
    evaluation_only=True,
    notes=(
        "LLMBar's 200-instance sample of the MT-Bench expert votes (majority vote, ties "
        "removed); the raw votes are lmsys/mt_bench_human_judgments (CC BY 4.0)."
    ),
)

PAIRWISE = Pairwise(
    title="Which answer to the user's question is better?",
    description=(
        "In this task, you will be shown a question that a user asked an AI assistant and two "
        "answers from different assistants. Judge which answer serves the user better: it "
        "follows the user's instructions and answers the question, and it is helpful, "
        "relevant, accurate, appropriately detailed and, where the question calls for it, "
        "creative. Do not let the order of the answers or their length decide your answer."
    ),
    context_fields=("question",),
    response_field="answer",
)


def _pair(row: Row) -> Pair:
    label = row.get("label", int, choices=(1, 2))
    answers = {1: row.text("output_1"), 2: row.text("output_2")}
    if answers[1] == answers[2]:
        raise row.error("output_2", "the two answers are identical")
    return Pair({"question": row.text("input")}, better=answers[label], worse=answers[3 - label])


register(
    FlameTask(
        name="mt_bench_human_judgments_llmbar_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PAIRWISE,
        splits={"test": ("dataset.json",)},
        convert=per_row(_pair),
        evaluation_only=True,
    )
)
