"""Scarecrow (Dou et al. 2022): crowd-annotated error spans in machine-written news continuations.

Paper: "Is GPT-3 Text Indistinguishable from Human Text? Scarecrow: A Framework for
Scrutinizing Machine Text" (ACL 2022). About 1.3K English news paragraphs, each the
continuation of a human-written prompt by a language model (GPT-2 Small and XL, Grover-Mega,
GPT-3 DaVinci with several decoding settings) or by a human, each annotated by about ten
crowdworkers: every span a worker found faulty gets one of 10 error types, a severity (1-3),
a natural-language explanation and, for Redundant and Self-contradiction, antecedent spans.
FLAMe Table 7: Quality, Classification and Gen.

Home: the project page https://yao-dou.github.io/scarecrow/ (GitHub Yao-Dou/scarecrow). Its
dataset browser (js/selection.js at commit bb1b99a26e3bbcb8b9f3be3fb37f0d450bea8efd) reads
https://raw.githubusercontent.com/Yao-Dou/scarecrow/main/data/grouped_data.csv, the file used
here: one row per paragraph with `id`, `gid`, `prompt`, `generation` (the continuation),
`model` (gpt2, gpt2-xl, grover-mega, gpt3, human), `p`, `temperature`, `frequency_penalty`
and `responses`: a list literal with one list per annotator (empty: "no problems found") of
errors [error_type, explanation, severity, start, end, antecedent offsets]; start/end are
character offsets into `generation` (end exclusive). In explanations the annotation tool wrote
, " < > and line breaks as _SEP_, _QUOTE_, _LEFT_, _RIGHT_ and _NEWLINE_, which are undone.
Error types (ids in the file): Grammar_Usage, Redundant, Off-prompt, Self-contradiction,
Incoherent (language errors), Technical_Jargon, Needs_Google (factual), Bad_Math,
Commonsense, Encyclopedic (reader issues); definitions from the project page's table.

Every annotated span is one record:
- scarecrow_error_type (classification): the error type of a marked span of the continuation,
  given the prompt and the continuation.
- scarecrow_explanation (open-ended): the annotator's explanation of what is wrong with the
  span, given its error type. Empty explanations are skipped (`empty_explanation`).
Both skip spans whose offsets fall outside the continuation or cover only whitespace
(`bad_offsets`). An unparseable
`responses` value or an unknown error type is an error. All rows feed "train" (upstream has no
splits). Pinned to main's commit f3f4fffc23596af6840b973ddb7fca8e03d992ab (2021-07-12), whose
tree holds data/grouped_data.csv (over 4 MiB: the stored snapshot that was swept lacked its
contents, so the columns above are the browser's, not checked against the whole file). No
license file is in the repository at that commit (the paper says the dataset is released).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Generation, Label, OpenEnded

SOURCE = Source(
    name="scarecrow",
    title="Scarecrow",
    license="unspecified (research release; no license file found)",
    host=GitHub("Yao-Dou/scarecrow", ref="f3f4fffc23596af6840b973ddb7fca8e03d992ab", prefix="data"),
    notes="Annotations of the Scarecrow project page's dataset browser (data/grouped_data.csv).",
)

FILE = "grouped_data.csv"

# upstream id -> (label, definition), from the project page's error-type table
ERROR_TYPES: dict[str, tuple[str, str]] = {
    "Grammar_Usage": (
        "Grammar and Usage",
        "missing words, extra words, or incorrect or out-of-order words",
    ),
    "Redundant": (
        "Redundant",
        "the text repeats itself, either the exact words or the same idea in other words",
    ),
    "Off-prompt": (
        "Off-prompt",
        "the text is unrelated to the prompt, or related but contradicts it",
    ),
    "Self-contradiction": (
        "Self-contradiction",
        "the text contradicts something written earlier in the continuation",
    ),
    "Incoherent": (
        "Incoherent",
        "the text fits no other category but still does not make sense",
    ),
    "Technical_Jargon": (
        "Technical Jargon",
        "the text uses jargon or specialised words of a field a general reader may not know",
    ),
    "Needs_Google": (
        "Needs Google",
        "the text states a fact or figure that may be true but would need a search to confirm",
    ),
    "Bad_Math": (
        "Bad Math",
        "the text gets basic arithmetic, unit conversions or currency conversions wrong",
    ),
    "Commonsense": (
        "Commonsense",
        "the text violates everyday, basic understanding of the world",
    ),
    "Encyclopedic": (
        "Encyclopedic",
        "the text is factually wrong about something written down in a reference source "
        "such as a textbook, an encyclopedia or a Wikipedia infobox",
    ),
}

_ESCAPES = (
    ("_SEP_", ","),
    ("_QUOTE_", '"'),
    ("_LEFT_", "<"),
    ("_RIGHT_", ">"),
    ("_NEWLINE_", "\n"),
)

_INTRO = (
    "In this task, you will be shown the beginning of a news article written by a person (the "
    "prompt), its continuation written by a language model or a person, and a span of the "
    "continuation that a reader marked as problematic."
)

ERROR_TYPE = Classification(
    title="What kind of error does the marked span of the text contain?",
    description=(
        f"{_INTRO} Choose the type of error the span contains. Language errors: Grammar and "
        "Usage, Redundant, Off-prompt, Self-contradiction, Incoherent; factual errors: "
        "Technical Jargon, Needs Google; reader issues: Bad Math, Commonsense, Encyclopedic."
    ),
    context_fields=("prompt", "continuation", "span"),
    labels=tuple(ERROR_TYPES.values()),
)

EXPLANATION = OpenEnded(
    title="Explain the error in the marked span of the text",
    description=(
        f"{_INTRO} You are also given the type of the error (one of Grammar and Usage, "
        "Redundant, Off-prompt, Self-contradiction, Incoherent, Technical Jargon, Needs Google, "
        "Bad Math, Commonsense, Encyclopedic). Explain briefly what is wrong with the span: "
        "what is missing, repeated, contradicted, false or confusing, and why."
    ),
    context_fields=("prompt", "continuation", "span", "error_type"),
    fields=("explanation",),
)


def _unescape(text: str) -> str:
    for token, char in _ESCAPES:
        text = text.replace(token, char)
    return text


def _errors(row: Row) -> Iterator[tuple[dict[str, str], str, str] | Skip]:
    """Per annotated span: (context, error type id, explanation), or Skip('bad_offsets')."""
    prompt = row.text("prompt").strip()
    generation = row.text("generation")
    try:
        responses = ast.literal_eval(row.text("responses"))
    except (ValueError, SyntaxError) as e:
        raise row.error("responses", f"not a list literal ({e})") from e
    if not isinstance(responses, list) or not all(isinstance(r, list) for r in responses):
        raise row.error("responses", "expected a list of per-annotator lists")
    for annotator, errors in enumerate(responses):
        for k, error in enumerate(errors):
            where = f"responses.{annotator}.{k}"
            if not isinstance(error, (list, tuple)) or len(error) < 5:
                raise row.error(where, "expected [type, explanation, severity, start, end, ...]")
            kind, explanation, _, start, end = error[:5]
            if kind not in ERROR_TYPES:
                raise row.error(where, f"error type {kind!r:.40} is not one of {list(ERROR_TYPES)}")
            if not isinstance(explanation, str):
                raise row.error(where, f"explanation is {type(explanation).__name__}, not text")
            if not (isinstance(start, int) and isinstance(end, int)):
                raise row.error(where, f"offsets {start!r}, {end!r} are not integers")
            if not 0 <= start < end <= len(generation) or not generation[start:end].strip():
                yield Skip("bad_offsets")
                continue
            context = {
                "prompt": prompt,
                "continuation": generation.strip(),
                "span": generation[start:end].strip(),
            }
            yield context, kind, _unescape(explanation).strip()


def _error_types(rows: Iterator[Row]) -> Iterator[Label | Skip]:
    for row in rows:
        for out in _errors(row):
            if isinstance(out, Skip):
                yield out
                continue
            context, kind, _ = out
            yield Label(context, label=ERROR_TYPES[kind][0])


def _explanations(rows: Iterator[Row]) -> Iterator[Generation | Skip]:
    for row in rows:
        for out in _errors(row):
            if isinstance(out, Skip):
                yield out
                continue
            context, kind, explanation = out
            if not explanation:
                yield Skip("empty_explanation")
                continue
            yield Generation(
                {**context, "error_type": ERROR_TYPES[kind][0]},
                outputs={"explanation": explanation},
            )


_BAD_OFFSETS = {
    "bad_offsets": "the span's offsets fall outside the continuation or cover only whitespace"
}

register(
    FlameTask(
        name="scarecrow_error_type",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=ERROR_TYPE,
        splits={"train": (FILE,)},
        convert=_error_types,
        skips=_BAD_OFFSETS,
    )
)

register(
    FlameTask(
        name="scarecrow_explanation",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=EXPLANATION,
        splits={"train": (FILE,)},
        convert=_explanations,
        skips={**_BAD_OFFSETS, "empty_explanation": "the annotator's explanation is empty"},
    )
)
