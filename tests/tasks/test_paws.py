"""Golden tests of PAWS paraphrase classification, on rows in the HF labeled_final schema."""

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

GOLDEN = """\
INSTRUCTIONS:
title: Do these two sentences mean the same thing?
description: In this task, you will be shown two sentences that use almost the same words. Judge \
whether they are paraphrases: whether they state the same facts, with the same people, things and \
relations between them. Swapping who did what to whom, or moving a detail to another part of the \
sentence, can change the meaning even when every word is kept. Answer 'Yes' if the two sentences \
mean the same thing. Answer 'No' if the two sentences differ in meaning.
output_fields: answer

CONTEXT:
sentence1: In Paris , in October 1560 , he secretly met the English ambassador , Nicolas \
Throckmorton .
sentence2: In October 1560 , he secretly met with the English ambassador , Nicolas Throckmorton \
, in Paris .

EVALUATION:
answer: Yes"""

FILE = "labeled_final/test-00000-of-00001.parquet"


def test_golden(tmp_path):
    rows = [
        {
            "id": 1,
            "sentence1": "In Paris , in October 1560 , he secretly met the English ambassador , "
            "Nicolas Throckmorton .",
            "sentence2": "In October 1560 , he secretly met with the English ambassador , "
            "Nicolas Throckmorton , in Paris .",
            "label": 1,
        },
        {"id": 2, "sentence1": "Tom saw Ann .", "sentence2": "Ann saw Tom .", "label": 0},
    ]
    testing.write_rows(tmp_path, "paws", FILE, rows)
    records = testing.render("paws_paraphrase", "test", str(tmp_path))
    assert testing.text(records[0]) == GOLDEN
    assert [r.answer for r in records] == ["Yes", "No"]


def test_bad_rows_name_file_row_and_field(tmp_path):
    testing.write_rows(tmp_path, "paws", FILE, [{"id": 1, "sentence1": "a", "label": 1}])
    with pytest.raises(DataError, match=rf"file {FILE}, row 1, field 'sentence2': missing"):
        testing.render("paws_paraphrase", "test", str(tmp_path))
    testing.write_rows(
        tmp_path, "paws", FILE, [{"id": 1, "sentence1": "a", "sentence2": "b", "label": 2}]
    )
    with pytest.raises(DataError, match=rf"file {FILE}, row 1, field 'label': 2 is not one of"):
        testing.render("paws_paraphrase", "test", str(tmp_path))
