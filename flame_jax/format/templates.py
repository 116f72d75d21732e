"""The four FLAMe templates and the items that source converters yield.

A source converter turns upstream rows into items (`Pair`, `Rating`, `Label`, `Generation`)
that say what a row means; the task's template turns each item into a `Record` with the
task's instructions. An item's `meta` (facts never rendered, such as a benchmark's subset)
is carried to its record. Templates append the answer convention (options, scale anchors) to the
dataset-specific guidelines, so every task of one type answers the same way:

- pairwise: `answer` is `A` or `B`; the better response's position alternates with the item's
  index, offset by a seed, so every task is balanced between A and B (exactly, +-1).
- pointwise: `score` is a point of the dataset's own scale, each point with its anchor.
- classification: `answer` is one of the dataset's labels, each with its meaning.
- open_ended: free-text output fields (an explanation, a corrected output, a solution).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterator, Mapping, Sequence

from flame_jax.format.record import Instructions, Record, TaskType

ContextLike = Mapping[str, str] | Sequence[tuple[str, str]]


def _context(template_fields: tuple[str, ...], given: ContextLike) -> tuple[tuple[str, str], ...]:
    items = dict(given.items() if isinstance(given, Mapping) else given)
    if tuple(items) != template_fields:
        raise ValueError(
            f"context fields {tuple(items)} differ from the template's {template_fields}"
        )
    for name, value in items.items():
        if not isinstance(value, str):
            raise TypeError(f"context field {name!r} must be a string, got {type(value).__name__}")
    return tuple(items.items())


@dataclasses.dataclass(frozen=True)
class Pair:
    """Two responses in one context, `better` preferred by the annotators."""

    context: ContextLike
    better: str
    worse: str
    explanation: str | None = None
    meta: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Rating:
    """A response (in its context) rated on the dataset's scale; `score` is a scale point."""

    context: ContextLike
    score: str
    explanation: str | None = None
    meta: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Label:
    """A classification label for the context."""

    context: ContextLike
    label: str
    explanation: str | None = None
    meta: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Generation:
    """Free-text outputs written by annotators for the context."""

    context: ContextLike
    outputs: Mapping[str, str]
    meta: Mapping[str, str] = dataclasses.field(default_factory=dict)


def assistant_responses(
    turns: Sequence[tuple[str, str]], meta: Mapping[str, str] | None = None
) -> Iterator[Generation]:
    """One Generation per assistant turn of a conversation (instruction-tuning data): the
    turns before it, as "Role: text" blocks, are the `conversation` context and the turn is
    the `response`. `turns` are (role, text) with roles system | user | assistant; an
    assistant turn that opens the conversation has no context and gives no example."""
    lines: list[str] = []
    for role, text in turns:
        if role == "assistant" and lines:
            yield Generation({"conversation": "\n\n".join(lines)}, {"response": text}, meta or {})
        lines.append(f"{role.capitalize()}: {text}")


@dataclasses.dataclass(frozen=True)
class Template(abc.ABC):
    """Shared parts: title, guidelines, the ordered context fields, an explanation field."""

    title: str
    description: str
    context_fields: tuple[str, ...]

    task_type: TaskType = dataclasses.field(init=False)

    @abc.abstractmethod
    def render(self, item, *, index: int, seed: int) -> Record:
        """The record of one item; `index` and `seed` place pairwise responses."""

    @property
    @abc.abstractmethod
    def output_fields(self) -> tuple[str, ...]:
        """The EVALUATION fields, in order."""

    @property
    def options(self) -> tuple[str, ...]:
        """Allowed values of the first output field (empty for open-ended)."""
        return ()

    def _record(self, description: str, context, evaluation) -> Record:
        return Record(
            task_type=self.task_type,
            instructions=Instructions(self.title, description, self.output_fields),
            context=context,
            evaluation=tuple(evaluation),
            options=self.options,
        )

    def _explained(self, item, evaluation: list[tuple[str, str]], with_explanation: bool):
        if with_explanation:
            if not item.explanation:
                raise ValueError(f"template {self.title!r} needs an explanation for every item")
            evaluation.append(("explanation", item.explanation))
        return evaluation


@dataclasses.dataclass(frozen=True)
class Pairwise(Template):
    """Which of two responses is better; responses render as `<response_field>_a/_b`."""

    response_field: str = "response"
    explanation: bool = False
    task_type: TaskType = dataclasses.field(default=TaskType.PAIRWISE, init=False)

    @property
    def output_fields(self) -> tuple[str, ...]:
        return ("answer", "explanation") if self.explanation else ("answer",)

    @property
    def options(self) -> tuple[str, ...]:
        return ("A", "B")

    def render(self, item: Pair, *, index: int, seed: int) -> Record:
        if item.better == item.worse:
            raise ValueError("the two responses of a pair are identical")
        better_first = (index + seed) % 2 == 0
        first, second = (item.better, item.worse) if better_first else (item.worse, item.better)
        name = self.response_field
        context = (
            *_context(self.context_fields, item.context),
            (f"{name}_a", first),
            (f"{name}_b", second),
        )
        description = (
            f"{self.description} Answer 'A' if {name}_a is better, or 'B' if {name}_b is better."
        )
        evaluation = self._explained(
            item, [("answer", "A" if better_first else "B")], self.explanation
        )
        return self._record(description, context, evaluation)


@dataclasses.dataclass(frozen=True)
class Pointwise(Template):
    """A score on the dataset's own scale; `scale` lists (point, anchor description)."""

    scale: tuple[tuple[str, str], ...] = ()
    explanation: bool = False
    task_type: TaskType = dataclasses.field(default=TaskType.POINTWISE, init=False)

    def __post_init__(self):
        if len(self.scale) < 2:
            raise ValueError(f"template {self.title!r} needs a scale of at least two points")
        for point, _ in self.scale:
            float(point)  # scale points are numbers: the judge's expected score needs them

    @property
    def output_fields(self) -> tuple[str, ...]:
        return ("score", "explanation") if self.explanation else ("score",)

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(point for point, _ in self.scale)

    def render(self, item: Rating, *, index: int, seed: int) -> Record:
        del index, seed
        anchors = "; ".join(f"{point} = {anchor}" for point, anchor in self.scale)
        description = (
            f"{self.description} Give a score from {self.scale[0][0]} to {self.scale[-1][0]}: "
            f"{anchors}."
        )
        evaluation = self._explained(item, [("score", str(item.score))], self.explanation)
        return self._record(description, _context(self.context_fields, item.context), evaluation)


@dataclasses.dataclass(frozen=True)
class Classification(Template):
    """One label of a fixed set; `labels` lists (label, meaning)."""

    labels: tuple[tuple[str, str], ...] = ()
    explanation: bool = False
    task_type: TaskType = dataclasses.field(default=TaskType.CLASSIFICATION, init=False)

    def __post_init__(self):
        if len(self.labels) < 2:
            raise ValueError(f"template {self.title!r} needs at least two labels")

    @property
    def output_fields(self) -> tuple[str, ...]:
        return ("answer", "explanation") if self.explanation else ("answer",)

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(label for label, _ in self.labels)

    def render(self, item: Label, *, index: int, seed: int) -> Record:
        del index, seed
        meanings = " ".join(f"Answer '{label}' if {meaning}." for label, meaning in self.labels)
        evaluation = self._explained(item, [("answer", item.label)], self.explanation)
        return self._record(
            f"{self.description} {meanings}",
            _context(self.context_fields, item.context),
            evaluation,
        )


@dataclasses.dataclass(frozen=True)
class OpenEnded(Template):
    """Free-text output fields, e.g. an explanation or a corrected output."""

    fields: tuple[str, ...] = ()
    task_type: TaskType = dataclasses.field(default=TaskType.OPEN_ENDED, init=False)

    def __post_init__(self):
        if not self.fields:
            raise ValueError(f"template {self.title!r} names no output fields")

    @property
    def output_fields(self) -> tuple[str, ...]:
        return self.fields

    def render(self, item: Generation, *, index: int, seed: int) -> Record:
        del index, seed
        if tuple(item.outputs) != self.fields:
            raise ValueError(
                f"outputs {tuple(item.outputs)} differ from the template's {self.fields}"
            )
        for name, value in item.outputs.items():
            if not value or not value.strip():
                raise ValueError(f"output field {name!r} is empty")
        return self._record(
            self.description, _context(self.context_fields, item.context), item.outputs.items()
        )
