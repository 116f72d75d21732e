"""Fixtures of the task tests: the whole upstream files in ../shared/upstream, read in place."""

import os

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import read_rows


@pytest.fixture(scope="session")
def shared_upstream() -> str:
    path = os.path.join(os.path.dirname(testing.shared_data()), "upstream")
    if not os.path.isdir(path):
        pytest.fail(f"../shared/upstream is missing at {path}: tests read whole upstream files")
    return path


@pytest.fixture(scope="session")
def tally_of():
    """(records, tally) of a task over one whole file at `path`, named `file` in reports."""
    return _tally_of


def _tally_of(task: str, source: str, path: str, file: str, budget=registry.BUDGET):
    tally = registry.Tally()
    rows = lambda: read_rows(path, source=source, display=file)  # noqa: E731
    records = list(registry.get_task(task).render_rows(rows, tally=tally, budget=budget))
    return records, tally
