"""Golden tests of FRANK factuality: the real human_annotations.json sample from ../shared/data,
joined with a benchmark_data.json written by the test in the upstream schema (the real one is
too large for the sample)."""

import json
import os
import shutil
from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

GOLDEN = """\
INSTRUCTIONS:
title: Is all of the information in the summary factually consistent with the article?
description: In this task, you will be shown a news article and a summary of it written by a \
summarization system. Read the summary sentence by sentence and check each statement against the \
article. A summary is not factual if any sentence gets a predicate, an entity or a circumstance \
(time, place, manner) wrong, links statements or pronouns in a way the article does not support, \
or adds information that cannot be verified from the article. Answer 'Yes' if every statement in \
the summary is consistent with the article. Answer 'No' if at least one statement in the summary \
has a factual error.
output_fields: answer

CONTEXT:
article: The council said on Monday that the bridge would reopen in March after repairs.
summary: The bridge will reopen in March. The council said it would close on Monday.

EVALUATION:
answer: No"""

ARTICLE = "The council said on Monday that the bridge would reopen in March after repairs."
S2S = ("b71b7737562c6aa7c3ceefcbb2073a35c9854e54", "s2s")  # Factuality 0.667 in the sample


def _texts(hash_, model_name, article="An article.", summary="A summary."):
    """One element of benchmark_data.json, in the upstream schema."""
    return {
        "article": article,
        "summary": summary,
        "reference": "A reference summary.",
        "hash": hash_,
        "model_name": model_name,
        "split": "test",
    }


@pytest.fixture
def root(tmp_path, shared_data):
    """A data directory with the real annotations and test-made texts for each of them."""
    os.makedirs(tmp_path / "frank")
    shutil.copy(os.path.join(shared_data, "frank", "human_annotations.json"), tmp_path / "frank")
    with open(tmp_path / "frank" / "human_annotations.json") as f:
        keys = [(a["hash"], a["model_name"]) for a in json.load(f)]
    texts = [
        _texts(
            *key,
            article=ARTICLE,
            summary="The bridge will reopen in March. The council said it would close on Monday.",
        )
        if key == S2S
        else _texts(*key)
        for key in keys
    ]
    testing.write_rows(tmp_path, "frank", "benchmark_data.json", texts)
    return str(tmp_path)


def test_golden_on_real_annotations(root):
    records = testing.render("frank_factuality", "train", root)
    assert testing.text(records[4]) == GOLDEN
    # 150 real annotations, Factuality == 1.0 for 84 of them; both upstream splits are used.
    assert len(records) == 150
    assert Counter(r.answer for r in records) == {"Yes": 84, "No": 66}
    assert [r.answer for r in records[:5]] == ["Yes", "Yes", "Yes", "Yes", "No"]


def test_annotation_without_texts_is_an_error_naming_the_row(tmp_path):
    testing.write_rows(tmp_path, "frank", "benchmark_data.json", [_texts("abc", "bart")])
    annotations = [
        {"hash": "abc", "model_name": "bart", "Factuality": 1.0},
        {"hash": "abc", "model_name": "pgn", "Factuality": 0.5},
    ]
    testing.write_rows(tmp_path, "frank", "human_annotations.json", annotations)
    with pytest.raises(
        DataError,
        match=r"file human_annotations.json, row 2, field 'hash': no texts for "
        r"\(hash, model_name\) \('abc', 'pgn'\) in benchmark_data.json",
    ):
        testing.render("frank_factuality", "train", str(tmp_path))


def test_bad_values_name_file_row_and_field(tmp_path):
    testing.write_rows(tmp_path, "frank", "benchmark_data.json", [_texts("abc", "bart")])
    testing.write_rows(
        tmp_path, "frank", "human_annotations.json", [{"hash": "abc", "model_name": "bart"}]
    )
    with pytest.raises(
        DataError, match=r"file human_annotations.json, row 1, field 'Factuality': missing"
    ):
        testing.render("frank_factuality", "train", str(tmp_path))
    testing.write_rows(
        tmp_path,
        "frank",
        "benchmark_data.json",
        [_texts("abc", "bart"), _texts("abc", "bart", "x")],
    )
    with pytest.raises(
        DataError, match=r"file benchmark_data.json, row 2, field 'hash': .*repeats"
    ):
        testing.render("frank_factuality", "train", str(tmp_path))
