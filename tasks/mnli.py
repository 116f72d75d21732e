"""MultiNLI (Williams et al. 2018) recast as attribution, as FLAMe does with NLI datasets.

Home: the GLUE copy on HF nyu-mll/glue (parquet), config mnli. License: the MultiNLI corpus is
OANC-derived text under the OANC's terms plus CC BY 3.0 / CC BY-SA 3.0 parts (fiction, slate,
travel, ...), per the MultiNLI data description. Files (under DATA_DIR/mnli/):
mnli/train-00000-of-00001.parquet ("train") and mnli/validation_matched-00000-of-00001.parquet
plus mnli/validation_mismatched-00000-of-00001.parquet (together "validation"); each row has
`premise`, `hypothesis`, `label` (0 = entailment, 1 = neutral, 2 = contradiction), `idx`. The
GLUE test files carry no labels (-1) and are not used.

Recast: crowdworkers wrote each hypothesis to be definitely true (entailment), possibly true
(neutral) or definitely false (contradiction) given the premise. As attribution, the question
is whether everything the hypothesis says is supported by the premise: entailment -> Yes,
neutral and contradiction -> No. No row is skipped; any other label is an error.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="mnli",
    title="The Multi-Genre NLI Corpus (GLUE copy)",
    license="OANC terms, CC BY 3.0 and CC BY-SA 3.0 (per genre)",
    host=HuggingFace("nyu-mll/glue"),
    notes="Read from the GLUE parquet files of config mnli; test files carry no labels.",
)

_ENTAILMENT = 0

ATTRIBUTION = Classification(
    title="Is all of the information in the hypothesis fully supported by the premise?",
    description=(
        "In this task, you will be shown a premise, a short passage of text, and a hypothesis, "
        "a statement about the same situation. Judge whether the hypothesis is fully "
        "attributable to the premise: whether someone who reads only the premise would have to "
        "conclude that everything the hypothesis says is true. A hypothesis that adds "
        "information the premise does not give, or that contradicts the premise, is not "
        "supported."
    ),
    context_fields=("premise", "hypothesis"),
    labels=(
        ("Yes", "all of the information in the hypothesis is supported by the premise"),
        (
            "No",
            "some information in the hypothesis is not supported by, or contradicts, the premise",
        ),
    ),
)


@per_row
def _attribution(row: Row) -> Label:
    label = row.get("label", int, choices=(0, 1, 2))
    return Label(
        {"premise": row.text("premise"), "hypothesis": row.text("hypothesis")},
        label="Yes" if label == _ENTAILMENT else "No",
    )


register(
    FlameTask(
        name="mnli_attribution",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=ATTRIBUTION,
        splits={
            "train": ("mnli/train-00000-of-00001.parquet",),
            "validation": (
                "mnli/validation_matched-00000-of-00001.parquet",
                "mnli/validation_mismatched-00000-of-00001.parquet",
            ),
        },
        convert=_attribution,
    )
)
