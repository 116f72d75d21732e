"""Golden tests of RAGTruth hallucination classification, on rows in the upstream JSONL schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

# Shortened from the README's QA sample.
PROMPT = (
    "Briefly answer the following question:\nhow to prepare beets and beet greens\nBear in mind "
    "that your response should be strictly based on the following ten passages:\npassage 1:Wash "
    "beets thoroughly, leaving skins on. Bake for 45 to 60 minutes or until tender.\n\nIn case "
    "the passages do not contain the necessary information to answer the question, please reply "
    'with: "Unable to answer based on given passages."\noutput:'
)
SOURCES = [
    {
        "source_id": "14312",
        "task_type": "QA",
        "source": "MARCO",
        "source_info": {"question": "how to prepare beets and beet greens", "passages": "..."},
        "prompt": PROMPT,
    },
    {
        "source_id": "11316",
        "task_type": "Summary",
        "source": "CNN/DM",
        "source_info": "The Palestinian Authority officially became the 123rd member of the ICC.",
        "prompt": "Summarize the following news within 141 words:\nThe Palestinian Authority "
        "officially became the 123rd member of the ICC.\n\noutput:",
    },
]
SPAN = {
    "start": 44,
    "end": 54,
    "text": "400 degrees",
    "meta": "HIGH INTRO OF NEW INFO",
    "label_type": "Evident Conflict",
}


def _response(id_, source_id, labels, *, split="train", quality="good", text=None):
    return {
        "id": id_,
        "source_id": source_id,
        "model": "mistral-7B-instruct",
        "temperature": 0.925,
        "labels": labels,
        "split": split,
        "quality": quality,
        "response": text or "Wash the beets, then bake them at 400 degrees for 45 to 60 minutes.",
    }


RESPONSES = [
    _response("1", "14312", [SPAN]),
    _response("2", "11316", [], text="The Palestinian Authority joined the ICC."),
    _response("3", "14312", [], split="test", text="Wash and bake the beets."),
    _response("4", "14312", [], quality="truncated"),
]

GOLDEN = f"""\
INSTRUCTIONS:
title: Does the response contain information not supported by the provided content?
description: In this task, you will be shown a prompt given to an AI assistant, which includes \
retrieved content (passages to answer a question from, a news article to summarize, or structured \
data about a business to describe), and the assistant's response. The response must be based \
strictly on the provided content. Judge whether the response contains hallucinated content: \
statements that conflict with the content, evidently or subtly (e.g. a changed number, date, name \
or relation), or information that the content does not support, whether clearly made up or a \
subtle addition such as an inference, an opinion or background knowledge not in the content, even \
if it is true in the real world. Answer 'Yes' if the response contains content that conflicts \
with, or is not supported by, the provided content. Answer 'No' if everything in the response is \
supported by the provided content.
output_fields: answer

CONTEXT:
prompt: {PROMPT}
response: Wash the beets, then bake them at 400 degrees for 45 to 60 minutes.

EVALUATION:
answer: Yes"""


@pytest.fixture
def root(tmp_path):
    testing.write_rows(tmp_path, "ragtruth", "source_info.jsonl", SOURCES)
    testing.write_rows(tmp_path, "ragtruth", "response.jsonl", RESPONSES)
    return str(tmp_path)


def test_train_golden_counts_and_skips(root):
    records = testing.render("ragtruth_hallucination", "train", root)
    assert testing.text(records[0]) == GOLDEN
    assert [r.answer for r in records] == ["Yes", "No"]
    assert [dict(r.meta)["task_type"] for r in records] == ["QA", "Summary"]
    assert testing.skipped("ragtruth_hallucination", "train", root) == {
        "other_split": 1,
        "quality_issue": 1,
    }


def test_test_split_is_evaluation_only_and_apart(root):
    assert registry.get_task("ragtruth_hallucination").is_training
    assert registry.get_task("ragtruth_hallucination_test").evaluation_only
    assert list(registry.get_task("ragtruth_hallucination").splits) == ["train"]
    records = testing.render("ragtruth_hallucination_test", "test", root)
    assert [dict(r.context)["response"] for r in records] == ["Wash and bake the beets."]
    assert [r.answer for r in records] == ["No"]
    assert testing.skipped("ragtruth_hallucination_test", "test", root) == {"other_split": 3}


@pytest.mark.parametrize(
    ("response", "field", "message"),
    [
        (_response("5", "99999", []), "source_id", "'99999' has no row in source_info.jsonl"),
        (_response("5", "14312", [], split="dev"), "split", "'dev' is not one of"),
        (_response("5", "14312", [{"start": 0}]), "labels.0.label_type", "missing"),
        (_response("5", "14312", [], text=" "), "response", "empty text"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, response, field, message):
    testing.write_rows(tmp_path, "ragtruth", "source_info.jsonl", SOURCES)
    root = testing.write_rows(tmp_path, "ragtruth", "response.jsonl", [RESPONSES[1], response])
    with pytest.raises(DataError, match=rf"file response.jsonl, row 2, field '{field}': {message}"):
        testing.render("ragtruth_hallucination", "train", root)
