"""`flame-jax eval`'s results are published as one unit: the old set or the new, never a mix."""

import json
import os
from pathlib import Path

import pytest

from flame_jax.evaluation import report


def _result(score: float) -> report.BenchmarkResult:
    return report.BenchmarkResult("demo", {"accuracy": score}, [{"id": 1, "score": score}])


def test_a_result_set_replaces_the_previous_one_whole(tmp_path, monkeypatch):
    out = str(tmp_path / "results")
    paths = report.write(_result(0.25), out)
    assert sorted(os.listdir(out)) == sorted(report.RESULT_FILES.values())
    assert json.loads(Path(paths["scores"]).read_text())["scores"] == {"accuracy": 0.25}
    old = {name: open(os.path.join(out, name)).read() for name in os.listdir(out)}

    written = []
    real = report.write_atomically

    def killed_after_one(path, text):  # the run dies between its result writes
        if written:
            raise KeyboardInterrupt
        written.append(path)
        real(path, text)

    monkeypatch.setattr(report, "write_atomically", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        report.write(_result(0.75), out)
    assert {name: open(os.path.join(out, name)).read() for name in os.listdir(out)} == old
    assert sorted(os.listdir(tmp_path)) == ["results"]  # no staging directory left behind
    monkeypatch.undo()
    report.write(_result(0.75), out)
    assert json.loads(Path(paths["scores"]).read_text())["scores"] == {"accuracy": 0.75}
    assert '"score": 0.75' in Path(paths["predictions"]).read_text()


def test_a_killed_runs_staging_directory_is_cleared(tmp_path):
    dead = tmp_path / "results.partial-999999999"  # no such process
    dead.mkdir()
    (dead / "predictions.jsonl").write_text("half")
    report.write(_result(0.5), str(tmp_path / "results"))
    assert sorted(os.listdir(tmp_path)) == ["results"]


def test_an_output_holding_other_files_is_refused(tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(ValueError, match=r"mine\.txt"):
        report.write(_result(0.5), str(tmp_path))
    assert os.listdir(tmp_path) == ["mine.txt"]
