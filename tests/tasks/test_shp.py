"""Golden tests of the SHP task on rows written in the upstream schema (JSON lines)."""

import json

import pytest
from flame_tasks import shp

from flame_jax.data import testing
from flame_jax.data.readers import DataError


def _row(**change) -> dict:
    row = {
        "post_id": "himc90",
        "domain": "askacademia_train",
        "upvote_ratio": 0.99,
        "history": "How do I tell my advisor I want to change my thesis topic?",
        "c_root_id_A": "fuzww3s",
        "c_root_id_B": "fv0aqst",
        "created_at_utc_A": 1593563580,
        "created_at_utc_B": 1593580216,
        "score_A": 52,
        "score_B": 5,
        "human_ref_A": "Be honest and bring a concrete plan for the new topic.",
        "human_ref_B": "Just switch and don't tell anyone.",
        "labels": 1,
        "seconds_difference": 16636.0,
        "score_ratio": 10.4,
    }
    return {**row, **change}


def _write(tmp_path, split: str, rows_by_domain: dict[str, list[dict]]) -> str:
    """Writes every domain's <split>.json as JSON lines (the upstream form)."""
    for domain in shp.DOMAINS:
        path = tmp_path / "shp" / domain / f"{split}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = rows_by_domain.get(domain, [_row()])
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(tmp_path)


# labels 1 = human_ref_A preferred; the framework places this first pair's better comment in B.
FIRST = """\
INSTRUCTIONS:
title: Which comment is more helpful?
description: In this task, you will be shown a post from a Reddit forum, usually a question or a \
request for help or advice, and two comments written in reply to it. Choose the comment that the \
forum's readers found more helpful: the one that better answers the post, with accurate, relevant \
and useful content. Answer 'A' if comment_a is better, or 'B' if comment_b is better.
output_fields: answer

CONTEXT:
subreddit: r/askacademia
post: How do I tell my advisor I want to change my thesis topic?
comment_a: Just switch and don't tell anyone.
comment_b: Be honest and bring a concrete plan for the new topic.

EVALUATION:
answer: B"""


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_golden_over_all_domains(tmp_path, split):
    legal = _row(
        domain=f"legaladvice_{split}",
        history="My landlord kept my deposit. What can I do?",
        human_ref_A="Nothing, landlords always win.",
        human_ref_B="Send a written demand letter, then file in small claims court.",
        labels=0,
    )
    root = _write(tmp_path, split, {"legaladvice": [legal]})
    records = testing.render("shp_preference", split, root)
    assert len(records) == len(shp.DOMAINS) == 18
    assert testing.text(records[0]) == FIRST
    last = dict(records[-1].context)  # legaladvice is the last domain; labels 0 = B preferred
    assert last["subreddit"] == "r/legaladvice"
    better = "comment_a" if records[-1].answer == "A" else "comment_b"
    assert last[better] == "Send a written demand letter, then file in small claims court."


def test_identical_comments_are_skipped(tmp_path):
    same = _row(human_ref_B=_row()["human_ref_A"])
    root = _write(tmp_path, "train", {"askdocs": [same, _row()]})
    assert testing.skipped("shp_preference", "train", root) == {"identical": 1}
    assert len(testing.render("shp_preference", "train", root)) == 18


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row(labels=2), "labels", "2 is not one of"),
        ({k: v for k, v in _row().items() if k != "human_ref_B"}, "human_ref_B", "missing"),
        (_row(history="  "), "history", "empty text"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = _write(tmp_path, "test", {"askbaking": [_row(), row]})
    with pytest.raises(
        DataError, match=rf"file askbaking/test.json, row 2, field '{field}': {message}"
    ):
        testing.render("shp_preference", "test", root)
