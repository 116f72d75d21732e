"""PRD (Li, Patel and Du 2024, "PRD: Peer Rank and Discussion Improve Large Language Model based
Evaluations"): human pairwise preferences between chatbot answers to the Vicuna80 questions.

Role in FLAMe: Table 7, Quality, Pairwise. Home: GitHub bcdnlp/PRD (MIT), folder data/vicuna80,
pinned to commit a041785 (where every file below was read whole). The repository also holds
data/lfqa/experts_pairwise_human_preferences.jsonl, a copy of Xu et al. (2023)'s expert LFQA
preferences: that is the paper's held-out LFQAEval benchmark, so it is deliberately not used.

Files (JSON lines):
- generations/answer_<model>.jsonl for bard, claude, gpt35, gpt4 and vicuna-13b: `answer_id`,
  `question_id` (1-80), `model_id`, `text` (the answer); 80 rows each.
- ratings-human/answer_<m1>-vs-answer_<m2>-human-reviewer_threeclass.jsonl: three rows per
  question (one per annotator), except the four claude-vs-* files, which hold one row per
  question for all 80 questions (and have no *-vs-claude counterpart); `question_id`, `text`
  (the question), `score`: 1 = the answer of <m1> (shown as Assistant 1) is better, 2 = <m2>'s
  is better, 3 = the two are equivalent (as the repository's annotate.py maps reviews to
  scores). For each model pair, the questions are split between the two file orders (m1-vs-m2
  and m2-vs-m1 hold disjoint questions), so both orders are read. Only the 16 files that pair
  two of the five models above are used; the ones with Guanaco models have no answer texts in
  the repository.

Task prd_preference (pairwise, capability quality, all in "train"; upstream has no split): the
answer files are read first (they come first in the split's file list), then each (file,
question) group of ratings becomes one pair: the model more annotators preferred wins; equal
counts (including all-equivalent votes) are skipped (`tie`), as are identical answers
(`identical`). A score outside {1, 2, 3}, a question without an answer of one of the two
models, or an empty text is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="prd",
    title="PRD Vicuna80 human preferences",
    license="MIT",
    host=GitHub(
        "bcdnlp/PRD", ref="a04178577a8bc959a701802876826feee0484f6d", prefix="data/vicuna80"
    ),
    notes="Answers by Bard, Claude, GPT-3.5, GPT-4 and Vicuna-13B to the 80 Vicuna questions.",
)

MODELS = ("bard", "claude", "gpt35", "gpt4", "vicuna-13b")
GENERATIONS = tuple(f"generations/answer_{model}.jsonl" for model in MODELS)
ORDERS = (
    ("bard", "gpt35"),
    ("bard", "gpt4"),
    ("bard", "vicuna-13b"),
    ("claude", "bard"),
    ("claude", "gpt35"),
    ("claude", "gpt4"),
    ("claude", "vicuna-13b"),
    ("gpt35", "bard"),
    ("gpt35", "gpt4"),
    ("gpt35", "vicuna-13b"),
    ("gpt4", "bard"),
    ("gpt4", "gpt35"),
    ("gpt4", "vicuna-13b"),
    ("vicuna-13b", "bard"),
    ("vicuna-13b", "gpt35"),
    ("vicuna-13b", "gpt4"),
)
RATINGS = tuple(
    f"ratings-human/answer_{first}-vs-answer_{second}-human-reviewer_threeclass.jsonl"
    for first, second in ORDERS
)
_GENERATION_FILE = re.compile(r"^generations/answer_(.+)\.jsonl$")
_RATING_FILE = re.compile(r"^ratings-human/answer_(.+)-vs-answer_(.+)-human-reviewer_threeclass")

TEMPLATE = Pairwise(
    title="Which answer to the user's question is better?",
    description=(
        "In this task, you will be shown a question that a user asked an AI assistant, and two "
        "answers from different assistants. Choose the better answer: the one that is more "
        "helpful, relevant and accurate, with an appropriate level of detail, and that does "
        "what the question asks (for example, writes the requested code, solves the problem, "
        "or plays the requested role)."
    ),
    context_fields=("question",),
    response_field="answer",
)


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    answers: dict[tuple[str, int], str] = {}
    groups: dict[tuple[str, int], list[tuple[Row, int]]] = {}
    for row in rows:
        generation = _GENERATION_FILE.match(row.file)
        if generation:
            key = (generation.group(1), row.get("question_id", int))
            answers[key] = row.text("text").strip()
            continue
        if not _RATING_FILE.match(row.file):
            raise row.error("*", "not a generations/ or ratings-human/ file of PRD")
        score = row.get("score", int, choices=(1, 2, 3))
        groups.setdefault((row.file, row.get("question_id", int)), []).append((row, score))
    for (file, question_id), ratings in groups.items():
        first, second = _RATING_FILE.match(file).groups()
        row = ratings[0][0]
        question = row.text("text").strip()
        texts = []
        for model in (first, second):
            if (model, question_id) not in answers:
                raise row.error(
                    "question_id",
                    f"no answer of {model} to question {question_id} in "
                    f"generations/answer_{model}.jsonl",
                )
            texts.append(answers[model, question_id])
        votes = sum((score == 1) - (score == 2) for _, score in ratings)
        if texts[0] == texts[1]:
            yield Skip("identical")
        elif votes == 0:
            yield Skip("tie")
        else:
            better, worse = texts if votes > 0 else texts[::-1]
            yield Pair({"question": question}, better=better, worse=worse)


register(
    FlameTask(
        name="prd_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=TEMPLATE,
        splits={"train": GENERATIONS + RATINGS},
        convert=_pairs,
        skips={
            "tie": "as many annotators preferred each answer (or all judged them equivalent)",
            "identical": "the two models' answers are the same text",
        },
    )
)
