"""Golden tests of the riSum tasks on rows in the project-defined layout of the manual source."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError
from flame_jax.data.sources import Manual

FILE = "risum_ratings.jsonl"
DOCUMENT = "Lee, you should be receiving a package shortly with the signature pages."
INSTRUCTION = "What should Lee expect to receive?"


def _row(answer, ratings):
    return {
        "example_id": "7",
        "document": DOCUMENT,
        "instruction": INSTRUCTION,
        "answer": answer,
        "ratings": ratings,
    }


ROWS = [
    _row("A package with the signature pages.", [5, 4, 3]),  # median 4; 2 of 3 good: Yes
    _row("Lee is a lawyer.", [1, 2, 4]),  # median 2; No
    _row("A package.", [4, 3]),  # even count: lower middle 3; 1 of 2 good is no majority: No
]

CRITERIA = (
    "A response follows the instruction well when it does exactly what the instruction asks "
    "(its focus, format and length), uses only information the document supports, and leaves "
    "out what the instruction did not ask for."
)
INTRO = (
    "In this task, you will be shown a document, a user's instruction asking for a summary or an "
    "answer based on the document, and a response written by an AI assistant."
)
CONTEXT = (
    "CONTEXT:\n"
    f"document: {DOCUMENT}\n"
    f"instruction: {INSTRUCTION}\n"
    "response: A package with the signature pages.\n\n"
    "EVALUATION:\n"
)

RATING_GOLDEN = (
    "INSTRUCTIONS:\n"
    "title: How well does the response follow the instruction?\n"
    f"description: {INTRO} Rate how well the response follows the instruction. {CRITERIA} "
    "Give a score from 1 to 5: 1 = does not follow the instruction at all, or is unsupported by "
    "the document; 2 = follows a small part of the instruction, or has serious errors; 3 = "
    "partly follows the instruction, with clear omissions or errors; 4 = follows the "
    "instruction, with minor problems; 5 = follows the instruction perfectly and is faithful to "
    "the document.\n"
    "output_fields: score\n\n" + CONTEXT + "score: 4"
)

FOLLOWS_GOLDEN = (
    "INSTRUCTIONS:\n"
    "title: Does the response follow the instruction?\n"
    f"description: {INTRO} Judge whether the response follows the instruction. {CRITERIA} "
    "Answer 'Yes' if the response follows the instruction well. Answer 'No' if the response "
    "fails the instruction, or follows it only partly.\n"
    "output_fields: answer\n\n" + CONTEXT + "answer: Yes"
)


def test_rating_golden_and_scores(tmp_path):
    root = testing.write_rows(tmp_path, "risum", FILE, ROWS)
    records = testing.render("risum_rating", "train", root)
    assert testing.text(records[0]) == RATING_GOLDEN
    assert [r.answer for r in records] == ["4", "2", "3"]
    assert testing.skipped("risum_rating", "train", root) == {}


def test_follows_instruction_golden_and_labels(tmp_path):
    root = testing.write_rows(tmp_path, "risum", FILE, ROWS)
    records = testing.render("risum_follows_instruction", "train", root)
    assert testing.text(records[0]) == FOLLOWS_GOLDEN
    assert [r.answer for r in records] == ["Yes", "No", "No"]
    assert testing.skipped("risum_follows_instruction", "train", root) == {}


def test_source_is_manual_and_tasks_are_quality_training_tasks():
    for name in ("risum_rating", "risum_follows_instruction"):
        task = registry.get_task(name)
        assert isinstance(task.source.host, Manual) and FILE in task.source.host.steps
        assert task.is_training and task.capability == "quality"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (_row("x", [5, 6, 4]), "ratings.1", "6 is not one of"),
        (_row("x", []), "ratings", "no ratings"),
        (_row("", [5, 5, 5]), "answer", "empty text"),
        (_row("x", "5"), "ratings", "expected list, got str"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    root = testing.write_rows(tmp_path, "risum", FILE, [ROWS[0], row])
    for task in ("risum_rating", "risum_follows_instruction"):
        with pytest.raises(DataError, match=rf"file {FILE}, row 2, field '{field}': {message}"):
            testing.render(task, "train", root)
