"""FaithDial (Dziri et al. 2022): faithful vs hallucinated knowledge-grounded dialogue responses.

FaithDial re-annotates Wizard of Wikipedia (WoW): crowdworkers labelled each WoW wizard response
with the BEGIN taxonomy (Hallucination, Entailment, Generic, Uncooperative; several may apply)
and rewrote the hallucinated ones so that they are faithful to the knowledge snippet. FLAMe
(Table 7, factuality) uses it for classification.

Home: HF McGill-NLP/FaithDial (MIT), pinned to commit 7a414e80725eac766f2602676dc8b39f80b061e4
(the revision MTEB pins; its data/ folder seen in the hub's commit history). Files: data/train.json
(36,809 turns), data/valid.json (6,851) and data/test.json (7,101), each a JSON array of dialogues
`{"utterances": [...]}`; each utterance (a wizard turn) has `history` (the earlier turns, oldest
first, ending with the seeker's turn that the wizard answers), `speaker`, `knowledge` (the
Wikipedia sentence the wizard must ground the turn in), `original_response` (the WoW response
before editing; null when the response was kept, possibly with typo fixes), `response` (the
FaithDial response), `BEGIN` (list of BEGIN labels of the WoW response) and `VRM` (list of
speech-act labels, unused). The *_random_split / *_topic_split files are subsets of valid/test
and are not used. Schema from the dataset card, the authors' FaithCritic loader
(models/critic_data.py in GitHub McGill-NLP/FaithDial) and a third-party loader of these JSON
files; the exact set of BEGIN strings in the files is unverified (the files were not
obtainable): any string outside the five below is an error.

faithdial_hallucination (classification) follows the authors' FaithCritic construction:
- the WoW response (`original_response`, or `response` when it is null or empty) with its
  BEGIN labels: Hallucination if the list has "Hallucination" or "Partial Hallucination"
  (FaithCritic only tests "Hallucination"; a partly unsupported response is not faithful
  either), otherwise Entailment if it has "Entailment"; a turn labelled only Generic and/or
  Uncooperative carries no attribution verdict and is skipped (`no_attribution_label`, also
  when the list is empty).
- train only: when the turn was rewritten (a non-empty `original_response` that differs from
  `response`) and the WoW response got a verdict above, the rewritten FaithDial response is
  added as Entailment (annotators edited it to be faithful to the knowledge). Validation and
  test keep only the WoW responses, as FaithCritic evaluates.
The history renders one turn per line, "Seeker:" and "Wizard:" alternating back from the last
turn (the seeker's); an empty history renders as "(none: the response opens the conversation)".
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="faithdial",
    title="FaithDial: A Faithful Benchmark for Information-Seeking Dialogue",
    license="MIT",
    host=HuggingFace("McGill-NLP/FaithDial", revision="7a414e80725eac766f2602676dc8b39f80b061e4"),
    notes="Built on Wizard of Wikipedia dialogues; the seeker turns may contain personal details.",
)

SPLITS = {
    "train": ("data/train.json",),
    "validation": ("data/valid.json",),
    "test": ("data/test.json",),
}

BEGIN_LABELS = ("Hallucination", "Partial Hallucination", "Entailment", "Generic", "Uncooperative")
_HALLUCINATION = ("Hallucination", "Partial Hallucination")
_NO_HISTORY = "(none: the response opens the conversation)"

SKIPS = {
    "no_attribution_label": "the WoW response is labelled only Generic and/or Uncooperative (or "
    "has no BEGIN label): no verdict on its attribution",
}

HALLUCINATION = Classification(
    title="Is the dialogue response faithful to the knowledge?",
    description=(
        "In this task, you will be shown a piece of knowledge from Wikipedia, a conversation "
        "between an information seeker and a wizard who answers using that knowledge, and the "
        "wizard's next response. Judge whether the response is faithful to the knowledge: "
        "every piece of information it gives must be supported by the knowledge. Information "
        "that cannot be verified from the knowledge is a hallucination even if it is true in "
        "the real world, and so are personal experiences, opinions or feelings the wizard "
        "presents as its own (the wizard is a bot that only knows the knowledge)."
    ),
    context_fields=("knowledge", "history", "response"),
    labels=(
        (
            "Hallucination",
            "the response contains information that is not supported by, or contradicts, "
            "the knowledge",
        ),
        ("Entailment", "all of the information in the response is supported by the knowledge"),
    ),
)


def _history(row: Row, field: str) -> str:
    turns = row.get(field, list)
    lines = []
    for index in range(len(turns)):
        speaker = "Seeker" if (len(turns) - 1 - index) % 2 == 0 else "Wizard"
        lines.append(f"{speaker}: {row.text(f'{field}.{index}').strip()}")
    return "\n".join(lines) or _NO_HISTORY


def _verdict(row: Row, field: str) -> str | None:
    labels = row.get(field, list, default=[])
    for index in range(len(labels)):
        row.get(f"{field}.{index}", str, choices=BEGIN_LABELS)
    if any(label in _HALLUCINATION for label in labels):
        return "Hallucination"
    return "Entailment" if "Entailment" in labels else None


def _labels(rows: Iterator[Row]) -> Iterator[Label | Skip]:
    for row in rows:
        with_rewrites = row.file in SPLITS["train"]  # validation and test: WoW responses only
        for i in range(len(row.get("utterances", list))):
            turn = f"utterances.{i}"
            response = row.text(f"{turn}.response").strip()
            original = (row.get(f"{turn}.original_response", str, default="") or "").strip()
            context = {
                "knowledge": row.text(f"{turn}.knowledge").strip(),
                "history": _history(row, f"{turn}.history"),
            }
            verdict = _verdict(row, f"{turn}.BEGIN")
            if verdict is None:
                yield Skip("no_attribution_label")
                continue
            yield Label({**context, "response": original or response}, label=verdict)
            if with_rewrites and original and original != response:
                yield Label({**context, "response": response}, label="Entailment")


register(
    FlameTask(
        name="faithdial_hallucination",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=HALLUCINATION,
        splits=SPLITS,
        convert=_labels,
        skips=SKIPS,
    )
)
