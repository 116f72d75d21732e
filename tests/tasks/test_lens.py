"""Golden tests of the SimpEval (LENS) pointwise task on rows written in the upstream schema."""

from collections import Counter

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

ORIGINAL = "On November 9, Fetterman was projected as the winner of the election by media outlets."


def _past(generation, processed, ratings, system="T5-large"):
    row = {
        "id": "0",
        "original": ORIGINAL,
        "generation": generation,
        "processed_generation": processed,
        "original_id": "0",
        "system": system,
    }
    row.update({f"rating_{k}": str(r) for k, r in enumerate(ratings, start=1)})
    row.update({f"rating_{k}_z_score": "0.1" for k in range(1, len(ratings) + 1)})
    return row


def _new(generation, ratings, system="GPT-3-zero-shot"):
    row = {
        "original_id": "50",
        "original": ORIGINAL,
        "generation": generation,
        "system": system,
        "sentence_type": "Paraphrases",
    }
    row.update({f"rating_{k}": str(r) for k, r in enumerate(ratings, start=1)})
    row.update({f"rating_{k}_zscore": "0.2" for k in range(1, len(ratings) + 1)})
    return row


PAST = [
    # mean 91.4 -> 5; the shown text is processed_generation
    _past(
        "on november 9 , media outlets said fetterman won . || it was an election .",
        "On November 9, media outlets said Fetterman won. It was an election.",
        [78, 95, 98, 95, 91],
    ),
    _past("fetterman .", "Fetterman.", [0, 10, 25, 30, 35], system="UNTS"),  # 20.0 -> 2
    _past("a .", "A.", ["", "", "", "", ""], system="scramble_words"),  # no ratings: skipped
    _past("b .", "B.", [50, "", 69, "", ""], system="copy"),  # 59.5 -> 3
]
NEW = [
    _new("The media projected Fetterman to win the election on November 9.", [58.0, 90.0, 98.0]),
    _new("Fetterman won.", [100.0, 40.0, 60.0], system="Human 1 Writing"),  # 66.67 -> 4
]

GOLDEN = """\
INSTRUCTIONS:
title: How good is the simplification of the sentence?
description: In this task, you will be shown a complex sentence from Wikipedia and a simplified \
version of it, written by a system or a person. Rate the overall quality of the simplification, \
weighing three things together: adequacy (it keeps the main meaning of the original and adds \
nothing false), fluency (it is grammatical and reads naturally), and simplicity (it is easier to \
read and understand than the original, through deleting unimportant parts, paraphrasing, or \
splitting the sentence). Give a score from 1 to 5: 1 = very poor: meaning lost or garbled, or \
not simpler at all (0-19 of 100); 2 = poor: serious meaning or fluency errors, little \
simplification (20-39); 3 = fair: somewhat simpler, with noticeable meaning or fluency problems \
(40-59); 4 = good: simpler and fluent, with minor losses of meaning (60-79); 5 = excellent: much \
simpler, fluent, and faithful to the original (80-100).
output_fields: score

CONTEXT:
original: On November 9, Fetterman was projected as the winner of the election by media outlets.
simplification: {simplification}

EVALUATION:
score: {score}"""


def test_train_golden_counts_and_skips(tmp_path):
    root = testing.write_rows(tmp_path, "lens", "simpeval_past.csv", PAST)
    records = testing.render("lens_simpeval", "train", root)
    simplification = "On November 9, media outlets said Fetterman won. It was an election."
    assert testing.text(records[0]) == GOLDEN.format(simplification=simplification, score=5)
    assert [r.answer for r in records] == ["5", "2", "3"]
    assert testing.skipped("lens_simpeval", "train", root) == {"no_ratings": 1}


def test_test_split_reads_simpeval_2022(tmp_path):
    root = testing.write_rows(tmp_path, "lens", "simpeval_2022.csv", NEW)
    records = testing.render("lens_simpeval", "test", root)
    assert testing.text(records[0]) == GOLDEN.format(
        simplification="The media projected Fetterman to win the election on November 9.",
        score=5,  # (58 + 90 + 98) / 3 = 82.0
    )
    assert Counter(r.answer for r in records) == {"5": 1, "4": 1}
    assert testing.skipped("lens_simpeval", "test", root) == {}


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_new("Text.", [58.0, "ninety", 98.0]), "rating_2", "'ninety' is not a number"),
        (_new("Text.", [58.0, 101.0, 98.0]), "rating_2", "101.0 is outside"),
        (_new("", [58.0, 90.0, 98.0]), "generation", "empty text"),
        (_past("x .", "", [50] * 5), "processed_generation", "empty text"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    file, split = ("simpeval_past.csv", "train") if "id" in row else ("simpeval_2022.csv", "test")
    root = testing.write_rows(tmp_path, "lens", file, [(PAST if "id" in row else NEW)[0], row])
    with pytest.raises(DataError, match=rf"file {file}, row 2, field '{field}': {message}"):
        testing.render("lens_simpeval", split, root)


def test_a_file_without_rating_columns_is_an_error(tmp_path):
    row = {k: v for k, v in NEW[0].items() if not k.startswith("rating")}
    root = testing.write_rows(tmp_path, "lens", "simpeval_2022.csv", [row])
    with pytest.raises(
        DataError, match=r"file simpeval_2022.csv, row 1, field 'rating_1': missing"
    ):
        testing.render("lens_simpeval", "test", root)


def test_whole_upstream_simpeval_past_counts_the_empty_generation(shared_upstream):
    """Real row 1616 (system UNTS) has an empty `generation` and `processed_generation`."""
    tally = registry.Tally()
    records = list(
        registry.get_task("lens_simpeval").records("train", shared_upstream, tally=tally)
    )
    assert (tally.rows, len(records), dict(tally.skipped)) == (2400, 2399, {})
    assert dict(tally.bad) == {"processed_generation: empty text": 1}
    assert tally.bad_rows["processed_generation: empty text"] == ["simpeval_past.csv row 1616"]
