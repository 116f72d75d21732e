"""VitaminC (Schuster et al. 2021): contrastive fact verification against Wikipedia evidence.

Home: HF tals/vitaminc (CC BY-SA 3.0). Files (under DATA_DIR/vitaminc/): train.jsonl
("train"), dev.jsonl ("validation"), test.jsonl ("test"); each line has `unique_id`,
`case_id`, `label` (SUPPORTS | REFUTES | NOT ENOUGH INFO), `claim`, `evidence`, `page`,
`revision_type`, `wiki_revision_id`.

Claims were written (or taken from Wikipedia revisions) so that small changes of the evidence
sentence flip the verdict; annotators judged whether the evidence supports the claim, refutes
it, or does not give enough information either way. The upstream labels are kept as the
answers. No row is skipped; any other label is an error.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="vitaminc",
    title="VitaminC",
    license="CC BY-SA 3.0",
    host=HuggingFace("tals/vitaminc"),
)

_LABELS = ("SUPPORTS", "REFUTES", "NOT ENOUGH INFO")

VERIFICATION = Classification(
    title="Does the evidence support or refute the claim?",
    description=(
        "In this task, you will be shown a piece of evidence, a sentence or passage from "
        "Wikipedia, and a claim. Judge the claim using only the evidence, not what you know "
        "about the world: small details such as numbers, dates and comparisons matter, since a "
        "slight change of the evidence can turn a supported claim into a refuted one."
    ),
    context_fields=("evidence", "claim"),
    labels=(
        ("SUPPORTS", "the evidence shows that the claim is true"),
        ("REFUTES", "the evidence shows that the claim is false"),
        ("NOT ENOUGH INFO", "the evidence does not say whether the claim is true or false"),
    ),
)


@per_row
def _verification(row: Row) -> Label:
    label = row.get("label", str, choices=_LABELS)
    return Label({"evidence": row.text("evidence"), "claim": row.text("claim")}, label=label)


register(
    FlameTask(
        name="vitaminc_fact_verification",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=VERIFICATION,
        splits={
            "train": ("train.jsonl",),
            "validation": ("dev.jsonl",),
            "test": ("test.jsonl",),
        },
        convert=_verification,
    )
)
