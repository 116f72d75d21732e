"""Readers of upstream files: rows with their location, and errors that name it.

Every reader yields `Row`s that know their source, file and 1-based row number, so a bad
value is reported as `source hh_rlhf, file harmless-base/test.jsonl.gz, row 17, field
'chosen': ...`. A line of a JSON-lines or CSV file that does not parse as a row (invalid JSON,
another number of columns than the header, a value that is not an object) is yielded as a
row with a `fault`: reading any of its fields raises that fault, so it is a bad row like any
other (counted and left out by the registry), and the rest of the file is read. A file that
cannot be read at all (corrupt compression, not UTF-8, a JSON document that does not parse)
raises DataError. Formats are picked by file name: .jsonl and .json (either a JSON
array, as HH-RLHF's red-team .jsonl.gz, or JSON lines, as HaluEval's .json), .csv, .tsv, .parquet,
each optionally compressed (.gz, .xz). Paths with a scheme (gs://, ...) go through
tf.io.gfile; local paths use the standard library so that reading needs no TensorFlow.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import gzip
import io
import json
import lzma
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

csv.field_size_limit(1 << 30)  # dialogue and article fields exceed csv's 128 KB default


class DataError(ValueError):
    """An upstream file or row does not have the expected form.

    `row` is set when one row is at fault (a converter could not turn it into an item): such
    a row is counted as bad and left out of its split, within the split's error budget
    (registry.Budget). Without `row` the file itself is at fault and the split fails.
    `reason` is the kind of fault (field and what is wrong, without the row's values), the key
    under which bad rows are counted.
    """

    def __init__(self, message: str, *, row: Row | None = None, reason: str = ""):
        super().__init__(message)
        self.row = row
        self.reason = reason or fault_kind(message)


def fault_kind(message: str) -> str:
    """The kind of a fault from its message: the text before the first value it quotes."""
    kind = re.split(r": |, got | \(|\{|\[", message, maxsplit=1)[0].strip()
    return kind[:80] or "invalid"


@dataclasses.dataclass(frozen=True)
class Skip:
    """A row left out for a reason its task documents (counted, never silent)."""

    reason: str


@dataclasses.dataclass(frozen=True)
class Repaired:
    """Yielded by a converter before an item it made from a row it repaired (a fault it can
    undo without guessing, which its module docstring documents): counted under `reason`."""

    reason: str


@dataclasses.dataclass(frozen=True)
class Bad:
    """A row a per-row converter could not turn into an item (counted as a bad row)."""

    error: DataError


class SkipRow(Exception):
    """Raised by per-row converters to skip a row for a documented reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_MISSING = object()


@dataclasses.dataclass(frozen=True)
class Row:
    """One upstream row and where it came from."""

    source: str
    file: str
    index: int  # 1-based record number within the file (data rows, header excluded)
    data: Mapping[str, Any]
    fault: str = ""  # why the reader could not read this row (then `data` is empty)

    @property
    def location(self) -> str:
        return f"source {self.source}, file {self.file}, row {self.index}"

    def error(self, field: str, message: str, *, kind: str = "") -> DataError:
        """A fault of this row at `field`; `kind` (default: `message` up to its first quoted
        value) keys the count of such bad rows."""
        return DataError(
            f"{self.location}, field {field!r}: {message}",
            row=self,
            reason=f"{field}: {kind or fault_kind(message)}",
        )

    def unreadable(self) -> DataError:
        """The error of a row the reader could not parse (`fault` is set)."""
        return DataError(f"{self.location}: {self.fault}", row=self, reason="unreadable row")

    def get(
        self,
        field: str,
        kind: type | tuple[type, ...] = str,
        *,
        choices: Sequence[Any] | None = None,
        default: Any = _MISSING,
    ) -> Any:
        """The value at `field` (dots descend into nested objects), checked for type and choices.

        A column whose name itself has dots (CSV headers such as MTurk's "Input.title") is
        taken as it is. Raises DataError naming the source, file, row and field when the
        field is missing (and no default is given), has another type, or is not one of
        `choices`.
        """
        if self.fault:
            raise self.unreadable()
        value: Any = self.data
        parts = [field] if field in self.data else field.split(".")
        for part in parts:
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            elif default is not _MISSING:
                return default
            else:
                raise self.error(field, "missing", kind="missing")
        if value is None and default is not _MISSING:
            return default
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = "/".join(k.__name__ for k in kinds)
            raise self.error(
                field,
                f"expected {names}, got {type(value).__name__} {value!r:.80}",
                kind=f"expected {names}, got {type(value).__name__}",
            )
        if choices is not None and value not in choices:
            raise self.error(
                field, f"{value!r:.80} is not one of {list(choices)}", kind="not one of the choices"
            )
        return value

    def text(self, field: str) -> str:
        """A non-empty string field."""
        value = self.get(field, str)
        if not value.strip():
            raise self.error(field, "empty text", kind="empty text")
        return value


def keyed_rows(rows: Iterable[Row], keys: Sequence[str] = ("id",)) -> Iterator[Row]:
    """The rows of files whose top level is one object of rows keyed by id.

    Such a file reads as one row holding the object; this yields the objects inside, in file
    order, each with its keys added as fields named by `keys` (two levels for
    {dataset: {id: row}}: keys=("dataset", "id")) and numbered by its position in the file,
    so errors name the file, that row and the field.
    """
    for row in rows:
        if row.fault:
            raise DataError(f"file {row.file}, row {row.index}: {row.fault}")
        if not row.data:
            raise DataError(f"file {row.file}: no rows (empty object)")
        for position, (path, value) in enumerate(_leaves(row, row.data, (), keys), start=1):
            if not isinstance(value, Mapping):
                raise DataError(
                    f"file {row.file}, row {position}: expected an object, "
                    f"got {type(value).__name__}"
                )
            yield Row(
                row.source, row.file, position, {**value, **dict(zip(keys, path, strict=True))}
            )


def _leaves(row: Row, value: Any, path: tuple[str, ...], keys: Sequence[str]) -> Iterator[Any]:
    """(keys, value) of the rows below `value`, which sits at `path` in the file's object."""
    if len(path) == len(keys):
        yield path, value
        return
    if not isinstance(value, Mapping):
        where = f"{keys[len(path) - 1]} {path[-1]!r}" if path else "the file"
        raise DataError(
            f"file {row.file}: {where} is {type(value).__name__}, expected an object of rows "
            f"keyed by {keys[len(path)]}"
        )
    for key, inner in value.items():
        yield from _leaves(row, inner, (*path, key), keys)


def annotation_groups(
    rows: Iterable[Row], key: str, same: Sequence[str] = ()
) -> Iterator[list[Row]]:
    """The rows of each item annotated by several people (one row per annotator), grouped by
    the field `key` within a file, in order of first appearance. The `same` fields (the item's
    texts) must agree across a group: a row that differs is an error naming its field."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.file, row.text(key)), []).append(row)
    for group in groups.values():
        for row in group[1:]:
            for field in same:
                if row.get(field, str) != group[0].get(field, str):
                    raise row.error(field, f"differs between the rows of one {key}")
        yield group


def majority(votes: Iterable[Any]) -> Any | Skip:
    """The option most votes chose (None votes do not count); Skip("no_votes") when there is
    no vote and Skip("tie") when the top options have as many votes."""
    counts = Counter(vote for vote in votes if vote is not None)
    if not counts:
        return Skip("no_votes")
    (top, n), *rest = counts.most_common()
    if rest and rest[0][1] == n:
        return Skip("tie")
    return top


def is_remote(path: str) -> bool:
    return "://" in path


@contextlib.contextmanager
def open_binary(path: str):
    """Opens a local or remote (gs://) file for binary reading."""
    if is_remote(path):
        import tensorflow as tf  # noqa: PLC0415  (only remote paths need TensorFlow)

        with tf.io.gfile.GFile(path, "rb") as f:
            yield f
    else:
        with open(path, "rb") as f:
            yield f


def exists(path: str) -> bool:
    if is_remote(path):
        import tensorflow as tf  # noqa: PLC0415

        return tf.io.gfile.exists(path)
    import os  # noqa: PLC0415

    return os.path.exists(path)


def _text_lines(path: str, display: str) -> Iterator[str]:
    with open_binary(path) as raw:
        if path.endswith(".gz"):
            stream = gzip.GzipFile(fileobj=raw)
        elif path.endswith(".xz"):
            stream = lzma.LZMAFile(raw)
        else:
            stream = raw
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        try:
            yield from text
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as e:
            raise DataError(f"file {display}: truncated or corrupt compressed data ({e})") from e
        except UnicodeDecodeError as e:
            raise DataError(f"file {display}: not UTF-8 text ({e})") from e


def _format_of(path: str) -> str:
    name = path.removesuffix(".gz").removesuffix(".xz")
    for suffix in ("jsonl", "json", "csv", "tsv", "parquet"):
        if name.endswith("." + suffix):
            return suffix
    raise DataError(f"file {path}: unknown format (expected .jsonl, .json, .csv, .tsv, .parquet)")


def read_rows(path: str, *, source: str, display: str | None = None) -> Iterator[Row]:
    """Yields the rows of an upstream file; `display` is the name used in errors."""
    display = display or path
    kind = _format_of(path)
    count = 0
    if kind in ("jsonl", "json"):
        rows = _json_rows(path, display)
    elif kind in ("csv", "tsv"):
        rows = _csv_rows(path, display, "\t" if kind == "tsv" else ",")
    else:
        rows = _parquet_rows(path, display)
    for count, data in enumerate(rows, start=1):
        if isinstance(data, _Unreadable):
            yield Row(source, display, count, {}, fault=data.why)
        elif not isinstance(data, Mapping):
            yield Row(
                source, display, count, {}, fault=f"expected an object, got {type(data).__name__}"
            )
        else:
            yield Row(source, display, count, data)
    if count == 0:
        raise DataError(f"file {display}: no rows (empty file)")


def _json_rows(path: str, display: str) -> Iterator[Any]:
    lines = _text_lines(path, display)
    first = ""
    for first in lines:
        if first.strip():
            break
    if first.lstrip().startswith("[") or (first.lstrip().startswith("{") and not _is_json(first)):
        # A JSON array, or one pretty-printed object (a single row): parse the whole file
        # (upstream files of this kind are small enough: <= ~100 MB).
        text = first + "".join(lines)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(f"file {display}: invalid JSON at line {e.lineno} ({e.msg})") from e
        yield from value if isinstance(value, list) else [value]
        return
    number = 0
    for number, line in enumerate(_chain(first, lines), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as e:
            yield _Unreadable(f"line {number}: invalid JSON ({e.msg})")


@dataclasses.dataclass(frozen=True)
class _Unreadable:
    """A line of a JSON-lines or CSV file that does not parse as a row (the file goes on)."""

    why: str


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _csv_rows(path: str, display: str, delimiter: str) -> Iterator[dict[str, str]]:
    reader = csv.reader(_text_lines(path, display), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    for values in reader:
        if len(values) != len(header):
            yield _Unreadable(f"{len(values)} columns, the header has {len(header)}")
        else:
            yield dict(zip(header, values, strict=True))


def _parquet_rows(path: str, display: str) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq  # noqa: PLC0415

    with open_binary(path) as f:
        try:
            table = pq.read_table(io.BytesIO(f.read()))
        except Exception as e:  # pyarrow raises several types for bad files
            raise DataError(f"file {display}: unreadable parquet ({e})") from e
    for batch in table.to_batches():
        yield from batch.to_pylist()
