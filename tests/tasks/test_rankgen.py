"""Golden tests of the RankGen human-evaluation task on rows in the upstream MTurk CSV schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

TASK = "rankgen_continuation"

# The upstream header: MTurk columns, the inputs, the answer, Scarecrow and one unnamed column.
HEADER = (
    "HITId,HITTypeId,Title,Description,Keywords,Reward,CreationTime,MaxAssignments,"
    "RequesterAnnotation,AssignmentDurationInSeconds,AutoApprovalDelayInSeconds,Expiration,"
    "NumberOfSimilarHITs,LifetimeInSeconds,AssignmentId,WorkerId,AssignmentStatus,AcceptTime,"
    "SubmitTime,AutoApprovalTime,ApprovalTime,RejectionTime,RequesterFeedback,WorkTimeInSeconds,"
    "LifetimeApprovalRate,Last30DaysApprovalRate,Last7DaysApprovalRate,Input.Prefix,Input.First,"
    "Input.Second,Input.Order,Input.Dataset,Input.Model,Answer.utterance,Scarecrow,"
).split(",")

INSTRUCTIONS = """\
INSTRUCTIONS:
title: Which continuation of the text is better?
description: In this task, you will be shown the beginning of a text (a passage from a \
Wikipedia article or a book) and two possible continuations of it. Identify which of the two \
continuations completes the context better: it follows on naturally from where the context \
stops, stays relevant to it, keeps its facts, characters, timeline and style consistent, makes \
common sense, and is fluent and not repetitive. Answer 'A' if continuation_a is better, or 'B' \
if continuation_b is better.
output_fields: answer

CONTEXT:
"""

MILL = (
    "The mill passed jointly to his widow Rebecca and their son Richard.",
    "In 1841, it was renamed The Postmill Mill in memory of its deceased owner.",
    "Richard sold the mill to John Beattie on 21 May 1845.",
)
ROUTE = (
    "Not far after Route 49, the road crosses the Tuckahoe River into Corbin City.",
    "It enters the community and comes to a junction with County Route 677.",
    "Route 50 travels north on Corbin City Road before intersecting CR 628.",
)


def _row(hit, worker, inputs, order, answer, *, model="gpt2_medium", dataset="wiki"):
    row = dict.fromkeys(HEADER, "")
    prefix, first, second = inputs
    row.update(
        {
            "HITId": hit,
            "WorkerId": worker,
            "Input.Prefix": prefix,
            "Input.First": first,
            "Input.Second": second,
            "Input.Order": order,
            "Input.Dataset": dataset,
            "Input.Model": model,
            "Answer.utterance": answer,
            "Scarecrow": "off-prompt - flow",
        }
    )
    return row


def _write(tmp_path, gpt2_rows, t5_rows):
    testing.write_rows(tmp_path, "rankgen", "gpt2_medium.csv", gpt2_rows)
    return testing.write_rows(tmp_path, "rankgen", "t5_xxl_c4.csv", t5_rows)


GPT2_ROWS = [
    # HIT 1: 2 votes for Text 2 (beam), 1 for Text 1.
    _row("H1", "W1", MILL, "nucleus,beam", "Text 2 - it continues the history of the mill."),
    _row("H1", "W2", MILL, "nucleus,beam", "Text 1. It mentions the owner."),
    _row("H1", "W3", MILL, "nucleus,beam", "text 2; follows the timeline."),
    # HIT 2: a 1-1 tie once the junk answer is dropped.
    _row("H2", "W1", ROUTE, "beam,nucleus", "Text 1 - it enters the community."),
    _row("H2", "W2", ROUTE, "beam,nucleus", "Text 2. Flows better."),
    _row("H2", "W3", ROUTE, "beam,nucleus", "Xcdsds"),
]
T5 = "t5_xxl_descartes"
T5_ROWS = [
    # Rows of one HIT need not be contiguous; the typo "Test 1" and the long form count as 1.
    _row("H9", "Writer 1", ROUTE, "beam,nucleus", "Test 1 - better", model=T5, dataset="pg19"),
    _row("H8", "Writer 1", MILL, "nucleus,beam", "adfwegsdgsdgsdg", model=T5),
    _row(
        "H9",
        "Writer 2",
        ROUTE,
        "beam,nucleus",
        "Neither of them sound like a good continuation to me, but I choose Text 1 anyway.",
        model=T5,
        dataset="pg19",
    ),
    _row("H9", "Writer 3", ROUTE, "beam,nucleus", "Text 2 surely", model=T5, dataset="pg19"),
]


def test_golden_majority_votes_and_skips(tmp_path):
    root = _write(tmp_path, GPT2_ROWS, T5_ROWS)
    records = testing.render(TASK, "test", root)
    assert [testing.text(r) for r in records] == [
        INSTRUCTIONS + f"context: {MILL[0]}\ncontinuation_a: {MILL[1]}\n"
        f"continuation_b: {MILL[2]}\n\nEVALUATION:\nanswer: B",
        INSTRUCTIONS + f"context: {ROUTE[0]}\ncontinuation_a: {ROUTE[1]}\n"
        f"continuation_b: {ROUTE[2]}\n\nEVALUATION:\nanswer: A",
    ]
    assert [dict(r.meta) for r in records] == [
        {"winner": "beam", "model": "gpt2_medium", "domain": "wiki"},
        {"winner": "beam", "model": "t5_xxl_descartes", "domain": "pg19"},
    ]
    assert testing.skipped(TASK, "test", root) == {"tie": 1, "no_votes": 1}


def test_answers_are_balanced_between_positions(tmp_path):
    rows = [
        _row(f"H{i}", "W1", (f"Context {i}.", f"First {i}.", f"Second {i}."), "beam,nucleus", a)
        for i, a in enumerate(["Text 1", "Text 2"] * 5)
    ]
    root = _write(tmp_path, rows, T5_ROWS[:1])
    answers = [r.evaluation[0][1] for r in testing.render(TASK, "test", root)]
    assert len(answers) == 11
    assert abs(answers.count("A") - answers.count("B")) <= 1


def test_bad_rows_name_file_row_and_field(tmp_path):
    unreadable = [_row("H1", "W1", MILL, "nucleus,beam", "I prefer the second one.")]
    root = _write(tmp_path, unreadable, T5_ROWS)
    with pytest.raises(
        DataError,
        match=r"file gpt2_medium.csv, row 1, field 'Answer.utterance': does not start with",
    ):
        testing.render(TASK, "test", root)
    bad_order = [_row("H1", "W1", MILL, "beam,greedy", "Text 1")]
    root = _write(tmp_path, bad_order, T5_ROWS)
    with pytest.raises(DataError, match=r"row 1, field 'Input.Order': 'beam,greedy' is not one"):
        testing.render(TASK, "test", root)
    other_prefix = dict(GPT2_ROWS[1], **{"Input.Prefix": "Another context."})
    root = _write(tmp_path, [GPT2_ROWS[0], other_prefix], T5_ROWS)
    with pytest.raises(DataError, match=r"row 2, field 'Input.Prefix': differs between the rows"):
        testing.render(TASK, "test", root)
    empty = [_row("H1", "W1", (MILL[0], "", MILL[2]), "nucleus,beam", "Text 2")]
    root = _write(tmp_path, empty, T5_ROWS)
    with pytest.raises(DataError, match=r"row 1, field 'Input.First': empty text"):
        testing.render(TASK, "test", root)


def test_evaluation_only():
    task = registry.get_task(TASK)
    assert task.evaluation_only and task.source.evaluation_only
    assert task.task_type == "pairwise" and task.capability == "quality"


def test_whole_upstream_gpt2_medium_counts_the_hit_without_text_1(shared_upstream, tally_of):
    """Real rows 165-167 (one HIT) have an empty `Input.First`: three bad rows, the HIT is out."""
    path = f"{shared_upstream}/rankgen/gpt2_medium.csv"
    records, tally = tally_of(TASK, "rankgen", path, "gpt2_medium.csv")
    assert tally.rows == 309
    assert dict(tally.bad) == {"Input.First: empty text": 3}
    assert tally.bad_rows["Input.First: empty text"] == [
        f"gpt2_medium.csv row {n}" for n in (165, 166, 167)
    ]
    assert (len(records), dict(tally.skipped)) == (99, {})  # 100 HITs (3 to 5 rows each)
