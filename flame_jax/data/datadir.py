"""Operations on a data directory for the registered sources: download and check.

    flame-jax data download --data_dir D [--sources hh_rlhf shp ...] [--dry_run]
    flame-jax data check --data_dir D [--sources ...]

`check` reads every split of every task (through the cached counts) and reports, per task
and split: present (with example and skip counts), missing (which files), or error (the
first schema error, naming file, row and field; a directory or an unreadable file where a
file should be). The counts cache is keyed on size and modification time; `check` vouches
for content, so it also records each split's sha256 digests and drops a cached count whose
files' content changed (a file corrupted in place keeps its size and time).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
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
    num_examples: int = 0
    skipped: int = 0
    detail: str = ""


def check(root: str, names: Sequence[str] | None = None) -> list[CheckRow]:
    """The state of every task split of the chosen sources under `root`."""
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
                    counts = registry.count(task, split, root)
                except (DataError, OSError, EOFError) as e:
                    detail = " ".join(str(e).split())
                    rows.append(CheckRow(source.name, task.name, split, "error", detail=detail))
                    continue
                if counts.missing:
                    shown = ", ".join(counts.missing[:3])
                    more = len(counts.missing) - 3
                    detail = f"missing: {shown}" + (f" (+{more} more files)" if more > 0 else "")
                    rows.append(CheckRow(source.name, task.name, split, "missing", detail=detail))
                else:
                    skipped = ", ".join(f"{k}={v}" for k, v in sorted(counts.skipped.items()))
                    rows.append(
                        CheckRow(
                            source.name,
                            task.name,
                            split,
                            "present",
                            counts.num_examples,
                            sum(counts.skipped.values()),
                            f"skipped: {skipped}" if skipped else "",
                        )
                    )
    return rows


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
