"""The task registry: the rendering pipeline, skips, guards and helpful errors."""

import dataclasses
import json
import os
from collections import Counter

import flame_tasks  # noqa: F401
import pytest

from flame_jax.data import features, registry, testing
from flame_jax.data.readers import DataError, Repaired, Skip, annotation_groups
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


def _rows(n, bad=()):
    return [{"text": "" if i in bad else f"t{i}", "label": "Yes"} for i in range(1, n + 1)]


def test_bad_rows_are_counted_and_left_out_within_the_budget(tmp_path, caplog):
    testing.write_rows(tmp_path, "toy", "train.jsonl", _rows(300, bad=(7, 200)))
    tally = registry.Tally()
    records = list(_task().records("train", str(tmp_path), tally=tally))
    assert (len(records), tally.rows, tally.records) == (298, 300, 298)
    assert dict(tally.bad) == {"text: empty text": 2}
    assert tally.bad_rows == {"text: empty text": ["train.jsonl row 7", "train.jsonl row 200"]}
    assert tally.bad_first["text: empty text"].startswith("source toy, file train.jsonl, row 7")
    # Without a tally to report them, the bad rows are logged once the split is read.
    with caplog.at_level("WARNING"):
        assert len(list(_task().records("train", str(tmp_path)))) == 298
    assert "2 of 300 rows bad, left out: text: empty text x2 (train.jsonl row 7" in caplog.text
    counts = registry.count(_task(), "train", str(tmp_path))
    assert (counts.num_examples, counts.bad, counts.tally.rows) == (298, 2, 300)


def test_bad_rows_past_the_budget_fail_the_split_naming_rows_and_share(tmp_path):
    testing.write_rows(tmp_path, "toy", "train.jsonl", _rows(100, bad=(3, 50)))
    with pytest.raises(
        DataError,
        match=r"task toy_task, split train: 2 of 100 rows bad \(2.00%; budget at most 1.0% of "
        r"rows\): text: empty text x2 \(train.jsonl row 3, train.jsonl row 50\). First: source "
        r"toy, file train.jsonl, row 3, field 'text': empty text",
    ):
        list(_task().records("train", str(tmp_path)))
    loose = registry.Budget(share=0.05)
    assert len(list(_task().records("train", str(tmp_path), budget=loose))) == 98
    with pytest.raises(DataError, match=r"2 of 50 rows bad .*at most 1 rows\)"):
        list(_task().records("train", str(tmp_path), budget=registry.Budget(0.05, count=1)))
    # One count serves any budget: it is read once, then judged.
    with pytest.raises(DataError, match="2 of 100 rows bad"):
        registry.count(_task(), "train", str(tmp_path))
    assert registry.count(_task(), "train", str(tmp_path), loose).bad == 2
    with pytest.raises(DataError, match="budget strict: no bad row"):
        registry.count(_task(), "train", str(tmp_path), registry.STRICT)


def test_strict_fails_at_the_first_bad_row(tmp_path):
    testing.write_rows(tmp_path, "toy", "train.jsonl", _rows(300, bad=(7,)))
    records = _task().records("train", str(tmp_path), budget=registry.STRICT)
    with pytest.raises(DataError, match=r"^source toy, file train.jsonl, row 7, field 'text'"):
        list(records)


def test_a_file_of_the_wrong_schema_fails_fast(tmp_path):
    testing.write_rows(tmp_path, "toy", "train.jsonl", [{"txt": "a", "label": "Yes"}] * 10_000)
    tally = registry.Tally()
    with pytest.raises(DataError, match=r"20 of 20 rows bad .*wrong schema\?\): text: missing x20"):
        list(_task().records("train", str(tmp_path), tally=tally))
    assert tally.rows == 20


def test_an_unreadable_line_is_a_bad_row_and_an_unreadable_file_fails_the_split(tmp_path):
    lines = [json.dumps(row) for row in _rows(300)]
    lines[41] = '{"text": "t42", "label": '  # cut short
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "train.jsonl").write_text("\n".join(lines) + "\n")
    tally = registry.Tally()
    assert len(list(_task().records("train", str(tmp_path), tally=tally))) == 299
    assert (tally.rows, dict(tally.bad)) == (300, {"unreadable row": 1})
    assert tally.bad_first["unreadable row"].startswith(
        "source toy, file train.jsonl, row 42: line 42: invalid JSON"
    )
    testing.write_rows(tmp_path, "toy", "train.jsonl.gz", _rows(300))
    data = (tmp_path / "toy" / "train.jsonl.gz").read_bytes()
    (tmp_path / "toy" / "train.jsonl.gz").write_bytes(data[: len(data) // 2])
    task = dataclasses.replace(_task(), splits={"train": ("train.jsonl.gz",)})
    with pytest.raises(DataError, match=r"file train.jsonl.gz: truncated or corrupt"):
        list(task.records("train", str(tmp_path)))


def test_a_converter_of_groups_is_run_again_without_the_bad_row(tmp_path):
    """Rows grouped by `g` (annotation_groups); a bad row leaves its group without it."""

    def groups(rows):
        for group in annotation_groups(rows, "g"):
            yield Label({"text": " ".join(r.text("text") for r in group)}, "Yes")

    rows = [{"g": str(i // 3), "text": f"t{i}"} for i in range(300)]
    rows[4]["text"] = rows[5]["text"] = ""  # rows 5 and 6 of group 1
    testing.write_rows(tmp_path, "toy", "train.jsonl", rows)
    task = FlameTask(
        "toy_groups", SOURCE, Capability.QUALITY, TEMPLATE, {"train": ("train.jsonl",)}, groups
    )
    tally = registry.Tally()
    records = list(task.records("train", str(tmp_path), tally=tally, budget=registry.Budget(0.1)))
    assert [dict(r.context)["text"] for r in records[:3]] == ["t0 t1 t2", "t3", "t6 t7 t8"]
    assert (len(records), tally.rows, dict(tally.bad)) == (100, 300, {"text: empty text": 2})


def test_repairs_are_counted(tmp_path):
    @per_row
    def repairing(row):
        text = row.get("text", str)
        if text.startswith(" "):
            return [Repaired("leading_space"), Label({"text": text.strip()}, "Yes")]
        return Label({"text": text}, "Yes")

    testing.write_rows(tmp_path, "toy", "train.jsonl", [{"text": " a"}, {"text": "b"}])
    task = FlameTask(
        "toy_repair", SOURCE, Capability.QUALITY, TEMPLATE, {"train": ("train.jsonl",)}, repairing
    )
    tally = registry.Tally()
    assert len(list(task.records("train", str(tmp_path), tally=tally))) == 2
    assert (dict(tally.repaired), tally.rows, tally.records) == ({"leading_space": 1}, 2, 2)


def test_the_training_input_of_a_split_with_bad_rows_runs(demo_codec, caplog):
    """The packed prefix-LM batches of lens_simpeval on the whole upstream file (row 1616 bad)."""
    upstream = os.path.join(os.path.dirname(testing.shared_data()), "upstream")
    dataset = features.get_dataset(
        "lens_simpeval",
        codec=demo_codec,
        sequence_length=1024,
        targets_length=64,
        batch_size=4,
        num_epochs=1,
        shuffle=False,
        data_dir=upstream,
    )
    with caplog.at_level("WARNING"):
        batches = sum(1 for _ in dataset.as_numpy_iterator())
    assert batches > 0
    assert "task lens_simpeval, split train: 1 of 2400 rows bad" in caplog.text
