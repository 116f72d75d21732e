"""NVIDIA HelpSteer v1 (Wang et al. 2023): five 0-4 ratings of assistant responses, and pairs.

Home: HF nvidia/HelpSteer (CC-BY-4.0). Files: train.jsonl.gz (35,331 rows) and
validation.jsonl.gz (1,789 rows), JSON lines with `prompt`, `response` and five integer
ratings 0-4 given by annotators following NVIDIA's guidelines: `helpfulness`, `correctness`,
`coherence`, `complexity`, `verbosity`. Several responses share one prompt.

Tasks (capability quality):
- helpsteer_<attribute> (pointwise, train): the rating of one response on one attribute.
- helpsteer_pairwise (pairwise, train): two responses to the same prompt; the better one has
  the higher helpfulness rating. Pairs are formed deterministically: rows are grouped by
  their exact prompt text, groups in order of first appearance in the file; within a group
  every two responses (i, j), i before j in file order, make one pair. Pairs with equal
  helpfulness carry no preference and are skipped (`tie`, counted per pair); prompts with a
  single response give no pair (`single_response`, counted per prompt); two identical
  response texts are skipped (`identical`).
- helpsteer_validation_<attribute> and helpsteer_validation_pairwise: the same on
  validation.jsonl.gz, evaluation only (the paper's HelpSteer benchmark).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Pair, Pairwise, Pointwise, Rating

SOURCE = Source(
    name="helpsteer",
    title="NVIDIA HelpSteer",
    license="CC-BY-4.0",
    host=HuggingFace("nvidia/HelpSteer"),
)

_SCALE = (0, 1, 2, 3, 4)
_INTRO = (
    "In this task, you will be shown a prompt given to an AI assistant and the assistant's "
    "response."
)

# attribute -> (title, what the attribute measures, scale anchors 0..4), paraphrasing the
# HelpSteer annotation guidelines.
_ATTRIBUTES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "helpfulness": (
        "How helpful is the response?",
        "how useful the response is overall to the person who wrote the prompt, and how well "
        "it follows the spirit of the request",
        (
            "not helpful at all: it misses what the user asked for entirely",
            "hardly helpful: it mostly misses the user's goal, though a small part is usable",
            "partly helpful: it addresses the request but misses part of what the user wanted",
            "mostly helpful: it meets the user's goal, with some room for improvement",
            "extremely helpful: it fully accomplishes what the prompt asks for",
        ),
    ),
    "correctness": (
        "How correct is the response?",
        "whether the response contains all the facts the prompt calls for, without errors, "
        "false statements or made-up content",
        (
            "entirely wrong: all of its information is false, irrelevant or made up",
            "mostly wrong or incomplete, with only some correct elements",
            "a mix of correct and incorrect or missing information",
            "mostly correct, with small omissions and no false claims",
            "fully correct: every relevant fact is there and nothing is false or made up",
        ),
    ),
    "coherence": (
        "How coherent is the response?",
        "how clear and self-consistent the writing is, and how easy the response is to follow",
        (
            "incomprehensible: no sensible meaning can be made out",
            "mostly hard to follow, with contradictions or confusing language throughout",
            "somewhat unclear, with some inconsistencies or confusing passages",
            "mostly clear and consistent, with one or two confusing spots",
            "perfectly clear, self-consistent and logically ordered",
        ),
    ),
    "complexity": (
        "How complex is the language of the response?",
        "how much intellectual depth and expertise it takes to write the response, from what "
        "anyone with a basic command of the language could write to what only a domain "
        "expert could",
        (
            "basic: language that anyone, even a child, can understand",
            "simple: plain wording that needs some elementary or middle school education",
            "intermediate: vocabulary and sentences that a high-school graduate understands",
            "advanced: sophisticated vocabulary, as a university student of the subject writes",
            "expert: the technical, specialised language of an expert in the field",
        ),
    ),
    "verbosity": (
        "How verbose is the response?",
        "how much detail the response gives relative to what the prompt asks for",
        (
            "succinct: as short as possible, nothing beyond what the prompt needs",
            "short: on the short side, though a few words could still be cut",
            "medium: neither particularly short nor particularly wordy for the request",
            "long: on the longer side, with more detail than strictly needed",
            "verbose: particularly long, wordy or extensive given what was asked",
        ),
    ),
}

POINTWISE = {
    attribute: Pointwise(
        title=title,
        description=f"{_INTRO} Rate the response's {attribute}: {meaning}.",
        context_fields=("prompt", "response"),
        scale=tuple((str(point), anchor) for point, anchor in zip(_SCALE, anchors, strict=True)),
    )
    for attribute, (title, meaning, anchors) in _ATTRIBUTES.items()
}

PAIRWISE = Pairwise(
    title="Which response is more helpful?",
    description=(
        "In this task, you will be shown a prompt given to an AI assistant and two of its "
        "responses. Choose the response that is more helpful overall: the one that better "
        "accomplishes what the prompt asks for, in its spirit, correctly and clearly."
    ),
    context_fields=("prompt",),
)

_PAIR_SKIPS = {
    "tie": "the two responses have the same helpfulness rating (counted per pair)",
    "single_response": "the prompt has only one response, so it gives no pair (per prompt)",
    "identical": "the two responses are the same text",
}


def _score(row: Row, attribute: str) -> int:
    return row.get(attribute, int, choices=_SCALE)


def _rate(attribute: str):
    def rate(row: Row) -> Rating:
        return Rating(
            {"prompt": row.text("prompt").strip(), "response": row.text("response").strip()},
            score=str(_score(row, attribute)),
        )

    rate.__name__ = f"rate_{attribute}"
    return per_row(rate)


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    groups: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        prompt = row.text("prompt")
        groups.setdefault(prompt, []).append(
            (row.text("response").strip(), _score(row, "helpfulness"))
        )
    for prompt, responses in groups.items():
        if len(responses) == 1:
            yield Skip("single_response")
            continue
        for (first, first_score), (second, second_score) in itertools.combinations(responses, 2):
            if first == second:
                yield Skip("identical")
            elif first_score == second_score:
                yield Skip("tie")
            else:
                better, worse = (first, second) if first_score > second_score else (second, first)
                yield Pair({"prompt": prompt.strip()}, better=better, worse=worse)


for _prefix, _split, _file, _evaluation in (
    ("helpsteer", "train", "train.jsonl.gz", False),
    ("helpsteer_validation", "validation", "validation.jsonl.gz", True),
):
    for _attribute, _template in POINTWISE.items():
        register(
            FlameTask(
                name=f"{_prefix}_{_attribute}",
                source=SOURCE,
                capability=Capability.QUALITY,
                template=_template,
                splits={_split: (_file,)},
                convert=_rate(_attribute),
                evaluation_only=_evaluation,
            )
        )
    register(
        FlameTask(
            name=f"{_prefix}_pairwise",
            source=SOURCE,
            capability=Capability.QUALITY,
            template=PAIRWISE,
            splits={_split: (_file,)},
            convert=_pairs,
            skips=_PAIR_SKIPS,
            evaluation_only=_evaluation,
        )
    )
