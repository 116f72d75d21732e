"""Fixtures of the evaluation tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def nothing_outlives_the_sandbox():
    """After a module's runs: no process of any sandbox is left on the host."""
    yield
    leftovers = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"/sandbox/harness.py" in f.read():
                    leftovers.append(pid)
        except OSError:  # ended meanwhile
            pass
    assert not leftovers, f"sandbox processes still running: {leftovers}"
