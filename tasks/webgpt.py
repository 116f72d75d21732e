"""WebGPT comparisons (Nakano et al. 2021): pairs of browsing-assisted long-form answers.

Home: HF openai/webgpt_comparisons (19,578 comparisons; released by OpenAI with the paper,
terms of the original blob: research use). The HF repository holds only a loading script
that converts OpenAI's comparisons.jsonl (one JSON *array* of two records per line, which
the row readers do not take); the files used here are the HF parquet conversion of that
script's output, branch refs/convert/parquet: default/train/0000.parquet (the only split).

Row schema (parquet): `question` {dataset, id, full_text}; for each answer k in 0, 1:
`quotes_k` {title: [str], extract: [str]} (the pages quoted while browsing, cited in the
answer as [1], [2], ...), `answer_k`, `tokens_k` (GPT-2 tokens, unused) and `score_k` in
[-1, 1]: the two scores sum to 0 and an answer is preferred iff its score is positive.

Tasks (capability quality):
- webgpt_preference (pairwise): which answer the labeler preferred. Each response is the
  answer followed by its numbered quotes, as the labelers saw them. Equal scores (0 = tie)
  are skipped (`tie`).
- webgpt_answer (open-ended): write the preferred answer of a non-tied comparison from the
  question and that answer's quotes. An answer preferred in several comparisons of the same
  question is kept once (`duplicate`), ties give no target (`tie`).
Answers that are empty are skipped in both (`empty_answer`).
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Generation, OpenEnded, Pair, Pairwise

SOURCE = Source(
    name="webgpt",
    title="WebGPT comparisons",
    license="OpenAI research release (see the dataset card)",
    host=HuggingFace("openai/webgpt_comparisons", revision="refs%2Fconvert%2Fparquet"),
    notes=(
        "Files are the HF parquet conversion (branch refs/convert/parquet) of the loading "
        "script's output, because the upstream comparisons.jsonl holds JSON arrays per line."
    ),
)

FILES = ("default/train/0000.parquet",)

PREFERENCE = Pairwise(
    title="Which answer to the question is better?",
    description=(
        "In this task, you will be shown a question and two answers to it, each written with "
        "the help of a web browser and followed by the quotes it collected from web pages, "
        "if any (cited in the answer as [1], [2], ...). Choose the better answer: the one that is "
        "more useful to the person asking, more accurate and better supported by its quotes, "
        "and more coherent overall. Judge claims by whether the quotes back them up."
    ),
    context_fields=("question",),
    response_field="answer",
)

ANSWER = OpenEnded(
    title="Write a well-supported answer to the question",
    description=(
        "In this task, you will be shown a question and quotes collected from web pages while "
        "researching it, numbered [1], [2] and so on. Write a helpful, accurate and coherent "
        "answer to the question that is supported by the quotes, citing them as [1], [2], ... "
        "where they support a claim."
    ),
    context_fields=("question", "quotes"),
    fields=("answer",),
)

_NO_QUOTES = "(no quotes)"


def _quotes(row: Row, k: int) -> str:
    """The answer's quotes as a numbered list, or _NO_QUOTES."""
    titles = row.get(f"quotes_{k}.title", list)
    extracts = row.get(f"quotes_{k}.extract", list)
    if len(titles) != len(extracts):
        raise row.error(f"quotes_{k}", f"{len(titles)} titles but {len(extracts)} extracts")
    parts = []
    for number, (title, extract) in enumerate(zip(titles, extracts, strict=True), start=1):
        if not isinstance(title, str) or not isinstance(extract, str):
            raise row.error(f"quotes_{k}", f"quote {number} is not text")
        parts.append(f"[{number}] {title.strip()}\n{extract.strip()}")
    return "\n\n".join(parts) if parts else _NO_QUOTES


def _answers(row: Row) -> tuple[str, list[tuple[str, str]]]:
    """(question, [(answer, quotes) for the preferred answer first]); raises SkipRow."""
    question = row.text("question.full_text").strip()
    scores = []
    for k in (0, 1):
        score = row.get(f"score_{k}", float)
        if not -1.0 <= score <= 1.0:
            raise row.error(f"score_{k}", f"{score} is outside [-1, 1]")
        scores.append(score)
    answers = [(row.get(f"answer_{k}", str).strip(), _quotes(row, k)) for k in (0, 1)]
    if scores[0] == scores[1]:
        raise SkipRow("tie")
    if not answers[0][0] or not answers[1][0]:
        raise SkipRow("empty_answer")
    return question, answers if scores[0] > scores[1] else answers[::-1]


def _with_quotes(answer: str, quotes: str) -> str:
    return answer if quotes == _NO_QUOTES else f"{answer}\n\nQuotes:\n{quotes}"


def _pair(row: Row) -> Pair:
    question, ((better, better_quotes), (worse, worse_quotes)) = _answers(row)
    return Pair(
        {"question": question},
        better=_with_quotes(better, better_quotes),
        worse=_with_quotes(worse, worse_quotes),
    )


def _generations(rows: Iterator[Row]) -> Iterator[Generation | Skip]:
    seen: set[tuple[str, str]] = set()
    for row in rows:
        try:
            question, ((answer, quotes), _) = _answers(row)
        except SkipRow as skip:
            yield Skip(skip.reason)
            continue
        key = (row.get("question.id", str), answer)
        if key in seen:
            yield Skip("duplicate")
            continue
        seen.add(key)
        yield Generation({"question": question, "quotes": quotes}, outputs={"answer": answer})


register(
    FlameTask(
        name="webgpt_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PREFERENCE,
        splits={"train": FILES},
        convert=per_row(_pair),
        skips={
            "tie": "the two answers have equal scores (no preference)",
            "empty_answer": "an answer is empty",
        },
    )
)

register(
    FlameTask(
        name="webgpt_answer",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=ANSWER,
        splits={"train": FILES},
        convert=_generations,
        skips={
            "tie": "the two answers have equal scores, so neither is the preferred answer",
            "empty_answer": "an answer is empty",
            "duplicate": "the same preferred answer to the same question was already kept",
        },
    )
)
