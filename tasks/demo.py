"""The demo collection: synthetic FLAMe tasks generated in code, one per task type.

The main job's embedded default: it needs no network and no data directory, and its tasks
are ones a tiny model can really learn on two CPU cores:

- demo_sorting (pairwise): which of two responses sorts a list of six digits correctly (the
  other is the sorted list with one to three pairs exchanged).
- demo_sortedness (pointwise): how sorted a list of six digits is, on a 1-5 scale (from the
  number of adjacent pairs in ascending order).
- demo_support (classification): is a claim supported by a short context of facts.
- demo_correction (open-ended): write the correct answer to an addition question that was
  answered wrongly.

Every example comes from a seeded generator; train, validation and test are disjoint by
construction (each problem's key is hashed to one split), so held-out scores are real.
"""

from __future__ import annotations

import itertools
import random
import zlib
from collections.abc import Iterator

from flame_jax.data import registry, vocabularies
from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import Generated, Source
from flame_jax.format import (
    Capability,
    Classification,
    Generation,
    Label,
    OpenEnded,
    Pair,
    Pairwise,
    Pointwise,
    Rating,
)

SIZES = {"train": 4000, "validation": 200, "test": 200}
_SPLIT_OF_BUCKET = ["validation", "test"] + ["train"] * 8  # 10% / 10% / 80% of problem keys
_NAMES = ("Ana", "Ben", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal")
_THINGS = ("apples", "books", "cats", "coins", "pens", "shells")


def _split_of(key: str) -> str:
    return _SPLIT_OF_BUCKET[zlib.crc32(key.encode()) % 10]


def _problems(kind: str, split: str, make) -> Iterator[dict]:
    """SIZES[split] problems of one kind whose keys hash to `split` (seeded, deterministic)."""
    rng = random.Random(f"{kind}:{split}")
    emitted = 0
    while emitted < SIZES[split]:
        key, row = make(rng)
        if _split_of(f"{kind}:{key}") == split:
            emitted += 1
            yield row


def _addition(rng: random.Random):
    a, b = rng.randint(0, 9), rng.randint(0, 9)
    wrong = a + b + rng.choice((-2, -1, 1, 2))
    if wrong < 0:
        wrong = a + b + 1
    return f"{a}+{b}:{wrong}", {"a": a, "b": b, "wrong": wrong}


def _sort_request(rng: random.Random):
    values = rng.sample(range(10), 6)
    wrong = sorted(values)
    while wrong == sorted(values):
        for _ in range(rng.randint(1, 3)):
            i, j = rng.randrange(6), rng.randrange(6)
            wrong[i], wrong[j] = wrong[j], wrong[i]
    key = ",".join(map(str, values)) + ":" + ",".join(map(str, wrong))
    return key, {"numbers": values, "wrong": wrong}


def _numbers(rng: random.Random):
    values = sorted(rng.sample(range(10), 6))
    swaps = rng.randint(0, 6)
    for _ in range(swaps):
        i, j = rng.randrange(6), rng.randrange(6)
        values[i], values[j] = values[j], values[i]
    return ",".join(map(str, values)), {"numbers": values}


def _facts(rng: random.Random):
    people = rng.sample(_NAMES, 3)
    facts = [(p, rng.randint(1, 9), rng.choice(_THINGS)) for p in people]
    person, count, thing = rng.choice(facts)
    supported = rng.random() < 0.5
    if not supported:
        count = count % 9 + 1  # another count of the same thing: not supported
    key = f"{facts}:{person}:{count}:{thing}"
    return key, {"facts": facts, "claim": [person, count, thing], "supported": supported}


def generate(file: str) -> Iterator[dict]:
    """Rows of a demo 'file': <kind>/<split> with kind addition, sorting, numbers or facts."""
    kind, split = file.split("/")
    make = {"addition": _addition, "sorting": _sort_request, "numbers": _numbers, "facts": _facts}[
        kind
    ]
    yield from _problems(kind, split, make)


SOURCE = Source(
    name="demo",
    title="flame-jax synthetic demo collection",
    license="Apache-2.0",
    host=Generated(generate),
    notes="Generated in code; the README's first command trains on it.",
)

SORTING = Pairwise(
    title="Which response sorts the list correctly?",
    description=(
        "You will be shown a list of numbers and two responses that reorder it. "
        "Choose the response that puts the numbers in ascending order."
    ),
    context_fields=("numbers",),
)
SORTEDNESS = Pointwise(
    title="How sorted is this list?",
    description="You will be shown a list of numbers. Rate how close it is to ascending order.",
    context_fields=("numbers",),
    scale=(
        ("1", "almost no neighbours in order"),
        ("2", "few in order"),
        ("3", "about half in order"),
        ("4", "most in order"),
        ("5", "fully sorted"),
    ),
)
SUPPORT = Classification(
    title="Is the claim supported by the facts?",
    description="You will be shown a few facts and a claim.",
    context_fields=("facts", "claim"),
    labels=(("Yes", "the facts state the claim"), ("No", "the facts do not state the claim")),
)
CORRECTION = OpenEnded(
    title="Correct the answer",
    description="You will be shown an addition question and a wrong answer. Write the correct one.",
    context_fields=("question", "wrong_answer"),
    fields=("corrected_answer",),
)


@per_row
def _sorting(row: Row) -> Pair:
    values = row.get("numbers", list)
    return Pair(
        {"numbers": " ".join(map(str, values))},
        better=" ".join(map(str, sorted(values))),
        worse=" ".join(map(str, row.get("wrong", list))),
    )


@per_row
def _sortedness(row: Row) -> Rating:
    values = row.get("numbers", list)
    in_order = sum(x < y for x, y in itertools.pairwise(values))
    return Rating({"numbers": " ".join(map(str, values))}, score=str(1 + in_order * 4 // 5))


@per_row
def _support(row: Row) -> Label:
    facts = "; ".join(f"{p} has {n} {t}" for p, n, t in row.get("facts", list))
    person, count, thing = row.get("claim", list)
    return Label(
        {"facts": facts, "claim": f"{person} has {count} {thing}"},
        label="Yes" if row.get("supported", bool) else "No",
    )


@per_row
def _correction(row: Row) -> Generation:
    a, b, wrong = row.get("a", int), row.get("b", int), row.get("wrong", int)
    return Generation(
        {"question": f"{a} + {b} = ?", "wrong_answer": str(wrong)},
        outputs={"corrected_answer": str(a + b)},
    )


for _name, _kind, _template, _convert, _capability in (
    ("sorting", "sorting", SORTING, _sorting, Capability.CODING),
    ("sortedness", "numbers", SORTEDNESS, _sortedness, Capability.QUALITY),
    ("support", "facts", SUPPORT, _support, Capability.FACTUALITY),
    ("correction", "addition", CORRECTION, _correction, Capability.INSTRUCTION_TUNING),
):
    register(
        FlameTask(
            name=f"demo_{_name}",
            source=SOURCE,
            capability=_capability,
            template=_template,
            splits={split: (f"{_kind}/{split}",) for split in SIZES},
            convert=_convert,
        )
    )


def build_vocabulary(path: str, *, vocab_size: int = 1000, per_task: int = 500) -> str:
    """Trains the demo's SentencePiece model on rendered training examples (deterministic)."""
    texts = []
    for name in ("demo_sorting", "demo_sortedness", "demo_support", "demo_correction"):
        for record in registry.first_records(registry.get_task(name), "train", per_task):
            texts.append(record.inputs + record.targets)
    return vocabularies.train_sentencepiece(texts, path, vocab_size=vocab_size)
