"""Readers: every format, and bad input that names the file and row."""

import gzip
import json

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import (
    DataError,
    Row,
    Skip,
    annotation_groups,
    keyed_rows,
    majority,
    read_rows,
)

ROWS = [{"a": "x", "n": 1}, {"a": "y", "n": 2}]


@pytest.mark.parametrize(
    "file",
    ["f.jsonl", "f.jsonl.gz", "f.json", "f.json.xz", "f.csv", "f.tsv", "f.tsv.gz", "f.parquet"],
)
def test_every_format_round_trips(tmp_path, file):
    testing.write_rows(tmp_path, "src", file, ROWS)
    rows = list(read_rows(str(tmp_path / "src" / file), source="src", display=file))
    assert [r.index for r in rows] == [1, 2]
    assert [str(r.data["a"]) for r in rows] == ["x", "y"]
    assert rows[1].location == f"source src, file {file}, row 2"


def test_json_lines_named_json_and_arrays_named_jsonl(tmp_path):
    (tmp_path / "lines.json").write_text('{"a": 1}\n{"a": 2}\n')
    (tmp_path / "array.jsonl").write_text('[{"a": 1}, {"a": 2}]')
    for name in ("lines.json", "array.jsonl"):
        assert [r.data["a"] for r in read_rows(str(tmp_path / name), source="s")] == [1, 2]


def test_truncated_gzip_is_reported(tmp_path):
    data = gzip.compress(
        b"".join(json.dumps({"a": str(i) * 50}).encode() + b"\n" for i in range(200))
    )
    (tmp_path / "t.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"file t.jsonl.gz: truncated or corrupt compressed data"):
        list(read_rows(str(tmp_path / "t.jsonl.gz"), source="s", display="t.jsonl.gz"))


@pytest.mark.parametrize("name", ["e.jsonl", "e.csv", "e.json"])
def test_empty_file_is_an_error(tmp_path, name):
    (tmp_path / name).write_text("")
    with pytest.raises(DataError, match=rf"file {name}: no rows \(empty file\)"):
        list(read_rows(str(tmp_path / name), source="s", display=name))


def test_an_invalid_json_line_is_a_row_whose_fields_raise_its_fault(tmp_path):
    (tmp_path / "b.jsonl").write_text('{"a": 1}\n{"a": \n3\n{"a": 4}\n')
    rows = list(read_rows(str(tmp_path / "b.jsonl"), source="s", display="b.jsonl"))
    assert [r.fault.split(" (")[0] for r in rows] == [
        "",
        "line 2: invalid JSON",
        "expected an object, got int",
        "",
    ]
    assert rows[3].get("a", int) == 4
    with pytest.raises(DataError, match=r"^source s, file b.jsonl, row 2: line 2: invalid JSON"):
        rows[1].get("a", int)


def test_csv_row_with_wrong_column_count(tmp_path):
    (tmp_path / "c.csv").write_text("a,b\n1,2\n3\n4,5\n")
    rows = list(read_rows(str(tmp_path / "c.csv"), source="s", display="c.csv"))
    assert [r.fault for r in rows] == ["", "1 columns, the header has 2", ""]
    with pytest.raises(DataError, match=r"file c.csv, row 2: 1 columns, the header has 2"):
        rows[1].text("a")


def test_unknown_format(tmp_path):
    with pytest.raises(DataError, match="unknown format"):
        list(read_rows(str(tmp_path / "x.txt"), source="s"))


def test_row_get_checks_presence_type_and_choices():
    row = Row("src", "f.jsonl", 7, {"q": {"text": "hi", "n": 3}, "label": "maybe", "empty": " "})
    assert row.get("q.text") == "hi" and row.get("q.n", int) == 3 and row.get("q.n", float) == 3.0
    assert row.get("absent", str, default="d") == "d"
    with pytest.raises(
        DataError, match=r"source src, file f.jsonl, row 7, field 'q.missing': missing"
    ):
        row.get("q.missing")
    with pytest.raises(DataError, match=r"field 'q.n': expected str, got int"):
        row.get("q.n")
    with pytest.raises(DataError, match=r"field 'label': 'maybe' is not one of \['yes', 'no'\]"):
        row.get("label", choices=("yes", "no"))
    with pytest.raises(DataError, match=r"field 'empty': empty text"):
        row.text("empty")


def test_a_file_of_one_json_object_is_one_row(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('{\n  "a": {"x": 1},\n  "b": [1, 2]\n}\n')
    rows = list(read_rows(str(path), source="toy"))
    assert len(rows) == 1 and rows[0].get("a.x", int) == 1
    path.write_text('{\n  "a": {"x": 1},\n  "b": [1, 2\n}\n')
    with pytest.raises(DataError, match=r"file .*data.json: invalid JSON at line 4"):
        list(read_rows(str(path), source="toy"))


def test_keyed_rows_unroll_an_object_of_rows(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"squad": {"a": {"x": 1}, "b": {"x": 2}}, "race": {"c": {"x": 3}}}))
    rows = list(keyed_rows(read_rows(str(path), source="toy"), ("dataset", "id")))
    assert [(r.index, r.data) for r in rows] == [
        (1, {"x": 1, "dataset": "squad", "id": "a"}),
        (2, {"x": 2, "dataset": "squad", "id": "b"}),
        (3, {"x": 3, "dataset": "race", "id": "c"}),
    ]
    path.write_text(json.dumps({"squad": {"a": {"x": 1}, "b": [2]}}))
    with pytest.raises(DataError, match=r"file .*data.json, row 2: expected an object, got list"):
        list(keyed_rows(read_rows(str(path), source="toy"), ("dataset", "id")))
    path.write_text(json.dumps({"squad": [1]}))
    with pytest.raises(
        DataError, match=r"dataset 'squad' is list, expected an object of rows keyed"
    ):
        list(keyed_rows(read_rows(str(path), source="toy"), ("dataset", "id")))


def test_majority_and_annotation_groups():
    assert majority([1, 2, 1, None]) == 1
    assert majority([1, 2]) == Skip("tie") and majority([None]) == Skip("no_votes")
    assert majority(["b", "b", "a", "c"]) == "b"
    rows = [
        Row("toy", "f.csv", i, {"HITId": h, "text": t, "vote": v})
        for i, (h, t, v) in enumerate([("x", "a", 1), ("y", "b", 2), ("x", "a", 2)], start=1)
    ]
    groups = list(annotation_groups(rows, "HITId", ["text"]))
    assert [[r.index for r in g] for g in groups] == [[1, 3], [2]]
    bad = [*rows, Row("toy", "f.csv", 4, {"HITId": "y", "text": "other", "vote": 1})]
    with pytest.raises(DataError, match=r"row 4, field 'text': differs between the rows of one"):
        list(annotation_groups(bad, "HITId", ["text"]))
