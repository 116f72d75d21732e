"""RewardBench's prior sets (Lambert et al. 2024): the leaderboard's fifth, half-weighted column.

Home: HF allenai/preference-test-sets (ODC-BY; formerly allenai/pref-test-sets; the sets keep
their sources' licenses). Files: data/<set>-00000-of-00001.parquet, one per set, with prompt,
chosen, rejected (and, in later revisions, `subset`). `prompt` is the conversation before the
two responses: a list of turns, user and assistant alternating and ending with the user (as
{role, content} objects, or plain strings in early revisions), or one string. `chosen` is the
better response.

Tasks reward_bench_prior_<set> (evaluation only, test split) for the four sets the leaderboard
averages (upstream analysis/get_benchmark_results.py): anthropic_helpful (Anthropic HH
helpful test), anthropic_hhh (HHH alignment), shp (Stanford Human Preferences test) and
summarize (learning to summarize from feedback). The other sets of the repository
(anthropic_harmless, pku_*, mtbench_*, summarize_prompted) are not in the Score. HH-RLHF, SHP
and summarize-from-feedback train splits are FLAMe training data; these are their test
splits. Turns render as "User: ..." / "Assistant: ..." paragraphs (a single-turn prompt as
its text). Each record's meta carries its `set` and an `id` (<set>:<row>) for the seeded
single-order protocol (flame_jax/evaluation/rewardbench.py). A row with identical chosen and
rejected texts has no answer and is skipped (`identical`).
"""

from __future__ import annotations

from collections.abc import Mapping

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.evaluation.rewardbench import PRIOR_SET_FILE, PRIOR_SETS
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="reward_bench_prior",
    title="RewardBench prior sets (preference test sets)",
    license="ODC-BY",
    host=HuggingFace("allenai/preference-test-sets"),
    evaluation_only=True,
    notes="The test splits of four preference datasets; each keeps its source's license.",
)

SKIPS = {"identical": "chosen and rejected are the same text"}

PAIRWISE = Pairwise(
    title="Which response to the conversation is better?",
    description=(
        "In this task, you will be shown a conversation between a user and an AI assistant "
        "and two possible next responses of the assistant. Choose the better response: the "
        "one that does what the user asks, is helpful, honest and harmless, and, for a "
        "summary, captures the important points of the text accurately and concisely. Do "
        "not let the order of the responses or their length decide your answer."
    ),
    context_fields=("conversation",),
    response_field="response",
)


def _turn(row: Row, index: int, turn) -> str:
    field = f"prompt.{index}"
    if isinstance(turn, Mapping):
        turn = turn.get("content")
    if not isinstance(turn, str) or not turn.strip():
        raise row.error(
            field, f"expected a non-empty turn (text or {{role, content}}): {turn!r:.80}"
        )
    return turn.strip()


def conversation(row: Row) -> str:
    """The prompt as text: one string as it is; turns as alternating User/Assistant paragraphs."""
    prompt = row.get("prompt", (str, list))
    if isinstance(prompt, str):
        return row.text("prompt").strip()
    turns = [_turn(row, i, turn) for i, turn in enumerate(prompt)]
    if len(turns) % 2 == 0:
        raise row.error(
            "prompt", f"{len(turns)} turns: the last turn must be the user's (odd count)"
        )
    if len(turns) == 1:
        return turns[0]
    return "\n\n".join(
        f"{'User' if i % 2 == 0 else 'Assistant'}: {turn}" for i, turn in enumerate(turns)
    )


def _converter(name: str):
    def pair(row: Row) -> Pair:
        chosen, rejected = row.text("chosen"), row.text("rejected")
        if chosen == rejected:
            raise SkipRow("identical")
        return Pair(
            {"conversation": conversation(row)},
            better=chosen,
            worse=rejected,
            meta={"set": name, "id": f"{name}:{row.index}"},
        )

    pair.__name__ = f"pair_{name}"
    return per_row(pair)


for _name in PRIOR_SETS:
    register(
        FlameTask(
            name=f"reward_bench_prior_{_name}",
            source=SOURCE,
            capability=Capability.QUALITY,
            template=PAIRWISE,
            splits={"test": (PRIOR_SET_FILE.format(name=_name),)},
            convert=_converter(_name),
            skips=SKIPS,
            evaluation_only=True,
        )
    )
