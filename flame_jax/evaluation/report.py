"""What every benchmark returns and how `flame-jax eval` writes it.

A benchmark's `evaluate(...)` returns a `BenchmarkResult`: the scores (metric name -> value,
proportions in [0, 1] unless the name says otherwise), one JSON-ready row per judged item, and
the paper's numbers for the same metrics (FLAME.md) to print beside ours, and the items left
out because they are longer than the judge's max_length (counted and listed in scores.json and
report.md; the scores are over the judged items). `write` publishes predictions.jsonl,
scores.json and report.md as one unit: written into a directory beside the output, which then
replaces it by rename, so an interrupted run leaves the previous result set whole (or none),
never new predictions beside old scores. An output directory holding other files is refused
(`check_output`, before any judging), since replacing it would drop them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from flame_jax.files import OutputError, check_writable, staged_directory, write_atomically

RESULT_FILES = {"predictions": "predictions.jsonl", "scores": "scores.json", "report": "report.md"}


@dataclasses.dataclass
class BenchmarkResult:
    """The outcome of one benchmark run.

    Attributes:
      benchmark: its name (as `flame-jax eval --benchmark` takes it).
      scores: metric -> value, in the order the report shows them.
      predictions: one JSON-ready dict per judged item.
      paper: row name (e.g. "FLAMe-RM-24B") -> {metric: value} from FLAME.md, on the same
        metric names and scale as `scores`; missing metrics show as "-".
      notes: lines for the report (protocol, data release, what was left out and why).
      skipped: one row per item not judged because it is longer than the judge's max_length
        (flame_jax.evaluation.suite.split_too_long).
    """

    benchmark: str
    scores: dict[str, float]
    predictions: list[dict[str, Any]]
    paper: Mapping[str, Mapping[str, float]] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    skipped: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def markdown(self, *, model_name: str = "this judge") -> str:
        """A table: one column per metric, our row first, then the paper's rows."""
        metrics = list(self.scores)
        lines = [
            f"# {self.benchmark}",
            "",
            "| model | " + " | ".join(metrics) + " |",
            "|---|" + "---|" * len(metrics),
            f"| {model_name} | " + " | ".join(_cell(self.scores[m]) for m in metrics) + " |",
        ]
        for name, row in self.paper.items():
            lines.append(
                f"| {name} (paper) | " + " | ".join(_cell(row.get(m)) for m in metrics) + " |"
            )
        lines += ["", f"{len(self.predictions)} items judged."]
        if self.notes:
            lines += ["", *(f"- {note}" for note in self.notes)]
        if self.skipped:
            lines += [
                "",
                f"{len(self.skipped)} items skipped: longer than the judge's max_length (not "
                "judged, not in the scores):",
                "",
                *(f"- {_skipped(row)}" for row in self.skipped),
            ]
        return "\n".join(lines) + "\n"


def _skipped(row: Mapping[str, Any]) -> str:
    meta = {k: v for k, v in row.items() if k not in ("task", "item", "tokens", "max_length")}
    where = "".join(f", {k} {v}" for k, v in meta.items())
    return (
        f"{row['task']} item {row['item']}{where}: {row['tokens']} tokens > "
        f"max_length {row['max_length']}"
    )


def _cell(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * value:.1f}"


def write_jsonl(path: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """One JSON object per line, written atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    write_atomically(path, "".join(json.dumps(row) + "\n" for row in rows))


def check_output(output_dir: str) -> None:
    """Raises OutputError unless `output_dir` can take a result set: new, empty, or a previous
    result set (only RESULT_FILES), in a writable place. Called before judging."""
    check_writable(output_dir, directory=True)
    if os.path.isdir(output_dir):
        others = sorted(set(os.listdir(output_dir)) - set(RESULT_FILES.values()))
        if others:
            raise OutputError(
                f"{output_dir} holds files other than a result set ({', '.join(others[:5])}): "
                "give a new or empty directory"
            )


def write(
    result: BenchmarkResult, output_dir: str, *, model_name: str = "this judge"
) -> dict[str, str]:
    """Publishes predictions.jsonl, scores.json and report.md as one unit; returns their paths."""
    check_output(output_dir)
    texts = {
        "predictions": "".join(json.dumps(row) + "\n" for row in result.predictions),
        "scores": json.dumps(
            {
                "benchmark": result.benchmark,
                "scores": result.scores,
                "notes": result.notes,
                "num_skipped": len(result.skipped),
                "skipped": result.skipped,
            },
            indent=1,
        ),
        "report": result.markdown(model_name=model_name),
    }
    with staged_directory(output_dir, replace=True) as staging:
        for key, text in texts.items():
            write_atomically(os.path.join(staging, RESULT_FILES[key]), text)
    return {key: os.path.join(output_dir, name) for key, name in RESULT_FILES.items()}


def mean(values: Sequence[float]) -> float:
    """The plain mean; NaN for no values (shown as "-")."""
    return sum(values) / len(values) if values else math.nan
