"""Golden tests of the PRM800K tasks: the real sample rows, and rows written in the upstream
schema for the cases the sample lacks (correct LLM solutions, duplicates, conflicts)."""

import os
import shutil

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

PAIR_HEADER = """\
INSTRUCTIONS:
title: Which solution to the math problem is correct?
description: In this task, you will be shown a competition mathematics problem and two \
step-by-step solutions to it. One of them is correct and the other is not. Check every step: a \
solution is incorrect as soon as one step contains a mistake, such as a wrong calculation, a \
false claim, a misreading of the problem or a conclusion that does not follow, even if later \
steps look reasonable. The correct solution reaches the right final answer through valid steps. \
Choose the correct solution. Answer 'A' if solution_a is better, or 'B' if solution_b is better.
output_fields: answer

CONTEXT:
"""

SENATE = (
    "problem: A Senate committee has 5 Democrats, 5 Republicans, and 1 Independent.  In how "
    "many ways can they sit around a circular table if all the members of each party all sit "
    "next to each other?  (Two seatings are considered equivalent if one is a rotation of the "
    "other.)\n"
)
SENATE_GROUND_TRUTH = (
    "Choose any seat in which to place the Independent -- it doesn't matter which seat that we "
    "choose, since we can rotate the table. Once the Independent's seat has been chosen, either "
    "all the Democrats sit to their left and all the Republicans sit to their right, or the "
    "other way around. Either way, there are $5!$ ways to put the Democrats in their seats, and "
    "$5!$ ways to put the Republicans in their seats. So, the total number of ways to seat the "
    "people around the table is $2\\cdot5!\\cdot5!=2\\cdot120\\cdot120=\\boxed{28800}$."
)
# The whole pre-generated solution of phase2 row 1 (labelled found_error at its 7th step).
SENATE_INCORRECT = "\n".join(
    [
        "I notice that there are three groups of people: Democrats, Republicans, and Independent.",
        "I wonder how many ways I can arrange these groups around the circle, ignoring the "
        "order within each group for now.",
        "I recall that the number of ways to arrange n distinct objects around a circle is "
        "(n-1)!, since we can fix one object and then permute the rest.",
        "So, for the three groups, there are (3-1)! = 2! = 2 ways to arrange them around the "
        "circle.",
        "For example, one way is D-R-I, and the other way is R-D-I, where D stands for "
        "Democrats, R for Republicans, and I for Independent.",
        "Now, I need to consider the order within each group.",
        "For the Democrats, there are 5! ways to order them in a line, but only half of them "
        "are distinct around a circle, since reversing the order gives the same seating.",
        "So, there are 5!/2 = 60 ways to order the Democrats around a circle.",
        "Similarly, there are 60 ways to order the Republicans around a circle.",
        "For the Independent, there is only one way to order him or her around a circle.",
        "So, to get the total number of ways to seat the committee, I need to multiply the "
        "number of ways to arrange the groups by the number of ways to order each group.",
        "That gives me 2 x 60 x 60 x 1 = 7200 ways.",
        "# Answer\n\n7200",
    ]
)


def _real_rows(shared_data, tmp_path) -> str:
    """The sample files copied under their upstream names."""
    (tmp_path / "prm800k").mkdir()
    for phase in ("phase1", "phase2"):
        shutil.copyfile(
            os.path.join(shared_data, "prm800k", f"{phase}_train.sample.jsonl"),
            tmp_path / "prm800k" / f"{phase}_train.jsonl",
        )
    return str(tmp_path)


def test_pairwise_golden_on_real_rows(shared_data, tmp_path):
    root = _real_rows(shared_data, tmp_path)
    records = testing.render("prm800k_pairwise", "train", root)
    # Phase 1: one trajectory with human-written steps, one give_up. Phase 2: five found_error
    # solutions of three problems, each paired with its problem's ground-truth solution.
    assert len(records) == 5
    assert testing.skipped("prm800k_pairwise", "train", root) == {"human_steps": 1, "gave_up": 1}
    assert testing.text(records[0]) == (
        PAIR_HEADER
        + SENATE
        + f"solution_a: {SENATE_INCORRECT}\nsolution_b: {SENATE_GROUND_TRUTH}\n\n"
        + "EVALUATION:\nanswer: B"
    )
    assert [r.answer for r in records] == ["B", "A", "B", "A", "B"]


def test_solution_golden_on_real_rows(shared_data, tmp_path):
    root = _real_rows(shared_data, tmp_path)
    records = testing.render("prm800k_solution", "train", root)
    assert len(records) == 3  # the three phase-2 problems, once each
    assert testing.skipped("prm800k_solution", "train", root) == {
        "no_ground_truth_solution": 2,  # phase-1 questions carry no ground-truth solution
        "duplicate_problem": 2,
    }
    assert testing.text(records[0]) == (
        "INSTRUCTIONS:\n"
        "title: Solve the math problem\n"
        "description: In this task, you will be shown a competition mathematics problem. Write "
        "a correct solution that explains the reasoning step by step and ends with the final "
        "answer in \\boxed{...}.\n"
        "output_fields: solution\n\n"
        "CONTEXT:\n" + SENATE + f"\nEVALUATION:\nsolution: {SENATE_GROUND_TRUTH}"
    )


def _step(text, rating, chosen=True):
    completion = {"text": text, "rating": rating, "flagged": None}
    return {
        "completions": [completion],
        "human_completion": None,
        "chosen_completion": 0 if chosen else None,
    }


def _row(problem, finish, steps, pregen=None, ground_truth="GT"):
    question = {"problem": problem, "ground_truth_answer": "x"}
    if ground_truth is not None:
        question["ground_truth_solution"] = ground_truth
    if pregen is not None:
        question["pre_generated_steps"] = pregen
        question["pre_generated_answer"] = "x"
        question["pre_generated_verifier_score"] = 0.5
    return {
        "labeler": "0000",
        "timestamp": "2023-01-01T00:00:00",
        "generation": 1,
        "is_quality_control_question": False,
        "is_initial_screening_question": False,
        "question": question,
        "label": {"steps": steps, "total_time": 1000, "finish_reason": finish},
    }


ONE = "What is $1+1$?"
TWO = "What is $2+2$?"


def test_correct_vs_incorrect_pairs_and_documented_skips(tmp_path):
    wrong = ["1+1=3.", "# Answer\n\n3"]
    phase2 = [
        _row(ONE, "found_error", [_step("1+1=3.", -1, chosen=False)], pregen=wrong),
        _row(ONE, "solution", [_step("1+1=2.", 1), _step("# Answer\n\n2", 0)]),
        _row(ONE, "found_error", [_step("1+1=3.", -1, chosen=False)], pregen=wrong),  # again
        _row(ONE, "bad_problem", []),
        _row(ONE, "solution", [_step("1+1=11.", -1)]),  # contradicts its finish_reason
        _row(ONE, "solution", [_step("1+1", 1), _step("=2", None, chosen=False)]),  # unfinished
        _row(ONE, "found_error", [_step("1+1=3.", -1, chosen=False)]),  # no pre_generated_steps
        _row(TWO, "solution", [_step("2+2=4.", 1)]),
        _row(TWO, "found_error", [_step("2+2=4.", -1, chosen=False)], pregen=["2+2=4."]),
        _row(TWO, "solution", [_step("So 4.", 1)]),  # no incorrect solution of TWO is left
    ]
    phase1 = [_row(ONE, "give_up", [_step("Hmm.", 0)], ground_truth=None)]
    testing.write_rows(tmp_path, "prm800k", "phase1_train.jsonl", phase1)
    root = testing.write_rows(tmp_path, "prm800k", "phase2_train.jsonl", phase2)
    records = testing.render("prm800k_pairwise", "train", root)
    texts = [testing.text(r).split("CONTEXT:\n")[1] for r in records]
    assert texts == [
        # The ground-truth solution (from a later row than the problem's first) vs incorrect.
        f"problem: {ONE}\nsolution_a: 1+1=3.\n# Answer\n\n3\nsolution_b: GT\n\n"
        "EVALUATION:\nanswer: B",
        # The correct LLM trajectory vs the same incorrect solution.
        f"problem: {ONE}\nsolution_a: 1+1=2.\n# Answer\n\n2\nsolution_b: 1+1=3.\n# Answer\n\n3"
        "\n\nEVALUATION:\nanswer: A",
    ]
    assert testing.text(records[1]) == PAIR_HEADER + texts[1]
    assert testing.skipped("prm800k_pairwise", "train", root) == {
        "gave_up": 1,
        "duplicate_solution": 1,
        "bad_problem": 1,
        "contradictory_label": 1,
        "incomplete_trajectory": 1,
        "no_full_solution": 1,
        "conflicting_labels": 1,
        "unpaired": 1,
    }


def test_bad_rows_name_file_row_and_field(tmp_path):
    good = _row(ONE, "solution", [_step("2.", 1)])
    bad = _row(ONE, "solution", [_step("2.", 1)])
    del bad["label"]["finish_reason"]
    testing.write_rows(tmp_path, "prm800k", "phase1_train.jsonl", [good])
    root = testing.write_rows(tmp_path, "prm800k", "phase2_train.jsonl", [good, bad])
    with pytest.raises(
        DataError, match=r"file phase2_train.jsonl, row 2, field 'label.finish_reason': missing"
    ):
        testing.render("prm800k_pairwise", "train", root)
    bad["label"]["finish_reason"] = "done"
    bad["label"]["steps"][0]["completions"][0]["rating"] = 2
    root = testing.write_rows(tmp_path, "prm800k", "phase2_train.jsonl", [good, bad])
    with pytest.raises(DataError, match=r"row 2, field 'label.finish_reason': 'done' is not"):
        testing.render("prm800k_pairwise", "train", root)
    bad["label"]["finish_reason"] = "solution"
    root = testing.write_rows(tmp_path, "prm800k", "phase2_train.jsonl", [good, bad])
    with pytest.raises(
        DataError, match=r"row 2, field 'label.steps.0.completions.0.rating': 2 is not one"
    ):
        testing.render("prm800k_pairwise", "train", root)


def test_registration():
    pairwise = registry.get_task("prm800k_pairwise")
    solution = registry.get_task("prm800k_solution")
    assert pairwise.capability == "math" and solution.capability == "instruction_tuning"
    assert pairwise.is_training and solution.is_training
    assert pairwise.files("test") == ("phase1_test.jsonl", "phase2_test.jsonl")
