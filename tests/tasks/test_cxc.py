"""Golden tests of the CxC STS task on the upstream CSV schema joined with Karpathy's captions."""

import json

import pytest
from flame_tasks import cxc

from flame_jax.data import testing
from flame_jax.data.readers import DataError
from flame_jax.data.sources import Manual

KARPATHY = {
    "images": [
        {
            "filepath": "val2014",
            "filename": "COCO_val2014_000000391895.jpg",
            "split": "val",
            "sentids": [10, 11],
            "sentences": [
                {
                    "raw": "A family of sheep standing next to each other on a lush green field. ",
                    "sentid": 10,
                    "tokens": ["a"],
                    "imgid": 0,
                },
                {
                    "raw": "A herd of sheep standing next to each other on a lush green field.",
                    "sentid": 11,
                    "tokens": ["a"],
                    "imgid": 0,
                },
            ],
        },
        {
            "filepath": "val2014",
            "filename": "COCO_val2014_000000000042.jpg",
            "split": "test",
            "sentids": [20],
            "sentences": [
                {
                    "raw": "A kite flying in the air over a sand castle.",
                    "sentid": 20,
                    "tokens": ["a"],
                    "imgid": 1,
                },
            ],
        },
    ],
    "dataset": "coco",
}


def _csv_row(a, b, score, method="c2c_isim"):
    return {
        "caption1": f"COCO_val2014:sentid:{a}",
        "caption2": f"COCO_val2014:sentid:{b}",
        "agg_score": score,
        "sampling_method": method,
    }


GOLDEN = """\
INSTRUCTIONS:
title: How similar in meaning are these two image captions?
description: In this task, you will be shown two captions, each written by a person to describe a \
photograph. Rate how similar their meanings are: whether they describe the same scene with the \
same objects, people and actions, and how much of the important information the two share. Give a \
score from 0 to 5: 0 = the captions are on different topics; 1 = the captions are not equivalent, \
but are on the same topic; 2 = the captions are not equivalent, but share some details; 3 = the \
captions are roughly equivalent, but some important information differs; 4 = the captions are \
mostly equivalent, and only unimportant details differ; 5 = the captions are completely \
equivalent: they mean the same thing.
output_fields: score

CONTEXT:
caption1: A family of sheep standing next to each other on a lush green field.
caption2: A herd of sheep standing next to each other on a lush green field.

EVALUATION:
score: 5"""


def _root(tmp_path, csv_file, rows):
    path = tmp_path / "cxc" / cxc.KARPATHY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(KARPATHY))  # compact JSON, one line
    return testing.write_rows(tmp_path, "cxc", csv_file, rows)


def test_golden_join_and_rounding(tmp_path):
    rows = [
        _csv_row(10, 11, "4.6", "c2c_cocaption"),
        _csv_row(10, 20, "0.5"),
        _csv_row(11, 20, "2.49"),
    ]
    root = _root(tmp_path, "sts_val.csv", rows)
    records = testing.render("cxc_sts", "train", root)
    assert testing.text(records[0]) == GOLDEN
    assert [r.answer for r in records] == ["5", "1", "2"]
    assert testing.skipped("cxc_sts", "train", root) == {}


def test_test_split_reads_sts_test(tmp_path):
    root = _root(tmp_path, "sts_test.csv", [_csv_row(20, 11, "0.0")])
    (record,) = testing.render("cxc_sts", "test", root)
    assert dict(record.context)["caption1"] == "A kite flying in the air over a sand castle."


def test_manual_steps_name_every_file():
    assert isinstance(cxc.SOURCE.host, Manual)
    for file in ("sts_val.csv", "sts_test.csv", cxc.KARPATHY, "caption_datasets.zip"):
        assert file in cxc.SOURCE.host.steps


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_csv_row(10, 99, "3.0"), "caption2", "no caption with sentid 99 in dataset_coco.json"),
        ({**_csv_row(10, 11, "3.0"), "caption1": "sheep"}, "caption1", "'sheep' is not a COCO"),
        (_csv_row(10, 11, "5.5"), "agg_score", "5.5 is outside the 0-5 STS scale"),
        (_csv_row(10, 11, "high"), "agg_score", "'high' is not a number"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = _root(tmp_path, "sts_val.csv", [_csv_row(10, 11, "4.0"), row])
    with pytest.raises(DataError, match=rf"file sts_val.csv, row 2, field '{field}': {message}"):
        testing.render("cxc_sts", "train", root)
