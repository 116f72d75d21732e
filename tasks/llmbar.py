"""LLMBar (Zeng et al. 2024): does the judge pick the output that follows the instruction?

Home: GitHub princeton-nlp/LLMBar (MIT). Files (below Dataset/): LLMBar/Natural/dataset.json and
LLMBar/Adversarial/{Neighbor,GPTInst,GPTOut,Manual}/dataset.json; each a JSON array of {input
(the instruction), output_1, output_2, label (1 or 2: the output that follows the instruction;
author-verified, no ties)}. Upstream sizes: Natural 100, Neighbor 134, GPTInst 92, GPTOut 47,
Manual 46 (RewardBench's llmbar-* subsets are these same sets). Pinned to main's commit
900616bff90b6c6c8e1681f7d079250637c55992 (2024-07-08; MIT LICENSE there); the whole files
there have exactly these sizes.

Evaluation only (one test split per subset): these sets are part of RewardBench's Chat Hard
section and must never enter training. Following the LLMBar guidelines, the preferred output
is the one that precisely executes the instruction; when both do, the more helpful, accurate
and harmless one. Two identical outputs would carry no label and are reported as an error.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Pair, Pairwise

COMMIT = "900616bff90b6c6c8e1681f7d079250637c55992"

SOURCE = Source(
    name="llmbar",
    title="LLMBar",
    license="MIT",
    host=GitHub("princeton-nlp/LLMBar", ref=COMMIT, prefix="Dataset"),
    evaluation_only=True,
    notes="Evaluation only: the same instances are RewardBench's llmbar-* subsets.",
)

# Task name suffix -> file below Dataset/.
SUBSETS = {
    "natural": "LLMBar/Natural/dataset.json",
    "adversarial_neighbor": "LLMBar/Adversarial/Neighbor/dataset.json",
    "adversarial_gptinst": "LLMBar/Adversarial/GPTInst/dataset.json",
    "adversarial_gptout": "LLMBar/Adversarial/GPTOut/dataset.json",
    "adversarial_manual": "LLMBar/Adversarial/Manual/dataset.json",
}

PAIRWISE = Pairwise(
    title="Which output follows the instruction better?",
    description=(
        "In this task, you will be shown an instruction and two outputs written in response "
        "to it. Choose the output that does what the instruction asks: it should carry out "
        "the instruction honestly and precisely, and contain neither more nor less than the "
        "instruction requests. Only when both outputs follow the instruction equally well, "
        "prefer the one that is more helpful, accurate and harmless. Do not let the order of "
        "the outputs, their length or a polished style decide your answer."
    ),
    context_fields=("instruction",),
    response_field="output",
)


def _pair(row: Row) -> Pair:
    label = row.get("label", int, choices=(1, 2))
    outputs = {1: row.text("output_1"), 2: row.text("output_2")}
    if outputs[1] == outputs[2]:
        raise row.error("output_2", "the two outputs are identical")
    return Pair({"instruction": row.text("input")}, better=outputs[label], worse=outputs[3 - label])


for _name, _file in SUBSETS.items():
    register(
        FlameTask(
            name=f"llmbar_{_name}",
            source=SOURCE,
            capability=Capability.QUALITY,
            template=PAIRWISE,
            splits={"test": (_file,)},
            convert=per_row(_pair),
            evaluation_only=True,
        )
    )
