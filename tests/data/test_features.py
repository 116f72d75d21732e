"""Feature conversion: prefix-LM packing, loss on targets only, over-length examples dropped."""

import numpy as np
import pytest
import seqio
import tensorflow as tf

from flame_jax.data import binding, features
from flame_jax.data.registry import get_task


def _batches(name, codec, **kw):
    ds = features.get_dataset(name, codec=codec, **kw)
    return list(ds.as_numpy_iterator())


def test_packed_rows_hold_several_examples_with_loss_on_targets(demo_codec):
    (batch,) = _batches(
        "demo_sorting",
        demo_codec,
        sequence_length=512,
        targets_length=32,
        batch_size=2,
        num_epochs=1,
        shuffle=False,
    )[:1]
    tokens, weights = batch["decoder_target_tokens"], batch["decoder_loss_weights"]
    segments, positions = batch["decoder_segment_ids"], batch["decoder_positions"]
    assert tokens.shape == (2, 512)
    assert segments.max() >= 2  # several examples per row
    # Every loss position is a target token; every segment ends with EOS (id 1) under loss.
    assert (weights <= (tokens != 0)).all()
    first = tokens[0][segments[0] == 1]
    first_weights = weights[0][segments[0] == 1]
    record = next(get_task("demo_sorting").records("train"))
    vocab = demo_codec.vocabulary
    assert vocab.decode(first[first_weights == 0].tolist()) == record.inputs
    assert vocab.decode(first[first_weights == 1].tolist()) == record.targets
    assert first[-1] == 1 and first_weights[-1] == 1
    # Positions restart at 0 in every packed example.
    starts = np.flatnonzero(np.diff(segments[0]) > 0) + 1
    assert (positions[0][starts[segments[0][starts] > 0]] == 0).all()


def test_overlength_examples_are_dropped_and_counted(demo_codec):
    features.DROPPED.clear()
    # demo_correction inputs are 56 tokens, 57 for a few sums: a 56-token limit drops those.
    batches = _batches(
        "demo_correction",
        demo_codec,
        sequence_length=88,
        targets_length=32,
        batch_size=8,
        num_epochs=1,
        pack=False,
    )
    kept = sum(int(b["decoder_loss_weights"].any(axis=1).sum()) for b in batches)
    assert kept > 0 and features.DROPPED["demo_correction"] > 0
    # Batches have a static shape: one epoch ends with the last full batch.
    assert kept == (4000 - features.DROPPED["demo_correction"]) // 8 * 8
    for b in batches:  # nothing truncated: each kept example ends with EOS under loss
        rows = b["decoder_loss_weights"].any(axis=1)
        last = b["decoder_target_tokens"][rows][
            np.arange(rows.sum()), b["decoder_loss_weights"][rows].cumsum(1).argmax(1)
        ]
        assert (last == 1).all()


def test_task_feature_lengths():
    assert features.task_feature_lengths(2048, 512) == {"inputs": 1536, "targets": 512}
    with pytest.raises(ValueError, match="targets_length"):
        features.task_feature_lengths(128, 128)


def test_a_task_whose_every_example_is_too_long_stops_with_an_error(demo_codec, monkeypatch):
    """Repeated for training, it would otherwise filter forever and never yield a batch."""
    monkeypatch.setattr(features, "MAX_DROPPED_IN_A_ROW", 50)
    dataset = features.get_dataset(
        "demo_correction", codec=demo_codec, sequence_length=40, targets_length=32, batch_size=2
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"task demo_correction: 50 examples"):
        next(dataset.as_numpy_iterator())


def test_seqio_evaluator_runs_with_lengths_measured_from_the_data(demo_vocab, monkeypatch):
    """seqio.Evaluator(sequence_length=None) measures the lengths from the data; it refuses a
    task whose preprocessor needs a sequence_length, so drop_overlength must not."""
    from flame_jax import configurables

    monkeypatch.setattr(binding, "_process_default", binding.Binding())  # put back afterwards
    configurables.t5x_task_vocabulary(demo_vocab)  # the door of programs that drive seqio
    vocab = binding.current().vocabulary
    features.DROPPED.clear()
    evaluator = seqio.Evaluator(
        mixture_or_task_name="demo_sortedness",
        feature_converter=seqio.PrefixLMFeatureConverter(pack=False),
        eval_split="validation",
        sequence_length=None,
    )
    task = get_task("demo_sortedness")
    records = list(task.records("validation"))
    longest = max(len(vocab.encode(r.inputs)) + len(vocab.encode(r.targets)) + 1 for r in records)
    assert evaluator.model_feature_shapes["decoder_target_tokens"] == (longest,)

    def perfect(dataset):  # answers every example with its own targets
        return [(i, vocab.encode(r.targets)) for i, r in enumerate(records)]

    metrics, _ = evaluator.evaluate(compute_metrics=True, predict_fn=perfect)  # in a thread
    (results,) = metrics.result().values()
    assert (results["accuracy"], results["parse_failure_rate"]) == (100.0, 0.0)
    assert not features.DROPPED  # nothing is dropped without lengths
