"""The FLAMe text-to-text format: records, templates, rendering and parsing (pure Python)."""

from flame_jax.format.parse import ParseError, parse_evaluation
from flame_jax.format.record import Capability, Instructions, Record, TaskType
from flame_jax.format.templates import (
    Classification,
    Generation,
    Label,
    OpenEnded,
    Pair,
    Pairwise,
    Pointwise,
    Rating,
    Template,
    assistant_responses,
)

__all__ = [
    "Capability",
    "Classification",
    "Generation",
    "Instructions",
    "Label",
    "OpenEnded",
    "Pair",
    "Pairwise",
    "ParseError",
    "Pointwise",
    "Rating",
    "Record",
    "TaskType",
    "Template",
    "assistant_responses",
    "parse_evaluation",
]
