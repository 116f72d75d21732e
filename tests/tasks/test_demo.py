"""Golden tests of the demo collection, and its held-out splits being really held out."""

import pytest

from flame_jax.data import registry, testing

GOLDEN = {
    "demo_sorting": (
        "INSTRUCTIONS:\ntitle: Which response sorts the list correctly?\ndescription: You will "
        "be shown a list of numbers and two responses that reorder it. Choose the response that "
        "puts the numbers in ascending order. Answer 'A' if response_a is better, or 'B' if "
        "response_b is better.\noutput_fields: answer\n\nCONTEXT:\nnumbers: 1 0 8 4 7 3\n"
        "response_a: 7 0 4 3 1 8\nresponse_b: 0 1 3 4 7 8\n\nEVALUATION:\nanswer: B"
    ),
    "demo_sortedness": (
        "INSTRUCTIONS:\ntitle: How sorted is this list?\ndescription: You will be shown a list "
        "of numbers. Rate how close it is to ascending order. Give a score from 1 to 5: 1 = "
        "almost no neighbours in order; 2 = few in order; 3 = about half in order; 4 = most in "
        "order; 5 = fully sorted.\noutput_fields: score\n\nCONTEXT:\nnumbers: 6 0 2 3 8 1\n\n"
        "EVALUATION:\nscore: 3"
    ),
    "demo_support": (
        "INSTRUCTIONS:\ntitle: Is the claim supported by the facts?\ndescription: You will be "
        "shown a few facts and a claim. Answer 'Yes' if the facts state the claim. Answer 'No' "
        "if the facts do not state the claim.\noutput_fields: answer\n\nCONTEXT:\nfacts: Ben "
        "has 4 apples; Eli has 9 coins; Fay has 7 apples\nclaim: Ben has 4 apples\n\n"
        "EVALUATION:\nanswer: Yes"
    ),
    "demo_correction": (
        "INSTRUCTIONS:\ntitle: Correct the answer\ndescription: You will be shown an addition "
        "question and a wrong answer. Write the correct one.\noutput_fields: corrected_answer\n\n"
        "CONTEXT:\nquestion: 6 + 1 = ?\nwrong_answer: 6\n\nEVALUATION:\ncorrected_answer: 7"
    ),
}


@pytest.mark.parametrize("task", sorted(GOLDEN))
def test_golden(task):
    (record,) = testing.render(task, "test", n=1)
    assert testing.text(record) == GOLDEN[task]


@pytest.mark.parametrize("task", sorted(GOLDEN))
def test_splits_are_disjoint_and_sized(task):
    texts = {
        s: {r.inputs for r in testing.render(task, s)} for s in ("train", "validation", "test")
    }
    assert not texts["test"] & texts["train"] and not texts["validation"] & texts["train"]
    counts = {s: registry.count(registry.get_task(task), s).num_examples for s in texts}
    assert counts == {"train": 4000, "validation": 200, "test": 200}


def test_labels_are_balanced_enough():
    answers = [r.answer for r in testing.render("demo_sorting", "train")]
    assert answers.count("A") == answers.count("B") == 2000
    support = [r.answer for r in testing.render("demo_support", "train")]
    assert 0.4 < support.count("Yes") / len(support) < 0.6
