"""From tasks to model features: over-length handling, feature lengths, packed batches.

The model is decoder-only: seqio's PrefixLMFeatureConverter concatenates the tokenized
inputs and targets into one sequence (loss on the targets only) and packs several examples
into each row of `sequence_length` tokens (2048 in the paper), with segment ids and
positions so that packed examples never attend to each other.

Examples longer than the task feature lengths are dropped, never truncated (a truncated
EVALUATION would teach the judge a wrong answer format), and every drop is counted in
`DROPPED` and logged with its task and lengths.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter

import seqio
import tensorflow as tf

from flame_jax.data import sources

DROPPED: Counter = Counter()
_LOG_EVERY = 1000


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
    dataset: tf.data.Dataset, sequence_length: dict[str, int] | None, *, task: str
) -> tf.data.Dataset:
    """seqio preprocessor: drops (and counts) examples that exceed the feature lengths.

    Runs before EOS is appended, so a target needs one token of room for it. With no
    sequence length (seqio.Evaluator's `sequence_length=None`) nothing is dropped.
    """
    if not sequence_length:
        return dataset
    max_inputs, max_targets = sequence_length["inputs"], sequence_length["targets"] - 1
    limits = f"{sequence_length['inputs']}/{sequence_length['targets']}"

    def keep(example):
        n_inputs, n_targets = tf.size(example["inputs"]), tf.size(example["targets"])
        fits = tf.logical_and(n_inputs <= max_inputs, n_targets <= max_targets)
        return tf.cond(
            fits,
            lambda: tf.constant(True),
            lambda: tf.py_function(
                functools.partial(_report_drop, task, limits=limits),
                [n_inputs, n_targets],
                Tout=tf.bool,
            ),
        )

    return dataset.filter(keep)


def get_dataset(
    name: str,
    *,
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
) -> tf.data.Dataset:
    """Model features of a mixture or task: decoder_{target,input}_tokens, loss weights,
    segment ids, positions and causal-attention masks, packed and batched.

    `shard_info` gives each host its own shard (multi-host input); `seed` fixes the order.
    The data directory is resolved now and baked into the dataset.
    """
    with sources.using_data_dir(data_dir):
        return seqio.get_dataset(
            name,
            task_feature_lengths=task_feature_lengths(sequence_length, targets_length),
            feature_converter=seqio.PrefixLMFeatureConverter(pack=pack, loss_on_targets_only=True),
            dataset_split=split,
            shuffle=shuffle,
            num_epochs=num_epochs,
            shard_info=shard_info,
            seed=seed,
            batch_size=batch_size,
            verbose=False,
        )
