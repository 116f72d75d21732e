"""Golden tests of the RewardBench prior-set tasks on rows written in the upstream schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError
from flame_jax.evaluation.rewardbench import PRIOR_SET_FILE, PRIOR_SETS

TURNS = [
    {"role": "user", "content": "Can you help me plan a trip?"},
    {"role": "assistant", "content": "Sure, where to?"},
    {"role": "user", "content": "Lisbon, for three days."},
]


def _write(tmp_path, name, rows):
    return testing.write_rows(
        tmp_path, "reward_bench_prior", PRIOR_SET_FILE.format(name=name), rows
    )


def test_one_task_per_leaderboard_set():
    for name in PRIOR_SETS:
        task = registry.get_task(f"reward_bench_prior_{name}")
        assert task.evaluation_only and task.splits == {"test": (PRIOR_SET_FILE.format(name=name),)}
    assert PRIOR_SETS == ("anthropic_helpful", "anthropic_hhh", "shp", "summarize")


def test_multi_turn_prompt_renders_as_a_conversation(tmp_path):
    rows = [
        {"prompt": TURNS, "chosen": "Day 1: Alfama.", "rejected": "No."},
        {"prompt": TURNS[:1], "chosen": "same", "rejected": "same"},
    ]
    root = _write(tmp_path, "anthropic_helpful", rows)
    task = registry.get_task("reward_bench_prior_anthropic_helpful")
    (record,) = task.records("test", root)  # the identical pair is skipped
    context = dict(record.context)
    assert context["conversation"] == (
        "User: Can you help me plan a trip?\n\nAssistant: Sure, where to?\n\n"
        "User: Lisbon, for three days."
    )
    assert {context["response_a"], context["response_b"]} == {"Day 1: Alfama.", "No."}
    assert context["response_a" if record.answer == "A" else "response_b"] == "Day 1: Alfama."
    assert dict(record.meta) == {"set": "anthropic_helpful", "id": "anthropic_helpful:1"}
    assert registry.count(task, "test", root).skipped == {"identical": 1}


@pytest.mark.parametrize("prompt", [["Summarize: the cat sat."], "Summarize: the cat sat."])
def test_single_turn_prompts_of_early_revisions(tmp_path, prompt):
    root = _write(tmp_path, "summarize", [{"prompt": prompt, "chosen": "A cat.", "rejected": "B"}])
    (record,) = registry.get_task("reward_bench_prior_summarize").records("test", root)
    assert dict(record.context)["conversation"] == "Summarize: the cat sat."


def test_a_prompt_ending_with_the_assistant_names_the_row(tmp_path):
    root = _write(tmp_path, "shp", [{"prompt": TURNS[:2], "chosen": "a", "rejected": "b"}])
    with pytest.raises(DataError, match=r"row 1, field 'prompt': 2 turns: the last turn"):
        list(registry.get_task("reward_bench_prior_shp").records("test", root))
