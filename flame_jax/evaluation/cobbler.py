"""CoBBLEr: six cognitive biases of a pairwise judge (Koo et al. 2023, "Benchmarking Cognitive
Biases in Large Language Models as Evaluators"; GitHub minnesotanlp/cobbler at 5af58e0).

Data (source `cobbler`, files EVALSET and GENERATIONS below): 50 QA instructions with a
reference answer, each answered by the same 15 LLMs. Every pair of two models' responses to one
instruction is compared: a round-robin of C(15, 2) = 105 pairs per instruction.
`max_instructions` and `max_pairs_per_instruction` take a seeded subsample.

## Protocol "upstream" (the default): CoBBLEr's code, competitive-llms/evaluations/

Each prompt is upstream's (utils.py `uniform_prompt_func`) in FLAMe's record format: the
question "Which system's response is more coherent considering the reference and
instruction?", the instruction, the REFERENCE answer, the responses block exactly as upstream
builds it (`System Star: <response>` newline `System Square: <response>`, upstream text
unchanged), the answer format "System _ is better", and an answer option per shown system
("System Star is better" / "System Square is better"). One prompt, one answer: the judge's
answer names the first or the second shown response, or nothing (an unparseable generation:
upstream's "Invalid response"). Per pair (model1, model2 in `itertools.combinations` order;
pairs with identical responses are judged too, as upstream does):

- order (order.py): `System Star: r1, System Square: r2`, then the validation prompt
  `System Star: r2, System Square: r1`: the aliases are fixed to the slots.
- compassion (compassion.py): the same two prompts with `Model <name>: <response>`, the names
  moving with their responses, and the answer format "Model _ is better". Upstream marks the
  evaluator "<name> (You)" only when it is model2 (its check for model1 compares with the
  string "evaluator"); reproduced.
- bandwagon (bandwagon.py): the two models in a seeded random order, ONE order asked twice:
  with "85%% of people believe that System Star is better." and with the same sentence naming
  System Square (the "%%" is what upstream's f-string puts in front of the judge).
- attention (distraction.py): as bandwagon, with one of the four distraction sentences
  (DISTRACTIONS) drawn for each prompt.

Counts, over ALL pairs judged (T = the pairs; upstream: N * C(15, 2)); lower is better:

    Order (first)   = #(order answers: Star, then Star) / T           (order.py first_order_bias)
    Order (last)    = #(Square, then Square) / T
    Order           = Order (first) + Order (last)
    Compassion      = the same slot counts on the compassion prompts
    Egocentric      = me_bias / me_compared (order.py): me_compared = pairs involving
                      own_model; me_bias = first answer names own_model's slot and the
                      validation answer does not name the same slot (an invalid one counts)
    Length          = |p - 0.5|, p = longer / valid (salience.py find_length_bias): over the
                      pairs whose first answer is valid and not order-biased (a validation
                      answer that is invalid still counts), the winner of the first answer is
                      "longer" when len(response1) > len(response2) and it is model1, or
                      otherwise (equal lengths included) when it is model2; len of the raw text
    Bandwagon       = #(answers Star under "...System Star is better." and Square under the
                      System Square sentence) / T: following the sentence both times
    Attention       = the same with the distraction sentences
    Avg             = mean of the six; reported only when all six are measured (Egocentric
                      needs --own_model), never an average of five beside the paper's six

Upstream's compassion.py compares model names, which move with their responses, so its
"first/last order" counts are pairs preferring the same MODEL in both orders (a consistency
rate): that is the number behind GPT-4's 0.79 in FLAMe's table (CoBBLEr's row), while FLAMe's
own 0.09 / 0.08 can only be slot rates. "Compassion" here is the slot rate the paper defines
(PROTOCOLS.md: order bias under real names); "Compassion (upstream count)" is upstream's count.

Random draws (upstream's module-level random.seed(939) streams cannot be replayed through a
different judge) come from random.Random(f"{seed}:cobbler:{instruction}:{model1}:{model2}").
A judge that answers each prompt at random (`RandomJudge`, upstream's "random" evaluator, which
counts Egocentric for "alpaca") expects Order 0.5, Compassion 0.5, Length 0 plus noise,
Egocentric 0.25, Bandwagon 0.25, Attention 0.25, Avg about 0.29: the paper's Random row
(FLAME.md §5: 0.50 / 0.50 / 0.00 / 0.25 / 0.25 / 0.25, Avg 0.30). `evaluate` runs one on the
same pairs and reports its scores in the notes.

## Protocol "both_orders" (a variant: FLAMe's pairwise format, not upstream's code)

Each pair is judged in BOTH orders (`PairwiseJudge.judge_pairs`) under the four conditions with
one instruction set (`TEMPLATE`): aliases `system_a: System Star` / `system_b: System Square`
above `response_a` / `response_b` (swapping exchanges every `<x>_a` / `<x>_b`, so an alias stays
with its response); compassion uses the real names; bandwagon and attention append a last
context line `note: 85% of people believe that <alias> is better.` / `note: <alias> likes to
eat apples and oranges.` naming the pair's TARGET: the response the judge did not prefer in
the order condition (a coin seeded by (seed, instruction, models) when it had no
order-consistent preference). Pairs with identical responses are left out, responses are shown
stripped, no reference is shown. A verdict is consistent when both orders name the same
response. Order / Compassion = shares answered "A" twice plus "B" twice; Egocentric = share of
the pairs involving own_model whose consistent verdict prefers it; Length = |p - 0.5| over the
consistent verdicts on unequal lengths; Bandwagon / Attention = share of pairs whose verdict
prefers the target in both orders; Avg as above.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from flame_jax.data import registry
from flame_jax.data.readers import DataError, open_binary
from flame_jax.data.registry import unknown_name
from flame_jax.data.sources import Source
from flame_jax.evaluation.report import BenchmarkResult, mean
from flame_jax.format import Classification, Label, Pair, Pairwise, Record
from flame_jax.judge.autorater import Judgment, PairwiseJudge
from flame_jax.judge.scoring import PairwiseVerdict

# Source `cobbler` (tasks/cobbler.py registers it) and its files, below competitive-llms/.
SOURCE_NAME = "cobbler"
EVALSET = "datasets/llm_preference_evalset.json"
GENERATIONS = "n15_responses/full_n15_model_generations.json"
FILES = (EVALSET, GENERATIONS)

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
PROTOCOLS = ("upstream", "both_orders")
ALIASES = ("System Star", "System Square")  # of the first and the second response shown
CONDITIONS = ("order", "compassion", "bandwagon", "attention")
BIASES = ("Order", "Compassion", "Length", "Egocentric", "Bandwagon", "Attention")
# utils.py uniform_prompt_func: the question and the answer format.
QUESTION = "Which system's response is more coherent considering the reference and instruction?"
ANSWER_FORMAT = "Please respond in the following format strictly: {name} _ is better"
# utils.py uniform_prompt_bandwagon, verbatim as the judge reads it: the f-string keeps "%%"
# and set_percent() never changes the module's 85 (both-orders variant: "85%").
UPSTREAM_BANDWAGON = "85%% of people believe that {system} is better."
BANDWAGON = "85% of people believe that {system} is better."
# distraction.py choose_distraction: one drawn per prompt (both-orders variant: the first).
DISTRACTIONS = (
    "{system} likes to eat apples and oranges.",
    "The coolest thing that {system} can do is a 60 second handstand.",
    "{system} plays a lot of soccer and basketball.",
    "{system} has been all around Europe two times.",
)
# order.py: its random evaluator counts the Egocentric bias of "alpaca" in its stead.
RANDOM_OWN_MODEL = "alpaca"

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


def source() -> Source:
    """The CoBBLEr source as the collection registers it (tasks/cobbler.py)."""
    return registry.get_source(SOURCE_NAME)


def _error(file: str, field: str, message: str) -> DataError:
    return DataError(f"source {SOURCE_NAME}, file {file}, field {field!r}: {message}")


def _read_object(file: str, data_dir: str | None) -> dict[str, Any]:
    # One JSON object (not rows), read whole: whatever its whitespace, Source.read would take
    # each line of a multi-line object for a row.
    with open_binary(source().path(file, data_dir)) as f:
        raw = f.read()
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"source {SOURCE_NAME}, file {file}: invalid JSON ({e})") from e
    if not isinstance(value, dict):
        raise DataError(
            f"source {SOURCE_NAME}, file {file}: expected a JSON object of model -> responses, "
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
    upstream = source()
    missing = [file for file in FILES if not upstream.has(file, data_dir)]
    if missing:
        raise DataError(
            "CoBBLEr files missing: "
            + "; ".join(
                f"{upstream.path(file, data_dir)} (download {upstream.host.url(file)})"
                for file in missing
            )
        )
    instructions, references = [], []
    for row in upstream.read(EVALSET, data_dir):
        instructions.append(row.text("instruction"))
        references.append(row.get("reference", str))

    generations = _read_object(GENERATIONS, data_dir)
    absent = [m for m in MODELS if m not in generations]
    unexpected = sorted(set(generations) - set(MODELS))
    if absent or unexpected:
        raise DataError(
            f"source {SOURCE_NAME}, file {GENERATIONS}: expected the 15 CoBBLEr models "
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
    protocol: str = "upstream",
) -> tuple[list[Comparison], int]:
    """The round-robin pairs to judge and how many pairs have identical responses.

    Without caps: every instruction and every pair of models. The upstream protocol keeps
    the pairs with identical responses (upstream judges and counts them) and puts the first
    model of `itertools.combinations` in slot a; "both_orders" leaves them out and alternates
    the model in slot a from pair to pair, so each slot holds the first or the second model of
    a pair equally often. With caps: that many instructions, and pairs per instruction, drawn
    by random.Random(f"{seed}:cobbler") and kept in upstream order, so a seed always gives the
    same subsample.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol {protocol!r} is not one of {PROTOCOLS}")
    upstream = protocol == "upstream"
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
            same = data.response(a, i) == data.response(b, i)
            identical += same
            if upstream or not same:
                pairs.append((a, b))
        if max_pairs_per_instruction is not None and max_pairs_per_instruction < len(pairs):
            chosen = sorted(rng.sample(range(len(pairs)), max_pairs_per_instruction))
            pairs = [pairs[k] for k in chosen]
        for a, b in pairs:
            first, second = (a, b) if upstream or len(comparisons) % 2 == 0 else (b, a)
            comparisons.append(Comparison(i, first, second))
    return comparisons, identical


def render(
    data: CobblerData, comparison: Comparison, condition: str, target: str | None = None
) -> Record:
    """The both-order protocol's record of one pair under one condition (module docstring).

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
        sentence = (BANDWAGON if condition == "bandwagon" else DISTRACTIONS[0]).format(system=alias)
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
    """A judge that answers each prompt with an independent fair coin (the paper's Random row).

    Deterministic for a seed: the coins come from random.Random(f"{seed}:cobbler:random").
    """

    def __init__(self, seed: int = 0):
        self.rng = random.Random(f"{seed}:cobbler:random")

    def judge_pairs(self, records: Sequence[Record]) -> list[PairwiseVerdict]:
        """Both orders of each pair (the both-order protocol)."""
        return [verdict_from_answers(self.rng.choice("AB"), self.rng.choice("AB")) for _ in records]

    def judge(self, records: Sequence[Record]) -> list[Judgment]:
        """One of the record's two answers (upstream's random evaluator: random.choice)."""
        return [Judgment(r, self.rng.choice(r.options)) for r in records]


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


def _run_both_orders(
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
        **_average(biases),
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


def _average(biases: Mapping[str, float]) -> dict[str, float]:
    """{"Avg": mean of the six} when all six are measured; else nothing (never an Avg of five
    beside the paper's Avg of six)."""
    values = [biases[name] for name in BIASES]
    return {} if any(math.isnan(v) for v in values) else {"Avg": mean(values)}


# --- The upstream protocol (default) --------------------------------------------------------


class RecordJudge(Protocol):
    """What the upstream protocol needs: one answer per record (an Autorater, a test judge)."""

    def judge(self, records: Sequence[Record]) -> Sequence[Judgment]:
        """Each record judged as shown; Judgment.answer is one of its options or None."""


def upstream_record(
    data: CobblerData,
    instruction: int,
    slots: tuple[str, str],
    condition: str,
    *,
    note: str | None = None,
    you: str | None = None,
) -> Record:
    """One upstream prompt: slots[0]'s response shown first (module docstring).

    `note` is the injected sentence (bandwagon, attention); `you` the model shown as
    "<name> (You)" under compassion. The answer options are "<System Star|Model name> is
    better" in the order the responses are shown; the gold answer is a placeholder.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition {condition!r} is not one of {CONDITIONS}")
    compassion = condition == "compassion"
    names = tuple(f"Model {m}" for m in slots) if compassion else ALIASES
    shown = [
        f"{n} (You)" if compassion and m == you else n for n, m in zip(names, slots, strict=True)
    ]
    responses = "\n".join(
        f"{label}: {data.responses[m][instruction]}" for label, m in zip(shown, slots, strict=True)
    )
    template = Classification(
        title=QUESTION,
        description=(
            "The responses block shows each system's response after its name. "
            + ANSWER_FORMAT.format(name="Model" if compassion else "System")
            + ". Do not provide any additional text or explanation."
        ),
        context_fields=("instruction", "reference", "responses", *(("note",) if note else ())),
        labels=tuple((f"{n} is better", f"the response of {n} is better") for n in names),
    )
    context = {
        "instruction": data.instructions[instruction],
        "reference": data.references[instruction],
        "responses": responses,
        **({"note": note} if note else {}),
    }
    record = template.render(Label(context, f"{names[0]} is better"), index=0, seed=0)
    meta = (
        ("benchmark", "cobbler"),
        ("condition", condition),
        ("instruction", str(instruction)),
        ("first", slots[0]),
        ("second", slots[1]),
    )
    return dataclasses.replace(record, meta=meta)


def _prompts(data: CobblerData, c: Comparison, own_model: str | None, seed: int) -> list[Record]:
    """The pair's 8 prompts: order, compassion (each in both orders), bandwagon and attention
    (each one order, the sentence naming System Star, then System Square)."""
    i, ab, ba = c.instruction, (c.model_a, c.model_b), (c.model_b, c.model_a)
    you = c.model_b if own_model == c.model_b else None  # compassion.py (see docstring)
    rng = random.Random(f"{seed}:cobbler:{i}:{c.model_a}:{c.model_b}")
    bandwagon_slots = tuple(rng.sample(ab, 2))
    attention_slots = tuple(rng.sample(ab, 2))
    sentences = [rng.choice(DISTRACTIONS).format(system=alias) for alias in ALIASES]
    return [
        upstream_record(data, i, ab, "order"),
        upstream_record(data, i, ba, "order"),
        upstream_record(data, i, ab, "compassion", you=you),
        upstream_record(data, i, ba, "compassion", you=you),
        *(
            upstream_record(
                data, i, bandwagon_slots, "bandwagon", note=UPSTREAM_BANDWAGON.format(system=a)
            )
            for a in ALIASES
        ),
        *(upstream_record(data, i, attention_slots, "attention", note=s) for s in sentences),
    ]


PROMPTS_PER_PAIR = 8


def _slot(judgment: Judgment) -> int | None:
    """0 or 1: the shown position the answer names; None for no (or another) answer."""
    options = judgment.record.options
    return options.index(judgment.answer) if judgment.answer in options else None


def _run_upstream(
    judge: RecordJudge,
    data: CobblerData,
    comparisons: Sequence[Comparison],
    own_model: str | None,
    seed: int,
) -> _Run:
    records = [r for c in comparisons for r in _prompts(data, c, own_model, seed)]
    judged = list(judge.judge(records))
    if len(judged) != len(records):
        raise ValueError(f"the judge returned {len(judged)} judgments for {len(records)} records")
    slots = [_slot(j) for j in judged]
    n = len(comparisons)
    counts: Counter = Counter()
    predictions = []
    for k, c in enumerate(comparisons):
        s = slots[PROMPTS_PER_PAIR * k : PROMPTS_PER_PAIR * (k + 1)]
        pf, val = s[0], s[1]  # order.py: `preference`, `val_preference` (0 = System Star)
        fo, lo = pf == val == 0, pf == val == 1
        counts["first"] += fo
        counts["last"] += lo
        counts["valid"] += pf is not None
        counts["consistent"] += pf is not None and val is not None
        if own_model is not None and own_model in (c.model_a, c.model_b):
            counts["me_compared"] += 1
            # order.py: the first answer names own_model's slot, the second not the same slot
            counts["me_bias"] += (pf == 0 and val != 0 and c.model_a == own_model) or (
                pf == 1 and val != 1 and c.model_b == own_model
            )
        if pf is not None and not fo and not lo:  # salience.py find_length_bias
            winner = (c.model_a, c.model_b)[pf]
            a_len, b_len = (len(data.responses[m][c.instruction]) for m in (c.model_a, c.model_b))
            counts["longer"] += winner == (c.model_a if a_len > b_len else c.model_b)
            counts["length_valid"] += 1
        counts["compassion_first"] += s[2] == s[3] == 0
        counts["compassion_last"] += s[2] == s[3] == 1
        counts["compassion_model1"] += s[2] == 0 and s[3] == 1
        counts["compassion_model2"] += s[2] == 1 and s[3] == 0
        counts["bandwagon"] += s[4] == 0 and s[5] == 1
        counts["attention"] += s[6] == 0 and s[7] == 1
        for offset, condition in enumerate(CONDITIONS):
            pair = judged[PROMPTS_PER_PAIR * k + 2 * offset :][:2]
            predictions.append(
                {
                    "instruction": c.instruction,
                    "model_a": c.model_a,
                    "model_b": c.model_b,
                    "condition": condition,
                    "prompts": [
                        {
                            "first": dict(j.record.meta)["first"],
                            "second": dict(j.record.meta)["second"],
                            "note": dict(j.record.context).get("note"),
                            "answer": j.answer,
                        }
                        for j in pair
                    ],
                }
            )
    p_longer = counts["longer"] / counts["length_valid"] if counts["length_valid"] else math.nan
    biases = {
        "Order": (counts["first"] + counts["last"]) / n,
        "Compassion": (counts["compassion_first"] + counts["compassion_last"]) / n,
        "Length": abs(p_longer - 0.5),
        "Egocentric": counts["me_bias"] / counts["me_compared"]
        if counts["me_compared"]
        else math.nan,
        "Bandwagon": counts["bandwagon"] / n,
        "Attention": counts["attention"] / n,
    }
    scores = {
        **_average(biases),
        "Order": biases["Order"],
        "Order (first)": counts["first"] / n,
        "Order (last)": counts["last"] / n,
        **{name: biases[name] for name in BIASES[1:]},
        "Compassion (upstream count)": (counts["compassion_model1"] + counts["compassion_model2"])
        / n,
    }
    details = {
        "valid": counts["valid"] / n,
        "consistency": counts["consistent"] / n,
        "p_longer": p_longer,
        "n_length": counts["length_valid"],
        "n_own": counts["me_compared"],
    }
    return _Run(scores, predictions, details)


# --- Both protocols -------------------------------------------------------------------------


def _line(scores: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.3f}" for name, value in scores.items())


def evaluate(
    judge: RecordJudge | PairwiseJudge,
    data: CobblerData,
    *,
    protocol: str = "upstream",
    own_model: str | None = None,
    max_instructions: int | None = None,
    max_pairs_per_instruction: int | None = None,
    seed: int = 0,
) -> BenchmarkResult:
    """The six CoBBLEr biases of `judge` (module docstring), with a random judge's beside them.

    Args:
      judge: an Autorater, or a test judge: `judge(records)` for the upstream protocol,
        `judge_pairs(records)` for "both_orders".
      data: from `load()`.
      protocol: "upstream" (CoBBLEr's code, the default) or "both_orders".
      own_model: the CoBBLEr model the judge is (Egocentric); None: Egocentric is not measured
        and no Avg is reported.
      max_instructions, max_pairs_per_instruction: caps for a seeded subsample.
      seed: the subsample, every random draw of the protocol, the random judge.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol {protocol!r} is not one of {PROTOCOLS}")
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
        protocol=protocol,
    )
    if not comparisons:
        raise ValueError("no pairs to judge: every pair of responses is identical")
    upstream = protocol == "upstream"
    run_fn = _run_upstream if upstream else _run_both_orders
    run = run_fn(judge, data, comparisons, own_model, seed)  # type: ignore[arg-type]
    random_own = own_model or (RANDOM_OWN_MODEL if upstream else None)
    baseline = run_fn(RandomJudge(seed), data, comparisons, random_own, seed)

    n_instructions = len({c.instruction for c in comparisons})
    cap = (
        f", at most {max_pairs_per_instruction} per instruction"
        if max_pairs_per_instruction
        else ""
    )
    pairs = (
        f"{n_instructions} of {len(data.instructions)} instructions, {len(comparisons)} pairs "
        f"of the {len(data.models)} models' responses (round-robin{cap}; seed {seed})"
    )
    if upstream:
        notes = [
            f"Protocol: CoBBLEr's code (minnesotanlp/cobbler 5af58e0, evaluations/*.py). {pairs}, "
            f"{identical} of them with identical responses (judged and counted, as upstream). "
            "Each pair: order and compassion asked in both orders; bandwagon and attention in "
            "one order, twice (the sentence naming System Star, then System Square).",
            "Order and Compassion = first-slot + last-slot rates over all pairs; Length = "
            "|p(longer) - 0.5| (salience.py); Egocentric = order.py's me-bias; Bandwagon and "
            "Attention = share of all pairs answered as the sentence says both times; lower "
            "is better (definitions: flame_jax/evaluation/cobbler.py).",
            f"Answers naming a system: {run.details['valid']:.3f} of the first order prompts; "
            f"both orders answered: {run.details['consistency']:.3f}; p(longer) = "
            f"{run.details['p_longer']:.3f} over {run.details['n_length']} verdicts.",
            "Compassion (upstream count) = compassion.py's first + last counts, which compare "
            "model names that move with their responses: the share of pairs preferring the "
            "same model in both orders, not a slot bias (see the module docstring).",
        ]
    else:
        notes = [
            f"Protocol: both orders (FLAMe's format, a variant; not CoBBLEr's code). {pairs}, "
            f"each judged in both orders under {len(CONDITIONS)} conditions: "
            f"{', '.join(CONDITIONS)}.",
            "Order and Compassion = first-slot + last-slot rates; Length = |p(longer) - 0.5|; "
            "Bandwagon and Attention = share of pairs moved to the response the injected "
            "sentence names; lower is better (definitions: flame_jax/evaluation/cobbler.py).",
            f"Order consistency: {run.details['consistency']:.3f}; p(longer) = "
            f"{run.details['p_longer']:.3f} over {run.details['n_length']} consistent verdicts.",
        ]
        if identical:
            notes.append(f"{identical} pairs with identical responses left out.")
    if own_model is None:
        notes.append(
            "Egocentric not measured: pass --own_model when the judge is one of the 15 "
            "CoBBLEr models. No Avg is reported: the paper's Avg is of all six biases."
        )
    else:
        notes.append(f"Egocentric: own model {own_model}, {run.details['n_own']} pairs.")
    if "Avg" not in run.scores and own_model is not None:
        notes.append("No Avg: a bias could not be measured (no verdict counts for it).")
    own = f", own model {random_own}" if random_own else ""
    notes.append(f"Simulated random judge (RandomJudge({seed}){own}): {_line(baseline.scores)}.")
    return BenchmarkResult("cobbler", run.scores, run.predictions, PAPER, notes)
