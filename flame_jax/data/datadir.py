"""Operations on a data directory for the registered sources: download and check.

    flame-jax data download --data_dir D [--sources hh_rlhf shp ...] [--dry_run]
    flame-jax data check --data_dir D [--sources ...] [--strict] [--max_bad_share F]
        [--max_bad_rows N]

`check` reads every split of every task (through the cached counts) and reports, per task
and split: present (rows read, examples, documented skips and repairs by reason, bad rows by
reason with their first row numbers, and the error budget), missing (which files, and where a
file of that name lies elsewhere under the source's folder, the path it is expected at), or error
(a file that cannot be read or has the wrong schema, or bad rows past the budget: the error
names the file, the first rows and fields, and the share that was bad). A bad row (one a
converter cannot turn into a record) is counted and left out; `--strict` (for people writing
converters) makes any bad row an error. A directory or an
unreadable file where a file should be is an error. The counts cache is keyed on size and
modification time; `check` vouches for content, so it also records each split's sha256 digests
and drops a cached count whose files' content changed (a file corrupted in place keeps its size
and time).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
from collections.abc import Sequence

from flame_jax.data import registry
from flame_jax.data.readers import DataError, exists, is_remote, open_binary
from flame_jax.data.sources import (
    Archive,
    DownloadReport,
    Generated,
    HuggingFace,
    Manual,
    Source,
    download,
)
from flame_jax.files import write_atomically


def sources(names: Sequence[str] | None = None) -> list[Source]:
    """Registered sources (all, or those named), each once; unknown names get suggestions."""
    known: dict[str, Source] = {}
    for task in registry.tasks():
        known.setdefault(task.source.name, task.source)
    for name, (source, _) in registry.source_files().items():
        known.setdefault(name, source)
    if not names:
        return [known[name] for name in sorted(known)]
    missing = [n for n in names if n not in known]
    if missing:
        raise KeyError("; ".join(registry.unknown_name("source", n, known) for n in missing))
    return [known[name] for name in names]


def source_files(source: Source) -> list[str]:
    files = {
        f for t in registry.tasks() if t.source == source for fs in t.splits.values() for f in fs
    }
    declared = registry.source_files().get(source.name)
    if declared:
        files.update(declared[1])
    return sorted(files)


def download_sources(root: str, names: Sequence[str] | None = None) -> list[DownloadReport]:
    return [
        download(source, source_files(source), root)
        for source in sources(names)
        if not isinstance(source.host, Generated)
    ]


def download_plan(names: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """(source, file, where it comes from) for every file `download_sources` would fetch:
    its URL (with the archive member), or the manual step. Nothing is fetched."""
    plan = []
    for source in sources(names):
        host = source.host
        if isinstance(host, Generated):
            continue
        for file in source_files(source):
            if isinstance(host, Manual):
                where = f"manual: {host.steps}"
            elif isinstance(host, Archive):
                where = f"{host.url(file)} [member {host.member(file)}]"
            else:
                where = host.url(file)
                if isinstance(host, HuggingFace) and host.gated:
                    where += " (gated: HF_TOKEN)"
            plan.append((source.name, file, where))
    return plan


@dataclasses.dataclass(frozen=True)
class CheckRow:
    source: str
    task: str
    split: str
    status: str  # present | missing | error
    rows: int = 0
    num_examples: int = 0
    skipped: int = 0
    bad: int = 0
    detail: str = ""


def check(
    root: str, names: Sequence[str] | None = None, budget: registry.Budget = registry.BUDGET
) -> list[CheckRow]:
    """The state of every task split of the chosen sources under `root`; a split whose bad
    rows pass `budget` is in error."""
    rows = []
    declared = registry.source_files()
    for source in sources(names):
        for file in declared.get(source.name, (None, ()))[1]:  # files no task reads
            problem = _file_problem(source.path(file, root))
            status = "error" if problem else "present" if source.has(file, root) else "missing"
            rows.append(
                CheckRow(source.name, "-", "-", status, detail=problem or f"{status}: {file}")
            )
        for task in registry.tasks():
            if task.source != source:
                continue
            for split in task.splits:
                try:
                    _drop_stale_count(task, split, root)
                    counts = registry.count(task, split, root, budget)
                except (DataError, OSError, EOFError) as e:
                    tally = _tally_if_read(task, split, root)
                    rows.append(
                        CheckRow(
                            source.name,
                            task.name,
                            split,
                            "error",
                            tally.rows,
                            tally.records,
                            sum(tally.skipped.values()),
                            sum(tally.bad.values()),
                            " ".join(str(e).split()),
                        )
                    )
                    continue
                if counts.missing:
                    shown = ", ".join(counts.missing[:3])
                    more = len(counts.missing) - 3
                    detail = f"missing: {shown}" + (f" (+{more} more files)" if more > 0 else "")
                    detail += _elsewhere(source, counts.missing, root)
                    rows.append(CheckRow(source.name, task.name, split, "missing", detail=detail))
                else:
                    tally = counts.tally
                    rows.append(
                        CheckRow(
                            source.name,
                            task.name,
                            split,
                            "present",
                            tally.rows,
                            counts.num_examples,
                            sum(tally.skipped.values()),
                            counts.bad,
                            _detail(tally, budget),
                        )
                    )
    return rows


def _tally_if_read(task: registry.FlameTask, split: str, root: str) -> registry.Tally:
    """The counts of a split in error when it was read whole (bad rows past the budget), else
    empty ones (a file that cannot be read)."""
    try:
        return registry.count(task, split, root, registry.Budget(share=1.0)).tally
    except (DataError, OSError, EOFError):
        return registry.Tally()


def _elsewhere(source: Source, missing: Sequence[str], root: str) -> str:
    """A hint for missing files of which a file of the same name (or the same name with a
    suffix, as `phase1_train.sample.jsonl` for `phase1_train.jsonl`) lies elsewhere under the
    source's folder: the expected path, so that a file put in the wrong place is moved, not
    fetched again. Of several such files, the one sharing most folder names with the expected
    path is named. Local data directories only."""
    folder = os.path.join(root, source.name)
    if is_remote(root) or not os.path.isdir(folder):
        return ""
    found = [
        os.path.relpath(os.path.join(top, name), folder)
        for top, _, names in itertools.islice(os.walk(folder), 1000)
        for name in names
    ]
    hints = []
    for expected in missing:
        stem = os.path.basename(expected).split(".")[0]
        parts = set(expected.split("/"))
        same = [f for f in found if os.path.basename(f).split(".")[0] == stem]
        if same:
            best = max(same, key=lambda f: (len(parts & set(f.split("/"))), f))
            hints.append(f"{source.name}/{best} is there, {source.name}/{expected} expected")
    return f" ({'; '.join(hints)})" if hints else ""


def _detail(tally: registry.Tally, budget: registry.Budget) -> str:
    """Skips and repairs by reason, bad rows by reason with their first rows, the budget."""
    parts = []
    for name, counter in (("skipped", tally.skipped), ("repaired", tally.repaired)):
        if counter:
            parts.append(f"{name}: " + ", ".join(f"{k}={v}" for k, v in sorted(counter.items())))
    if tally.bad:
        parts.append(f"bad: {tally.describe_bad()} (budget {budget})")
    return "; ".join(parts)


def _file_problem(path: str) -> str | None:
    """Why an existing local `path` cannot be read as a file, or None."""
    if is_remote(path) or not os.path.exists(path):
        return None
    if os.path.isdir(path):
        return f"{path} is a directory, not a file"
    if not os.access(path, os.R_OK):
        return f"{path} is not readable"
    return None


def _content_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open_binary(path) as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _drop_stale_count(task: registry.FlameTask, split: str, root: str) -> None:
    """Drops the cached count of a split whose files' sha256 differ from those recorded at
    the last check (see the module docstring); OSError naming a file that is no file."""
    if isinstance(task.source.host, Generated):
        return
    paths = [task.source.path(f, root) for f in task.files(split)]
    if not all(exists(p) for p in paths):
        return  # reported missing by the count
    for path in paths:
        problem = _file_problem(path)
        if problem:
            raise IsADirectoryError(problem) if os.path.isdir(path) else PermissionError(problem)
    key = registry._fingerprint(task, split, root)  # the count cache's key (size and time)
    seen = os.path.join(registry.cache_dir(), "checked", f"{key}.json")
    digests = [_content_digest(p) for p in paths]
    recorded = None
    if os.path.isfile(seen):
        with open(seen) as f:
            recorded = json.load(f)
    if recorded != digests:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(registry.cache_dir(), "counts", f"{key}.json"))
        write_atomically(seen, json.dumps(digests))


def source_summary(rows: Sequence[CheckRow]) -> dict[str, list[str]]:
    """Sources by state: complete (every task split present), partial, missing, error."""
    states: dict[str, set[str]] = {}
    for row in rows:
        states.setdefault(row.source, set()).add(row.status)
    summary: dict[str, list[str]] = {"complete": [], "partial": [], "missing": [], "error": []}
    for source, seen in sorted(states.items()):
        if "error" in seen:
            summary["error"].append(source)
        elif seen == {"present"}:
            summary["complete"].append(source)
        elif "present" in seen:
            summary["partial"].append(source)
        else:
            summary["missing"].append(source)
    return summary
