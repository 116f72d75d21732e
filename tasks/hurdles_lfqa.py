"""Hurdles LFQA (Krishna et al. 2021, NAACL): human A/B preferences between long-form answers
to ELI5 questions.

Role in FLAMe: Table 7, Quality, Pairwise. The paper ("Hurdles to Progress in Long-form
Question Answering") had crowd workers compare answers to ELI5 (Reddit "Explain Like I'm
Five") questions: answers of its retrieval-augmented Routing Transformer conditioned on
retrieved vs random Wikipedia paragraphs, and model answers vs human-written (Reddit) answers.
The authors' repository, GitHub martiansideofthemoon/hurdles-longform-qa, links only models
and generations; the comparisons are released in processed form by Xu et al. (2023, "A
Critical Evaluation of Evaluations for Long-form Question Answering"), whose README names the
Hurdles repository as their origin: GitHub carriex/lfqa_eval, file
preference_data/hurldes_pairwise_human_preferences.jsonl (sic; a Git LFS object, so it is
fetched from media.githubusercontent.com rather than raw.githubusercontent.com). License: none
stated (no LICENSE file in either repository); the questions and human answers are Reddit's.

Row schema (JSON lines, per the lfqa_eval README): `question`, `answer_a`, `answer_b`,
`answer_a_type` / `answer_b_type` (the model that wrote the answer, or `human`),
`overall_preference` (-1: answer_a wins, 0: tie, 1: answer_b wins), and optional
`coherence_preference`, `factuality_preference`, `justification` (unused here).

Task hurdles_lfqa_preference (pairwise, capability quality, all rows in "train"; upstream has
no split): which answer the annotator preferred overall. Ties are skipped (`tie`), as are two
identical answers (`identical`). A preference outside {-1, 0, 1} or an empty question or answer
is an error.

Unverified: the instructions follow general LFQA criteria, as the Hurdles annotator guidelines
were not seen; the file's content (only its LFS pointer, 2,685,486 bytes, was seen), that the
preferences are integers (floats with the same values are accepted), and that the Hurdles
rows carry no optional fields.
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import Source, Url
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="hurdles_lfqa",
    title="Hurdles LFQA human preferences",
    license="unstated (no LICENSE file; ELI5 questions and answers from Reddit)",
    host=Url(
        "https://media.githubusercontent.com/media/carriex/lfqa_eval/"
        "5202745be28c1574c79c18c95143a797567eded9/preference_data"
    ),
    notes=(
        "The Hurdles comparisons as processed and released by Xu et al. 2023 "
        "(github.com/carriex/lfqa_eval); the file is stored with Git LFS."
    ),
)

FILE = "hurldes_pairwise_human_preferences.jsonl"

TEMPLATE = Pairwise(
    title="Which answer to the question is better?",
    description=(
        "In this task, you will be shown a question from the Reddit forum \"Explain Like I'm "
        'Five" (ELI5), where people ask for simple explanations of complex topics, and two '
        "paragraph-length answers to it. Choose the better answer overall: the one that "
        "answers the question more directly and helpfully, is more accurate, and is more "
        "coherent and fluent, without repetition or content unrelated to the question."
    ),
    context_fields=("question",),
    response_field="answer",
)


@per_row
def _pair(row: Row) -> Pair:
    question = row.text("question").strip()
    answers = row.text("answer_a").strip(), row.text("answer_b").strip()
    preference = row.get("overall_preference", (int, float), choices=(-1, 0, 1))
    if answers[0] == answers[1]:
        raise SkipRow("identical")
    if preference == 0:
        raise SkipRow("tie")
    better, worse = answers if preference == -1 else answers[::-1]
    return Pair({"question": question}, better=better, worse=worse)


register(
    FlameTask(
        name="hurdles_lfqa_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=TEMPLATE,
        splits={"train": (FILE,)},
        convert=_pair,
        skips={
            "tie": "the annotator judged the two answers equally good",
            "identical": "the two answers are the same text",
        },
    )
)
