"""LMSYS Chatbot Arena conversations (Zheng et al. 2023): users' votes between two chatbots.

Home: HF lmsys/chatbot_arena_conversations (gated: accept the terms on the dataset page and
set HF_TOKEN; user prompts CC BY 4.0, model outputs CC BY-NC 4.0). File:
data/train-00000-of-00001-cced8514c7ed782a.parquet (33,000 conversations, the only split).
Each row: `question_id`, `model_a`, `model_b`, `winner` (model_a, model_b, tie or
"tie (bothbad)"), `judge`, `conversation_a` / `conversation_b` (lists of {role: user or
assistant, content}), `turn`, `anony`, `language`, `tstamp`, moderation tags.

A user chatted with two anonymous models side by side (the same user messages go to both)
and voted for the better one. Each conversation renders as alternating "User:" and
"Assistant:" turns separated by blank lines, so multi-turn chats read in order; the task
compares the two whole conversations. Ties (`tie`, `tie_bothbad`) carry no preference and
are skipped, as are pairs with an empty turn (`empty_turn`) or two identical conversations
(`identical`). All languages are kept.
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="chatbot_arena",
    title="LMSYS Chatbot Arena conversations",
    license="CC BY 4.0 (prompts) / CC BY-NC 4.0 (model outputs)",
    host=HuggingFace("lmsys/chatbot_arena_conversations", gated=True),
    notes=(
        "Gated on the HF hub: log in, accept the dataset's terms at "
        "https://huggingface.co/datasets/lmsys/chatbot_arena_conversations, then set HF_TOKEN "
        "to a token of that account before `flame-jax data download`."
    ),
)

TEMPLATE = Pairwise(
    title="Which chatbot conversation is better?",
    description=(
        "In this task, you will be shown two conversations in which the same user sent the "
        "same messages to two different AI assistants. Choose the conversation in which the "
        "assistant responded better: more helpful, accurate and relevant to what the user "
        "asked, and following the user's instructions."
    ),
    context_fields=(),
    response_field="conversation",
)

_ROLES = {"user": "User", "assistant": "Assistant"}
_SKIPS = {
    "tie": "the user voted a tie",
    "tie_bothbad": "the user voted that both were bad",
    "empty_turn": "a turn of either conversation is empty",
    "identical": "the two conversations are the same",
}


def _conversation(row: Row, field: str) -> str:
    turns = row.get(field, list)
    if not turns:
        raise row.error(field, "no turns")
    lines = []
    for index in range(len(turns)):
        role = row.get(f"{field}.{index}.role", str, choices=tuple(_ROLES))
        content = row.get(f"{field}.{index}.content", str).strip()
        if not content:
            raise SkipRow("empty_turn")
        lines.append(f"{_ROLES[role]}: {content}")
    return "\n\n".join(lines)


def _pair(row: Row) -> Pair:
    winner = row.get("winner", str, choices=("model_a", "model_b", "tie", "tie (bothbad)"))
    if winner == "tie":
        raise SkipRow("tie")
    if winner == "tie (bothbad)":
        raise SkipRow("tie_bothbad")
    first = _conversation(row, "conversation_a")
    second = _conversation(row, "conversation_b")
    if first == second:
        raise SkipRow("identical")
    better, worse = (first, second) if winner == "model_a" else (second, first)
    return Pair({}, better=better, worse=worse)


register(
    FlameTask(
        name="chatbot_arena_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=TEMPLATE,
        splits={"train": ("data/train-00000-of-00001-cced8514c7ed782a.parquet",)},
        convert=per_row(_pair),
        skips=_SKIPS,
    )
)
