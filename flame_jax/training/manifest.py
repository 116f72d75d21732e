"""The run manifest: a typed record of what a run is, written next to its config.gin.

    MODEL_DIR/run.json   {"format": "flame-jax run", "version": 1, "model_config": {...},
                          "vocabulary": PATH, "chat_template": {...} | null,
                          "task_feature_lengths": {...}, "mixture_or_task_name": NAME,
                          "train_steps": N}

`train` writes it (atomically, once the restore is validated) and `flame-jax convert
hf-to-flame` writes one for an imported model, so that loading a judge, exporting a checkpoint
or starting a tail-patch run reads plain JSON into typed values: no gin parse, no import, no
call named by a file that came from elsewhere (a checkpoint is data, not code). config.gin stays
beside it for t5x users and humans. A manifest is validated field by field; an unknown or
mistyped field is an error that names the file and the field.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import Any

from flame_jax import files
from flame_jax.data import chat
from flame_jax.data.readers import exists, open_binary
from flame_jax.models import TransformerConfig

FILENAME = "run.json"
FORMAT = "flame-jax run"
VERSION = 1


class ManifestError(ValueError):
    """A run manifest that is missing, unreadable or not what flame-jax writes."""


@dataclasses.dataclass(frozen=True)
class RunManifest:
    """What a run is: its model, its codec's files, and what it trained on."""

    model_config: TransformerConfig
    vocabulary: str | None  # None: an import made with --skip_vocabulary (weights only)
    chat_template: chat.ChatTemplate | None = None
    task_feature_lengths: Mapping[str, int] | None = None
    mixture_or_task_name: str | None = None
    train_steps: int | None = None

    def to_json(self) -> dict[str, Any]:
        template = self.chat_template
        return {
            "format": FORMAT,
            "version": VERSION,
            "model_config": dataclasses.asdict(self.model_config),
            "vocabulary": self.vocabulary,
            "chat_template": None if template is None else dataclasses.asdict(template),
            "task_feature_lengths": dict(self.task_feature_lengths or {}) or None,
            "mixture_or_task_name": self.mixture_or_task_name,
            "train_steps": self.train_steps,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> RunManifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ManifestError(f"{where}: not a flame-jax run manifest")
        if data.get("version") != VERSION:
            raise ManifestError(f"{where}: manifest version {data.get('version')!r} unknown")
        unknown = set(data) - {"format", "version", *(f.name for f in dataclasses.fields(cls))}
        if unknown:
            raise ManifestError(f"{where}: unknown field(s) {sorted(unknown)}")
        vocabulary = data.get("vocabulary")
        if vocabulary is not None and (not isinstance(vocabulary, str) or not vocabulary):
            raise ManifestError(f"{where}: field vocabulary must be a path, got {vocabulary!r}")
        lengths = data.get("task_feature_lengths")
        if lengths is not None and not (
            isinstance(lengths, dict)
            and all(isinstance(k, str) and _is_int(v) for k, v in lengths.items())
        ):
            raise ManifestError(f"{where}: field task_feature_lengths must map names to ints")
        name = data.get("mixture_or_task_name")
        if name is not None and not isinstance(name, str):
            raise ManifestError(f"{where}: field mixture_or_task_name must be a string")
        steps = data.get("train_steps")
        if steps is not None and not _is_int(steps):
            raise ManifestError(f"{where}: field train_steps must be an integer")
        return cls(
            model_config=_model_config(data.get("model_config"), where),
            vocabulary=vocabulary,
            chat_template=_chat_template(data.get("chat_template"), where),
            task_feature_lengths=lengths,
            mixture_or_task_name=name,
            train_steps=steps,
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fits(value: Any, annotation: str) -> bool:
    """Whether a JSON value fits a TransformerConfig field's annotation (str form)."""
    kinds = {"int": _is_int, "float": lambda v: _is_int(v) or isinstance(v, float)}
    kinds |= {"str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool)}
    kinds |= {"None": lambda v: v is None}
    kinds |= {
        "tuple[str, ...]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)
    }
    return any(kinds[part.strip()](value) for part in annotation.split("|"))


def _model_config(data: Any, where: str) -> TransformerConfig:
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: field model_config must be an object")
    fields = {f.name: f.type for f in dataclasses.fields(TransformerConfig)}
    for key, value in data.items():
        if key not in fields:
            raise ManifestError(f"{where}: model_config has an unknown field {key!r}")
        annotation = str(fields[key])  # config.py's annotations are strings (PEP 563)
        if not _fits(value, annotation):
            raise ManifestError(f"{where}: model_config.{key} = {value!r} is not {annotation}")
    try:
        return TransformerConfig(**data)
    except (TypeError, ValueError) as e:
        raise ManifestError(f"{where}: model_config: {e}") from None


def _chat_template(data: Any, where: str) -> chat.ChatTemplate | None:
    if data is None:
        return None
    if (
        not isinstance(data, dict)
        or set(data) - {"prefix", "suffix", "trim", "rendered"}
        or not isinstance(data.get("prefix"), str)
        or not isinstance(data.get("suffix"), str)
        or not isinstance(data.get("trim", False), bool)
    ):
        raise ManifestError(f"{where}: field chat_template must be {{prefix, suffix, trim}}")
    rendered = data.get("rendered")
    if rendered is not None and not (
        isinstance(rendered, list)
        and len(rendered) == 2
        and all(isinstance(x, str) for x in rendered)
    ):
        raise ManifestError(f"{where}: chat_template.rendered must be two strings")
    return chat.ChatTemplate(
        data["prefix"],
        data["suffix"],
        trim=data.get("trim", False),
        rendered=tuple(rendered) if rendered else None,
    )


def path(model_dir: str) -> str:
    return f"{model_dir.rstrip('/')}/{FILENAME}"


def write(model_dir: str, manifest: RunManifest) -> str:
    """Writes MODEL_DIR/run.json atomically; returns its path."""
    out = path(model_dir)
    files.write_atomically(out, json.dumps(manifest.to_json(), indent=1) + "\n")
    return out


def read(model_dir: str) -> RunManifest:
    """The manifest of a run directory; a clear error when it is missing or malformed."""
    where = path(model_dir)
    if not exists(where):
        raise ManifestError(
            f"{where} is missing: {model_dir} is not a run written by this flame-jax (`flame-jax "
            "train` and `flame-jax convert hf-to-flame` write run.json)"
        )
    try:
        with open_binary(where) as f:
            data = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(f"{where}: not valid JSON ({e})") from None
    return RunManifest.from_json(data, where)


def find_model_dir(checkpoint: str) -> str:
    """The run directory of a checkpoint path: MODEL_DIR, MODEL_DIR/checkpoints or one step
    directory MODEL_DIR/checkpoints/<step> (the nearest of the three holding run.json)."""
    full = checkpoint if "://" in checkpoint else os.path.abspath(checkpoint)
    candidates = [full.rstrip("/")]
    for _ in range(2):
        candidates.append(candidates[-1].rsplit("/", 1)[0])
    for candidate in candidates:
        if exists(path(candidate)):
            return candidate
    raise ManifestError(
        f"no {FILENAME} in {full} or the two directories above it: give a MODEL_DIR written by "
        "`flame-jax train` or `flame-jax convert hf-to-flame`, or one of its checkpoints"
    )
