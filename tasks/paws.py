"""PAWS (Zhang et al. 2019): paraphrase adversaries from word scrambling, Wikipedia part.

Home: HF google-research-datasets/paws (parquet), config labeled_final: the human-labelled
PAWS-Wiki pairs. License: free for any purpose, with acknowledgement of Google as the source
appreciated (upstream LICENSE). Files (under DATA_DIR/paws/):
labeled_final/{train,validation,test}-00000-of-00001.parquet feed "train", "validation" and
"test"; each row has `id`, `sentence1`, `sentence2`, `label` (1 = paraphrase, 0 = not).

The pairs were made by swapping words and back-translating, then judged by several raters
for whether the two sentences mean the same thing; most pairs share nearly all their words, so
word overlap says little about the label. Yes = label 1. No row is skipped.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="paws",
    title="PAWS: Paraphrase Adversaries from Word Scrambling",
    license="free use with acknowledgement of Google (upstream LICENSE)",
    host=HuggingFace("google-research-datasets/paws"),
)

PARAPHRASE = Classification(
    title="Do these two sentences mean the same thing?",
    description=(
        "In this task, you will be shown two sentences that use almost the same words. Judge "
        "whether they are paraphrases: whether they state the same facts, with the same people, "
        "things and relations between them. Swapping who did what to whom, or moving a detail "
        "to another part of the sentence, can change the meaning even when every word is kept."
    ),
    context_fields=("sentence1", "sentence2"),
    labels=(
        ("Yes", "the two sentences mean the same thing"),
        ("No", "the two sentences differ in meaning"),
    ),
)


@per_row
def _paraphrase(row: Row) -> Label:
    label = row.get("label", int, choices=(0, 1))
    return Label(
        {"sentence1": row.text("sentence1"), "sentence2": row.text("sentence2")},
        label="Yes" if label == 1 else "No",
    )


register(
    FlameTask(
        name="paws_paraphrase",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=PARAPHRASE,
        splits={
            split: (f"labeled_final/{split}-00000-of-00001.parquet",)
            for split in ("train", "validation", "test")
        },
        convert=_paraphrase,
    )
)
