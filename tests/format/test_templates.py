"""Templates: answer conventions, balanced pairwise placement, validation."""

import pytest

from flame_jax.format import (
    Generation,
    OpenEnded,
    Pair,
    Pairwise,
    Pointwise,
    Rating,
    TaskType,
    assistant_responses,
)

PAIRWISE = Pairwise(title="Which is better?", description="Compare.", context_fields=("prompt",))


def test_pairwise_golden_and_placement():
    record = PAIRWISE.render(Pair({"prompt": "Hi"}, better="good", worse="bad"), index=0, seed=0)
    assert record.inputs + record.targets == (
        "INSTRUCTIONS:\ntitle: Which is better?\n"
        "description: Compare. Answer 'A' if response_a is better, "
        "or 'B' if response_b is better.\n"
        "output_fields: answer\n\nCONTEXT:\nprompt: Hi\nresponse_a: good\nresponse_b: bad\n\n"
        "EVALUATION:\nanswer: A"
    )
    flipped = PAIRWISE.render(Pair({"prompt": "Hi"}, better="good", worse="bad"), index=1, seed=0)
    assert flipped.context[1:] == (("response_a", "bad"), ("response_b", "good"))
    assert flipped.answer == "B" and flipped.task_type == TaskType.PAIRWISE


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_pairwise_is_balanced(seed):
    answers = [
        PAIRWISE.render(Pair({"prompt": str(i)}, "x", "y"), index=i, seed=seed).answer
        for i in range(101)
    ]
    assert abs(answers.count("A") - answers.count("B")) == 1


def test_pairwise_rejects_identical_responses():
    with pytest.raises(ValueError, match="identical"):
        PAIRWISE.render(Pair({"prompt": "Hi"}, "same", "same"), index=0, seed=0)


def test_pointwise_scale_and_context_order():
    template = Pointwise(
        title="Rate it",
        description="How good?",
        context_fields=("prompt", "response"),
        scale=(("1", "bad"), ("2", "ok"), ("3", "good")),
    )
    record = template.render(Rating({"prompt": "p", "response": "r"}, "2"), index=0, seed=0)
    assert "Give a score from 1 to 3: 1 = bad; 2 = ok; 3 = good." in record.inputs
    assert record.targets == "EVALUATION:\nscore: 2" and record.options == ("1", "2", "3")
    with pytest.raises(ValueError, match="not one of the options"):
        template.render(Rating({"prompt": "p", "response": "r"}, "7"), index=0, seed=0)
    with pytest.raises(ValueError, match="differ from the template"):
        template.render(Rating({"response": "r", "prompt": "p"}, "2"), index=0, seed=0)
    with pytest.raises(ValueError, match="at least two points"):
        Pointwise(title="t", description="d", context_fields=("x",), scale=(("1", "a"),))


def test_open_ended_fields():
    template = OpenEnded(
        title="Fix it",
        description="Correct the output.",
        context_fields=("output",),
        fields=("corrected",),
    )
    record = template.render(
        Generation({"output": "2+2=5"}, {"corrected": "2+2=4"}), index=0, seed=0
    )
    assert record.targets == "EVALUATION:\ncorrected: 2+2=4" and record.options == ()
    with pytest.raises(ValueError, match="empty"):
        template.render(Generation({"output": "x"}, {"corrected": "  "}), index=0, seed=0)


def test_assistant_responses_one_example_per_answered_turn():
    turns = [("assistant", "hi"), ("user", "2+2?"), ("assistant", "4"), ("user", "x2?")]
    turns += [("assistant", "8")]
    items = list(assistant_responses(turns, {"id": "1"}))
    assert [i.outputs["response"] for i in items] == ["4", "8"]
    assert items[1].context == {
        "conversation": "Assistant: hi\n\nUser: 2+2?\n\nAssistant: 4\n\nUser: x2?"
    }
    assert items[0].meta == {"id": "1"}
