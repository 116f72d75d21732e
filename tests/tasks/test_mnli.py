"""Golden tests of MNLI recast as attribution, on rows in the GLUE parquet schema."""

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

GOLDEN = """\
INSTRUCTIONS:
title: Is all of the information in the hypothesis fully supported by the premise?
description: In this task, you will be shown a premise, a short passage of text, and a \
hypothesis, a statement about the same situation. Judge whether the hypothesis is fully \
attributable to the premise: whether someone who reads only the premise would have to conclude \
that everything the hypothesis says is true. A hypothesis that adds information the premise does \
not give, or that contradicts the premise, is not supported. Answer 'Yes' if all of the \
information in the hypothesis is supported by the premise. Answer 'No' if some information in the \
hypothesis is not supported by, or contradicts, the premise.
output_fields: answer

CONTEXT:
premise: Conceptually cream skimming has two basic dimensions - product and geography.
hypothesis: Product and geography are what make cream skimming work.

EVALUATION:
answer: No"""


def _row(label, idx=0):
    return {
        "premise": "Conceptually cream skimming has two basic dimensions - product and geography.",
        "hypothesis": "Product and geography are what make cream skimming work.",
        "label": label,
        "idx": idx,
    }


def test_golden_and_recast_labels(tmp_path):
    testing.write_rows(
        tmp_path, "mnli", "mnli/train-00000-of-00001.parquet", [_row(1), _row(0, 1), _row(2, 2)]
    )
    records = testing.render("mnli_attribution", "train", str(tmp_path))
    assert testing.text(records[0]) == GOLDEN
    # entailment -> Yes; neutral and contradiction -> No.
    assert [r.answer for r in records] == ["No", "Yes", "No"]


def test_validation_reads_matched_and_mismatched(tmp_path):
    for name in ("matched", "mismatched"):
        file = f"mnli/validation_{name}-00000-of-00001.parquet"
        testing.write_rows(tmp_path, "mnli", file, [_row(0)])
    assert len(testing.render("mnli_attribution", "validation", str(tmp_path))) == 2


def test_bad_label_names_file_row_and_field(tmp_path):
    file = "mnli/train-00000-of-00001.parquet"
    testing.write_rows(tmp_path, "mnli", file, [_row(0), _row(-1, 1)])
    with pytest.raises(DataError, match=rf"file {file}, row 2, field 'label': -1 is not one of"):
        testing.render("mnli_attribution", "train", str(tmp_path))
