"""Golden tests of Q² factual consistency on the real cross-annotation and per-label files."""

from collections import Counter

import pytest

from flame_jax.data import testing
from flame_jax.data.readers import DataError

GOLDEN = """\
INSTRUCTIONS:
title: Is the dialogue response factually consistent with the knowledge?
description: In this task, you will be shown the topic of a conversation, the user's last \
message, a piece of knowledge from Wikipedia, and the response of a dialogue system that was \
meant to use the knowledge. Judge whether every fact the response states agrees with the \
knowledge. A response is inconsistent if it changes, contradicts or adds to the facts of the \
knowledge, e.g. a wrong date, name or number. Answer 'Yes' if the response is factually \
consistent with the knowledge. Answer 'No' if the response states something inconsistent with \
the knowledge.
output_fields: answer

CONTEXT:
topic: Gardening
message: I like Gardening, even when I've only been doing it for a short time.
knowledge: Gardening is considered by many people to be a relaxing activity.
response: i love gardening as well . it is considered to be relaxing .

EVALUATION:
answer: Yes"""

PER_LABEL_HEADER = ("", "episode_idx", "round", "topic", "message", "response", "knowledge", "gold")


def test_golden_on_real_rows(shared_data):
    records = testing.render("q2_consistency", "train", shared_data)
    # 100 cross-annotation rows give 200 items (dodeca, memnet); then the per-label files,
    # whose first row (dodeca_consistent.csv row 1) is not cross-annotated.
    assert testing.text(records[200]) == GOLDEN
    assert testing.text(records[1]).endswith(
        "response: i ' m not sure , but they ' ve been around for thousands of years . they ' re "
        "very important for their ability to detect them .\n\nEVALUATION:\nanswer: No"
    )
    # 49 of the 160 per-label rows repeat a cross-annotated response (documented skip).
    assert testing.skipped("q2_consistency", "train", shared_data) == {"duplicate": 49}
    assert len(records) == 200 + 160 - 49
    assert Counter(r.answer for r in records) == {"No": 188, "Yes": 123}


def test_empty_message_gets_a_placeholder(shared_data):
    records = testing.render("q2_consistency", "train", shared_data)
    opening = [r for r in records if dict(r.context)["topic"] == "Jimmy Fallon"]
    assert dict(opening[0].context)["message"] == "(none: the response opens the conversation)"


def _per_label(tmp_path, files, memnet_label="1"):
    """Writes cross_annotation.csv with one row and the four per-label files."""
    cross = {
        "": "0",
        "episode_idx": "7",
        "round": "1",
        "topic": "Tea",
        "message": "Do you like tea?",
        "dodeca_response": "tea comes from china .",
        "memnet_response": "tea is a drink from india .",
        "knowledge": "Tea originated in China.",
        "gold": "I do.",
        "dodeca_label": "0",
        "memnet_label": memnet_label,
    }
    testing.write_rows(tmp_path, "q2", "cross_annotation.csv", [cross])
    for episode, name in enumerate(
        ("dodeca_consistent", "dodeca_inconsistent", "memnet_consistent", "memnet_inconsistent")
    ):
        testing.write_rows(tmp_path, "q2", f"{name}.csv", files.get(name, [_row(str(episode))]))


def _row(episode, response="tea is a drink from india ."):
    values = (
        "0",
        episode,
        "1",
        "Tea",
        "Do you like tea?",
        response,
        "Tea originated in China.",
        "",
    )
    return dict(zip(PER_LABEL_HEADER, values, strict=True))


def test_conflicting_label_is_an_error(tmp_path):
    # memnet's response of episode 7 round 1 is inconsistent in cross_annotation.csv.
    _per_label(tmp_path, {"memnet_consistent": [_row("2"), _row("7")]})
    with pytest.raises(
        DataError,
        match=r"file memnet_consistent.csv, row 2, field 'response': labelled Yes here but No in "
        r"cross_annotation.csv",
    ):
        testing.render("q2_consistency", "train", str(tmp_path))


def test_bad_label_names_file_row_and_field(tmp_path):
    _per_label(tmp_path, {}, memnet_label="2")
    with pytest.raises(
        DataError, match=r"file cross_annotation.csv, row 1, field 'memnet_label': '2' is not"
    ):
        testing.render("q2_consistency", "train", str(tmp_path))
