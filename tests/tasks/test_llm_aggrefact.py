"""Golden tests of the LLM-AggreFact tasks (one per source dataset) on rows written in the
upstream schema (the HF dataset is gated; no sample is stored)."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

DEV = "data/dev-00000-of-00001.parquet"
TEST = "data/test-00000-of-00001.parquet"
DATASETS = {
    "AggreFact-CNN": "aggrefact_cnn",
    "AggreFact-XSum": "aggrefact_xsum",
    "TofuEval-MediaS": "tofueval_medias",
    "TofuEval-MeetB": "tofueval_meetb",
    "Wice": "wice",
    "Reveal": "reveal",
    "ClaimVerify": "claimverify",
    "FactCheck-GPT": "factcheck_gpt",
    "ExpertQA": "expertqa",
    "Lfqa": "lfqa",
    "RAGTruth": "ragtruth",
}

HEADER = """\
INSTRUCTIONS:
title: Is all of the information in the claim supported by the document?
description: In this task, you will be shown a document and a claim, a sentence that a system \
wrote while using the document (a summary, an answer or a dialogue response). Check every piece \
of information in the claim against the document alone. A claim is supported only if the \
document states or clearly implies all of it; information that contradicts the document or \
cannot be found in it makes the claim unsupported. Answer 'Yes' if the document supports all \
of the information in the claim. Answer 'No' if any information in the claim is contradicted \
by or missing from the document.
output_fields: answer

CONTEXT:
"""


def _row(dataset, label, doc=None, claim="The bridge opened in 1932."):
    return {
        "dataset": dataset,
        "doc": doc or f"{dataset}: The Sydney Harbour Bridge was opened in March 1932.",
        "claim": claim,
        "label": label,
        "contamination_identifier": "0" * 64,
    }


def _write(tmp_path, dev_rows=None) -> str:
    dev = dev_rows or [_row(name, 1) for name in DATASETS] + [_row(name, 0) for name in DATASETS]
    testing.write_rows(tmp_path, "llm_aggrefact", DEV, dev)
    return testing.write_rows(tmp_path, "llm_aggrefact", TEST, [_row(n, 0) for n in DATASETS])


@pytest.mark.parametrize(("dataset", "suffix"), list(DATASETS.items()))
def test_golden_per_dataset(tmp_path, dataset, suffix):
    root = _write(tmp_path)
    task = f"llm_aggrefact_{suffix}"
    records = testing.render(task, "validation", root)
    assert [testing.text(r) for r in records] == [
        HEADER
        + f"document: {dataset}: The Sydney Harbour Bridge was opened in March 1932.\n"
        + f"claim: The bridge opened in 1932.\n\nEVALUATION:\nanswer: {answer}"
        for answer in ("Yes", "No")
    ]
    assert testing.skipped(task, "validation", root) == {"other_dataset": 20}
    assert [r.answer for r in testing.render(task, "test", root)] == ["No"]


def test_golden_literal(tmp_path):
    doc = "Marie Curie won the Nobel Prize in Physics in 1903 and in Chemistry in 1911."
    rows = [_row("ClaimVerify", 0, doc=doc, claim="Curie won three Nobel Prizes.")]
    root = _write(tmp_path, rows)
    (record,) = testing.render("llm_aggrefact_claimverify", "validation", root)
    assert testing.text(record) == HEADER + (
        "document: Marie Curie won the Nobel Prize in Physics in 1903 and in Chemistry in 1911.\n"
        "claim: Curie won three Nobel Prizes.\n\nEVALUATION:\nanswer: No"
    )


def test_unknown_dataset_and_bad_label_are_errors(tmp_path):
    root = _write(tmp_path, [_row("Wice", 1), _row("SummaC", 1)])
    with pytest.raises(DataError, match=rf"file {DEV}, row 2, field 'dataset': 'SummaC' is not"):
        testing.render("llm_aggrefact_wice", "validation", root)
    root = _write(tmp_path, [_row("Wice", 1), _row("Wice", 2)])
    with pytest.raises(DataError, match=rf"file {DEV}, row 2, field 'label': 2 is not one"):
        testing.render("llm_aggrefact_wice", "validation", root)
    bad = _row("Lfqa", 1)
    del bad["claim"]
    root = _write(tmp_path, [bad])
    with pytest.raises(DataError, match=rf"file {DEV}, row 1, field 'claim': missing"):
        testing.render("llm_aggrefact_lfqa", "validation", root)


def test_tasks_are_evaluation_only_and_gated():
    for suffix in DATASETS.values():
        task = registry.get_task(f"llm_aggrefact_{suffix}")
        assert task.evaluation_only and task.source.evaluation_only
        assert task.source.host.gated
        assert task.splits == {"validation": (DEV,), "test": (TEST,)}
