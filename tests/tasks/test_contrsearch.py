"""Golden tests of the ContrSearch human-likeness task on rows in the upstream JSON schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

TASK = "contrsearch_human_likeness"
FILE = "human_evaluation_annotations.json"

INSTRUCTIONS = """\
INSTRUCTIONS:
title: Which continuation of the prompt is more human-like?
description: In this task, you will be shown the beginning of a text (from a news article, a \
Wikipedia article or a story) and two continuations of it. Choose the continuation that reads \
more like text written by a human: it stays coherent with the prompt and with itself, is fluent \
and grammatical, is informative and engaging, and does not repeat itself or drift into \
unrelated content. Answer 'A' if continuation_a is better, or 'B' if continuation_b is better.
output_fields: answer

CONTEXT:
"""

A_BETTER = "system a is more human-like."
B_BETTER = "system b is more human-like."
SAME = "two systems are comparable."


def _row(prompt, a, b, votes, *, a_name="contrastive_decoding", domain="book"):
    b_name = "contrastive_search" if a_name == "contrastive_decoding" else "contrastive_decoding"
    return {
        "prompt": prompt,
        "mapping_dict": {"0": "contrastive_decoding", "1": "contrastive_search"},
        "system_mapping": [0, 1] if a_name == "contrastive_decoding" else [1, 0],
        "system_a_name": a_name,
        "system_a_result": a,
        "system_b_name": b_name,
        "system_b_result": b,
        "domain": domain,
        "human_annotation": {f"annotator_{i + 1}": v for i, v in enumerate(votes)},
    }


RAIN = "We packed up soon after that, in the rain. All the beautiful mountains"
LUNE = "As its crescent face broadened through the afternoon, more and more of it became"
ROWS = [
    _row(
        RAIN,
        RAIN + " around us were covered. The rain was so heavy. The rain was so heavy.",
        RAIN + " of the Himalayas were in the dark.\n\nWe had left Kathmandu by then.",
        [A_BETTER, B_BETTER, SAME, B_BETTER],
    ),
    _row(
        LUNE,
        LUNE + " visible, a mass of jagged rock.",
        "Until at last he could make out its entire surface.",  # does not repeat the prompt
        [B_BETTER, B_BETTER, A_BETTER, SAME],
        a_name="contrastive_search",
        domain="wikinews",
    ),
    _row(LUNE, LUNE + " bright.", LUNE + " dim.", [A_BETTER, B_BETTER, SAME, SAME]),
]


def test_golden_majority_votes_and_ties(tmp_path):
    root = testing.write_rows(tmp_path, "contrsearch", FILE, ROWS)
    records = testing.render(TASK, "test", root)
    assert [testing.text(r) for r in records] == [
        INSTRUCTIONS + f"prompt: {RAIN}\n"
        "continuation_a: around us were covered. The rain was so heavy. The rain was so heavy.\n"
        "continuation_b: of the Himalayas were in the dark.\n\nWe had left Kathmandu by then."
        "\n\nEVALUATION:\nanswer: B",
        INSTRUCTIONS + f"prompt: {LUNE}\n"
        "continuation_a: Until at last he could make out its entire surface.\n"
        "continuation_b: visible, a mass of jagged rock.\n\nEVALUATION:\nanswer: A",
    ]
    assert [dict(r.meta) for r in records] == [
        {"winner": "contrastive_search", "domain": "book"},
        {"winner": "contrastive_decoding", "domain": "wikinews"},
    ]
    assert testing.skipped(TASK, "test", root) == {"tie": 1}


def test_answers_are_balanced_between_positions(tmp_path):
    rows = [
        _row(f"Prompt {i}", f"Prompt {i} one.", f"Prompt {i} two.", [A_BETTER] * 3 + [SAME])
        for i in range(8)
    ]
    root = testing.write_rows(tmp_path, "contrsearch", FILE, rows)
    answers = [r.evaluation[0][1] for r in testing.render(TASK, "test", root)]
    assert answers.count("A") == answers.count("B") == 4


def test_bad_rows_name_file_row_and_field(tmp_path):
    wrong = _row(RAIN, RAIN + " x", RAIN + " y", [A_BETTER, "system a is better."])
    root = testing.write_rows(tmp_path, "contrsearch", FILE, [ROWS[0], wrong])
    with pytest.raises(
        DataError,
        match=rf"file {FILE}, row 2, field 'human_annotation.annotator_2': 'system a is better.'",
    ):
        testing.render(TASK, "test", root)
    same = dict(ROWS[0], system_b_name="contrastive_decoding")
    root = testing.write_rows(tmp_path, "contrsearch", FILE, [same])
    with pytest.raises(DataError, match=r"row 1, field 'system_b_name': both systems are"):
        testing.render(TASK, "test", root)
    missing = {k: v for k, v in ROWS[0].items() if k != "system_a_result"}
    root = testing.write_rows(tmp_path, "contrsearch", FILE, [missing])
    with pytest.raises(DataError, match=r"row 1, field 'system_a_result': missing"):
        testing.render(TASK, "test", root)
    only_prompt = _row(RAIN, RAIN + " x", RAIN + "  ", [B_BETTER])
    root = testing.write_rows(tmp_path, "contrsearch", FILE, [only_prompt])
    with pytest.raises(DataError, match=r"field 'system_b_result': no continuation after"):
        testing.render(TASK, "test", root)


def test_evaluation_only():
    task = registry.get_task(TASK)
    assert task.evaluation_only and task.source.evaluation_only
    assert task.source.license == "MIT"  # LICENSE at the pin c7a4a44
