"""Offline caching: seqio's Beam job on the DirectRunner writes what the uncached pipeline makes.

One job (module fixture) caches the train split of a generated demo task (no files needed);
the tests read it back the ways a pod does: a task, a mixture, the trainer.
"""

import logging
import os
import re
import shutil

import numpy as np
import pytest
import seqio

from flame_jax import cli
from flame_jax.data import binding, cache, registry, vocabularies
from flame_jax.data.codec import Codec
from flame_jax.models import TransformerConfig
from flame_jax.training import optimizers
from flame_jax.training import train as train_lib

TASK = "demo_sortedness"  # 4000 generated train examples


@pytest.fixture(autouse=True)
def _fresh_cache_dirs():
    """seqio's global cache dirs, and the cache dir and stats a task remembers once found, are
    process state: each test starts and ends without them."""

    def forget():
        for name in seqio.TaskRegistry.names():
            if name.startswith("demo_"):
                task = seqio.TaskRegistry.get(name)
                task._cache_dir = None
                task._stats = {}

    saved = list(seqio.get_global_cache_dirs())
    seqio.set_global_cache_dirs([])
    forget()
    yield
    seqio.set_global_cache_dirs(saved)
    forget()


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory, demo_vocab):
    pytest.importorskip("apache_beam", reason="the cache job needs flame-jax[cache]")
    out = str(tmp_path_factory.mktemp("cache"))
    report = cache.cache_tasks(
        TASK, out, vocabulary_path=demo_vocab, splits=["train"], min_shards=2
    )
    return out, report


@pytest.fixture(autouse=True)
def _demo_vocabulary_bound(demo_vocab):
    """These tests read the registered seqio tasks directly, as t5x does: with the demo
    vocabulary bound (flame_jax.data.binding)."""
    with binding.bound(vocabulary=vocabularies.load(demo_vocab)):
        yield


def _examples(split="train", **kwargs):
    task = seqio.get_mixture_or_task(TASK)
    dataset = task.get_dataset(sequence_length=None, split=split, **kwargs)
    return [(tuple(ex["inputs"]), tuple(ex["targets"])) for ex in dataset.as_numpy_iterator()]


def test_the_job_writes_seqio_layout_and_our_metadata(demo_cache, demo_vocab):
    out, report = demo_cache
    assert [(s.task, s.split, s.examples) for s in report.cached] == [(TASK, "train", 4000)]
    assert report.cached[0].tokens["inputs_tokens"] > 4000
    path = os.path.join(out, TASK)
    assert sorted(os.listdir(path)) == [
        "COMPLETED",
        "info.train.json",
        "stats.train.json",
        "train.tfrecord-00000-of-00002",
        "train.tfrecord-00001-of-00002",
    ]
    assert cache.task_cache_dir(TASK, [out]) == path
    metadata = cache.cache_metadata(path)
    assert metadata["vocabulary_sha256"] == cache.vocabulary_sha256(demo_vocab)
    assert metadata["task_version"] == registry.get_task(TASK).version
    counted = registry.count(registry.get_task(TASK), "train", None).num_examples
    assert cache.num_cached_examples(TASK, "train", [out]) == counted == 4000


def test_the_cache_holds_the_uncached_pipelines_tokens(demo_cache):
    cache.use_cache_dirs([demo_cache[0]])
    cached = _examples(use_cached=True, shuffle=False)
    uncached = _examples(use_cached=False, shuffle=False)
    assert len(cached) == 4000
    assert sorted(cached) == sorted(uncached)  # the same examples; Beam reshuffled their order
    # One cache, one seed, one order: a resumed run continues the same stream.
    first = _examples(use_cached=True, shuffle=True, seed=3)[:50]
    assert first == _examples(use_cached=True, shuffle=True, seed=3)[:50]


def test_a_mixture_reads_the_cache_alone(demo_cache, monkeypatch, caplog):
    cache.use_cache_dirs([demo_cache[0]])

    def no_data_directory(*args, **kwargs):
        raise AssertionError("a cached mixture read the data directory")

    monkeypatch.setattr(registry, "count", no_data_directory)
    cached = set(_examples(use_cached=True, shuffle=False))
    with caplog.at_level(logging.WARNING):
        dataset = seqio.get_mixture_or_task("demo").get_dataset(
            sequence_length={"inputs": 224, "targets": 32},
            split="train",
            use_cached=True,
            shuffle=False,
            num_epochs=1,
        )
    assert "leaving out 3 task(s) of 1 source(s) whose cache is missing" in caplog.text
    assert "demo_sorting" in caplog.text
    rows = [ex for _, ex in zip(range(20), dataset.as_numpy_iterator(), strict=False)]
    assert len(rows) == 20
    eos = binding.current().vocabulary.eos_id
    for ex in rows:  # the post-cache preprocessors ran (EOS appended) on cached examples
        assert ex["targets"][-1] == eos
        assert (tuple(ex["inputs"]), tuple(ex["targets"])) in cached


def test_a_missing_cache_names_the_task_and_the_cache_dirs(tmp_path):
    empty = str(tmp_path / "empty")
    with pytest.raises(
        FileNotFoundError,
        match=rf"task demo_support is not cached: no demo_support/COMPLETED .*{re.escape(empty)}"
        r".*flame-jax data cache --mixture_or_task demo_support",
    ):
        cache.check_cached("demo_support", "train", [empty])
    with pytest.raises(FileNotFoundError, match=r"no task of mixture demo is cached .*'train'"):
        cache.check_cached("demo", "train", [empty])
    with pytest.raises(KeyError, match="did you mean"):
        cache.check_cached("demo_sortednes", "train", [empty])
    cache.use_cache_dirs([empty])  # a mixture read from the cache (as t5x reads it) says so too
    with pytest.raises(FileNotFoundError, match=rf"mixture demo .*{re.escape(empty)}"):
        seqio.get_mixture_or_task("demo").get_dataset(split="train", use_cached=True)


def test_a_cached_task_without_the_split_says_so(demo_cache):
    with pytest.raises(FileNotFoundError, match=r"demo_sortedness without split 'validation'"):
        cache.check_cached(TASK, "validation", [demo_cache[0]])


def test_a_cache_of_another_vocabulary_is_refused(demo_cache, demo_vocab, tmp_path):
    other = str(tmp_path / "other.model")
    shutil.copy(demo_vocab, other)
    with open(other, "ab") as f:
        f.write(b"\0")  # another file: another checksum
    with pytest.raises(ValueError, match="tokenized with another vocabulary"):
        cache.check_cached(TASK, "train", [demo_cache[0]], vocabulary_path=other)
    cache.check_cached(TASK, "train", [demo_cache[0]], vocabulary_path=demo_vocab)


def test_an_unknown_name_fails_before_beam(demo_vocab, capsys):
    argv = ["data", "cache", "--mixture_or_task", "demo_sortednes", "--output_cache_dir", "x"]
    assert cli.main([*argv, "--vocabulary", demo_vocab]) == 2
    assert "did you mean demo_sortedness" in capsys.readouterr().err


def test_t5x_cache_dirs_flag_binds_the_trainer(monkeypatch):
    from flame_jax import configurables

    seen = {}
    monkeypatch.setattr(configurables, "train_arguments", lambda: {})
    monkeypatch.setattr(train_lib, "train", lambda **kwargs: seen.update(kwargs))
    configurables.train_main(
        [
            "--gin_file=gin/runs/demo.gin",
            '--gin.MODEL_DIR="/tmp/x"',
            '--gin.VOCABULARY="/tmp/v.model"',
            "--seqio_additional_cache_dirs=gs://b/c,/tmp/d",
        ]
    )
    assert "train.cache_dirs = ['gs://b/c', '/tmp/d']" in seen["operative_config"]


CONFIG = TransformerConfig(
    vocab_size=1024,
    embed_dim=32,
    num_layers=1,
    num_heads=2,
    num_kv_heads=1,
    head_dim=16,
    mlp_dim=64,
)


def _train(model_dir, codec, **kwargs):
    return train_lib.train(
        codec=codec,
        model_dir=str(model_dir),
        mixture_or_task_name=TASK,
        model_config=CONFIG,
        train_steps=2,
        batch_size=4,
        task_feature_lengths={"inputs": 224, "targets": 32},
        optimizer=optimizers.make_optimizer("adam", 1e-3),
        log_every=1,
        write_summaries=False,
        use_cached_tasks=True,
        **kwargs,
    )


def test_training_without_the_cache_fails_at_start(tmp_path, demo_vocab):
    with pytest.raises(FileNotFoundError, match=r"task demo_sortedness is not cached"):
        _train(tmp_path / "run", Codec.load(demo_vocab), cache_dirs=[str(tmp_path / "no_cache")])
    assert not os.path.exists(tmp_path / "run" / "checkpoints")  # nothing was started


def test_training_reads_the_cached_tasks(demo_cache, demo_codec, tmp_path):
    result = _train(tmp_path / "run", demo_codec, cache_dirs=[demo_cache[0]])
    assert [h["step"] for h in result.history] == [1, 2]
    assert np.isfinite([h["loss"] for h in result.history]).all()
