"""Generate mode: decode an EVALUATION, then parse its fields from the END of the text.

Protocol (../shared/reference/PROTOCOLS.md, "Judge outputs"): the judge writes its evaluation
(greedy at temperature 0), and `flame_jax.format.parse_evaluation` reads the record's output
fields from the end of the output, with the record's options and its inputs as the prompt, so
text echoed from the prompt is never read as the verdict. A generation that does not parse
keeps `fields=None` and counts in the parse-failure rate, which every report gives.

The prompt is what the trainer's decoder saw before the first target token: seqio's leading
0 followed by the tokenized inputs (no EOS); the whole prompt is the prefix (causal_attention
1), as in PrefixLMFeatureConverter. Prompts are sorted by length and decoded in passes of one
length bucket each, at most batch_size rows and rows x (bucket + max_new_tokens) <= token_budget
(flame_jax.judge.passes), so jit compiles a few shapes per bucket; results come back in
input order.

Memory: flame_jax.models.generate writes each prompt into the key/value cache in one step, so
a pass's attention scores are rows x bucket x (bucket + max_new_tokens): quadratic in the
prompt length until the model's attention is blockwise. Score mode writes prompts in chunks
(flame_jax.judge.scoring) and stays linear.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from flame_jax.data.codec import Codec
from flame_jax.format import ParseError, Record, parse_evaluation
from flame_jax.judge.passes import DEFAULT_TOKEN_BUDGET, plan
from flame_jax.models import Transformer, generate


@dataclasses.dataclass(frozen=True)
class GeneratedEvaluation:
    """One decoded evaluation.

    Attributes:
      text: the decoded output (EOS and padding removed).
      fields: {field: value} parsed from `text`, or None when it does not parse.
      num_tokens: generated tokens, EOS included.
      finished: the output ended with EOS within max_new_tokens.
    """

    text: str
    fields: dict[str, str] | None
    num_tokens: int
    finished: bool

    @property
    def parsed(self) -> bool:
        return self.fields is not None

    @property
    def answer(self) -> str | None:
        """The first output field's value (the verdict), or None when unparsed."""
        return next(iter(self.fields.values())) if self.fields else None


def parse_generated(text: str, record: Record) -> dict[str, str] | None:
    """The record's output fields in `text`, or None (a parse failure)."""
    try:
        return parse_evaluation(
            text,
            record.instructions.output_fields,
            prompt=record.inputs,
            options=record.options,
        )
    except ParseError:
        return None


def parse_failure_rate(evaluations: Sequence[GeneratedEvaluation]) -> float:
    """Share of evaluations that did not parse (NaN for none)."""
    if not evaluations:
        return math.nan
    return sum(not e.parsed for e in evaluations) / len(evaluations)


def sequence_length(codec: Codec, record: Record, max_new_tokens: int) -> int:
    """Input tokens + max_new_tokens: what max_length bounds in generate mode."""
    return len(codec.encode_inputs(record.inputs)) + max_new_tokens


def generate_evaluations(
    model: Transformer,
    params: Any,
    codec: Codec,
    records: Sequence[Record],
    *,
    max_new_tokens: int = 64,
    batch_size: int = 16,
    temperature: float = 0.0,
    rng: jax.Array | None = None,
    max_length: int = 2048,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    progress: Callable[[int], None] | None = None,
) -> list[GeneratedEvaluation]:
    """Decodes an evaluation for each record and parses it; results in input order.

    Greedy at temperature 0; sampling needs `rng` (pass i of the plan uses
    jax.random.fold_in(rng, i)), so the same inputs and key give the same outputs. `progress`
    is called with the number of records done after each pass.

    Raises:
      ValueError: naming a record whose inputs + max_new_tokens exceed max_length.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size {batch_size} must be >= 1")
    if temperature > 0 and rng is None:
        raise ValueError("sampling (temperature > 0) needs an explicit rng key")
    eos_id = codec.eos_id
    prompts = []
    for index, record in enumerate(records):
        input_ids = codec.encode_inputs(record.inputs)  # as in training
        if len(input_ids) + max_new_tokens > max_length:
            raise ValueError(
                f"record {index} has {len(input_ids)} input tokens + max_new_tokens "
                f"{max_new_tokens} > max_length {max_length}; the judge never truncates"
            )
        prompts.append([0, *input_ids])  # seqio's decoder inputs start with 0

    results: list[GeneratedEvaluation | None] = [None] * len(records)
    passes = plan(
        [len(p) for p in prompts],
        token_budget=token_budget,
        max_rows=batch_size,
        extra=max_new_tokens,
    )
    done = 0
    for pass_index, step in enumerate(passes):
        tokens = np.zeros((step.rows, step.length), np.int32)
        lengths = np.ones((step.rows,), np.int32)  # pad rows: the single start token 0
        for row, index in enumerate(step.indices):
            tokens[row, : len(prompts[index])] = prompts[index]
            lengths[row] = len(prompts[index])
        out = generate(
            model,
            params,
            tokens,
            lengths,
            max_new_tokens=max_new_tokens,
            rng=None if rng is None else jax.random.fold_in(rng, pass_index),
            temperature=temperature,
            eos_id=eos_id,
        )
        out_tokens, out_lengths = np.asarray(out.tokens), np.asarray(out.lengths)
        for row, index in enumerate(step.indices):
            ids = out_tokens[row, : out_lengths[row]].tolist()
            finished = bool(ids) and ids[-1] == eos_id
            text = codec.decode(ids[:-1] if finished else ids)
            results[index] = GeneratedEvaluation(
                text=text,
                fields=parse_generated(text, records[index]),
                num_tokens=len(ids),
                finished=finished,
            )
        done += len(step.indices)
        if progress:
            progress(done)
    return results  # type: ignore[return-value]
