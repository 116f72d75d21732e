"""The FLAMe record: one judgment example in the paper's text-to-text format (Fig. 2).

A record renders as

    INSTRUCTIONS:
    title: <task title>
    description: <evaluation instructions>
    output_fields: <field>, <field>

    CONTEXT:
    <name>: <value>
    ...

    EVALUATION:
    <field>: <value>
    ...

The model input (`Record.inputs`) is the INSTRUCTIONS and CONTEXT blocks followed by a blank
line; the target (`Record.targets`) is the EVALUATION block, so `inputs + targets` is exactly
the paper's layout. Values may span several lines; labels are always at the start of a line.
"""

from __future__ import annotations

import dataclasses
import enum
import re

EVALUATION_HEADER = "EVALUATION:"
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class TaskType(enum.StrEnum):
    """The four FLAMe task types (paper §3.1)."""

    PAIRWISE = "pairwise"
    POINTWISE = "pointwise"
    CLASSIFICATION = "classification"
    OPEN_ENDED = "open_ended"


class Capability(enum.StrEnum):
    """The six FLAMe capabilities (paper §3.1); instruction tuning is plain SFT data."""

    QUALITY = "quality"
    FACTUALITY = "factuality"
    SAFETY = "safety"
    CODING = "coding"
    INSTRUCTION_TUNING = "instruction_tuning"
    MATH = "math"


def _check_field_names(kind: str, names: tuple[str, ...]) -> None:
    for name in names:
        if not _FIELD_NAME.match(name):
            raise ValueError(f"{kind} field name {name!r} must be lower_snake_case")
    if len(set(names)) != len(names):
        raise ValueError(f"{kind} field names repeat: {names}")


@dataclasses.dataclass(frozen=True)
class Instructions:
    """The INSTRUCTIONS block: what to judge, how, and which fields to answer with."""

    title: str
    description: str
    output_fields: tuple[str, ...]

    def __post_init__(self):
        if not self.output_fields:
            raise ValueError(f"instructions {self.title!r} name no output fields")
        _check_field_names("output", self.output_fields)

    def render(self) -> str:
        return (
            "INSTRUCTIONS:\n"
            f"title: {self.title}\n"
            f"description: {self.description}\n"
            f"output_fields: {', '.join(self.output_fields)}"
        )


@dataclasses.dataclass(frozen=True)
class Record:
    """One judgment example.

    Attributes:
      task_type: pairwise, pointwise, classification or open_ended.
      instructions: the INSTRUCTIONS block.
      context: ordered (name, value) fields of the CONTEXT block.
      evaluation: ordered (name, value) fields of the EVALUATION block; names equal
        `instructions.output_fields`.
      options: the allowed values of the first output field (A/B, the label set, the scale
        points) for score-mode judging; empty for open-ended records.
      meta: ordered (name, value) facts about the example that are never rendered (e.g.
        RewardBench's subset and id), for evaluations that report per group.
    """

    task_type: TaskType
    instructions: Instructions
    context: tuple[tuple[str, str], ...]
    evaluation: tuple[tuple[str, str], ...]
    options: tuple[str, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        _check_field_names("context", tuple(name for name, _ in self.context))
        names = tuple(name for name, _ in self.evaluation)
        if names != self.instructions.output_fields:
            raise ValueError(
                f"evaluation fields {names} differ from output_fields "
                f"{self.instructions.output_fields}"
            )
        if self.options and self.evaluation[0][1] not in self.options:
            raise ValueError(
                f"answer {self.evaluation[0][1]!r} is not one of the options {self.options}"
            )

    @property
    def answer(self) -> str:
        """The value of the first output field (the verdict)."""
        return self.evaluation[0][1]

    @property
    def inputs(self) -> str:
        context = "\n".join(f"{name}: {value}" for name, value in self.context)
        return f"{self.instructions.render()}\n\nCONTEXT:\n{context}\n\n"

    @property
    def targets(self) -> str:
        fields = "\n".join(f"{name}: {value}" for name, value in self.evaluation)
        return f"{EVALUATION_HEADER}\n{fields}"
