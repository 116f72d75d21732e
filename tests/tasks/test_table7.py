"""The registry covers every row of the paper's Table 7 (tasks/table7.py, checked here)."""

import os
import re

from flame_tasks import table7

from flame_jax.data import card, registry
from flame_jax.data.sources import Generated

FORMATS = {
    "Pairwise": table7.PW,
    "Pointwise": table7.PT,
    "Classification": table7.CL,
    "Gen": table7.GEN,
}
CAPABILITIES = {
    "Quality": table7.Q,
    "Factuality": table7.F,
    "Safety": table7.S,
    "Coding": table7.C,
    "Math": table7.M,
    "Instr. tuning": table7.IT,
}


def _paper_rows():
    """(capability, dataset, formats) of each row of FLAME.md's copy of Table 7."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference")
    with open(os.path.join(path, "FLAME.md"), encoding="utf-8") as f:
        lines = [line for line in f if line.startswith("| ") and line.count("|") == 5]
    rows = []
    for line in lines:
        capability, dataset, formats, _ = (c.strip() for c in line.strip().split("|")[1:-1])
        if capability not in CAPABILITIES:
            continue  # the header and the rows of other tables
        formats = re.sub(r"\([^)]*\)", "", formats.split(";")[0])  # "Pairwise (train); ..."
        kinds = tuple(FORMATS[f.strip()] for f in formats.split(","))
        rows.append((CAPABILITIES[capability], dataset, kinds))
    return rows


def test_the_checklist_is_the_papers_table():
    paper = _paper_rows()
    assert len(paper) == len(table7.TABLE_7) == 54
    for (capability, dataset, formats), row in zip(paper, table7.TABLE_7, strict=True):
        assert dataset.startswith(row.dataset), (dataset, row.dataset)
        assert (row.capability, row.formats) == (capability, formats), row.dataset


def test_every_row_is_covered_by_registered_training_tasks():
    for row in table7.TABLE_7:
        tasks = card.row_tasks(row)
        assert tasks, f"{row.dataset}: no training task of source {row.source!r} is registered"
        for task in tasks:
            assert task.source.name == row.source and task.is_training, (row.dataset, task.name)
            assert task.capability == row.capability, (row.dataset, task.name)
        missing = set(row.formats) - {t.task_type for t in tasks}
        assert not missing, f"{row.dataset}: no {sorted(missing)} task"


def test_every_training_source_belongs_to_a_row():
    rows = {row.source for row in table7.TABLE_7}
    training = {
        t.source.name
        for t in registry.tasks()
        if t.is_training and not isinstance(t.source.host, Generated)
    }
    assert training <= rows, sorted(training - rows)


def test_card_on_the_shared_samples(shared_data):
    text = card.card(
        data_dir=shared_data,
        table=table7.TABLE_7,
        paper_type_shares=table7.PAPER_TYPE_SHARES,
        paper_capability_shares=table7.PAPER_CAPABILITY_SHARES,
    )
    assert "| factuality | BEGIN | classification | begin | begin_attribution | 150 |" in text
    assert (
        "| begin_attribution | classification | factuality | training | train | 150 | 0 |" in text
    )
    assert "- License: CC BY-NC 4.0 **(non-commercial)**" in text  # BeaverTails
    # Shares: the shared samples hold 771 training examples, all factuality.
    line = next(x for x in text.splitlines() if x.startswith("| factuality | ") and "%" in x)
    assert line.endswith("| 100.0% | 100.0% | 29.3% |"), line
    assert "| pairwise |" in text and "| 38.8% |" in text


def test_card_without_a_data_dir_lists_every_source_without_counts():
    text = card.card(table=table7.TABLE_7)
    names = {t.source.name for t in registry.tasks() if not isinstance(t.source.host, Generated)}
    for name in names:
        assert f"(`{name}`)" in text
    assert "no data dir: no counts" in text and "| 150 |" not in text


def test_non_commercial_licenses_are_flagged():
    assert card.is_non_commercial("CC BY-NC-SA 4.0")
    assert card.is_non_commercial("Quora terms (non-commercial)")
    assert not card.is_non_commercial("CC BY 4.0") and not card.is_non_commercial("Apache-2.0")
