"""The JSON shapes of the judge server, read and written by both its sides.

    record_to_json(record) / record_from_json(obj)      a Record, field for field
    judgment_to_json(judgment) / judgment_from_json(record, obj)
    ad_hoc_records(kind, items)                         pairwise / pointwise / classify requests

Ad-hoc requests take the Python shapes of `Autorater.pairwise`, `.pointwise` and `.classify`
as JSON objects: {"prompt", "response_a", "response_b", "criteria"?}, {"prompt", "response",
"criteria", "scale"?} and {"fields", "question", "labels"}. Their records are the ones those
methods judge (built by the methods themselves, so a served judge and a local one see the same
text). Bad input raises ValueError naming the item and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flame_jax.format import Instructions, Record, TaskType
from flame_jax.judge.autorater import Autorater, Judgment
from flame_jax.judge.generation import GeneratedEvaluation
from flame_jax.judge.scoring import PairwiseVerdict

AD_HOC = ("pairwise", "pointwise", "classify")


def _pairs(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
    ):
        raise ValueError(f"{where} must be a list of [name, value] string pairs")
    return tuple((name, text) for name, text in value)


def _field(obj: Mapping[str, Any], name: str, where: str, kind: type = str, default=...) -> Any:
    if name not in obj:
        if default is not ...:
            return default
        raise ValueError(f"{where}: missing field {name!r}")
    value = obj[name]
    if not isinstance(value, kind):
        raise ValueError(f"{where}: field {name!r} must be a {kind.__name__}")
    return value


def record_to_json(record: Record) -> dict[str, Any]:
    """A Record as a JSON object (lists for its tuples)."""
    return {
        "task_type": record.task_type.value,
        "instructions": {
            "title": record.instructions.title,
            "description": record.instructions.description,
            "output_fields": list(record.instructions.output_fields),
        },
        "context": [list(p) for p in record.context],
        "evaluation": [list(p) for p in record.evaluation],
        "options": list(record.options),
        "meta": [list(p) for p in record.meta],
    }


def record_from_json(obj: Any, where: str = "record") -> Record:
    """The Record of `record_to_json`'s object; ValueError naming `where` and the field."""
    if not isinstance(obj, dict):
        raise ValueError(f"{where} must be a JSON object")
    instructions = _field(obj, "instructions", where, dict)
    try:
        task_type = TaskType(_field(obj, "task_type", where))
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    options = _field(obj, "options", where, list, [])
    if not all(isinstance(o, str) for o in options):
        raise ValueError(f"{where}: field 'options' must be a list of strings")
    output_fields = _field(instructions, "output_fields", f"{where}.instructions", list)
    try:
        return Record(
            task_type=task_type,
            instructions=Instructions(
                title=_field(instructions, "title", f"{where}.instructions"),
                description=_field(instructions, "description", f"{where}.instructions"),
                output_fields=tuple(str(f) for f in output_fields),
            ),
            context=_pairs(_field(obj, "context", where, list), f"{where}.context"),
            evaluation=_pairs(_field(obj, "evaluation", where, list), f"{where}.evaluation"),
            options=tuple(options),
            meta=_pairs(_field(obj, "meta", where, list, []), f"{where}.meta"),
        )
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def judgment_to_json(judgment: Judgment) -> dict[str, Any]:
    """`Judgment.to_json` plus what rebuilds the Judgment on the other side (p_a_better, the
    generated evaluation's parsed fields, token count and end)."""
    out = judgment.to_json()
    if judgment.pair is not None:
        out["p_a_better"] = judgment.pair.p_a_better
    if judgment.output is not None:
        out["fields"] = judgment.output.fields
        out["num_tokens"] = judgment.output.num_tokens
        out["finished"] = judgment.output.finished
    return out


def judgment_from_json(record: Record, obj: Mapping[str, Any]) -> Judgment:
    """The Judgment of `record` that `judgment_to_json` wrote."""
    pair = None
    if "verdicts" in obj:
        pair = PairwiseVerdict(
            p_a_better=obj["p_a_better"],
            p_a_better_by_order=tuple(obj["p_a_better_by_order"]),
            verdicts=tuple(obj["verdicts"]),
            consistent=obj["consistent"],
        )
    output = None
    if "output" in obj:
        output = GeneratedEvaluation(
            obj["output"], obj["fields"], obj["num_tokens"], obj["finished"]
        )
    return Judgment(
        record,
        obj["answer"],
        obj.get("probabilities"),
        obj.get("expected_score"),
        pair=pair,
        output=output,
    )


class _Capture:
    """Stands in for an Autorater: `judge` returns the records it is given, unjudged."""

    def judge(self, records: Sequence[Record]) -> list[Record]:
        return list(records)


def _scale(value: Any, where: str) -> tuple:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where} must be a non-empty list of names or [name, meaning] pairs")
    out = []
    for x in value:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, list) and len(x) == 2 and all(isinstance(s, str) for s in x):
            out.append(tuple(x))
        else:
            raise ValueError(f"{where} must be a non-empty list of names or [name, meaning] pairs")
    return tuple(out)


def ad_hoc_record(kind: str, item: Any, where: str) -> Record:
    """The record `Autorater.<kind>` judges for one JSON request item."""
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be a JSON object")
    capture = _Capture()
    if kind == "pairwise":
        criteria = {"criteria": _field(item, "criteria", where)} if "criteria" in item else {}
        return Autorater.pairwise(
            capture,  # type: ignore[arg-type]
            _field(item, "prompt", where),
            _field(item, "response_a", where),
            _field(item, "response_b", where),
            **criteria,
        )
    if kind == "pointwise":
        scale = {"scale": _scale(item["scale"], f"{where}.scale")} if "scale" in item else {}
        return Autorater.pointwise(
            capture,  # type: ignore[arg-type]
            _field(item, "prompt", where),
            _field(item, "response", where),
            criteria=_field(item, "criteria", where),
            **scale,
        )
    if kind == "classify":
        fields = _field(item, "fields", where, dict)
        if not fields or not all(isinstance(v, str) for v in fields.values()):
            raise ValueError(f"{where}: field 'fields' must map names to strings")
        return Autorater.classify(
            capture,  # type: ignore[arg-type]
            fields,
            question=_field(item, "question", where),
            labels=_scale(_field(item, "labels", where, list), f"{where}.labels"),
        )
    raise ValueError(f"unknown request kind {kind!r}: one of {AD_HOC}")


def ad_hoc_records(kind: str, items: Any) -> list[Record]:
    """The records of a list of ad-hoc request items of one kind."""
    if not isinstance(items, list):
        raise ValueError(f"{kind!r} must be a list of request objects")
    return [ad_hoc_record(kind, item, f"{kind}[{i}]") for i, item in enumerate(items)]
