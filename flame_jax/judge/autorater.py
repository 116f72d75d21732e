"""The Autorater: a trained judge behind one object, in score or generate mode.

    rater = Autorater(model, params, codec)               # or judge.load_autorater(MODEL_DIR)
    rater.pairwise(prompt, response_a, response_b)        # both orders, order-averaged
    rater.pointwise(prompt, response, criteria=..., scale=("1", "2", "3", "4", "5"))
    rater.classify({"document": d, "claim": c}, question="Is the claim supported?",
                   labels=("Yes", "No"))
    rater.judge(records)                                  # any registered task's records

Score mode (default; PROTOCOLS.md "Judge outputs"): each record's prompt (each order of a
pair) is encoded once and its answer options' log-probabilities are read from its key/value
cache, normalised into probabilities (flame_jax.judge.scoring); the verdict is the most
probable option, pointwise adds the expected score, pairwise judges both orders. Generate mode:
KV-cache decoding and the format parser (flame_jax.judge.generation); an unparseable output has
no verdict and counts in the parse-failure rate; for pairwise, each order then counts as a tie
(0.5), RewardBench's rule for generative judges.

Prompts are judged in passes of one length bucket, at most `batch_size` rows and
rows x padded length <= `token_budget` (flame_jax.judge.passes), with a progress line on
stderr for long inputs; results are in input order and deterministic (greedy decoding). A
record longer than `max_length` raises, naming it: `sequence_length` tells the caller in
advance, so an evaluation can skip and report such records (flame_jax.evaluation.suite).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from flame_jax.data.codec import Codec
from flame_jax.format import (
    Classification,
    Label,
    Pair,
    Pairwise,
    Pointwise,
    Rating,
    Record,
    TaskType,
)
from flame_jax.judge import generation, scoring
from flame_jax.judge.passes import DEFAULT_TOKEN_BUDGET
from flame_jax.judge.scoring import PairwiseVerdict
from flame_jax.models import Transformer

MODES = ("score", "generate")
DEFAULT_CRITERIA = (
    "Choose the response that follows the user's request more helpfully, accurately and "
    "safely. Do not let the order of the responses or their length decide your answer."
)


class PairwiseJudge(Protocol):
    """What the pairwise benchmarks (CoBBLEr, re-ranking) need from a judge."""

    def judge_pairs(self, records: Sequence[Record]) -> list[PairwiseVerdict]:
        """Each pairwise record judged in both orders."""


@dataclasses.dataclass(frozen=True)
class Judgment:
    """The judge's answer to one record.

    Attributes:
      record: what was judged.
      answer: the verdict (first output field): the most probable option in score mode, the
        parsed value in generate mode; None when a generation did not parse. For pairwise,
        "A" or "B" from the order-averaged preference; None for an exact tie (0.5).
      probabilities: {option: p} (score mode; pairwise: the order-averaged A/B).
      expected_score: sum of p(k) * k (pointwise, score mode).
      pair: both orders of a pairwise record.
      output: the decoded text and its parsed fields (generate mode; pairwise: original order).
    """

    record: Record
    answer: str | None
    probabilities: dict[str, float] | None = None
    expected_score: float | None = None
    pair: PairwiseVerdict | None = None
    output: generation.GeneratedEvaluation | None = None

    @property
    def correct(self) -> bool | None:
        """Whether the verdict equals the record's gold answer (None for open-ended)."""
        if not self.record.options:
            return None
        return self.answer == self.record.answer

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready row: the gold answer, the verdict and the judge's numbers."""
        out: dict[str, Any] = {
            "task_type": self.record.task_type.value,
            **dict(self.record.meta),
            "gold": self.record.answer,
            "answer": self.answer,
        }
        if self.probabilities is not None:
            out["probabilities"] = self.probabilities
        if self.expected_score is not None:
            out["expected_score"] = self.expected_score
        if self.pair is not None:
            out["p_a_better_by_order"] = list(self.pair.p_a_better_by_order)
            out["verdicts"] = list(self.pair.verdicts)
            out["consistent"] = self.pair.consistent
        if self.output is not None:
            out["output"] = self.output.text
            out["parsed"] = self.output.parsed
        return out


class Progress:
    """A progress line on stderr (done/total, rate, ETA) for calls over `min_total` items.

    Called with the number of items done (the judging functions' `progress` callback)."""

    def __init__(self, what: str, total: int, *, min_total: int = 64, stream=None):
        self.what, self.total = what, total
        self.enabled = total >= min_total
        self.stream = stream or sys.stderr
        self.start = time.time()
        self.last = 0.0

    def __call__(self, done: int) -> None:
        now = time.time()
        if not self.enabled or (now - self.last < 2.0 and done < self.total):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        eta = (self.total - done) / rate if rate else float("inf")
        print(
            f"{self.what}: {done}/{self.total} ({done / self.total:.0%}) | {rate:.1f}/s | "
            f"ETA {eta:.0f}s",
            file=self.stream,
            flush=True,
        )


class Autorater:
    """A judge: a model, its parameters and its codec (vocabulary and chat template).

    Args:
      model: the Transformer.
      params: its parameters.
      codec: how its text becomes tokens (flame_jax.data.codec.Codec), the one it was trained
        with; two Autoraters with different codecs judge side by side in one process.
      mode: "score" or "generate".
      batch_size: the most prompts (rows) in one forward pass; each order of a pair is one.
      max_length: longest inputs + targets (score) or inputs + max_new_tokens (generate);
        longer records raise, naming the record (the judge never truncates).
      token_budget: the most rows x padded tokens in one forward pass: long records are judged
        a few at a time (flame_jax.judge.passes), so memory follows the budget.
      max_new_tokens: decoding budget in generate mode.
      progress: print progress lines for long inputs.
    """

    def __init__(
        self,
        model: Transformer,
        params: Any,
        codec: Codec,
        *,
        mode: str = "score",
        batch_size: int = 16,
        max_length: int = 2048,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        max_new_tokens: int = 128,
        progress: bool = True,
    ):
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {MODES}")
        if batch_size < 1 or token_budget < 1:
            raise ValueError(
                f"batch_size {batch_size} and token_budget {token_budget} must be >= 1"
            )
        self.model, self.params, self.codec, self.mode = model, params, codec, mode
        self.batch_size, self.max_length = batch_size, max_length
        self.token_budget = token_budget
        self.max_new_tokens = max_new_tokens
        self.progress = progress

    # --- Records ------------------------------------------------------------------------------

    def judge(self, records: Iterable[Record]) -> list[Judgment]:
        """Judges records of any task types; the result is in the input order.

        Raises:
          ValueError: naming the first record longer than max_length (nothing is judged).
        """
        records = list(records)
        self._check_lengths(records)
        by_type: dict[TaskType, list[int]] = {}
        for index, record in enumerate(records):
            by_type.setdefault(record.task_type, []).append(index)
        out: list[Judgment | None] = [None] * len(records)
        for task_type, indices in by_type.items():
            chunk = [records[i] for i in indices]
            if task_type == TaskType.PAIRWISE:
                judged = self._pairwise(chunk)
            elif self.mode == "generate" or task_type == TaskType.OPEN_ENDED:
                judged = self._generated(chunk)
            else:
                judged = self._scored(chunk)
            for i, judgment in zip(indices, judged, strict=True):
                out[i] = judgment
        return out  # type: ignore[return-value]

    def judge_pairs(self, records: Sequence[Record]) -> list[PairwiseVerdict]:
        """Each pairwise record in both orders (the PairwiseJudge protocol)."""
        self._check_lengths(records)
        return [j.pair for j in self._pairwise(list(records))]  # type: ignore[misc]

    def sequence_length(self, record: Record) -> int:
        """The longest sequence judging `record` takes, in tokens (what max_length bounds):
        inputs + the longest option's targets in score mode, inputs + max_new_tokens when
        generating; for a pairwise record, the longer of its two orders."""
        orders = [record]
        if record.task_type == TaskType.PAIRWISE:
            orders.append(scoring.swap_responses(record))
        if self.mode == "generate" or not record.options:
            return max(
                generation.sequence_length(self.codec, r, self.max_new_tokens) for r in orders
            )
        return max(scoring.sequence_length(self.codec, r) for r in orders)

    def _check_lengths(self, records: Sequence[Record]) -> None:
        for index, record in enumerate(records):
            tokens = self.sequence_length(record)
            if tokens > self.max_length:
                raise ValueError(
                    f"record {index} is {tokens} tokens, more than max_length "
                    f"{self.max_length}; the judge never truncates: raise max_length or leave "
                    "such records out (Autorater.sequence_length)"
                )

    def _progress(self, what: str, total: int) -> Progress | None:
        return Progress(what, total) if self.progress else None

    def _options(self) -> dict[str, Any]:
        return {
            "batch_size": self.batch_size,
            "max_length": self.max_length,
            "token_budget": self.token_budget,
        }

    def _scored(self, records: Sequence[Record]) -> list[Judgment]:
        probabilities = scoring.option_probabilities(
            self.model,
            self.params,
            self.codec,
            records,
            progress=self._progress("scoring", len(records)),
            **self._options(),
        )
        out = []
        for record, p in zip(records, probabilities, strict=True):
            expected = None
            if record.task_type == TaskType.POINTWISE:
                expected = scoring.expected_score(p)
            out.append(Judgment(record, scoring.verdict(p), p, expected_score=expected))
        return out

    def _generate(self, records: Sequence[Record]) -> list[generation.GeneratedEvaluation]:
        return generation.generate_evaluations(
            self.model,
            self.params,
            self.codec,
            records,
            max_new_tokens=self.max_new_tokens,
            progress=self._progress("generating", len(records)),
            **self._options(),
        )

    def _generated(self, records: Sequence[Record]) -> list[Judgment]:
        return [
            Judgment(record, output.answer, output=output)
            for record, output in zip(records, self._generate(records), strict=True)
        ]

    def _pairwise(self, records: Sequence[Record]) -> list[Judgment]:
        if self.mode == "score":
            pairs = scoring.pairwise_both_orders(
                self.model,
                self.params,
                self.codec,
                records,
                progress=self._progress("judging pairs (prompts, both orders)", 2 * len(records)),
                **self._options(),
            )
            outputs = [None] * len(records)
        else:
            both = [r for record in records for r in (record, scoring.swap_responses(record))]
            generated = self._generate(both)
            pairs = [
                generated_verdict(original, swapped)
                for original, swapped in zip(generated[::2], generated[1::2], strict=True)
            ]
            outputs = generated[::2]
        return [
            Judgment(
                record,
                None if pair.p_a_better == 0.5 else "A" if pair.p_a_better > 0.5 else "B",
                {"A": pair.p_a_better, "B": 1 - pair.p_a_better},
                pair=pair,
                output=output,
            )
            for record, pair, output in zip(records, pairs, outputs, strict=True)
        ]

    # --- Ad-hoc judgments ---------------------------------------------------------------------

    def pairwise(
        self, prompt: str, response_a: str, response_b: str, *, criteria: str = DEFAULT_CRITERIA
    ) -> Judgment:
        """Which response to `prompt` is better (both orders; answer "A" or "B")."""
        template = Pairwise(
            title="Which response is better?", description=criteria, context_fields=("prompt",)
        )
        # Rendered with A first; the gold answer of an ad-hoc record is a placeholder.
        record = template.render(Pair({"prompt": prompt}, response_a, response_b), index=0, seed=0)
        return self.judge([record])[0]

    def pointwise(
        self,
        prompt: str,
        response: str,
        *,
        criteria: str,
        scale: Sequence[str] | Sequence[tuple[str, str]] = ("1", "2", "3", "4", "5"),
    ) -> Judgment:
        """A score on `scale` (points, or (point, anchor) pairs) for `response` to `prompt`."""
        points = tuple((p, p) if isinstance(p, str) else tuple(p) for p in scale)
        template = Pointwise(
            title="Rate the response.",
            description=criteria,
            context_fields=("prompt", "response"),
            scale=points,
        )
        item = Rating({"prompt": prompt, "response": response}, score=points[0][0])
        return self.judge([template.render(item, index=0, seed=0)])[0]

    def classify(
        self,
        fields: Mapping[str, str],
        *,
        question: str,
        labels: Sequence[str] | Sequence[tuple[str, str]],
    ) -> Judgment:
        """One of `labels` (names, or (name, meaning) pairs) for the context `fields`."""
        named = tuple((x, x) if isinstance(x, str) else tuple(x) for x in labels)
        template = Classification(
            title=question, description=question, context_fields=tuple(fields), labels=named
        )
        item = Label(dict(fields), label=named[0][0])
        return self.judge([template.render(item, index=0, seed=0)])[0]


def generated_verdict(
    original: generation.GeneratedEvaluation, swapped: generation.GeneratedEvaluation
) -> PairwiseVerdict:
    """A pairwise verdict from two generated evaluations (original and swapped order).

    Each order gives p(original A better) = 1, 0 or 0.5 when unparseable (RewardBench's rule
    for generative judges); consistent when both parsed and name the same response.
    """
    flip = {"A": "B", "B": "A"}
    by_order = (
        {"A": 1.0, "B": 0.0}.get(original.answer or "", 0.5),
        {"B": 1.0, "A": 0.0}.get(swapped.answer or "", 0.5),
    )
    verdicts = (original.answer or "?", swapped.answer or "?")
    return PairwiseVerdict(
        p_a_better=sum(by_order) / 2,
        p_a_better_by_order=by_order,
        verdicts=verdicts,
        consistent=original.answer is not None and swapped.answer == flip.get(original.answer),
    )
