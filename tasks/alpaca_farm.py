"""AlpacaFarm human preferences (Dubois et al. 2023): which of two Alpaca outputs people prefer.

Home: HF tatsu-lab/alpaca_farm (CC BY-NC 4.0). File: alpaca_human_preference.json (the
alpaca_human_preference config, split `preference`), a JSON array of {instruction, input (may
be empty), output_1, output_2, preference (1 or 2: the output the crowdworker preferred)}.

Task alpaca_farm_human_preference (evaluation only, test split). The instruction and its
optional input are one context field: the input follows the instruction after a blank line,
as in Alpaca's prompt. Pairs whose two outputs are the same text carry no preference and are
skipped (`identical`).
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="alpaca_farm",
    title="AlpacaFarm human preferences",
    license="CC-BY-NC-4.0",
    host=HuggingFace("tatsu-lab/alpaca_farm"),
    evaluation_only=True,
    notes="Non-commercial license (CC BY-NC 4.0). Evaluation only.",
)

SKIPS = {"identical": "the two outputs are the same text"}

PAIRWISE = Pairwise(
    title="Which output better follows the instruction?",
    description=(
        "In this task, you will be shown an instruction, possibly with an input it refers to, "
        "and two outputs written in response. Choose the output you would prefer to receive: "
        "the one that follows the instruction and is more helpful, correct and clear. If both "
        "are good or both are bad, still choose the better one."
    ),
    context_fields=("instruction",),
    response_field="output",
)


@per_row
def _pair(row: Row) -> Pair:
    preference = row.get("preference", int, choices=(1, 2))
    instruction = row.text("instruction").strip()
    extra = row.get("input", str, default="").strip()
    outputs = {1: row.text("output_1"), 2: row.text("output_2")}
    if outputs[1] == outputs[2]:
        raise SkipRow("identical")
    context = {"instruction": f"{instruction}\n\n{extra}" if extra else instruction}
    return Pair(context, better=outputs[preference], worse=outputs[3 - preference])


register(
    FlameTask(
        name="alpaca_farm_human_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PAIRWISE,
        splits={"test": ("alpaca_human_preference.json",)},
        convert=_pair,
        skips=SKIPS,
        evaluation_only=True,
    )
)
