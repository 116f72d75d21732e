"""Golden tests of the WiCE claim-support task on the real rows in ../shared/data/wice."""

import json
import os

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

TASK = "wice_claim_support"
DEV = "entailment_retrieval/claim/dev.jsonl"

HEADER = """\
INSTRUCTIONS:
title: Is the claim supported by the cited article?
description: In this task, you will be shown a claim from a Wikipedia article and the sentences \
of the web article that Wikipedia cites for it. Break the claim into the facts it states and \
check each one against the article. Judge only from the article, not from what you know \
otherwise. Answer 'supported' if the article supports every part of the claim. Answer \
'partially_supported' if the article supports some parts of the claim but not all. Answer \
'not_supported' if the article supports no part of the claim.
output_fields: answer

CONTEXT:
"""

# Line 19 of dev.jsonl (label not_supported): the evidence sentences, one per line.
EVIDENCE_19 = (
    "(meta data) TITLE: What is utility maximization? definition and meaning - "
    "BusinessDictionary.com",
    "# utility maximization",
    "Popular Terms",
    "Economics concept that, when making a purchase decision, a consumer attempts to get the "
    "greatest value possible from expenditure of least amount of money.",
    "His or her objective is to maximize the total value derived from the available money.",
    "#### immediate famil...",
    "#### dislocated work...",
    "#### business",
    "#### globalization",
    "#### marginal benefi...",
    "#### revenue",
    "#### product",
    "#### elasticity of d...",
    "You Also Might Like...",
    "Jeffrey Glen",
    "Macroeconomics vs. Microeconomics",
    "Among the many branches of economics two of the best known areas are the study of "
    "Macroeconomics and Microeconomics.",
    "The two concepts are closely intertwined and can sometimes be confusing.",
    "This article will provide you with the explanations ...",
    "Leo Sun",
    "Projecting Start Up Costs for a Business",
    "Ravinder Kapur",
    "How to Pick a Credit Card for Your Business",
    "One of the easiest and most convenient ways for a small business to raise money is to use "
    "a business credit card.",
    "You can get one based on your personal credit score, a factor that makes these cards "
    "popular with startups.",
    "Even existing businesses ...",
    "Jeffrey Glen",
    "Objective vs. Subjective",
    "Copy & paste this HTML in your website to link to this page",
    "utility maximization",
)

EXPECTED_19 = (
    HEADER + "claim: Also, resource mobilization applies because of the fact that the people who "
    "founded the organization knew how to utilize the resources available, which implies that "
    "anyone who uses the website to sign a petition or start a petition are rational social "
    "actors who act as utility maximizers, who weigh the costs and benefits before deciding to "
    "be a part of a social movement.\n"
    + "evidence: "
    + "\n".join(EVIDENCE_19)
    + "\n\nEVALUATION:\nanswer: not_supported"
)


def test_golden_on_real_rows(shared_data):
    records = testing.render(TASK, "validation", shared_data)
    assert len(records) == 40  # lines 1-40 of 349
    assert testing.text(records[18]) == EXPECTED_19
    answers = [r.answer for r in records]
    assert (answers.count("supported"), answers.count("partially_supported")) == (11, 21)
    assert answers.count("not_supported") == 8
    assert testing.skipped(TASK, "validation", shared_data) == {}


def test_splits_and_evaluation_only():
    task = registry.get_task(TASK)
    assert task.evaluation_only and task.source.evaluation_only
    assert task.files("validation") == (DEV,)
    assert task.files("test") == ("entailment_retrieval/claim/test.jsonl",)


def test_bad_rows_name_file_row_and_field(shared_data, tmp_path):
    rows = [json.loads(line) for line in open(os.path.join(shared_data, "wice", DEV))][:3]
    rows[2]["label"] = "refuted"
    testing.write_rows(tmp_path, "wice", DEV, rows)
    with pytest.raises(DataError, match=rf"file {DEV}, row 3, field 'label': 'refuted' is not"):
        testing.render(TASK, "validation", str(tmp_path))
    rows[2]["label"] = "supported"
    rows[1]["evidence"] = []
    testing.write_rows(tmp_path, "wice", DEV, rows)
    with pytest.raises(DataError, match=rf"file {DEV}, row 2, field 'evidence': no sentences"):
        testing.render(TASK, "validation", str(tmp_path))
