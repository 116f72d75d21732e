"""Score mode: the judge's verdict from the log-probabilities of the answer options.

Protocol (../shared/reference/PROTOCOLS.md, "Judge outputs"): no text is generated or parsed.
For a record whose first output field has options o_1..o_K (A/B, the labels, the scale
points), the judge computes

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

The sequences are exactly what the trainer saw: seqio tokenizes `inputs` (no EOS) and `targets`
(+EOS) separately and PrefixLMFeatureConverter(pack=False) concatenates them
(`prefix_lm_features`): the decoder reads seqio's leading 0, the inputs (the prefix), then the
targets. Examples longer than max_length raise; they are never truncated (a truncated prompt
would be judged on text the model never sees).

How it is computed (`option_logprobs`): the prompt (0 + inputs) is written once into the
model's key/value cache (flame_jax.models.decoding's layout: prompts left-aligned, prefix
flagged), in chunks when the model's attention is causal and whole when its prefix is
bidirectional. A chunk is at most `prefill_chunk` slots and small enough that a step's
attention scores, rows x chunk x cache length per head, stay under token_budget x
ATTENTION_FACTOR: with rows x cache length <= token_budget, the judge's memory is then linear
in the record's length whatever the model's attention kernel. The last prompt position's hidden
state gives each option's first target token; each option's other target tokens are one short
pass against that cache, the options one after another from the same prefilled cache. So the
prompt is encoded once for all K options (a pair in both orders costs about two prompts), and
logits are computed at the target positions only. The sums equal a full forward pass of
inputs + targets_k (tests/judge compare them within float rounding). Prompts are batched by
length under a token budget (flame_jax.judge.passes); results come back in input order.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flame_jax.data.codec import Codec
from flame_jax.format import Record, TaskType
from flame_jax.format.record import EVALUATION_HEADER
from flame_jax.judge.passes import DEFAULT_TOKEN_BUDGET, plan
from flame_jax.models import Transformer
from flame_jax.models.decoding import init_cache, left_align
from flame_jax.models.loss import token_log_likelihood
from flame_jax.models.transformer import output_weights, unembed

LENGTH_MULTIPLE = 64  # feature rows are padded to a multiple of 64 tokens
TARGET_MULTIPLE = 16  # option tokens are padded to a multiple of 16: one shape per call
PREFILL_CHUNK = 512  # the most prompt slots written into the cache per step (causal attention)
ATTENTION_FACTOR = 128  # a prefill step's scores per head <= token_budget x 128 (16 MiB)
FEATURE_KEYS = (
    "decoder_target_tokens",
    "decoder_input_tokens",
    "decoder_loss_weights",
    "decoder_causal_attention",
)

TokenPair = tuple[Sequence[int], Sequence[int]]
Progress = Callable[[int], None]  # called with the number of prompts judged so far


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
    length = min(-(-longest // length_multiple) * length_multiple, max_length)
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


def _forward(
    model: Transformer, params: Any, cache: Any, step: tuple[jax.Array, ...]
) -> tuple[jax.Array, Any]:
    """One decoding step: the final hidden states [B, L, D] and the updated cache.

    `step` is (tokens, positions, segment ids, causal-attention flags), each [B, L]. No logits
    are made here: `_unembed` computes them only where they are needed.
    """
    hidden, state = model.apply(
        {"params": params, "cache": cache},
        *step,
        decode=True,
        return_hidden=True,
        mutable=["cache"],
    )
    return hidden, state["cache"]


def _unembed(model: Transformer, params: Any, hidden: jax.Array) -> jax.Array:
    """float32 logits [..., V] of final hidden states [..., D], as Transformer.__call__ makes
    them."""
    return unembed(model.config, output_weights(model.config, params), hidden)


@functools.partial(jax.jit, static_argnames=("model", "chunk"))
def _score_options(
    model: Transformer,
    params: Any,
    prompts: jax.Array,  # [R, P] int32, right-padded; a prompt is 0 + the input ids
    prompt_lengths: jax.Array,  # [R]
    *,
    targets: jax.Array,  # [K, R, T] int32: each option's target ids, right-padded
    target_lengths: jax.Array,  # [K, R]; 0 for a padding option
    chunk: int,
) -> jax.Array:  # [K, R] float32: log p(targets_k | prompt)
    rows, length = prompts.shape
    width = targets.shape[-1]
    tokens, positions, segments = left_align(prompts, prompt_lengths)
    cache = init_cache(model, rows, length + width)

    def prefill(cache: Any, start: jax.Array) -> tuple[Any, jax.Array]:
        def window(x: jax.Array) -> jax.Array:
            return jax.lax.dynamic_slice_in_dim(x, start, chunk, axis=1)

        step = tuple(map(window, (tokens, positions, segments, segments)))
        hidden, cache = _forward(model, params, cache, step)
        return cache, hidden[:, -1]

    # Every prompt ends at slot P-1 (left-aligned): the last chunk's last hidden state
    # predicts each option's first target token.
    cache, last = jax.lax.scan(prefill, cache, jnp.arange(0, length, chunk))
    first_logits = _unembed(model, params, last[-1])[:, None]  # [R, 1, V]

    def option(xs: tuple[jax.Array, jax.Array]) -> jax.Array:
        ids, n = xs  # [R, T], [R]
        index = jnp.arange(width)[None, :]
        real = (index < n[:, None]).astype(jnp.int32)
        step = (ids, prompt_lengths[:, None] + index, real, jnp.zeros_like(ids))
        hidden, _ = _forward(model, params, cache, step)
        # Option position j predicts its token j + 1; the prompt's last position its token 0.
        logits = jnp.concatenate([first_logits, _unembed(model, params, hidden[:, :-1])], axis=1)
        return jnp.sum(jnp.where(real > 0, token_log_likelihood(logits, ids), 0.0), axis=-1)

    return jax.lax.map(option, (targets, target_lengths))


def prefill_chunk_for(model: Transformer, length: int, most: int) -> int:
    """The chunk the prompt bucket `length` is written in: the whole prompt when the prefix is
    bidirectional (its tokens see each other) or at most `most` slots, else the largest
    multiple of 64 up to max(most, 64) that divides it (buckets are multiples of 64)."""
    if model.config.bidirectional_prefix or length <= most:
        return length
    divisors = [c for c in range(64, max(most, 64) + 1, 64) if length % c == 0]
    return max(divisors, default=length)


def option_logprobs(
    model: Transformer,
    params: Any,
    examples: Sequence[tuple[Sequence[int], Sequence[Sequence[int]]]],
    *,
    batch_size: int = 16,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    prefill_chunk: int = PREFILL_CHUNK,
    progress: Progress | None = None,
) -> list[np.ndarray]:
    """log p(targets_k | inputs) of each (input ids, [target ids of each option]) example.

    float32 [K] per example, in input order (see the module docstring for how). A pass holds
    at most `batch_size` prompts and rows x (prompt bucket + option tokens) <= token_budget;
    `progress` is called with the number of examples done after each pass. Deterministic.
    """
    if not examples:
        return []
    prompts = [[0, *input_ids] for input_ids, _ in examples]  # seqio's leading 0
    num_options = max(len(options) for _, options in examples)
    longest = max(len(ids) for _, options in examples for ids in options)
    width = -(-longest // TARGET_MULTIPLE) * TARGET_MULTIPLE
    out: list[np.ndarray] = [np.zeros(0, np.float32)] * len(examples)
    done = 0
    passes = plan(
        [len(p) for p in prompts], token_budget=token_budget, max_rows=batch_size, extra=width
    )
    for step in passes:
        tokens = np.zeros((step.rows, step.length), np.int32)
        lengths = np.ones((step.rows,), np.int32)  # padding rows: the start token alone
        targets = np.zeros((num_options, step.rows, width), np.int32)
        target_lengths = np.zeros((num_options, step.rows), np.int32)
        for row, index in enumerate(step.indices):
            tokens[row, : len(prompts[index])] = prompts[index]
            lengths[row] = len(prompts[index])
            for k, ids in enumerate(examples[index][1]):
                targets[k, row, : len(ids)] = ids
                target_lengths[k, row] = len(ids)
        scores = token_budget * ATTENTION_FACTOR // (step.rows * (step.length + width))
        chunk = prefill_chunk_for(model, step.length, min(prefill_chunk, scores))
        logprobs = np.asarray(
            _score_options(
                model,
                params,
                tokens,
                lengths,
                targets=targets,
                target_lengths=target_lengths,
                chunk=chunk,
            )
        )
        for row, index in enumerate(step.indices):
            out[index] = logprobs[: len(examples[index][1]), row]
        done += len(step.indices)
        if progress:
            progress(done)
    return out


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


def encode_options(codec: Codec, record: Record) -> tuple[list[int], list[list[int]]]:
    """(input ids, [target ids of each option]) of a record with options."""
    input_ids = codec.encode_inputs(record.inputs)
    return input_ids, [
        codec.encode_targets(targets, eos=eos) for targets, eos in option_targets(record)
    ]


def sequence_length(codec: Codec, record: Record) -> int:
    """The longest inputs + option targets of the record, in tokens: what max_length bounds."""
    input_ids, options = encode_options(codec, record)
    return len(input_ids) + max(map(len, options))


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
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    progress: Progress | None = None,
) -> list[dict[str, float]]:
    """For each record, {option: probability} of its first output field (see module docstring).

    A forward pass holds at most `batch_size` records and rows x padded length <= token_budget
    (flame_jax.judge.passes); results are in input order. Deterministic.

    Raises:
      ValueError: for a record without options (open-ended) or longer than max_length,
        naming its index.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size {batch_size} must be >= 1")
    examples = []
    for index, record in enumerate(records):
        if not record.options:
            raise ValueError(
                f"record {index} ({record.task_type.value}, {record.instructions.title!r}) has "
                "no options: score mode needs a fixed answer set; use generate mode for "
                "open-ended records"
            )
        input_ids, options = encode_options(codec, record)
        try:
            check_lengths([(input_ids, ids) for ids in options], max_length, what="option")
        except ValueError as e:
            raise ValueError(f"record {index}: {e}") from None
        examples.append((input_ids, options))
    logprobs = option_logprobs(
        model, params, examples, batch_size=batch_size, token_budget=token_budget, progress=progress
    )
    return [
        {
            option: float(np.exp(v))
            for option, v in zip(record.options, _log_softmax(s), strict=True)
        }
        for record, s in zip(records, logprobs, strict=True)
    ]


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
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    progress: Progress | None = None,
) -> list[PairwiseVerdict]:
    """Judges each pairwise record as given and with its responses swapped.

    Each order is one prompt (batch_size and token_budget bound the prompts of a pass, as in
    option_probabilities); `progress` counts prompts, two per record.
    """
    both: list[Record] = []
    for index, record in enumerate(records):
        try:
            both += [record, swap_responses(record)]
        except ValueError as e:
            raise ValueError(f"record {index}: {e}") from None
    probabilities = option_probabilities(
        model,
        params,
        codec,
        both,
        batch_size=batch_size,
        max_length=max_length,
        token_budget=token_budget,
        progress=progress,
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
