"""LIMA (Zhou et al., NeurIPS 2023, "LIMA: Less Is More for Alignment"): 1,000 curated prompts
with high-quality responses, plus 30 multi-turn dialogues.

The prompts and responses come from Stack Exchange, wikiHow, the Pushshift Reddit
r/WritingPrompts dump and Natural Instructions, plus examples written by the authors;
responses were selected or written to follow a consistent, helpful assistant style. FLAMe
(Table 7, instruction tuning) uses it as plain supervised data: write the response (open-ended).

Home: HF GAIR/lima, gated (log in, accept the conditions on the dataset page, set HF_TOKEN).
License: CC BY-NC-SA (non-commercial), or the stricter license of an example's source, per the
card. Files (read from the repository root by its loading script lima.py, as mirrored copies of
that script show; the gated file listing itself was not seen): train.jsonl (1,030
conversations) and test.jsonl (300 prompts without responses, 40 KB per the card: not used).
Each line: `conversations` (a list of strings, alternating user and assistant turns, starting
with the user) and `source` (where the example comes from).

lima_response (open-ended, instruction tuning): every assistant turn gives one example whose
context is the conversation up to that turn, rendered as "User: ..." and "Assistant: ..."
paragraphs (a single-turn example is just "User: <prompt>"), and whose target is the assistant
turn. So the 1,000 single-turn examples give one example each and each multi-turn dialogue gives
one per assistant turn. A trailing user turn without a response gives nothing. Skips: a
conversation without any assistant turn (`no_response`) or with an empty turn (`empty_turn`).
The `source` is kept as the record's meta.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Generation, OpenEnded, assistant_responses

SOURCE = Source(
    name="lima",
    title="LIMA: Less Is More for Alignment",
    license="CC BY-NC-SA (non-commercial; version not stated; stricter source licenses apply)",
    host=HuggingFace("GAIR/lima", gated=True),
    notes=(
        "Gated on the HF hub: log in, accept the dataset's conditions at "
        "https://huggingface.co/datasets/GAIR/lima, then set HF_TOKEN before "
        "`flame-jax data download`."
    ),
)

SKIPS = {
    "no_response": "the conversation has no assistant turn",
    "empty_turn": "a turn of the conversation is empty",
}

RESPONSE = OpenEnded(
    title="Write the assistant's response",
    description=(
        "In this task, you will be shown a conversation between a user and an AI assistant "
        "that ends with a message from the user. Write the assistant's next response: a "
        "helpful, accurate and complete answer that addresses everything the user asked, in "
        "a clear, well-organized and engaging style suited to the request, as a "
        "knowledgeable and friendly assistant would write it."
    ),
    context_fields=("conversation",),
    fields=("response",),
)

_ROLES = ("user", "assistant")  # LIMA conversations alternate, the user first


def _responses(rows: Iterator[Row]) -> Iterator[Generation | Skip]:
    for row in rows:
        turns = row.get("conversations", list)
        texts = [row.get(f"conversations.{i}", str).strip() for i in range(len(turns))]
        source = row.get("source", str, default="")
        if len(texts) < 2:
            yield Skip("no_response")
            continue
        if not all(texts):
            yield Skip("empty_turn")
            continue
        turns = [(_ROLES[i % 2], text) for i, text in enumerate(texts)]
        yield from assistant_responses(turns, {"source": source})


register(
    FlameTask(
        name="lima_response",
        source=SOURCE,
        capability=Capability.INSTRUCTION_TUNING,
        template=RESPONSE,
        splits={"train": ("train.jsonl",)},
        convert=_responses,
        skips=SKIPS,
    )
)
