"""Golden tests of the CoPoet poem-preference task on rows in the upstream MTurk CSV schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError
from flame_jax.data.sources import Archive

TASK = "copoet_preference"
FILE = "Batch_4739845_batch_results - Batch_4739845_batch_results.csv"

HEADER = (
    "HITId,HITTypeId,Title,Description,Keywords,Reward,CreationTime,MaxAssignments,"
    "RequesterAnnotation,AssignmentDurationInSeconds,AutoApprovalDelayInSeconds,Expiration,"
    "NumberOfSimilarHITs,LifetimeInSeconds,AssignmentId,WorkerId,AssignmentStatus,AcceptTime,"
    "SubmitTime,AutoApprovalTime,ApprovalTime,RejectionTime,RequesterFeedback,WorkTimeInSeconds,"
    "LifetimeApprovalRate,Last30DaysApprovalRate,Last7DaysApprovalRate,Input.title,Input.poem_1,"
    "Input.poem_2,Answer.accurate1-1.yes,Answer.accurate1-2.no,Answer.accurate2-1.yes,"
    "Answer.accurate2-2.no,Answer.creative1.creative1,Answer.creative2.creative2,Retain%,"
    "Answer.submitcode,Approve,Reject"
).split(",")

INSTRUCTIONS = """\
INSTRUCTIONS:
title: Which poem written for the title is more creative and interesting?
description: In this task, you will be shown the title of a short poem and two poems written \
for that title. Decide which of the two poems is more creative and interesting: the one with \
more original and vivid imagery, word choice and ideas, that engages the reader and fits its \
title. Answer 'A' if poem_a is better, or 'B' if poem_b is better.
output_fields: answer

CONTEXT:
"""

ADRIFT = (
    "Adrift",
    "A cloud of memory flows across the horizon.<br />I'll find my way back to my native shore.",
    "Every day was like being on a boat<br />With no direction all I do is float",
)
TRICKSTER = (
    "Trickster",
    "The game of the senses is teasing.<br />Playing tricks on the mind is pleasing.",
    "I know a little trickster<br />I wanted to fix her",
)
HUNGER = ("Hunger", "The storm is a savage beast.", "I remember when I was younger")


def _row(hit, worker, inputs, creative):
    row = dict.fromkeys(HEADER, "")
    title, poem_1, poem_2 = inputs
    row.update(
        {
            "HITId": hit,
            "WorkerId": worker,
            "Input.title": title,
            "Input.poem_1": poem_1,
            "Input.poem_2": poem_2,
            "Answer.accurate1-1.yes": "TRUE",
            "Answer.accurate1-2.no": "FALSE",
            "Answer.accurate2-1.yes": "TRUE",
            "Answer.accurate2-2.no": "FALSE",
            "Answer.creative1.creative1": creative[0],
            "Answer.creative2.creative2": creative[1],
            "Retain%": "100",
            "Answer.submitcode": "Provides more imagery",
        }
    )
    return row


P1, P2, BOTH = ("TRUE", "FALSE"), ("FALSE", "TRUE"), ("TRUE", "TRUE")
ROWS = [
    _row("H1", "W1", ADRIFT, P2),
    _row("H2", "W1", TRICKSTER, P1),
    _row("H1", "W2", ADRIFT, P1),
    _row("H1", "W3", ADRIFT, P2),
    _row("H2", "W2", TRICKSTER, BOTH),  # dropped: a tie of one vote each remains
    _row("H2", "W3", TRICKSTER, P2),
    _row("H3", "W1", HUNGER, BOTH),  # no valid vote
]


def test_golden_majority_votes_and_skips(tmp_path):
    root = testing.write_rows(tmp_path, "copoet", FILE, ROWS)
    (record,) = testing.render(TASK, "test", root)
    assert testing.text(record) == INSTRUCTIONS + (
        "title: Adrift\n"
        "poem_a: Every day was like being on a boat\nWith no direction all I do is float\n"
        "poem_b: A cloud of memory flows across the horizon.\n"
        "I'll find my way back to my native shore.\n\n"
        "EVALUATION:\nanswer: A"
    )
    assert testing.skipped(TASK, "test", root) == {"tie": 1, "no_votes": 1}


def test_answers_are_balanced_between_positions(tmp_path):
    rows = [
        _row(f"H{i}", "W1", (f"Title {i}", f"First {i}", f"Second {i}"), P1 if i % 3 else P2)
        for i in range(9)
    ]
    root = testing.write_rows(tmp_path, "copoet", FILE, rows)
    answers = [r.evaluation[0][1] for r in testing.render(TASK, "test", root)]
    assert len(answers) == 9
    assert abs(answers.count("A") - answers.count("B")) <= 1


def test_bad_rows_name_file_row_and_field(tmp_path):
    bad_flag = [_row("H1", "W1", ADRIFT, ("yes", "FALSE"))]
    root = testing.write_rows(tmp_path, "copoet", FILE, bad_flag)
    with pytest.raises(
        DataError,
        match=rf"file {FILE}, row 1, field 'Answer.creative1.creative1': 'yes' is not one",
    ):
        testing.render(TASK, "test", root)
    other_poem = dict(ROWS[2], **{"Input.poem_1": "Another poem."})
    root = testing.write_rows(tmp_path, "copoet", FILE, [ROWS[0], other_poem])
    with pytest.raises(DataError, match=r"row 2, field 'Input.poem_1': differs between the rows"):
        testing.render(TASK, "test", root)
    empty = [_row("H1", "W1", ("  ", ADRIFT[1], ADRIFT[2]), P1)]
    root = testing.write_rows(tmp_path, "copoet", FILE, empty)
    with pytest.raises(DataError, match=r"row 1, field 'Input.title': empty text"):
        testing.render(TASK, "test", root)


def test_source_is_the_pinned_snapshot_and_evaluation_only():
    task = registry.get_task(TASK)
    assert task.evaluation_only and task.source.evaluation_only
    host = task.source.host
    assert isinstance(host, Archive)
    assert host.member(FILE).endswith(f"/{FILE}")
    assert host.member(FILE).startswith("creative-instructions-65d6266f")  # has the LICENSE
