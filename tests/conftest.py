"""Shared fixtures: the samples in ../shared/data and a small SentencePiece vocabulary."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import flame_tasks  # noqa: F401  (registers the collection once for every test)

from flame_jax.data import testing, vocabularies


@pytest.fixture(scope="session")
def shared_data() -> str:
    path = testing.shared_data()
    if not os.path.isdir(path):
        pytest.fail(f"../shared/data is missing at {path}: tests read upstream samples there")
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own example-count cache."""
    monkeypatch.setenv("FLAME_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def demo_vocab(tmp_path_factory) -> str:
    """The demo's SentencePiece model, set as the vocabulary of every task."""
    from flame_tasks import demo

    path = demo.build_vocabulary(str(tmp_path_factory.mktemp("vocab") / "demo.model"))
    vocabularies.set_vocabulary_path(path)
    return path
