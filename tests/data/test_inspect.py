"""Inspection DataFrames."""

import os

import pytest

from flame_jax.data import features, inspect, testing
from flame_jax.data.readers import DataError


def test_describe_demo_columns_and_epochs():
    frame = inspect.describe("demo", steps=1000, batch_size=8)
    assert list(frame.columns) == list(inspect.COLUMNS)
    assert sorted(frame["task_type"]) == ["classification", "open_ended", "pairwise", "pointwise"]
    assert frame["share"].tolist() == [0.25] * 4
    # 1000 steps x 8 examples x 1/4 share over 4000 examples per task.
    assert frame["epochs"].tolist() == [0.5] * 4


def test_describe_a_single_task_with_skips(shared_data):
    (row,) = inspect.describe(
        "hh_rlhf_harmlessness", split="test", data_dir=shared_data
    ).itertuples()
    assert (row.num_examples, row.skipped, row.missing, row.share) == (149, 1, False, 1.0)


def test_shares_are_those_of_the_stream(shared_data, demo_codec):
    """Only hh_rlhf_harmlessness of flame_rm's four tasks has a test split with data there:
    the stream get_dataset produces is all of it, and describe says so."""
    frame = inspect.describe("flame_rm", split="test", data_dir=shared_data).set_index("task")
    assert frame["share"].to_dict() == {
        "hh_rlhf_harmlessness": 1.0,
        "commitpack_pairwise": 0.0,
        "helpsteer_pairwise": 0.0,
        "prm800k_pairwise": 0.0,
    }
    features.DROPPED.clear()
    dataset = features.get_dataset(
        "flame_rm",
        codec=demo_codec,
        split="test",
        data_dir=shared_data,
        sequence_length=4096,
        targets_length=32,
        pack=False,
        shuffle=False,
        num_epochs=1,
    )
    streamed = sum(1 for _ in dataset.as_numpy_iterator())
    assert streamed + features.DROPPED["hh_rlhf_harmlessness"] == 149
    assert set(features.DROPPED) <= {"hh_rlhf_harmlessness"}


def test_show_is_seeded():
    a = inspect.show("demo", n=5, seed=1)
    b = inspect.show("demo", n=5, seed=1)
    assert a.equals(b) and list(a.columns) == ["task", "inputs", "targets"]
    assert all(t.startswith("EVALUATION:\n") for t in a["targets"])
    assert not a.equals(inspect.show("demo", n=5, seed=2))


def test_unknown_names_get_suggestions():
    with pytest.raises(KeyError, match="did you mean flame_rm"):
        inspect.describe("flame_mr")


def test_list_tasks_and_mixtures():
    tasks = inspect.list_tasks()
    assert {"task", "source", "task_type", "capability", "splits", "evaluation_only"} <= set(tasks)
    assert tasks[tasks["task"] == "reward_bench_chat"]["evaluation_only"].item()
    assert {"flame", "flame_rm", "demo", "flame_safety"} <= set(inspect.list_mixtures()["mixture"])


def test_describe_flame_reports_bad_rows_and_a_wrong_schema_fails_clearly(tmp_path):
    upstream = os.path.join(os.path.dirname(testing.shared_data()), "upstream")
    frame = inspect.describe("flame", data_dir=upstream)
    lens = frame[frame["task"] == "lens_simpeval"].iloc[0]
    assert (lens["num_examples"], lens["bad"], lens["missing"]) == (2399, 1, False)
    testing.write_rows(tmp_path, "lens", "simpeval_past.csv", [{"original": "a", "x": "b"}] * 30)
    with pytest.raises(DataError, match=r"task lens_simpeval, split train: .*wrong schema\?"):
        inspect.describe("flame", data_dir=str(tmp_path))
