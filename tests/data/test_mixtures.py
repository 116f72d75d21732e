"""Mixture rates (cap, proportions), evaluation tasks kept out, sub-mixtures, missing data."""

import logging

import numpy as np
import pytest
import seqio

from flame_jax.data import features, inspect, mixtures, registry
from flame_jax.data.mixtures import FlameMixture, example_proportional


def test_example_proportional_caps_each_task():
    demo = seqio.get_mixture_or_task("demo_sorting")
    assert example_proportional(maximum=100)(demo) == 100.0
    assert example_proportional()(demo) == 4000.0


def test_flame_shares_are_capped_example_counts(shared_data):
    frame = inspect.describe("flame", split="train", data_dir=shared_data)
    present = frame[~frame["missing"]]
    assert len(present) >= 5  # the sources that have train files among the samples
    expected = np.minimum(present["num_examples"], 2**16)
    np.testing.assert_allclose(present["rate"], expected)
    np.testing.assert_allclose(frame["share"].sum(), 1.0)
    np.testing.assert_allclose(present["share"], expected / expected.sum())
    assert (frame[frame["missing"]]["rate"] == 0).all()


def test_flame_has_every_training_task_and_no_evaluation_task():
    names = {t.name for t in mixtures.get("flame").tasks}
    for task in registry.tasks():
        if task.source.name == "demo":
            assert task.name not in names
        else:
            assert (task.name in names) == task.is_training, task.name


def test_capability_mixtures_partition_flame():
    flame = {t.name for t in mixtures.get("flame").tasks}
    parts = [
        {t.name for t in mixtures.get(info.name).tasks}
        for info in mixtures.mixtures()
        if info.name.startswith("flame_") and info.name not in ("flame_rm", "flame_opt_rm")
    ]
    assert set().union(*parts) == flame and sum(map(len, parts)) == len(flame)


def test_flame_rm_is_an_equal_mix_of_the_four_rm_tasks():
    rm = mixtures.get("flame_rm")
    assert [t.name for t in rm.tasks] == sorted(
        ["commitpack_pairwise", "helpsteer_pairwise", "hh_rlhf_harmlessness", "prm800k_pairwise"]
    )
    assert {rm.get_rate(t) for t in rm.tasks} == {1.0}


def test_evaluation_tasks_cannot_enter_a_mixture():
    with pytest.raises(ValueError, match="reward_bench_chat is an evaluation task"):
        mixtures.register_mixture("bad_mix", [("reward_bench_chat", 1.0)], description="x")


def test_mixture_of_mixtures_rates():
    nested = FlameMixture("nested_for_test", [("demo", 3.0), ("demo_support", 1.0)])
    support = seqio.get_mixture_or_task("demo_support")
    arithmetic = seqio.get_mixture_or_task("demo_sorting")
    # demo gives each of its 4 equal tasks 3/4; demo_support gets 1 more directly.
    assert nested.get_rate(arithmetic) == pytest.approx(0.75)
    assert nested.get_rate(support) == pytest.approx(1.75)


def test_missing_tasks_are_left_out_with_a_warning(tmp_path, demo_codec, caplog):
    rm = mixtures.get("flame_rm")
    with caplog.at_level(logging.WARNING):
        with pytest.raises(ValueError, match="no task has data"):
            features.get_dataset(
                "flame_rm",
                codec=demo_codec,
                data_dir=str(tmp_path),
                sequence_length=256,
                targets_length=32,
            )
    assert "leaving out 4 task(s) of 4 source(s) whose data is missing" in caplog.text
    # Nothing present: a fixed-rate task alone would be the whole stream.
    assert "source hh_rlhf: hh_rlhf_harmlessness (share 100.0%)" in caplog.text
    assert rm.name == "flame_rm"


def _first_batch(codec, seed):
    ds = features.get_dataset(
        "demo", codec=codec, sequence_length=256, targets_length=32, batch_size=4, seed=seed
    )
    return next(ds.as_numpy_iterator())


def test_same_seed_same_order(demo_codec):
    a, b, c = (_first_batch(demo_codec, seed) for seed in (3, 3, 4))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["decoder_target_tokens"], c["decoder_target_tokens"])


def test_a_missing_source_of_the_flame_mixture_is_named_with_its_largest_share(
    shared_data, demo_codec, caplog
):
    """Only the ../shared samples: each missing capped task could have had at most
    2**16 / (the present tasks' examples + 2**16) of the mixture."""
    with caplog.at_level(logging.WARNING):
        features.get_dataset(
            "flame",
            codec=demo_codec,
            data_dir=shared_data,
            sequence_length=256,
            targets_length=32,
        )
    warning = next(r.getMessage() for r in caplog.records if "mixture flame," in r.getMessage())
    present = sum(
        min(registry.count(t, "train", shared_data).num_examples, mixtures.FLAME_CAP)
        for t in map(registry.get_task, (t.name for t in mixtures.get("flame").tasks))
        if registry.count(t, "train", shared_data).present
    )
    bound = mixtures.FLAME_CAP / (present + mixtures.FLAME_CAP)
    assert f"source lima: lima_response (share up to {bound:.1%} at its cap of 65,536" in warning
