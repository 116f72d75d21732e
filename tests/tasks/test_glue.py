"""Golden tests of the GLUE tasks (CoLA, STS-B, QQP) on rows in the HF parquet schema."""

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

COLA_GOLDEN = """\
INSTRUCTIONS:
title: Is this sentence acceptable English?
description: In this task, you will be shown a single English sentence. Judge whether a native \
speaker would consider it a possible, well-formed sentence of English. Judge the form only: a \
sentence can be acceptable even if its meaning is odd, false or unlikely, and it is unacceptable \
if its word order, agreement, argument structure or other grammar is broken. Answer 'Yes' if the \
sentence is acceptable English. Answer 'No' if the sentence is not acceptable English.
output_fields: answer

CONTEXT:
sentence: They drank the pub.

EVALUATION:
answer: No"""

STSB_GOLDEN = """\
INSTRUCTIONS:
title: How similar in meaning are these two sentences?
description: In this task, you will be shown two sentences. Rate how close their meanings are: \
whether they describe the same situation or make the same statement, and how much of the \
important information the two share. Give a score from 0 to 5: 0 = the sentences are about \
different topics; 1 = the sentences are not equivalent, but are on the same topic; 2 = the \
sentences are not equivalent, but share some details; 3 = the sentences are roughly equivalent, \
but some important information differs; 4 = the sentences are mostly equivalent, and only \
unimportant details differ; 5 = the sentences are completely equivalent: they mean the same thing.
output_fields: score

CONTEXT:
sentence1: A man is playing a flute.
sentence2: A man is playing a bamboo flute.

EVALUATION:
score: 4"""

QQP_GOLDEN = """\
INSTRUCTIONS:
title: Do these two questions ask the same thing?
description: In this task, you will be shown two questions asked on a question-answering \
website. Judge whether they are duplicates: whether they ask for the same information, so that \
one answer would fully answer both, even if they are worded differently. Answer 'Yes' if the two \
questions ask the same thing. Answer 'No' if the two questions ask different things.
output_fields: answer

CONTEXT:
question1: How do I learn to play the guitar quickly?
question2: What is the fastest way to learn the guitar?

EVALUATION:
answer: Yes"""


def test_cola_golden(tmp_path):
    rows = [
        {"sentence": "Our friends won't buy this analysis.", "label": 1, "idx": 0},
        {"sentence": "They drank the pub.", "label": 0, "idx": 1},
    ]
    testing.write_rows(tmp_path, "glue", "cola/train-00000-of-00001.parquet", rows)
    records = testing.render("glue_cola", "train", str(tmp_path))
    assert [r.answer for r in records] == ["Yes", "No"]
    assert testing.text(records[1]) == COLA_GOLDEN


def test_stsb_golden_and_rounding(tmp_path):
    def row(label, idx):
        return {
            "sentence1": "A man is playing a flute.",
            "sentence2": "x",
            "label": label,
            "idx": idx,
        }

    rows = [
        {
            "sentence1": "A man is playing a flute.",
            "sentence2": "A man is playing a bamboo flute.",
            "label": 3.799999952316284,  # float32 as stored upstream
            "idx": 0,
        },
        row(2.5, 1),
        row(3.4, 2),
        row(0.0, 3),
        row(5.0, 4),
        row(0.5, 5),
    ]
    testing.write_rows(tmp_path, "glue", "stsb/validation-00000-of-00001.parquet", rows)
    records = testing.render("glue_stsb", "validation", str(tmp_path))
    assert testing.text(records[0]) == STSB_GOLDEN
    # Rounded half up onto the 0-5 scale (not to even).
    assert [r.answer for r in records] == ["4", "3", "3", "0", "5", "1"]


def test_qqp_golden(tmp_path):
    rows = [
        {
            "question1": "How do I learn to play the guitar quickly?",
            "question2": "What is the fastest way to learn the guitar?",
            "label": 1,
            "idx": 0,
        }
    ]
    testing.write_rows(tmp_path, "glue", "qqp/train-00000-of-00001.parquet", rows)
    (record,) = testing.render("glue_qqp", "train", str(tmp_path))
    assert testing.text(record) == QQP_GOLDEN


def test_splits_use_train_and_validation_files():
    from flame_jax.data import registry

    assert registry.get_task("glue_qqp").splits == {
        "train": ("qqp/train-00000-of-00001.parquet",),
        "validation": ("qqp/validation-00000-of-00001.parquet",),
    }


@pytest.mark.parametrize(
    "case",
    [
        ("glue_cola", "cola", {"sentence": "A.", "label": -1, "idx": 0}, "label", "not one of"),
        ("glue_cola", "cola", {"label": 1, "idx": 0}, "sentence", "missing"),
        ("glue_stsb", "stsb", {"sentence1": "a", "sentence2": "b", "label": 5.2}, "label", "0-5"),
        (
            "glue_qqp",
            "qqp",
            {"question1": "a?", "question2": " ", "label": 0},
            "question2",
            "empty",
        ),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, case):
    task, file, row, field, message = case
    path = f"{file}/train-00000-of-00001.parquet"
    testing.write_rows(tmp_path, "glue", path, [row])
    with pytest.raises(DataError, match=rf"file {path}, row 1, field '{field}': .*{message}"):
        testing.render(task, "train", str(tmp_path))
