"""Score mode: the judge's verdict from the log-probabilities of the answer options.

Protocol (../shared/reference/PROTOCOLS.md, "Judge outputs"): no text is generated or parsed.
For a record whose first output field has options o_1..o_K (A/B, the labels, the scale
points), the judge computes in one forward pass

    s_k = log p(targets_k | inputs),    p(o_k) = exp(s_k) / sum_j exp(s_j)

where targets_k is the record's EVALUATION text with the first field set to o_k: for a
single-field record the whole target plus EOS (the answer must also END the evaluation), for a
multi-field record only `EVALUATION:\\n<field>: <o_k>\\n` (the newline closes the value, so "1"
is never a prefix of "10"; the later fields are not scored). Log-probabilities are summed over
the target tokens, not length-normalised: the options compete as complete continuations.

- Pointwise expected score: E[score] = sum_k p(o_k) * o_k over the numeric scale.
- Pairwise, both orders: each record is also judged with response_a and response_b exchanged
  (answer flipped); p_a_better = (p(A | original) + p(B | swapped)) / 2, the order-averaged
  probability that the ORIGINAL response_a is better, and the two orders are `consistent` when
  their verdicts name the same underlying response (CoBBLEr's order-bias protocol).

Features are exactly what the trainer saw: seqio tokenizes `inputs` (no EOS) and `targets`
(+EOS) separately and PrefixLMFeatureConverter(pack=False) concatenates them
(`prefix_lm_features`). Examples longer than max_length raise; they are never truncated (a
truncated prompt would be judged on text the model never sees). Rows are padded to a length
bucket (the next multiple of 64, capped at max_length) and every forward pass of one call has
the same number of rows, so jit compiles once per length bucket.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np

from flame_jax.data.codec import Codec
from flame_jax.format import Record, TaskType
from flame_jax.format.record import EVALUATION_HEADER
from flame_jax.models import Transformer, score

LENGTH_MULTIPLE = 64  # rows are padded to a multiple of 64 tokens: few shapes, few compiles
FEATURE_KEYS = (
    "decoder_target_tokens",
    "decoder_input_tokens",
    "decoder_loss_weights",
    "decoder_causal_attention",
)

TokenPair = tuple[Sequence[int], Sequence[int]]


# --- Features -------------------------------------------------------------------------------


def encode_example(
    codec: Codec, inputs: str, targets: str, *, eos: bool = True
) -> tuple[list[int], list[int]]:
    """Token ids of one example as seqio's tokenize + append_eos_after_trim make them.

    Inputs and targets are tokenized separately (each gets its own SentencePiece word start),
    inputs without EOS, targets with EOS unless `eos` is False (a prefix of a target). The
    inputs are wrapped in the codec's chat template, as the training features are.
    """
    return codec.encode_inputs(inputs), codec.encode_targets(targets, eos=eos)


def bucket_length(length: int, max_length: int, multiple: int = LENGTH_MULTIPLE) -> int:
    """`length` rounded up to a multiple of `multiple`, at most max_length."""
    if length > max_length:
        raise ValueError(f"length {length} exceeds max_length {max_length}")
    return min(-(-length // multiple) * multiple, max_length)


def check_lengths(token_pairs: Sequence[TokenPair], max_length: int, *, what: str = "example"):
    """Raises for the first example whose inputs + targets exceed max_length (no truncation)."""
    for index, (input_ids, target_ids) in enumerate(token_pairs):
        total = len(input_ids) + len(target_ids)
        if total > max_length:
            raise ValueError(
                f"{what} {index} is {total} tokens ({len(input_ids)} inputs + "
                f"{len(target_ids)} targets), more than max_length {max_length}; the judge "
                "never truncates: raise max_length or shorten the example"
            )
        if not target_ids:
            raise ValueError(f"{what} {index} has no target tokens")


def features_from_tokens(
    token_pairs: Sequence[TokenPair],
    *,
    max_length: int = 2048,
    length_multiple: int = LENGTH_MULTIPLE,
    num_rows: int | None = None,
) -> dict[str, np.ndarray]:
    """Unpacked PrefixLMFeatureConverter features of tokenized (inputs, targets) pairs.

    decoder_target_tokens = inputs + targets; decoder_input_tokens = the same shifted right
    within the row with a leading 0 (so the final target token also appears once, past the
    example, when the row has room: seqio's exact output); decoder_loss_weights = 1 on the
    targets; decoder_causal_attention = 1 over the inputs and one position more. Each int32
    array is [num_rows, L] with L the bucketed longest example; rows past the examples are
    all zero (they score 0).
    """
    check_lengths(token_pairs, max_length)
    rows = len(token_pairs) if num_rows is None else num_rows
    if rows < len(token_pairs):
        raise ValueError(f"num_rows {rows} < {len(token_pairs)} examples")
    longest = max((len(i) + len(t) for i, t in token_pairs), default=1)
    length = bucket_length(longest, max_length, length_multiple)
    out = {key: np.zeros((rows, length), np.int32) for key in FEATURE_KEYS}
    for row, (input_ids, target_ids) in enumerate(token_pairs):
        n_in, n = len(input_ids), len(input_ids) + len(target_ids)
        sequence = np.asarray([*input_ids, *target_ids], np.int32)
        out["decoder_target_tokens"][row, :n] = sequence
        # Shifted right within the padded row, as seqio does: the last target token (EOS)
        # also lands one slot past the example when there is room (weight 0, unseen).
        shifted = sequence[: length - 1]
        out["decoder_input_tokens"][row, 1 : 1 + len(shifted)] = shifted
        out["decoder_loss_weights"][row, n_in:n] = 1
        out["decoder_causal_attention"][row, : n_in + 1] = 1
    return out


def prefix_lm_features(
    codec: Codec,
    examples: Sequence[tuple[str, str]],
    *,
    eos: bool | Sequence[bool] = True,
    max_length: int = 2048,
    length_multiple: int = LENGTH_MULTIPLE,
    num_rows: int | None = None,
) -> dict[str, np.ndarray]:
    """Features of (inputs_text, targets_text) pairs, exactly as the trainer saw them.

    Equal to seqio.PrefixLMFeatureConverter(pack=False, loss_on_targets_only=True) on the
    tokenized task features, padded to a length bucket instead of the task feature lengths.
    `eos` (one flag or one per example) says whether the target ends with EOS.

    Raises:
      ValueError: naming the index of an example longer than max_length.
    """
    flags = [eos] * len(examples) if isinstance(eos, bool) else list(eos)
    if len(flags) != len(examples):
        raise ValueError(f"{len(flags)} eos flags for {len(examples)} examples")
    token_pairs = [
        encode_example(codec, inputs, targets, eos=flag)
        for (inputs, targets), flag in zip(examples, flags, strict=True)
    ]
    return features_from_tokens(
        token_pairs, max_length=max_length, length_multiple=length_multiple, num_rows=num_rows
    )


# --- Log-probabilities ----------------------------------------------------------------------


@functools.partial(jax.jit, static_argnums=0)
def _score(model: Transformer, params: Any, batch: Mapping[str, jax.Array]):
    return score(model, params, batch).sequence_logprobs


def sequence_logprobs(
    model: Transformer, params: Any, features: Mapping[str, np.ndarray]
) -> np.ndarray:
    """float32 [rows]: log p(targets | inputs) of each row, summed over its target tokens.

    The one forward pass of score mode (jit-compiled once per model and feature shape).
    """
    return np.asarray(_score(model, params, dict(features)), np.float32)


def option_targets(record: Record) -> list[tuple[str, bool]]:
    """(targets text, ends with EOS) of each option of the record's first output field."""
    first = record.instructions.output_fields[0]
    multi_field = len(record.instructions.output_fields) > 1
    out = []
    for option in record.options:
        if multi_field:
            out.append((f"{EVALUATION_HEADER}\n{first}: {option}\n", False))
        else:
            answered = dataclasses.replace(record, evaluation=((first, option),))
            out.append((answered.targets, True))
    return out


def _log_softmax(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    shifted = values - values.max()
    return shifted - np.log(np.exp(shifted).sum())


def option_probabilities(
    model: Transformer,
    params: Any,
    codec: Codec,
    records: Sequence[Record],
    *,
    batch_size: int = 16,
    max_length: int = 2048,
) -> list[dict[str, float]]:
    """For each record, {option: probability} of its first output field (see module docstring).

    `batch_size` records are judged per forward pass, all their options at once; every pass
    has batch_size * (most options of any record) rows. Deterministic.

    Raises:
      ValueError: for a record without options (open-ended) or longer than max_length,
        naming its index.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size {batch_size} must be >= 1")
    if not records:
        return []
    sequences: list[list[tuple[list[int], list[int]]]] = []
    for index, record in enumerate(records):
        if not record.options:
            raise ValueError(
                f"record {index} ({record.task_type.value}, {record.instructions.title!r}) has "
                "no options: score mode needs a fixed answer set; use generate mode for "
                "open-ended records"
            )
        pairs = [
            encode_example(codec, record.inputs, targets, eos=eos)
            for targets, eos in option_targets(record)
        ]
        try:
            check_lengths(pairs, max_length, what="option")
        except ValueError as e:
            raise ValueError(f"record {index}: {e}") from None
        sequences.append(pairs)

    rows_per_pass = batch_size * max(len(pairs) for pairs in sequences)
    results: list[dict[str, float]] = []
    for start in range(0, len(records), batch_size):
        chunk = sequences[start : start + batch_size]
        flat = [pair for pairs in chunk for pair in pairs]
        features = features_from_tokens(flat, max_length=max_length, num_rows=rows_per_pass)
        logprobs = sequence_logprobs(model, params, features)
        offset = 0
        for record, pairs in zip(records[start : start + batch_size], chunk, strict=True):
            log_p = _log_softmax(logprobs[offset : offset + len(pairs)])
            offset += len(pairs)
            results.append(
                {option: float(np.exp(v)) for option, v in zip(record.options, log_p, strict=True)}
            )
    return results


def verdict(probabilities: Mapping[str, float]) -> str:
    """The most probable option; a tie goes to the earlier option."""
    return max(probabilities, key=lambda option: probabilities[option])


def expected_score(probabilities: Mapping[str, float]) -> float:
    """Pointwise expected score: sum over the scale points k of p(k) * k."""
    try:
        return float(sum(p * float(k) for k, p in probabilities.items()))
    except ValueError as e:
        raise ValueError(f"options {list(probabilities)} are not numeric scale points") from e


# --- Pairwise, both orders ------------------------------------------------------------------

_FLIP = {"A": "B", "B": "A"}


@dataclasses.dataclass(frozen=True)
class PairwiseVerdict:
    """One pair judged in both orders.

    Attributes:
      p_a_better: order-averaged probability that the ORIGINAL response_a is better.
      p_a_better_by_order: that probability from the original order (p(A)) and from the
        swapped order (p(B)).
      verdicts: the answer ("A"/"B") in each order, in that order's own labels.
      consistent: both orders prefer the same underlying response.
    """

    p_a_better: float
    p_a_better_by_order: tuple[float, float]
    verdicts: tuple[str, str]
    consistent: bool


def swap_responses(record: Record) -> Record:
    """The pairwise record with every `<x>_a` / `<x>_b` context pair exchanged, answer flipped."""
    if record.task_type != TaskType.PAIRWISE or set(record.options) != {"A", "B"}:
        raise ValueError(
            f"record {record.instructions.title!r} is {record.task_type.value} with options "
            f"{record.options}: only pairwise A/B records can be swapped"
        )
    values = dict(record.context)
    swapped = {}
    for name, value in values.items():
        other = name[:-2] + "_b"
        if name.endswith("_a") and other in values:
            swapped[name], swapped[other] = values[other], value
    if not swapped:
        raise ValueError(
            f"record {record.instructions.title!r} has no <x>_a / <x>_b context fields to swap: "
            f"{list(values)}"
        )
    context = tuple((name, swapped.get(name, value)) for name, value in record.context)
    (first, answer), *rest = record.evaluation
    return dataclasses.replace(record, context=context, evaluation=((first, _FLIP[answer]), *rest))


def pairwise_both_orders(
    model: Transformer,
    params: Any,
    codec: Codec,
    records: Sequence[Record],
    *,
    batch_size: int = 16,
    max_length: int = 2048,
) -> list[PairwiseVerdict]:
    """Judges each pairwise record as given and with its responses swapped.

    Both orders of a record are scored in the same forward pass (batch_size pairs per pass).
    """
    both: list[Record] = []
    for index, record in enumerate(records):
        try:
            both += [record, swap_responses(record)]
        except ValueError as e:
            raise ValueError(f"record {index}: {e}") from None
    probabilities = option_probabilities(
        model, params, codec, both, batch_size=2 * batch_size, max_length=max_length
    )
    out = []
    for original, swapped in zip(probabilities[::2], probabilities[1::2], strict=True):
        by_order = (original["A"], swapped["B"])
        verdicts = (verdict(original), verdict(swapped))
        out.append(
            PairwiseVerdict(
                p_a_better=(by_order[0] + by_order[1]) / 2,
                p_a_better_by_order=by_order,
                verdicts=verdicts,
                consistent=verdicts[0] == _FLIP[verdicts[1]],
            )
        )
    return out
