"""From tasks to model features: over-length handling, feature lengths, packed batches.

The model is decoder-only: seqio's PrefixLMFeatureConverter concatenates the tokenized
inputs and targets into one sequence (loss on the targets only) and packs several examples
into each row of `sequence_length` tokens (2048 in the paper), with segment ids and
positions so that packed examples never attend to each other.

Examples longer than the task feature lengths are dropped, never truncated (a truncated
EVALUATION would teach the judge a wrong answer format), and every drop is counted in
`DROPPED` and logged with its task and lengths.

The codec (flame_jax.data.codec) says how text becomes tokens: the tasks tokenize with its
vocabulary, and with a chat template the tokenized inputs are wrapped in its markup before
packing (`ChatTemplateFeatureConverter`); the tasks then drop examples against an inputs length
shortened by the markup, so the wrapped example still fits its row.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter

import seqio
import tensorflow as tf

from flame_jax.data import binding
from flame_jax.data.codec import Codec

DROPPED: Counter = Counter()
_LOG_EVERY = 1000
MAX_DROPPED_IN_A_ROW = 10_000  # over-length examples in a row that stop a task with an error


def task_feature_lengths(sequence_length: int = 2048, targets_length: int = 512) -> dict[str, int]:
    """The longest inputs and targets (with EOS) of one example: together one packed row."""
    if not 0 < targets_length < sequence_length:
        raise ValueError(f"targets_length {targets_length} must be in (0, {sequence_length})")
    return {"inputs": sequence_length - targets_length, "targets": targets_length}


def _report_drop(task: str, inputs: tf.Tensor, targets: tf.Tensor, limits: str) -> bool:
    DROPPED[task] += 1
    if DROPPED[task] == 1 or DROPPED[task] % _LOG_EVERY == 0:
        logging.warning(
            "task %s: dropped an over-length example (inputs %d, targets %d tokens > %s); "
            "%d dropped so far",
            task,
            int(inputs),
            int(targets),
            limits,
            DROPPED[task],
        )
    return False


def drop_overlength(
    dataset: tf.data.Dataset, sequence_length: dict[str, int] | None = None, *, task: str
) -> tf.data.Dataset:
    """seqio preprocessor: drops (and counts) examples that exceed the feature lengths.

    Runs before EOS is appended, so a target needs one token of room for it. With no
    sequence length nothing is dropped: `sequence_length` has a default because
    seqio.Evaluator refuses `sequence_length=None` (lengths measured from the data) for a task
    with a preprocessor whose `sequence_length` argument has none. After
    MAX_DROPPED_IN_A_ROW over-length examples in a row the task stops with an error: a task
    whose every example is too long would otherwise make a repeated dataset spin forever.
    """
    if not sequence_length:
        return dataset
    max_inputs, max_targets = sequence_length["inputs"], sequence_length["targets"] - 1
    limits = f"{sequence_length['inputs']}/{sequence_length['targets']}"
    in_a_row_limit = MAX_DROPPED_IN_A_ROW

    def measure(example):
        n_inputs, n_targets = tf.size(example["inputs"]), tf.size(example["targets"])
        fits = tf.logical_and(n_inputs <= max_inputs, n_targets <= max_targets)
        return example, fits, n_inputs, n_targets

    def count_in_a_row(dropped, item):
        _, fits, _, _ = item
        dropped = tf.where(fits, tf.constant(0, tf.int64), dropped + 1)
        check = tf.debugging.Assert(
            dropped < in_a_row_limit,
            [
                f"task {task}: {in_a_row_limit} examples in a row exceed the feature lengths "
                f"{limits} (inputs/targets): every example may be too long; raise "
                "TASK_FEATURE_LENGTHS or leave the task out"
            ],
        )
        with tf.control_dependencies([check]):
            return tf.identity(dropped), item

    def keep(example, fits, n_inputs, n_targets):
        return tf.cond(
            fits,
            lambda: tf.constant(True),
            lambda: tf.py_function(
                functools.partial(_report_drop, task, limits=limits),
                [n_inputs, n_targets],
                Tout=tf.bool,
            ),
        )

    return (
        dataset.map(measure)
        .scan(tf.constant(0, tf.int64), count_in_a_row)
        .filter(keep)
        .map(lambda example, *_: example)
    )


def get_dataset(
    name: str,
    *,
    codec: Codec,
    split: str = "train",
    sequence_length: int = 2048,
    targets_length: int = 512,
    batch_size: int | None = None,
    pack: bool = True,
    shuffle: bool = True,
    seed: int | None = 0,
    num_epochs: int | None = None,
    shard_info: seqio.ShardInfo | None = None,
    data_dir: str | None = None,
    use_cached: bool = False,
) -> tf.data.Dataset:
    """Model features of a mixture or task: decoder_{target,input}_tokens, loss weights,
    segment ids, positions and causal-attention masks, packed and batched.

    `codec` tokenizes (and wraps the inputs in its chat template); `data_dir` holds the raw
    data (None: only generated tasks and cached ones can be read). Both are baked into the
    dataset when it is built. `shard_info` gives each host its own shard (multi-host input);
    `seed` fixes the order. `use_cached` reads the tasks from their offline cache
    (data/cache.py) instead.
    """
    lengths = task_feature_lengths(sequence_length, targets_length)
    converter = seqio.PrefixLMFeatureConverter(pack=pack, loss_on_targets_only=True)
    if codec.chat_template is not None:
        converter = ChatTemplateFeatureConverter(codec, pack=pack, loss_on_targets_only=True)
        lengths["inputs"] -= codec.overhead()
        if lengths["inputs"] < 1:
            raise ValueError(f"the chat template's markup leaves no room for inputs: {lengths}")
    with binding.bound(vocabulary=codec.vocabulary, data_dir=data_dir):
        return seqio.get_dataset(
            name,
            task_feature_lengths=lengths,
            feature_converter=converter,
            dataset_split=split,
            shuffle=shuffle,
            num_epochs=num_epochs,
            shard_info=shard_info,
            seed=seed,
            batch_size=batch_size,
            use_cached=use_cached,
            verbose=False,
        )


class ChatTemplateFeatureConverter(seqio.PrefixLMFeatureConverter):
    """PrefixLMFeatureConverter over inputs wrapped in a chat template's markup.

    Called with the task's (shortened) lengths; the inputs grow by the markup, and the
    conversion uses the lengths plus the markup, so a row keeps its configured length.
    The wrapping is Codec.wrap_tensor, the twin of the judge's Codec.wrap_ids.
    """

    def __init__(self, codec: Codec, **kwargs):
        super().__init__(**kwargs)
        self.codec = codec

    def __call__(self, ds: tf.data.Dataset, task_feature_lengths) -> tf.data.Dataset:
        def wrap(example):
            return {**example, "inputs": self.codec.wrap_tensor(example["inputs"])}

        lengths = dict(task_feature_lengths)
        lengths["inputs"] += self.codec.overhead()
        return super().__call__(ds.map(wrap, num_parallel_calls=tf.data.AUTOTUNE), lengths)
