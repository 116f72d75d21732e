"""Golden tests of the XSum hallucination tasks: real annotation rows, test-made edge cases."""

from collections import Counter

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

FACTUALITY_GOLDEN = """\
INSTRUCTIONS:
title: Is the news summary factual?
description: In this task, you will be shown a one-sentence summary of a BBC news article, \
written by a summarization system. Judge whether the summary is factual: whether everything it \
states is true of the world, using what you know (people, places, numbers, dates, events). A \
statement can be factual even if it is not the point of the article; a summary with any false \
statement is not factual. Answer 'Yes' if everything the summary states is true. Answer 'No' if \
the summary states something false.
output_fields: answer

CONTEXT:
summary: more than 50 pupils at a bristol academy have been sent home from school because of a \
lack of uniform.

EVALUATION:
answer: No"""

# 29347895/BERTS2S: wid_0 marks "veteran classical" and "at the age of 83" (extrinsic), wid_1
# and wid_2 mark "classical" (intrinsic) and "age of 83" (extrinsic). Majority words: "classical"
# (2 of its 3 marks intrinsic) and "age of 83." (all three, extrinsic; the period is trimmed).
SPANS_GOLDEN = """\
INSTRUCTIONS:
title: Which parts of the news summary are hallucinated?
description: In this task, you will be shown a one-sentence summary of a BBC news article, \
written by a summarization system; the article itself is not shown. List the spans of the summary \
that are not supported by the article, one per line as the quoted span followed by its type in \
parentheses: intrinsic if it misrepresents information of the article (e.g. mixes up who did \
what), extrinsic if it adds information the article does not contain (e.g. an invented age, title \
or place). Answer 'none' if the whole summary is faithful to the article.
output_fields: hallucinated_spans

CONTEXT:
summary: veteran classical music conductor christopher hogwood has died at the age of 83.

EVALUATION:
hallucinated_spans: "classical" (intrinsic)
"age of 83" (extrinsic)"""

FACTUALITY_FILE = "factuality_annotations_xsum_summaries.csv"
SPANS_FILE = "hallucination_annotations_xsum_summaries.csv"
SUMMARY = "tony abbott\\'s party won the vote in 2013."  # upstream escapes apostrophes


def test_factuality_golden_on_real_rows(shared_data):
    task = "xsum_hallucination_annotations_factuality"
    records = testing.render(task, "train", shared_data)
    assert testing.text(records[0]) == FACTUALITY_GOLDEN
    # 299 rows = 100 summaries (one with two workers only); majority votes.
    assert len(records) == 100
    assert Counter(r.answer for r in records) == {"No": 82, "Yes": 18}
    assert testing.skipped(task, "train", shared_data) == {}


def test_spans_golden_on_real_rows(shared_data):
    task = "xsum_hallucination_annotations_spans"
    records = testing.render(task, "train", shared_data)
    assert testing.text(records[2]) == SPANS_GOLDEN
    assert len(records) == 60
    # 21267591: only wid_2 marked spans, so no word has a majority; the \\' is unescaped.
    assert testing.text(records[1]).endswith(
        "summary: the leader of bahrain's main opposition party has said there needs to be "
        "dialogue between the kingdom's crown prince and government.\n\n"
        "EVALUATION:\nhallucinated_spans: none"
    )
    assert testing.skipped(task, "train", shared_data) == {}


def _vote(bbcid, worker, vote):
    return {
        "bbcid": bbcid,
        "system": "TConvS2S",
        "summary": SUMMARY,
        "is_factual": vote,
        "worker_id": worker,
    }


def test_factuality_skips_ties_and_missing_votes(tmp_path):
    rows = [
        _vote("1", "wid_0", "yes"),
        _vote("1", "wid_1", "no"),
        _vote("1", "wid_2", "NULL"),  # tie: skipped
        _vote("2", "wid_0", "NULL"),
        _vote("2", "wid_1", "NULL"),  # no vote: skipped
        _vote("3", "wid_0", "yes"),
        _vote("3", "wid_1", "NULL"),
        _vote("3", "wid_2", "yes"),
    ]
    testing.write_rows(tmp_path, "xsum_hallucination_annotations", FACTUALITY_FILE, rows)
    task = "xsum_hallucination_annotations_factuality"
    (record,) = testing.render(task, "train", str(tmp_path))
    assert record.context == (("summary", "tony abbott's party won the vote in 2013."),)
    assert record.answer == "Yes"
    assert testing.skipped(task, "train", str(tmp_path)) == {"tie": 1, "no_votes": 1}


def test_factuality_bad_vote_names_file_row_and_field(tmp_path):
    rows = [_vote("1", "wid_0", "yes"), _vote("1", "wid_1", "maybe")]
    testing.write_rows(tmp_path, "xsum_hallucination_annotations", FACTUALITY_FILE, rows)
    with pytest.raises(
        DataError, match=rf"file {FACTUALITY_FILE}, row 2, field 'is_factual': 'maybe' is not"
    ):
        testing.render("xsum_hallucination_annotations_factuality", "train", str(tmp_path))


def _span(bbcid, worker, kind, span, start, end):  # noqa: PLR0917  (one per upstream column)
    return {
        "bbcid": bbcid,
        "system": "PtGen",
        "summary": SUMMARY,
        "hallucination_type": kind,
        "hallucinated_span": span,
        "hallucinated_span_start": str(start),
        "hallucinated_span_end": str(end),
        "worker_id": worker,
    }


def test_spans_type_ties_and_mismatches(tmp_path):
    # Offsets count the unescaped summary "tony abbott's party won the vote in 2013.".
    rows = [
        _span("1", "wid_0", "intrinsic", "tony abbott\\'s", 1, 14),
        _span("1", "wid_1", "extrinsic", "tony abbott\\'s party", 1, 20),
        _span("1", "wid_2", "NULL", "NULL", -1, -1),
        _span("2", "wid_0", "extrinsic", "in 2013", 34, 41),
        _span("2", "wid_1", "extrinsic", "2013", 37, 41),
        _span("2", "wid_2", "extrinsic", "the vote", 25, 33),
        _span("3", "wid_0", "extrinsic", "2012", 37, 41),  # the summary says 2013 there
    ]
    testing.write_rows(tmp_path, "xsum_hallucination_annotations", SPANS_FILE, rows)
    task = "xsum_hallucination_annotations_spans"
    records = testing.render(task, "train", str(tmp_path))
    assert [r.answer for r in records] == [
        '"tony abbott\'s" (intrinsic and extrinsic)',
        '"2013" (extrinsic)',
    ]
    assert testing.skipped(task, "train", str(tmp_path)) == {"span_mismatch": 1}


def test_spans_bad_rows_name_file_row_and_field(tmp_path):
    rows = [
        _span("1", "wid_0", "extrinsic", "2013", 37, 41),
        _span("1", "wid_1", "x", "NULL", -1, -1),
    ]
    testing.write_rows(tmp_path, "xsum_hallucination_annotations", SPANS_FILE, rows)
    task = "xsum_hallucination_annotations_spans"
    with pytest.raises(
        DataError, match=rf"file {SPANS_FILE}, row 2, field 'hallucination_type': 'x' is not"
    ):
        testing.render(task, "train", str(tmp_path))
    rows = [_span("1", "wid_0", "extrinsic", "2013", 37, 60)]
    testing.write_rows(tmp_path, "xsum_hallucination_annotations", SPANS_FILE, rows)
    with pytest.raises(
        DataError,
        match=rf"file {SPANS_FILE}, row 1, field 'hallucinated_span_start': span 37-60 lies out",
    ):
        testing.render(task, "train", str(tmp_path))


def test_spans_off_by_the_leading_line_end_are_repaired_and_counted(tmp_path):
    """As rows 1098 (leading "\\n"), 2383 (whole summary and "\\n") and 1201 (neither) of the
    whole upstream file: start 0, the span text counted after a line end."""
    whole = "tony abbott's party won the vote in 2013."
    rows = [
        _span("1", "wid_0", "extrinsic", "\\ntony abbott\\'s", 0, 14),
        _span("1", "wid_1", "extrinsic", "tony", 1, 5),
        _span("1", "wid_2", "NULL", "NULL", -1, -1),
        _span("2", "wid_0", "extrinsic", SUMMARY + "\\n", 0, len(whole) + 1),
        _span("2", "wid_1", "extrinsic", "party won the vote", 15, 33),
        _span("2", "wid_2", "extrinsic", "won the vote in 2013.\\n", 0, 20),  # bad
    ]
    testing.write_rows(tmp_path, "xsum_hallucination_annotations", SPANS_FILE, rows)
    tally = registry.Tally()
    task = registry.get_task("xsum_hallucination_annotations_spans")
    records = list(task.records("train", str(tmp_path), tally=tally, budget=registry.Budget(0.5)))
    assert [r.answer for r in records] == ['"tony" (extrinsic)', '"party won the vote" (extrinsic)']
    assert dict(tally.repaired) == {"leading_newline": 1, "trailing_newline": 1}
    assert dict(tally.bad) == {"hallucinated_span_start: span outside the summary": 1}
    assert tally.bad_rows["hallucinated_span_start: span outside the summary"] == [
        f"{SPANS_FILE} row 6"
    ]
