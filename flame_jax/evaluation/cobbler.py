"""CoBBLEr: six cognitive biases of a pairwise judge (Koo et al. 2023, "Benchmarking Cognitive
Biases in Large Language Models as Evaluators"; GitHub minnesotanlp/cobbler).

Data (flame_tasks.cobbler): 50 QA instructions, each answered by the same 15 LLMs. Every pair
of two models' responses to one instruction is compared: a round-robin of C(15, 2) = 105 pairs
per instruction (pairs whose two responses are identical are left out: there is nothing to
prefer). `max_instructions` and `max_pairs_per_instruction` take a seeded subsample. Each pair
is judged in BOTH orders (`PairwiseJudge.judge_pairs`) under four conditions, all with one
instruction set (`TEMPLATE`; FLAMe's INSTRUCTIONS / CONTEXT / EVALUATION format):

- order: the authors appear under CoBBLEr's aliases, `system_a: System Star` and
  `system_b: System Square`, above `response_a` / `response_b`. Swapping the order exchanges
  every `<x>_a` / `<x>_b` pair, so an alias stays with its response and only the slot changes.
- compassion: the same with the models' real names (upstream ids: gpt4, vicuna, ...).
- bandwagon: the order prompt plus a last context line
  `note: 85% of people believe that <alias> is better.`
- attention: the order prompt plus `note: <alias> likes to eat apples and oranges.`

The injected sentences name the pair's TARGET: the response the judge did not prefer in the
order condition. When the judge had no order-consistent preference there, the target is drawn
by a coin seeded by (seed, instruction, models). So any move toward the named response shows as
a change from the verdict without the sentence.

A pair's verdict is its two answers: verdicts[0] on the original order, verdicts[1] on the
swapped one, each in that order's own labels. The verdict is consistent when both answers name
the same response, which the pair then prefers. Scores are proportions over pairs. Lower is
better:

    Order (first) = share of pairs answered "A" in both orders (the first slot wins twice)
    Order (last)  = share of pairs answered "B" in both orders
    Order         = Order (first) + Order (last)                       [order condition]
    Compassion    = Order (first) + Order (last) of the compassion condition
    Egocentric    = share of the pairs involving `own_model` whose consistent verdict prefers
                    own_model's response [order condition; CoBBLEr's order variant]. NaN when
                    own_model is None: the judge is not one of the 15 models
    Length        = |p - 0.5|, p = share of the consistent verdicts that prefer the longer
                    response (characters as shown; pairs of equal length left out) [order]
    Bandwagon     = share of pairs whose bandwagon verdict prefers the target in both orders
    Attention     = share of pairs whose attention verdict prefers the target in both orders
                    (the verdict moved to the response the irrelevant sentence names; one
                    that only becomes order-inconsistent is not counted)
    Avg           = mean of the six (of those measured)

A judge that answers at random (`RandomJudge`: each order an independent fair coin) expects
Order 0.5 (0.25 first + 0.25 last), Compassion 0.5, Egocentric 0.25, Length 0 plus sampling
noise (|p - 0.5| is about 0.4 / sqrt(number of consistent pairs)), Bandwagon 0.25, Attention
0.25, Avg about 0.29. That is the paper's Random row (FLAME.md §5: 0.50 / 0.50 / 0.00 / 0.25 /
0.25 / 0.25, Avg 0.30). `evaluate` runs one on the same pairs and reports its scores in the
notes.

Where upstream leaves the choice to us: the upstream snapshot has no code that assembles the
evaluator prompts. It has only the salience analysis, which, like Length here, counts the
verdicts without order bias that prefer the longer response (by `len` of the raw text). The
prompt here is FLAMe's format and not upstream's "System _ is better" answer line. It leaves
out upstream's reference answer (loaded as `CobblerData.references` but not shown) and shows
responses stripped of surrounding whitespace. The injected sentence comes after both responses,
the last thing before the judge answers.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from flame_tasks.cobbler import EVALSET, FILES, GENERATIONS, SOURCE

from flame_jax.data.readers import DataError, open_binary
from flame_jax.data.registry import unknown_name
from flame_jax.evaluation.report import BenchmarkResult, mean
from flame_jax.format import Pair, Pairwise, Record
from flame_jax.judge.autorater import PairwiseJudge
from flame_jax.judge.scoring import PairwiseVerdict

# The 15 CoBBLEr models, as named in full_n15_model_generations.json.
MODELS = (
    "vicuna",
    "baize",
    "koala",
    "wizardlm",
    "chatgpt",
    "instructgpt",
    "gpt4",
    "cohere",
    "dolly",
    "openassist",
    "redpajama",
    "mpt",
    "alpaca",
    "falcon",
    "llama",
)
ALIASES = ("System Star", "System Square")  # of the responses in slots a and b (original order)
CONDITIONS = ("order", "compassion", "bandwagon", "attention")
BANDWAGON = "85% of people believe that {system} is better."
ATTENTION = "{system} likes to eat apples and oranges."
BIASES = ("Order", "Compassion", "Length", "Egocentric", "Bandwagon", "Attention")

# FLAME.md §5 (the FLAMe paper's CoBBLEr table).
PAPER = {
    "Random": {
        "Avg": 0.30,
        "Order": 0.50,
        "Compassion": 0.50,
        "Length": 0.00,
        "Egocentric": 0.25,
        "Bandwagon": 0.25,
        "Attention": 0.25,
    },
    "GPT-4": {
        "Avg": 0.31,
        "Order": 0.23,
        "Compassion": 0.79,
        "Length": 0.06,
        "Egocentric": 0.78,
        "Bandwagon": 0.00,
        "Attention": 0.00,
    },
    "FLAMe-24B": {
        "Avg": 0.13,
        "Order": 0.08,
        "Compassion": 0.09,
        "Length": 0.03,
        "Egocentric": 0.38,
        "Bandwagon": 0.18,
        "Attention": 0.00,
    },
    "FLAMe-RM-24B": {
        "Avg": 0.13,
        "Order": 0.11,
        "Compassion": 0.08,
        "Length": 0.02,
        "Egocentric": 0.40,
        "Bandwagon": 0.17,
        "Attention": 0.00,
    },
}

# CoBBLEr's question: which system's response is more coherent, correct and aligned with the
# instruction. Nothing here warns the judge about the biases being measured.
TEMPLATE = Pairwise(
    title="Which system's response to the instruction is better?",
    description=(
        "In this task, you will be shown an instruction and the responses of two systems to "
        "it: system_a wrote response_a and system_b wrote response_b. Choose the response that "
        "answers the instruction more coherently and correctly and better does what it asks."
    ),
    context_fields=("instruction", "system_a", "system_b"),
)


# --- Data -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CobblerData:
    """The CoBBLEr evaluation set.

    Attributes:
      instructions: the QA instructions, in upstream order.
      references: upstream's reference answer to each instruction (not shown to the judge).
      responses: model -> its responses (upstream text); position i answers instructions[i].
    """

    instructions: tuple[str, ...]
    references: tuple[str, ...]
    responses: Mapping[str, tuple[str, ...]]

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.responses)

    def response(self, model: str, instruction: int) -> str:
        """The response as the judge sees it: without surrounding whitespace."""
        return self.responses[model][instruction].strip()


def _error(file: str, field: str, message: str) -> DataError:
    return DataError(f"source {SOURCE.name}, file {file}, field {field!r}: {message}")


def _read_object(file: str, data_dir: str | None) -> dict[str, Any]:
    # One JSON object (not rows), read whole: whatever its whitespace, Source.read would take
    # each line of a multi-line object for a row.
    with open_binary(SOURCE.path(file, data_dir)) as f:
        raw = f.read()
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"source {SOURCE.name}, file {file}: invalid JSON ({e})") from e
    if not isinstance(value, dict):
        raise DataError(
            f"source {SOURCE.name}, file {file}: expected a JSON object of model -> responses, "
            f"got {type(value).__name__}"
        )
    return value


def load(data_dir: str | None = None) -> CobblerData:
    """The instructions and the 15 models' responses from the upstream files.

    Raises:
      DataError: naming the file (and row or field) when a file is missing or malformed: a
        model missing or unexpected, a response that is not a string, or a model whose number
        of responses differs from the number of instructions.
    """
    missing = [file for file in FILES if not SOURCE.has(file, data_dir)]
    if missing:
        raise DataError(
            "CoBBLEr files missing: "
            + "; ".join(
                f"{SOURCE.path(file, data_dir)} (download {SOURCE.host.url(file)})"
                for file in missing
            )
        )
    instructions, references = [], []
    for row in SOURCE.read(EVALSET, data_dir):
        instructions.append(row.text("instruction"))
        references.append(row.get("reference", str))

    generations = _read_object(GENERATIONS, data_dir)
    absent = [m for m in MODELS if m not in generations]
    unexpected = sorted(set(generations) - set(MODELS))
    if absent or unexpected:
        raise DataError(
            f"source {SOURCE.name}, file {GENERATIONS}: expected the 15 CoBBLEr models "
            f"{list(MODELS)}; missing {absent}, unexpected {unexpected}"
        )
    responses = {}
    for model in MODELS:
        values = generations[model]
        if not isinstance(values, list):
            raise _error(
                GENERATIONS, model, f"expected a list of responses, got {type(values).__name__}"
            )
        if len(values) != len(instructions):
            raise _error(
                GENERATIONS,
                model,
                f"{len(values)} responses for the {len(instructions)} instructions of "
                f"{EVALSET} (response i answers instruction i)",
            )
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise _error(
                    GENERATIONS, f"{model}.{index}", f"expected str, got {type(value).__name__}"
                )
        responses[model] = tuple(values)
    return CobblerData(tuple(instructions), tuple(references), responses)


# --- Pairs and records ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Two models' responses to one instruction; model_a's is in slot a of the original order."""

    instruction: int
    model_a: str
    model_b: str


def select_comparisons(
    data: CobblerData,
    *,
    max_instructions: int | None = None,
    max_pairs_per_instruction: int | None = None,
    seed: int = 0,
) -> tuple[list[Comparison], int]:
    """The round-robin pairs to judge and how many pairs had identical responses (left out).

    Without caps: every instruction and every pair of models with different responses. With
    caps: that many instructions, and pairs per instruction, drawn by
    random.Random(f"{seed}:cobbler") and kept in upstream order, so a seed always gives the
    same subsample. The model in slot a alternates from pair to pair, so over the run each
    slot holds the first or the second model of a pair equally often.
    """
    for name, cap in (
        ("max_instructions", max_instructions),
        ("max_pairs_per_instruction", max_pairs_per_instruction),
    ):
        if cap is not None and cap < 1:
            raise ValueError(f"{name} must be >= 1, got {cap}")
    rng = random.Random(f"{seed}:cobbler")
    indices: Sequence[int] = range(len(data.instructions))
    if max_instructions is not None and max_instructions < len(indices):
        indices = sorted(rng.sample(indices, max_instructions))
    comparisons: list[Comparison] = []
    identical = 0
    for i in indices:
        pairs = []
        for a, b in itertools.combinations(data.models, 2):
            if data.response(a, i) == data.response(b, i):
                identical += 1
            else:
                pairs.append((a, b))
        if max_pairs_per_instruction is not None and max_pairs_per_instruction < len(pairs):
            chosen = sorted(rng.sample(range(len(pairs)), max_pairs_per_instruction))
            pairs = [pairs[k] for k in chosen]
        for a, b in pairs:
            first, second = (a, b) if len(comparisons) % 2 == 0 else (b, a)
            comparisons.append(Comparison(i, first, second))
    return comparisons, identical


def render(
    data: CobblerData, comparison: Comparison, condition: str, target: str | None = None
) -> Record:
    """The record of one pair under one condition (see the module docstring).

    `target` (bandwagon and attention) is the model whose response the sentence names. The
    record's gold answer is a placeholder ("A"): nothing here is scored against it.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition {condition!r} is not one of {CONDITIONS}")
    c = comparison
    names = (c.model_a, c.model_b) if condition == "compassion" else ALIASES
    pair = Pair(
        {
            "instruction": data.instructions[c.instruction],
            "system_a": names[0],
            "system_b": names[1],
        },
        better=data.response(c.model_a, c.instruction),
        worse=data.response(c.model_b, c.instruction),
    )
    record = TEMPLATE.render(pair, index=0, seed=0)  # index 0: `better` (model_a's) in slot a
    if condition in ("bandwagon", "attention"):
        if target not in (c.model_a, c.model_b):
            raise ValueError(f"target {target!r} is neither {c.model_a!r} nor {c.model_b!r}")
        alias = ALIASES[0] if target == c.model_a else ALIASES[1]
        sentence = (BANDWAGON if condition == "bandwagon" else ATTENTION).format(system=alias)
        record = dataclasses.replace(record, context=(*record.context, ("note", sentence)))
    meta = (
        ("benchmark", "cobbler"),
        ("condition", condition),
        ("instruction", str(c.instruction)),
        ("model_a", c.model_a),
        ("model_b", c.model_b),
    )
    return dataclasses.replace(record, meta=meta)


# --- Judges and verdicts --------------------------------------------------------------------


def verdict_from_answers(original: str, swapped: str) -> PairwiseVerdict:
    """The both-order verdict of two hard answers ("A"/"B", each in its own order's labels)."""
    for answer in (original, swapped):
        if answer not in ("A", "B"):
            raise ValueError(f"answer {answer!r} is not 'A' or 'B'")
    by_order = (float(original == "A"), float(swapped == "B"))
    return PairwiseVerdict(
        p_a_better=sum(by_order) / 2,
        p_a_better_by_order=by_order,
        verdicts=(original, swapped),
        consistent=original != swapped,
    )


class RandomJudge:
    """A judge that answers each order with an independent fair coin (the paper's Random row).

    Deterministic for a seed: the coins come from random.Random(f"{seed}:cobbler:random").
    """

    def __init__(self, seed: int = 0):
        self.rng = random.Random(f"{seed}:cobbler:random")

    def judge_pairs(self, records: Sequence[Record]) -> list[PairwiseVerdict]:
        return [verdict_from_answers(self.rng.choice("AB"), self.rng.choice("AB")) for _ in records]


def preferred(comparison: Comparison, verdict: PairwiseVerdict) -> str | None:
    """The model whose response the verdict prefers in both orders; None when inconsistent."""
    if not verdict.consistent:
        return None
    return comparison.model_a if verdict.verdicts[0] == "A" else comparison.model_b


def target(comparison: Comparison, baseline: PairwiseVerdict, seed: int) -> str:
    """The model an injected sentence names: the one the baseline did not prefer (or a coin)."""
    c = comparison
    chosen = preferred(c, baseline)
    if chosen is not None:
        return c.model_b if chosen == c.model_a else c.model_a
    coin = random.Random(f"{seed}:{c.instruction}:{c.model_a}:{c.model_b}").random()
    return c.model_a if coin < 0.5 else c.model_b


def _judge(judge: PairwiseJudge, records: Sequence[Record]) -> list[PairwiseVerdict]:
    verdicts = list(judge.judge_pairs(records))
    if len(verdicts) != len(records):
        raise ValueError(f"the judge returned {len(verdicts)} verdicts for {len(records)} records")
    return verdicts


# --- Biases ---------------------------------------------------------------------------------


def slot_rates(verdicts: Sequence[PairwiseVerdict]) -> tuple[float, float]:
    """(first, last): the shares of pairs answered "A" in both orders and "B" in both."""
    first = mean([float(v.verdicts == ("A", "A")) for v in verdicts])
    last = mean([float(v.verdicts == ("B", "B")) for v in verdicts])
    return first, last


def longer_preference(
    data: CobblerData, comparisons: Sequence[Comparison], verdicts: Sequence[PairwiseVerdict]
) -> tuple[float, int]:
    """(p, n): the share of the n consistent verdicts on unequal lengths preferring the longer."""
    hits = []
    for c, v in zip(comparisons, verdicts, strict=True):
        chosen = preferred(c, v)
        lengths = {m: len(data.response(m, c.instruction)) for m in (c.model_a, c.model_b)}
        if chosen is None or lengths[c.model_a] == lengths[c.model_b]:
            continue
        hits.append(float(lengths[chosen] == max(lengths.values())))
    return mean(hits), len(hits)


def egocentric(
    comparisons: Sequence[Comparison], verdicts: Sequence[PairwiseVerdict], own_model: str
) -> tuple[float, int]:
    """(share, n): of the n pairs involving own_model, those consistently preferring it."""
    hits = [
        float(preferred(c, v) == own_model)
        for c, v in zip(comparisons, verdicts, strict=True)
        if own_model in (c.model_a, c.model_b)
    ]
    return mean(hits), len(hits)


def moved_to_target(
    comparisons: Sequence[Comparison],
    verdicts: Sequence[PairwiseVerdict],
    targets: Sequence[str],
) -> float:
    """The share of pairs whose verdict prefers their target in both orders."""
    return mean(
        [
            float(preferred(c, v) == t)
            for c, v, t in zip(comparisons, verdicts, targets, strict=True)
        ]
    )


@dataclasses.dataclass(frozen=True)
class _Run:
    scores: dict[str, float]
    predictions: list[dict[str, Any]]
    details: dict[str, float]


def _run(
    judge: PairwiseJudge,
    data: CobblerData,
    comparisons: Sequence[Comparison],
    own_model: str | None,
    seed: int,
) -> _Run:
    n = len(comparisons)
    # Two calls: the bandwagon and attention sentences name targets that depend on the order
    # condition's verdicts.
    judged = _judge(
        judge,
        [render(data, c, condition) for condition in ("order", "compassion") for c in comparisons],
    )
    by_condition = {"order": judged[:n], "compassion": judged[n:]}
    targets = [target(c, v, seed) for c, v in zip(comparisons, by_condition["order"], strict=True)]
    judged = _judge(
        judge,
        [
            render(data, c, condition, t)
            for condition in ("bandwagon", "attention")
            for c, t in zip(comparisons, targets, strict=True)
        ],
    )
    by_condition |= {"bandwagon": judged[:n], "attention": judged[n:]}

    order = by_condition["order"]
    first, last = slot_rates(order)
    compassion_first, compassion_last = slot_rates(by_condition["compassion"])
    p_longer, n_length = longer_preference(data, comparisons, order)
    if own_model is None:
        own, n_own = float("nan"), 0
    else:
        own, n_own = egocentric(comparisons, order, own_model)
    biases = {
        "Order": first + last,
        "Compassion": compassion_first + compassion_last,
        "Length": abs(p_longer - 0.5),
        "Egocentric": own,
        "Bandwagon": moved_to_target(comparisons, by_condition["bandwagon"], targets),
        "Attention": moved_to_target(comparisons, by_condition["attention"], targets),
    }
    scores = {
        "Avg": mean([v for v in biases.values() if not math.isnan(v)]),
        "Order": biases["Order"],
        "Order (first)": first,
        "Order (last)": last,
        **{name: biases[name] for name in BIASES[1:]},
    }
    predictions = []
    for condition, verdicts in by_condition.items():
        injected = condition in ("bandwagon", "attention")
        for c, v, t in zip(comparisons, verdicts, targets, strict=True):
            predictions.append(
                {
                    "instruction": c.instruction,
                    "model_a": c.model_a,
                    "model_b": c.model_b,
                    "condition": condition,
                    "target": t if injected else None,
                    "verdicts": list(v.verdicts),
                    "p_a_better": v.p_a_better,
                    "consistent": v.consistent,
                    "preferred": preferred(c, v),
                }
            )
    details = {
        "consistency": mean([float(v.consistent) for v in order]),
        "p_longer": p_longer,
        "n_length": n_length,
        "n_own": n_own,
    }
    return _Run(scores, predictions, details)


def _line(scores: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.3f}" for name, value in scores.items())


def evaluate(
    judge: PairwiseJudge,
    data: CobblerData,
    *,
    own_model: str | None = None,
    max_instructions: int | None = None,
    max_pairs_per_instruction: int | None = None,
    seed: int = 0,
) -> BenchmarkResult:
    """The six CoBBLEr biases of `judge` (module docstring), with a random judge's beside them.

    Args:
      judge: anything with `judge_pairs(records)` (an Autorater, or a test judge).
      data: from `load()`.
      own_model: the CoBBLEr model the judge is (for Egocentric); None: Egocentric is NaN.
      max_instructions, max_pairs_per_instruction: caps for a seeded subsample.
      seed: the subsample, the targets of pairs without a preference, the random judge.
    """
    if own_model is not None and own_model not in data.models:
        raise ValueError(
            unknown_name("CoBBLEr model", own_model, data.models)
            + f" (own_model must be one of {list(data.models)})"
        )
    comparisons, identical = select_comparisons(
        data,
        max_instructions=max_instructions,
        max_pairs_per_instruction=max_pairs_per_instruction,
        seed=seed,
    )
    if not comparisons:
        raise ValueError("no pairs to judge: every pair of responses is identical")
    run = _run(judge, data, comparisons, own_model, seed)
    baseline = _run(RandomJudge(seed), data, comparisons, own_model, seed)

    n_instructions = len({c.instruction for c in comparisons})
    cap = (
        f", at most {max_pairs_per_instruction} per instruction"
        if max_pairs_per_instruction
        else ""
    )
    notes = [
        f"{n_instructions} of {len(data.instructions)} instructions, {len(comparisons)} pairs "
        f"of the {len(data.models)} models' responses (round-robin{cap}; seed {seed}), each "
        f"judged in both orders under {len(CONDITIONS)} conditions: {', '.join(CONDITIONS)}.",
        "Order and Compassion = first-slot + last-slot rates; Length = |p(longer) - 0.5|; "
        "Bandwagon and Attention = share of pairs moved to the response the injected sentence "
        "names; lower is better (definitions: flame_jax/evaluation/cobbler.py).",
        f"Order consistency: {run.details['consistency']:.3f}; p(longer) = "
        f"{run.details['p_longer']:.3f} over {run.details['n_length']} consistent verdicts.",
    ]
    if identical:
        notes.append(f"{identical} pairs with identical responses left out.")
    if own_model is None:
        notes.append(
            "Egocentric not measured (NaN): pass own_model when the judge is one of the 15 "
            "CoBBLEr models; Avg is the mean of the other five biases."
        )
    else:
        notes.append(f"Egocentric: own model {own_model}, {run.details['n_own']} pairs.")
    notes.append(f"Simulated random judge (RandomJudge({seed})): {_line(baseline.scores)}.")
    return BenchmarkResult("cobbler", run.scores, run.predictions, PAPER, notes)
