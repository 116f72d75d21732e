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

Real data never breaks a run. A row that a converter cannot turn into an item (a DataError
naming the row, from `Row.error`/`Row.get`/`Row.text`), or whose item the template cannot
render, is a bad row: counted in the split's `Tally` under its reason (field and fault) with
its first row numbers, and left out. A split fails only when its bad rows pass its `Budget`
(more than 1% of its rows, or a set count; at once when its first 20 rows are all bad, a file
of the wrong schema), or on a DataError that names no row (a file that cannot be read). Rows
read = records + documented skips + bad rows for converters that make one item per row;
repairs (`Repaired`) are counted beside them. `per_row` converters go on after a bad row by
themselves; any other converter (one that groups rows) is run again from the start of the
split without the bad rows, its items already given passed over, so each bad row of such a
converter costs one more read of its split.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import itertools
import json
import logging
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import seqio

from flame_jax.data import binding, features, metrics, vocabularies
from flame_jax.data.readers import (
    Bad,
    DataError,
    Repaired,
    Row,
    Skip,
    SkipRow,
    fault_kind,
    keyed_rows,
)
from flame_jax.data.sources import Generated, Source
from flame_jax.format import Capability, Generation, Label, Pair, Rating, Record, TaskType, Template

Item = Pair | Rating | Label | Generation
Converter = Callable[[Iterator[Row]], Iterable[Item | Skip]]

SPLITS = ("train", "validation", "test")
_LOG = logging.getLogger(__name__)
_MARKS = (Skip, Repaired, Bad)  # converter outputs that are counted, not rendered


def per_row(fn: Callable[[Row], Item | Iterable[Item | Repaired] | None]) -> Converter:
    """Makes a converter from a function of one row.

    The function returns an item, several items (after a `Repaired` marker when it repaired
    the row), or raises `SkipRow(reason)` for a row its task documents as skipped. A
    `DataError` it raises makes that one row bad (`Bad`); the rows after it go on.
    """

    @functools.wraps(fn)
    def convert(rows: Iterator[Row]) -> Iterator[Item | Skip | Repaired | Bad]:
        for row in rows:
            try:
                out = fn(row)
            except SkipRow as skip:
                yield Skip(skip.reason)
                continue
            except DataError as e:
                yield Bad(e if e.row is not None else DataError(str(e), row=row, reason=e.reason))
                continue
            if isinstance(out, (Pair, Rating, Label, Generation)):
                yield out
            elif out is None:
                raise row.error("*", f"{fn.__name__} returned nothing (raise SkipRow to skip)")
            else:
                yield from out

    return convert


@dataclasses.dataclass(frozen=True)
class Budget:
    """How many bad rows a split may hold before it fails.

    A split fails when its bad rows are more than `share` of its rows, or more than `count`
    (when set); early, when its first `early` rows are all bad (a file of the wrong schema).
    `strict` fails at the first bad row (for people writing converters).
    """

    share: float = 0.01
    count: int | None = None
    strict: bool = False
    early: int = 20

    def exceeded(self, bad: int, rows: int) -> bool:
        if self.strict:
            return bad > 0
        return bad > self.share * rows or (self.count is not None and bad > self.count)

    def __str__(self) -> str:
        if self.strict:
            return "strict: no bad row"
        return f"at most {self.share:.1%} of rows" + (
            f" and at most {self.count} rows" if self.count is not None else ""
        )


BUDGET = Budget()
STRICT = Budget(strict=True)
_SHOWN_ROWS = 5  # row numbers kept per reason for the report


@dataclasses.dataclass
class Tally:
    """What became of a split's rows: rows read, records made, documented skips, repairs and
    bad rows by reason (with the first rows of each and the first message)."""

    rows: int = 0
    records: int = 0
    skipped: Counter = dataclasses.field(default_factory=Counter)
    repaired: Counter = dataclasses.field(default_factory=Counter)
    bad: Counter = dataclasses.field(default_factory=Counter)
    bad_rows: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    bad_first: dict[str, str] = dataclasses.field(default_factory=dict)

    def add_bad(self, error: DataError) -> None:
        self.bad[error.reason] += 1
        where = self.bad_rows.setdefault(error.reason, [])
        if len(where) < _SHOWN_ROWS and error.row is not None:
            where.append(f"{error.row.file} row {error.row.index}")
        self.bad_first.setdefault(error.reason, str(error))

    def describe_bad(self) -> str:
        """Bad rows by reason with their first rows, e.g. "field 'x': empty text x3 (a.csv
        row 4, ...)"."""
        return "; ".join(
            f"{reason} x{n} ({', '.join(self.bad_rows.get(reason, []))}"
            + (", ..." if n > len(self.bad_rows.get(reason, [])) else "")
            + ")"
            for reason, n in self.bad.most_common()
        )

    def judge(self, task: str, split: str, budget: Budget) -> None:
        """Raises DataError when the bad rows pass `budget`."""
        if budget.exceeded(sum(self.bad.values()), self.rows):
            raise self.failure(task, split, budget)

    def failure(self, task: str, split: str, budget: Budget | None) -> DataError:
        """The error of a split whose bad rows passed `budget` (None: whose first rows are all
        bad): it names the task, split, the share that was bad, the first rows by reason and
        the first message."""
        total = sum(self.bad.values())
        first = next(iter(self.bad_first.values()), "")
        share = total / self.rows if self.rows else 1.0
        why = f"budget {budget}" if budget else "the first rows are all bad: wrong schema?"
        return DataError(
            f"task {task}, split {split}: {total} of {self.rows} rows bad ({share:.2%}; "
            f"{why}): {self.describe_bad()}. First: {first}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # JSON-ready

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tally:
        return cls(
            rows=data["rows"],
            records=data["records"],
            skipped=Counter(data["skipped"]),
            repaired=Counter(data["repaired"]),
            bad=Counter(data["bad"]),
            bad_rows={k: list(v) for k, v in data["bad_rows"].items()},
            bad_first=dict(data["bad_first"]),
        )


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
      keyed: for files whose top level is one object of rows keyed by id, the names of the
        keys (readers.keyed_rows): the rows are the objects inside, counted and judged one
        by one.
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
    keyed: tuple[str, ...] = ()

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
        self,
        split: str,
        root: str | None = None,
        skipped: Counter | None = None,
        *,
        tally: Tally | None = None,
        budget: Budget = BUDGET,
    ) -> Iterator[Record]:
        """The rendered records of a split, in file order.

        Documented skips are counted in `skipped` and `tally`; bad rows are counted in `tally`
        and left out within `budget` (else DataError). Without a `tally` to report them, bad
        rows are logged as a warning when the split has been read.
        """
        missing = self.missing_files(split, root)
        if missing:
            raise DataError(
                f"task {self.name}, split {split}: missing "
                + ", ".join(self.source.path(f, root) for f in missing)
                + f" (run: flame-jax data download --data_dir {root} --sources {self.source.name})"
            )

        def rows() -> Iterator[Row]:
            for file in self.files(split):
                read = self.source.read(file, root)
                yield from keyed_rows(read, self.keyed) if self.keyed else read

        yield from self.render_rows(rows, skipped, tally=tally, budget=budget, split=split)

    def render_rows(
        self,
        rows: Iterable[Row] | Callable[[], Iterable[Row]],
        skipped: Counter | None = None,
        *,
        tally: Tally | None = None,
        budget: Budget = BUDGET,
        split: str = "rows",
    ) -> Iterator[Record]:
        """Records of upstream rows (from the task's files, or any rows in the source's schema).

        `rows` is an iterable, or a function that reads them again from the start. A row the
        converter rejects (a DataError naming the row), or whose item the template cannot
        render, is bad: counted in `tally` and left out. When a converter that works on more
        than one row at a time (groups of annotations) fails on a row, it is run again on the
        rows without the bad ones, and the items it had already given are passed over (a
        converter's items must not depend on rows after them). The split fails when its bad
        rows pass `budget`, or at once for a DataError that names no row (a bad file) or a
        skip the task does not document.
        """
        read = rows if callable(rows) else _replayable(rows)
        own = tally is None
        tally = Tally() if tally is None else tally
        excluded: set[tuple[str, int]] = set()
        last: list[Row | None] = [None]  # the row the converter took last
        high = 0  # rows counted so far (a rerun reads them again)

        def tracked() -> Iterator[Row]:
            nonlocal high
            for position, row in enumerate(read(), start=1):
                if position > high:
                    tally.rows += 1
                    high = position
                    if row.fault:  # a line the reader could not parse: never converted
                        self._bad(row.unreadable(), tally, budget, split)
                if not row.fault and (not excluded or (row.file, row.index) not in excluded):
                    last[0] = row
                    yield row

        seed = zlib.crc32(self.name.encode())  # per-task offset of the A/B alternation
        done = 0  # converter outputs handled so far (a rerun passes over as many)
        while True:
            given = 0
            try:
                for item in self.convert(tracked()):
                    given += 1
                    if given <= done:
                        continue
                    done += 1
                    if isinstance(item, _MARKS):
                        self._count(item, last[0], tally, budget, split, skipped)
                        continue
                    try:
                        record = self.template.render(item, index=tally.records, seed=seed)
                    except (ValueError, TypeError) as e:
                        self._bad(self._unrenderable(e, last[0]), tally, budget, split)
                        continue
                    if item.meta:
                        record = dataclasses.replace(record, meta=tuple(item.meta.items()))
                    tally.records += 1
                    yield record
            except DataError as e:
                key = (e.row.file, e.row.index) if e.row is not None else None
                if key is None or key in excluded or budget.strict:
                    raise  # a bad file (or a converter that cannot go on without this row)
                self._bad(e, tally, budget, split)
                excluded.add(key)
                continue
            break
        tally.judge(self.name, split, budget)
        if own and tally.bad:
            _LOG.warning(
                "task %s, split %s: %d of %d rows bad, left out: %s",
                self.name,
                split,
                sum(tally.bad.values()),
                tally.rows,
                tally.describe_bad(),
            )

    def _count(  # noqa: PLR0917  (the loop's state, passed as it is)
        self,
        mark: Skip | Repaired | Bad,
        row: Row | None,
        tally: Tally,
        budget: Budget,
        split: str,
        skipped: Counter | None,
    ) -> None:
        """Counts a documented skip, a repair or a bad row."""
        if isinstance(mark, Bad):
            self._bad(mark.error, tally, budget, split)
        elif isinstance(mark, Repaired):
            tally.repaired[mark.reason] += 1
        elif mark.reason not in self.skips:
            where = row.location if row else f"task {self.name}"
            raise DataError(f"{where}: skipped for an undocumented reason {mark.reason!r}")
        else:
            tally.skipped[mark.reason] += 1
            if skipped is not None:
                skipped[mark.reason] += 1

    def _unrenderable(self, error: Exception, row: Row | None) -> DataError:
        """The bad-row error of an item the template cannot render."""
        where = row.location if row else f"task {self.name}"
        return DataError(
            f"{where} (task {self.name}): {error}",
            row=row,
            reason=f"template: {fault_kind(str(error))}",
        )

    def _bad(self, error: DataError, tally: Tally, budget: Budget, split: str) -> None:
        """Counts a bad row; fails at once when strict, past `budget.count`, or when the first
        `budget.early` rows are all bad (a file of the wrong schema)."""
        if budget.strict:
            raise error
        tally.add_bad(error)
        bad = sum(tally.bad.values())
        if budget.count is not None and bad > budget.count:
            raise tally.failure(self.name, split, budget)
        if bad == tally.rows >= budget.early:
            raise tally.failure(self.name, split, None)


def _replayable(rows: Iterable[Row]) -> Callable[[], Iterable[Row]]:
    """A function that gives `rows` again (kept in memory once first read)."""
    kept: list[Row] = []
    source = iter(rows)

    def read() -> Iterator[Row]:
        yield from kept
        for row in source:
            kept.append(row)
            yield row

    return read


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
    tally: Tally = dataclasses.field(default_factory=Tally)

    @property
    def present(self) -> bool:
        return not self.missing

    @property
    def bad(self) -> int:
        return sum(self.tally.bad.values())


_COUNTS_VERSION = 2  # of the cached counts' form (2: a Tally with rows, repairs, bad rows)


def _fingerprint(task: FlameTask, split: str, root: str | None) -> str:
    parts: list[Any] = [_COUNTS_VERSION, task.name, task.version, split, root]
    for file in task.files(split):
        parts += task.source.stamp(file, root)
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def cache_dir() -> str:
    return os.environ.get("FLAME_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "flame_jax"
    )


def count(task: FlameTask, split: str, root: str | None = None, budget: Budget = BUDGET) -> Counts:
    """Examples, skipped and bad rows of a split, read once per data directory and cached.

    The cache key includes the files' sizes and modification times and the task version,
    so a changed file or conversion is counted again. Missing files (or no data directory
    for a task that reads files) give zero examples and are listed in `Counts.missing`. The
    whole split is read whatever its bad rows, and then judged against `budget` (DataError
    when they pass it), so one count serves any budget.
    """
    missing = (
        task.missing_files(split, root) if root or _generated(task) else list(task.files(split))
    )
    if missing:
        return Counts(0, {}, tuple(missing))
    path = os.path.join(cache_dir(), "counts", f"{_fingerprint(task, split, root)}.json")
    if os.path.exists(path):
        with open(path) as f:
            tally = Tally.from_dict(json.load(f)["tally"])
    else:
        tally = Tally()
        for _ in task.records(split, root, tally=tally, budget=_COUNT_ALL):
            pass
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump({"task": task.name, "split": split, "tally": tally.as_dict()}, f)
        os.replace(tmp, path)
    tally.judge(task.name, split, budget)
    return Counts(tally.records, dict(tally.skipped), tally=tally)


_COUNT_ALL = Budget(share=1.0)  # count reads every row (unless all are bad), then judges


def _generated(task: FlameTask) -> bool:
    return isinstance(task.source.host, Generated)


def first_records(task: FlameTask, split: str, n: int, root: str | None = None) -> list[Record]:
    return list(itertools.islice(task.records(split, root), n))
