"""CodeContests (Li et al., Science 2022, AlphaCode): programming problems with right and wrong
human solutions.

Problems come from Codeforces, AtCoder, CodeChef, Aizu and HackerEarth; each carries human
submissions that the judge accepted (`solutions`) and ones it rejected (`incorrect_solutions`:
wrong answers, time-outs, crashes). FLAMe (Table 7, coding) uses it for pairwise tasks of a
correct vs a buggy program for the same problem.

Home: HF deepmind/code_contests (CC BY 4.0), branch main, folder data/: 39 train shards
data/train-000NN-of-00039-<hash>.parquet (13,328 problems), data/valid-00000-of-00001-
5e672c5751f060d3.parquet (117) and data/test-00000-of-00001-9c49eeff30aacaa8.parquet (165). The
file names come from the hub's listings (train shards 0-6 and the test file seen on the hub;
all 39 train names and the valid name from a third-party converter that lists the folder);
the revision follows main (unpinned). Row schema (SOURCES.md, dataset card): `name`,
`description`, `public_tests`, `private_tests`, `generated_tests`, `source`, `difficulty`,
`solutions` and `incorrect_solutions` ({`language`: [int], `solution`: [str]}, parallel lists;
language ids 0 = unknown, 1 = Python 2, 2 = C++, 3 = Python 3, 4 = Java), `cf_*` fields,
`time_limit`, `memory_limit_bytes`, ...

code_contests_pairwise (pairwise, coding): given the problem statement and the language, which
of two programs is a correct solution. Construction, per problem and per language (Python 2,
C++, Python 3, Java; language 0 and empty programs are ignored):
1. the distinct correct and distinct incorrect programs (texts stripped of surrounding
   whitespace, in upstream order); a text that is both accepted and rejected is dropped from
   both (`conflicting_solution`, per text);
2. k = min(PAIRS_PER_LANGUAGE, #correct, #incorrect) pairs: k correct and k incorrect programs
   drawn without replacement by random.Random(f"{SEED}/{name}/{language id}") (deterministic:
   Python seeds str seeds through SHA-512) and paired in draw order;
3. a language with correct but no incorrect programs, or the reverse, gives no pair
   (`one_sided`, per problem and language).
PAIRS_PER_LANGUAGE = 2 caps a problem at 8 pairs: CodeContests has thousands of submissions
for some problems, and FLAMe caps every task at 2^16 examples anyway. Splits: train,
validation (valid) and test, as upstream.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="code_contests",
    title="CodeContests",
    license="CC BY 4.0",
    host=HuggingFace("deepmind/code_contests"),
    notes="About 7 GB of parquet shards (39 train shards of 170-230 MB).",
)

_TRAIN_HASHES = (
    "e991a271dbfa9925",
    "e092fe56fda18715",
    "9cea23812e920e41",
    "e3822fccad6e083a",
    "cefe355b4667b27e",
    "b7580d2d846c2136",
    "65184bb9f7d61fde",
    "05785de21e8b8429",
    "7246e6b7423b404f",
    "b8c920f6629b57b2",
    "6de28ba20654f69b",
    "5de236be5188959d",
    "da9476a39a1bdbb7",
    "30b8c3829ee3b962",
    "dc3ebb07a3cba8e4",
    "19ccd7331d695677",
    "bf38b0908b322307",
    "ae5533a2f822e6ef",
    "8c793837880f5507",
    "d688fad5ee604390",
    "5d59387098675b73",
    "b257bf03d6876780",
    "1cfd39fa43c1917c",
    "d078bcb55e45cbf0",
    "f4e3da0e5661e6d1",
    "3f6ebfbaba5f4c70",
    "7d4898300894cbbe",
    "f8196766547533a2",
    "79a302af3c924863",
    "2b6615897d038115",
    "4135cc54050afc22",
    "40309dd907c042b7",
    "7b7d2068a3d9c359",
    "53b0f749aacff9c1",
    "a36ff0bff7d2a76f",
    "d28f9be60314601f",
    "146e1a11c054aeab",
    "995207c374a4e6f2",
    "96a59dd6a98cd075",
)
SPLITS = {
    "train": tuple(f"data/train-{i:05d}-of-00039-{h}.parquet" for i, h in enumerate(_TRAIN_HASHES)),
    "validation": ("data/valid-00000-of-00001-5e672c5751f060d3.parquet",),
    "test": ("data/test-00000-of-00001-9c49eeff30aacaa8.parquet",),
}

LANGUAGES = {1: "Python 2", 2: "C++", 3: "Python 3", 4: "Java"}
_LANGUAGE_IDS = (0, *LANGUAGES)
PAIRS_PER_LANGUAGE = 2
SEED = 0

SKIPS = {
    "one_sided": "the problem has correct but no incorrect programs in a language, or the "
    "reverse (per problem and language)",
    "conflicting_solution": "the same program text is both accepted and rejected (per text)",
}

PAIRWISE = Pairwise(
    title="Which program correctly solves the programming problem?",
    description=(
        "In this task, you will be shown a competitive programming problem, the programming "
        "language, and two programs submitted for it. One program is accepted by the judge: "
        "it produces the correct output for every test within the time and memory limits. "
        "The other is rejected: it gives a wrong answer on some input, crashes, or exceeds the "
        "limits. Read the problem statement, including its constraints and edge cases, and "
        "check each program's logic against it. Choose the program that correctly solves the "
        "problem."
    ),
    context_fields=("problem", "language"),
    response_field="solution",
)


def _programs(row: Row, field: str) -> dict[int, list[str]]:
    """Language id -> the distinct non-empty programs, in upstream order."""
    languages = row.get(f"{field}.language", list)
    solutions = row.get(f"{field}.solution", list)
    if len(languages) != len(solutions):
        raise row.error(field, f"{len(languages)} languages but {len(solutions)} solutions")
    programs: dict[int, dict[str, None]] = {}
    for i in range(len(languages)):
        language = row.get(f"{field}.language.{i}", int, choices=_LANGUAGE_IDS)
        text = row.get(f"{field}.solution.{i}", str).strip()
        if language in LANGUAGES and text:
            programs.setdefault(language, {})[text] = None
    return {language: list(texts) for language, texts in programs.items()}


def _pairs(rows: Iterator[Row]) -> Iterator[Pair | Skip]:
    for row in rows:
        name = row.text("name").strip()
        problem = row.text("description").strip()
        correct = _programs(row, "solutions")
        incorrect = _programs(row, "incorrect_solutions")
        for language in sorted(set(correct) | set(incorrect)):
            good = correct.get(language, [])
            bad = incorrect.get(language, [])
            both = set(good) & set(bad)
            for _ in both:
                yield Skip("conflicting_solution")
            good = [text for text in good if text not in both]
            bad = [text for text in bad if text not in both]
            if not good or not bad:
                yield Skip("one_sided")
                continue
            rng = random.Random(f"{SEED}/{name}/{language}")
            k = min(PAIRS_PER_LANGUAGE, len(good), len(bad))
            context = {"problem": problem, "language": LANGUAGES[language]}
            for better, worse in zip(rng.sample(good, k), rng.sample(bad, k), strict=True):
                yield Pair(context, better=better, worse=worse)


register(
    FlameTask(
        name="code_contests_pairwise",
        source=SOURCE,
        capability=Capability.CODING,
        template=PAIRWISE,
        splits=SPLITS,
        convert=_pairs,
        skips=SKIPS,
    )
)
