"""The task registry: the rendering pipeline, skips, guards and helpful errors."""

from collections import Counter

import flame_tasks  # noqa: F401
import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError, Skip
from flame_jax.data.registry import FlameTask, per_row
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source("toy", "Toy", "MIT", HuggingFace("me/toy"))
EVAL_SOURCE = Source(
    "toy_eval", "Toy eval", "MIT", HuggingFace("me/toy_eval"), evaluation_only=True
)
TEMPLATE = Classification(
    title="Yes or no?",
    description="Decide.",
    context_fields=("text",),
    labels=(("Yes", "y"), ("No", "n")),
)


def _convert(rows):
    for row in rows:
        label = row.get("label", choices=("Yes", "No", "skip", "odd"))
        if label == "skip":
            yield Skip("documented")
        elif label == "odd":
            yield Skip("undocumented")
        else:
            yield Label({"text": row.text("text")}, label)


def _task(name="toy_task", source=SOURCE, **kw):
    return FlameTask(
        name=name,
        source=source,
        capability=Capability.QUALITY,
        template=TEMPLATE,
        splits={"train": ("train.jsonl",)},
        convert=_convert,
        skips={"documented": "rows marked skip"},
        **kw,
    )


def test_records_count_documented_skips_and_reject_others(tmp_path):
    task = _task()
    rows = [
        {"text": "a", "label": "Yes"},
        {"text": "b", "label": "skip"},
        {"text": "c", "label": "No"},
    ]
    testing.write_rows(tmp_path, "toy", "train.jsonl", rows)
    skipped = Counter()
    records = list(task.records("train", str(tmp_path), skipped))
    assert [r.answer for r in records] == ["Yes", "No"] and skipped == {"documented": 1}
    counts = registry.count(task, "train", str(tmp_path))
    assert (counts.num_examples, dict(counts.skipped)) == (2, {"documented": 1})
    testing.write_rows(tmp_path, "toy", "train.jsonl", [*rows, {"text": "d", "label": "odd"}])
    with pytest.raises(
        DataError, match=r"row 4: skipped for an undocumented reason 'undocumented'"
    ):
        list(task.records("train", str(tmp_path)))


def test_missing_files_name_the_download_command(tmp_path):
    with pytest.raises(
        DataError, match=r"missing .*toy/train.jsonl \(run: flame-jax data download"
    ):
        list(_task().records("train", str(tmp_path)))
    assert registry.count(_task(), "train", str(tmp_path)).missing == ("train.jsonl",)


def test_counts_are_cached_and_refreshed_when_a_file_changes(tmp_path):
    task = _task()
    testing.write_rows(tmp_path, "toy", "train.jsonl", [{"text": "a", "label": "Yes"}])
    assert registry.count(task, "train", str(tmp_path)).num_examples == 1
    testing.write_rows(tmp_path, "toy", "train.jsonl", [{"text": "a", "label": "Yes"}] * 3)
    assert registry.count(task, "train", str(tmp_path)).num_examples == 3


def test_template_errors_name_the_row(tmp_path):
    testing.write_rows(tmp_path, "toy", "train.jsonl", [{"text": "a", "label": "Yes"}])

    @per_row
    def bad(row):
        return Label({"wrong_field": row.text("text")}, "Yes")

    task = FlameTask(
        "toy_bad", SOURCE, Capability.QUALITY, TEMPLATE, {"train": ("train.jsonl",)}, bad
    )
    with pytest.raises(
        DataError, match=r"file train.jsonl, row 1 \(task toy_bad\): context fields"
    ):
        list(task.records("train", str(tmp_path)))


def test_register_guards():
    with pytest.raises(ValueError, match="reads the evaluation source toy_eval"):
        registry.register(_task("toy_eval_task", EVAL_SOURCE))
    with pytest.raises(ValueError, match="must be named after its source"):
        registry.register(_task("other_name"))
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.get_task("hh_rlhf_harmlessness"))


def test_unknown_task_suggests_close_names():
    with pytest.raises(KeyError, match="did you mean hh_rlhf_harmlessness"):
        registry.get_task("hh_rlhf_harmlesness")


def test_no_training_task_reads_an_evaluation_source():
    for task in registry.tasks():
        if task.source.evaluation_only:
            assert task.evaluation_only, task.name


def test_collection_covers_every_type_and_capability():
    training = [t for t in registry.tasks() if t.is_training and t.source.name != "demo"]
    assert {t.task_type.value for t in training} == {
        "pairwise",
        "pointwise",
        "classification",
        "open_ended",
    }
    assert {t.capability for t in training} == set(Capability)
    assert len({t.source.name for t in registry.tasks()} - {"demo"}) >= 20
    for name in ("helpsteer", "prm800k", "commitpack", "hh_rlhf", "shp", "webgpt"):
        assert any(t.source.name == name for t in training), name
