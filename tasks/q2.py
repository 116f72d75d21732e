"""Q² (Honovich et al. 2021): factual consistency of knowledge-grounded dialogue responses.

Home: GitHub orhonovich/q-squared, files below third_party/data/ (MIT, Copyright Facebook:
derived from Wizard of Wikipedia). CSV files with a leading unnamed pandas index column:

- cross_annotation.csv: `episode_idx`, `round`, `topic`, `message` (the user turn),
  `dodeca_response`, `memnet_response` (two systems' responses), `knowledge` (the Wikipedia
  sentence the response should rely on), `gold`, `dodeca_label`, `memnet_label` (1 = the
  response is factually inconsistent with the knowledge, 0 = consistent).
- {dodeca,memnet}_{consistent,inconsistent}.csv: `episode_idx`, `round`, `topic`, `message`,
  `response`, `knowledge`, `gold`; the file name is the label.

Annotators judged whether each response is factually consistent with the knowledge: whether
every fact it states agrees with the knowledge sentence. Both kinds of files feed "train":
cross_annotation.csv first (two items per row, one per system), then the four per-label files.
A per-label row whose (episode_idx, round, system) is already labelled in cross_annotation.csv
is a duplicate and skipped (counted); one whose label differs there is an error. Consistent ->
Yes, inconsistent -> No. An empty `message` (the system opens the conversation) renders as
"(none: the response opens the conversation)".
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="q2",
    title="Q²: Evaluating Factual Consistency in Knowledge-Grounded Dialogues",
    license="MIT (data derived from Wizard of Wikipedia)",
    host=GitHub(
        "orhonovich/q-squared",
        ref="cab6027dc9a50cf73d80caf0858da05c2323c433",
        prefix="third_party/data",
    ),
)

_CROSS = "cross_annotation.csv"
_SYSTEMS = ("dodeca", "memnet")
_PER_LABEL = {
    f"{system}_{kind}.csv": (system, kind == "consistent")
    for system in _SYSTEMS
    for kind in ("consistent", "inconsistent")
}
_NO_MESSAGE = "(none: the response opens the conversation)"
_SKIPS = {"duplicate": "the same system response is already labelled in cross_annotation.csv"}

CONSISTENCY = Classification(
    title="Is the dialogue response factually consistent with the knowledge?",
    description=(
        "In this task, you will be shown the topic of a conversation, the user's last message, "
        "a piece of knowledge from Wikipedia, and the response of a dialogue system that was "
        "meant to use the knowledge. Judge whether every fact the response states agrees with "
        "the knowledge. A response is inconsistent if it changes, contradicts or adds to the "
        "facts of the knowledge, e.g. a wrong date, name or number."
    ),
    context_fields=("topic", "message", "knowledge", "response"),
    labels=(
        ("Yes", "the response is factually consistent with the knowledge"),
        ("No", "the response states something inconsistent with the knowledge"),
    ),
)


def _label(consistent: bool) -> str:
    return "Yes" if consistent else "No"


def _item(row: Row, response_field: str, consistent: bool) -> Label:
    return Label(
        {
            "topic": row.text("topic"),
            "message": row.get("message", str).strip() or _NO_MESSAGE,
            "knowledge": row.text("knowledge"),
            "response": row.text(response_field),
        },
        label=_label(consistent),
    )


def _consistency(rows: Iterator[Row]) -> Iterator[Label | Skip]:
    seen: dict[tuple[str, str, str], bool] = {}
    for row in rows:
        turn = (row.text("episode_idx"), row.text("round"))
        if row.file == _CROSS:
            for system in _SYSTEMS:
                consistent = row.get(f"{system}_label", str, choices=("0", "1")) == "0"
                seen[(*turn, system)] = consistent
                yield _item(row, f"{system}_response", consistent)
            continue
        if row.file not in _PER_LABEL:
            raise row.error("*", f"unexpected file (expected {_CROSS} or {sorted(_PER_LABEL)})")
        system, consistent = _PER_LABEL[row.file]
        if (*turn, system) in seen:
            if seen[(*turn, system)] != consistent:
                raise row.error(
                    "response",
                    f"labelled {_label(consistent)} here but {_label(seen[(*turn, system)])} "
                    f"in {_CROSS}",
                )
            yield Skip("duplicate")
            continue
        seen[(*turn, system)] = consistent
        yield _item(row, "response", consistent)


register(
    FlameTask(
        name="q2_consistency",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=CONSISTENCY,
        splits={"train": (_CROSS, *_PER_LABEL)},
        convert=_consistency,
        skips=_SKIPS,
    )
)
