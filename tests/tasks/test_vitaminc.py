"""Golden tests of VitaminC fact verification, on rows in the HF tals/vitaminc jsonl schema."""

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

GOLDEN = """\
INSTRUCTIONS:
title: Does the evidence support or refute the claim?
description: In this task, you will be shown a piece of evidence, a sentence or passage from \
Wikipedia, and a claim. Judge the claim using only the evidence, not what you know about the \
world: small details such as numbers, dates and comparisons matter, since a slight change of the \
evidence can turn a supported claim into a refuted one. Answer 'SUPPORTS' if the evidence shows \
that the claim is true. Answer 'REFUTES' if the evidence shows that the claim is false. Answer \
'NOT ENOUGH INFO' if the evidence does not say whether the claim is true or false.
output_fields: answer

CONTEXT:
evidence: The population was 97,494 at the 2010 census .
claim: Less than 90,000 people live in Beaverton , Oregon .

EVALUATION:
answer: REFUTES"""


def _row(label, claim="Less than 90,000 people live in Beaverton , Oregon ."):
    return {
        "unique_id": "5ec7d50c",
        "case_id": "5ec7d50c",
        "label": label,
        "claim": claim,
        "evidence": "The population was 97,494 at the 2010 census .",
        "page": "Beaverton, Oregon",
        "revision_type": "real",
        "wiki_revision_id": "123",
    }


def test_golden(tmp_path):
    rows = [_row("REFUTES"), _row("SUPPORTS"), _row("NOT ENOUGH INFO")]
    testing.write_rows(tmp_path, "vitaminc", "dev.jsonl", rows)
    records = testing.render("vitaminc_fact_verification", "validation", str(tmp_path))
    assert testing.text(records[0]) == GOLDEN
    assert [r.answer for r in records] == ["REFUTES", "SUPPORTS", "NOT ENOUGH INFO"]


def test_bad_rows_name_file_row_and_field(tmp_path):
    testing.write_rows(tmp_path, "vitaminc", "train.jsonl", [_row("SUPPORTS"), _row("NEI")])
    with pytest.raises(DataError, match=r"file train.jsonl, row 2, field 'label': 'NEI' is not"):
        testing.render("vitaminc_fact_verification", "train", str(tmp_path))
    testing.write_rows(tmp_path, "vitaminc", "test.jsonl", [_row("SUPPORTS", claim="")])
    with pytest.raises(DataError, match=r"file test.jsonl, row 1, field 'claim': empty text"):
        testing.render("vitaminc_fact_verification", "test", str(tmp_path))
