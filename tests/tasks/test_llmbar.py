"""Golden tests of the LLMBar tasks on the real rows in ../shared/data/llmbar."""

import json
import os

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

HEADER = """\
INSTRUCTIONS:
title: Which output follows the instruction better?
description: In this task, you will be shown an instruction and two outputs written in response \
to it. Choose the output that does what the instruction asks: it should carry out the \
instruction honestly and precisely, and contain neither more nor less than the instruction \
requests. Only when both outputs follow the instruction equally well, prefer the one that is \
more helpful, accurate and harmless. Do not let the order of the outputs, their length or a \
polished style decide your answer. Answer 'A' if output_a is better, or 'B' if output_b is \
better.
output_fields: answer

CONTEXT:
"""

# (task, record index, expected CONTEXT + EVALUATION); each checked against dataset.json.
GOLDEN = [
    (
        "llmbar_natural",
        1,  # label 1: the coherent story (output_1)
        "instruction: Complete a brief story given the following first sentence. [MALE] was a "
        "weatherman.\n"
        "output_a: He learned his weather report. He prepared for his forecast. He expected the "
        "forecast would be wrong. Yet when the forecast report came back positive!\n"
        "output_b: He would always mistreat it every day. He eats a lot of food. He is glad he "
        "had a cow.\n\nEVALUATION:\nanswer: A",
    ),
    (
        "llmbar_adversarial_neighbor",
        1,  # label 2: 15 C is 59 F (output_2)
        "instruction: Convert from celsius to fahrenheit. Temperature in Celsius: 15\n"
        "output_a: 59.0° Fahrenheit\noutput_b: 77°F\n\nEVALUATION:\nanswer: A",
    ),
    (
        "llmbar_adversarial_gptinst",
        6,  # label 2: the slogan for a typical environmental NGO (output_2)
        "instruction: Come up with a creative slogan for a typical environmental NGO.\n"
        'output_a: "Preserving Nature\'s Symphony: Harmonizing for Wildlife Conservation"\n'
        'output_b: "Saving Our Planet, One Step at a Time"\n\nEVALUATION:\nanswer: B',
    ),
    (
        "llmbar_adversarial_gptout",
        12,  # label 1: 15cm² (output_1)
        "instruction: Calculate the area of the triangle. Base: 5cm; Height: 6cm\n"
        "output_a: 15cm²\noutput_b: The area of the triangle is 30 square centimeters.\n\n"
        "EVALUATION:\nanswer: A",
    ),
    (
        "llmbar_adversarial_manual",
        5,  # label 2: India (output_2)
        "instruction: Identify the country with the most people living in poverty in 2020.\n"
        "output_a: According to the World Bank, the country with the highest percentage of "
        "people living in poverty is Equatorial Guinea, where roughly 76.8% of the population "
        "lives on less than $1.90 a day.\noutput_b: It is India.\n\nEVALUATION:\nanswer: B",
    ),
]


@pytest.mark.parametrize(("task", "index", "expected"), GOLDEN)
def test_golden_on_real_rows(shared_data, task, index, expected):
    records = testing.render(task, "test", shared_data)
    assert len(records) == 20  # the sample holds the first 20 elements of each subset
    assert testing.text(records[index]) == HEADER + expected
    answers = [r.answer for r in records]
    assert abs(answers.count("A") - answers.count("B")) <= 1
    assert testing.skipped(task, "test", shared_data) == {}


def test_tasks_are_evaluation_only():
    for suffix in ("natural", "adversarial_neighbor", "adversarial_manual"):
        task = registry.get_task(f"llmbar_{suffix}")
        assert task.evaluation_only and task.source.evaluation_only
        assert tuple(task.splits) == ("test",)


def test_bad_label_names_file_row_and_field(tmp_path, shared_data):
    rows = json.load(open(os.path.join(shared_data, "llmbar/LLMBar/Natural/dataset.json")))
    rows[2]["label"] = 3
    testing.write_rows(tmp_path, "llmbar", "LLMBar/Natural/dataset.json", rows)
    with pytest.raises(
        DataError, match=r"file LLMBar/Natural/dataset.json, row 3, field 'label': 3 is not one"
    ):
        testing.render("llmbar_natural", "test", str(tmp_path))


def test_missing_output_and_identical_outputs_are_errors(tmp_path):
    path = "LLMBar/Adversarial/Manual/dataset.json"
    testing.write_rows(tmp_path, "llmbar", path, [{"input": "Hi", "output_1": "a", "label": 1}])
    with pytest.raises(DataError, match=rf"file {path}, row 1, field 'output_2': missing"):
        testing.render("llmbar_adversarial_manual", "test", str(tmp_path))
    row = {"input": "Hi", "output_1": "same", "output_2": "same", "label": 1}
    testing.write_rows(tmp_path, "llmbar", path, [row])
    with pytest.raises(DataError, match=rf"file {path}, row 1, field 'output_2': .*identical"):
        testing.render("llmbar_adversarial_manual", "test", str(tmp_path))
