"""FLAMe tasks: a source, a template and a converter, registered as seqio Tasks.

A source module (see tasks/ and README "Adding a source") declares a `Source` and calls
`register(FlameTask(...))` for each task it gives. Registration is cheap: nothing is read
until a dataset, a count or an inspection asks for it, and the data directory is resolved
at that moment (so one registry serves any data directory).

The pipeline of one task split:

    files under DATA_DIR/<source>/ -> readers.read_rows -> Row
      -> task.convert (rows -> items: Pair, Rating, Label, Generation, or Skip)
      -> task.template.render (item -> Record)
      -> {"inputs", "targets"} -> seqio: tokenize, cache placeholder, append EOS to targets

Rendering runs in Python inside the data source because upstream rows are nested Python
objects (lists of turns, step annotations) that have no tf.data form; everything after it
is seqio's own preprocessing.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import itertools
import json
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import seqio

from flame_jax.data import binding, features, metrics, vocabularies
from flame_jax.data.readers import DataError, Row, Skip, SkipRow
from flame_jax.data.sources import Generated, Source
from flame_jax.format import Capability, Generation, Label, Pair, Rating, Record, TaskType, Template

Item = Pair | Rating | Label | Generation
Converter = Callable[[Iterator[Row]], Iterable[Item | Skip]]

SPLITS = ("train", "validation", "test")


def per_row(fn: Callable[[Row], Item | Iterable[Item] | None]) -> Converter:
    """Makes a converter from a function of one row.

    The function returns an item, several items, or raises `SkipRow(reason)` for a row its
    task documents as skipped.
    """

    @functools.wraps(fn)
    def convert(rows: Iterator[Row]) -> Iterator[Item | Skip]:
        for row in rows:
            try:
                out = fn(row)
            except SkipRow as skip:
                yield Skip(skip.reason)
                continue
            if isinstance(out, (Pair, Rating, Label, Generation)):
                yield out
            elif out is None:
                raise row.error("*", f"{fn.__name__} returned nothing (raise SkipRow to skip)")
            else:
                yield from out

    return convert


@dataclasses.dataclass(frozen=True)
class FlameTask:
    """One FLAMe task.

    Attributes:
      name: the seqio task name (`<source>_<what>`).
      source: the upstream dataset.
      capability: what the task teaches or measures.
      template: the instructions and answer convention; it fixes the task type.
      splits: split name -> the source's files (upstream names) that make the split.
      convert: upstream rows -> items (or `Skip` for documented skips).
      skips: reason -> why such rows are left out; any other skip is an error.
      evaluation_only: never enters a training mixture (forced for evaluation sources).
      version: bump when the conversion changes (invalidates cached example counts).
    """

    name: str
    source: Source
    capability: Capability
    template: Template
    splits: Mapping[str, tuple[str, ...]]
    convert: Converter
    skips: Mapping[str, str] = dataclasses.field(default_factory=dict)
    evaluation_only: bool = False
    version: int = 1

    @property
    def task_type(self) -> TaskType:
        return self.template.task_type

    @property
    def is_training(self) -> bool:
        return not self.evaluation_only

    def files(self, split: str) -> tuple[str, ...]:
        if split not in self.splits:
            raise KeyError(f"task {self.name} has no split {split!r}; it has {sorted(self.splits)}")
        return self.splits[split]

    def missing_files(self, split: str, root: str | None = None) -> list[str]:
        return [f for f in self.files(split) if not self.source.has(f, root)]

    def records(
        self, split: str, root: str | None = None, skipped: Counter | None = None
    ) -> Iterator[Record]:
        """The rendered records of a split, in file order; skipped rows are counted in `skipped`."""
        missing = self.missing_files(split, root)
        if missing:
            raise DataError(
                f"task {self.name}, split {split}: missing "
                + ", ".join(self.source.path(f, root) for f in missing)
                + f" (run: flame-jax data download --data_dir {root} --sources {self.source.name})"
            )

        def rows() -> Iterator[Row]:
            for file in self.files(split):
                yield from self.source.read(file, root)

        yield from self.render_rows(rows(), skipped)

    def render_rows(self, rows: Iterable[Row], skipped: Counter | None = None) -> Iterator[Record]:
        """Records of upstream rows (from the task's files, or any rows in the source's schema).

        Skipped rows are counted in `skipped`; a skip the task does not document, or an item
        the template cannot render, raises DataError naming the row.
        """
        last: list[Row] = []

        def tracked() -> Iterator[Row]:
            for row in rows:
                last[:] = [row]
                yield row

        seed = zlib.crc32(self.name.encode())  # per-task offset of the A/B alternation
        index = 0
        for item in self.convert(tracked()):
            where = last[0].location if last else f"task {self.name}"
            if isinstance(item, Skip):
                if item.reason not in self.skips:
                    raise DataError(f"{where}: skipped for an undocumented reason {item.reason!r}")
                if skipped is not None:
                    skipped[item.reason] += 1
                continue
            try:
                record = self.template.render(item, index=index, seed=seed)
            except (ValueError, TypeError) as e:
                raise DataError(f"{where} (task {self.name}): {e}") from e
            if item.meta:
                record = dataclasses.replace(record, meta=tuple(item.meta.items()))
            index += 1
            yield record


_TASKS: dict[str, FlameTask] = {}
_SOURCE_FILES: dict[str, tuple[Source, tuple[str, ...]]] = {}


def _dataset_fn(task: FlameTask, split: str, shuffle_files: bool, seed: int | None = None):
    import tensorflow as tf  # noqa: PLC0415

    del shuffle_files, seed  # files are read in order; seqio shuffles examples with its seed
    root = binding.current().data_dir  # fixed when the dataset is built

    def generate():
        for record in task.records(split, root):
            yield {"inputs": record.inputs, "targets": record.targets}

    spec = tf.TensorSpec(shape=(), dtype=tf.string)
    return tf.data.Dataset.from_generator(
        generate, output_signature={"inputs": spec, "targets": spec}
    )


_TASK_VOCABULARY = vocabularies.TaskVocabulary()  # the vocabulary bound at build time


def output_features() -> dict[str, seqio.Feature]:
    """Inputs carry no EOS (the targets follow them directly); targets end with EOS."""
    return {
        "inputs": seqio.Feature(_TASK_VOCABULARY, add_eos=False),
        "targets": seqio.Feature(_TASK_VOCABULARY, add_eos=True),
    }


def register(task: FlameTask) -> seqio.Task:
    """Registers a FLAMe task with seqio (and in the FLAMe registry used for inspection)."""
    if task.source.evaluation_only and not task.evaluation_only:
        raise ValueError(
            f"task {task.name} reads the evaluation source {task.source.name}: "
            "mark it evaluation_only=True"
        )
    if not task.name.startswith(task.source.name):
        raise ValueError(f"task {task.name} must be named after its source {task.source.name}")
    for split in task.splits:
        if split not in SPLITS:
            raise ValueError(f"task {task.name}: unknown split {split!r} (use one of {SPLITS})")
    if task.name in _TASKS:
        raise ValueError(f"task {task.name} is already registered")
    _TASKS[task.name] = task
    return seqio.TaskRegistry.add(
        task.name,
        source=seqio.FunctionDataSource(
            dataset_fn=functools.partial(_dataset_fn, task), splits=tuple(task.splits)
        ),
        preprocessors=[
            seqio.preprocessors.tokenize,
            seqio.CacheDatasetPlaceholder(),
            functools.partial(features.drop_overlength, task=task.name),
            seqio.preprocessors.append_eos_after_trim,
        ],
        output_features=output_features(),
        postprocess_fn=functools.partial(metrics.parse_output, template=task.template),
        metric_fns=metrics.metric_fns(task.template),
    )


def register_source_files(source: Source, files: tuple[str, ...]) -> None:
    """Declares files of a source that no task reads (a benchmark reads them itself), so
    `flame-jax data download/check` know them."""
    _SOURCE_FILES[source.name] = (source, tuple(files))


def source_files() -> dict[str, tuple[Source, tuple[str, ...]]]:
    """Source name -> (source, files) declared with register_source_files."""
    return dict(_SOURCE_FILES)


_NOT_REGISTERED = "(the collection registers it: import flame_tasks, as the CLI does)"


def get_task(name: str) -> FlameTask:
    """The registered FLAMe task `name`; a typo gets close names as suggestions."""
    if name not in _TASKS:
        raise KeyError(f"{unknown_name('task', name, _TASKS)} {_NOT_REGISTERED}")
    return _TASKS[name]


def get_source(name: str) -> Source:
    """The source `name` declared with register_source_files (a benchmark's own files)."""
    if name not in _SOURCE_FILES:
        raise KeyError(f"{unknown_name('source', name, _SOURCE_FILES)} {_NOT_REGISTERED}")
    return _SOURCE_FILES[name][0]


def tasks() -> list[FlameTask]:
    return [_TASKS[name] for name in sorted(_TASKS)]


def unknown_name(kind: str, name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown {kind} {name!r}{hint}"


# --- Example counts (needed by example-proportional rates), cached per data directory. ---


@dataclasses.dataclass(frozen=True)
class Counts:
    num_examples: int
    skipped: Mapping[str, int]
    missing: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        return not self.missing


def _fingerprint(task: FlameTask, split: str, root: str | None) -> str:
    parts: list[Any] = [task.name, task.version, split, root]
    for file in task.files(split):
        parts += task.source.stamp(file, root)
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def cache_dir() -> str:
    return os.environ.get("FLAME_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "flame_jax"
    )


def count(task: FlameTask, split: str, root: str | None = None) -> Counts:
    """Examples and skipped rows of a split, read once per data directory and cached.

    The cache key includes the files' sizes and modification times and the task version,
    so a changed file or conversion is counted again. Missing files (or no data directory
    for a task that reads files) give zero examples and are listed in `Counts.missing`.
    """
    missing = (
        task.missing_files(split, root) if root or _generated(task) else list(task.files(split))
    )
    if missing:
        return Counts(0, {}, tuple(missing))
    path = os.path.join(cache_dir(), "counts", f"{_fingerprint(task, split, root)}.json")
    if os.path.exists(path):
        with open(path) as f:
            cached = json.load(f)
        return Counts(cached["num_examples"], cached["skipped"])
    skipped: Counter = Counter()
    n = sum(1 for _ in task.records(split, root, skipped))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(
            {"task": task.name, "split": split, "num_examples": n, "skipped": dict(skipped)}, f
        )
    os.replace(tmp, path)
    return Counts(n, dict(skipped))


def _generated(task: FlameTask) -> bool:
    return isinstance(task.source.host, Generated)


def first_records(task: FlameTask, split: str, n: int, root: str | None = None) -> list[Record]:
    return list(itertools.islice(task.records(split, root), n))
