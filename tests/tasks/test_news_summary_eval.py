"""Golden tests of the News Summary Evaluation (Goyal et al. 2022) pairwise task on files in the
upstream layout: one JSON object of documents keyed by index, pretty-printed or on one line."""

import json

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError
from flame_jax.data.sources import Archive

ARTICLE = (
    "(CNN)Toronto Police fatally shot a man who was seen carrying a firearm near three schools "
    "in the Scarborough area Thursday, police said."
)
T0 = "NEW: One student says she was really scared."
GPT3 = "The article discusses a police shooting near several schools in Scarborough, Canada."
BRIO = "Suspect was seen carrying a firearm near three schools in Toronto, police say."


def _doc(annotators, article=ARTICLE, t0=T0, gpt3=GPT3, brio=BRIO):
    return {
        "article": article,
        "annotators": [{"best_summary": b, "worst_summary": w} for b, w in annotators],
        "t0": {"text": t0},
        "gpt3": {"text": gpt3},
        "brio": {"text": brio},
    }


CNN = {
    # brio 2x best, gpt3 1x best, t0 3x worst: brio > gpt3 (2 votes to 1), both > t0
    "0": _doc([(["brio"], ["t0"]), (["gpt3"], ["t0"]), (["brio"], ["t0"])]),
    # brio vs gpt3: +1 (first), -1 (second), 0 (both in best): tie; t0 identical to gpt3
    "1": _doc([(["brio"], ["gpt3"]), (["gpt3"], ["brio"]), (["brio", "gpt3"], ["t0"])], t0=GPT3),
}
BBC = {
    # an annotator names every system as worst and two as best: scores brio 0, gpt3 0, t0 -1
    "0": _doc([(["brio", "gpt3"], ["brio", "gpt3", "t0"]), (["t0"], ["gpt3"]), (["t0"], ["brio"])]),
}

GOLDEN = f"""\
INSTRUCTIONS:
title: Which summary of the news article is better?
description: In this task, you will be shown a news article and two summaries of it, each \
written by a different summarization system. Choose the better summary overall: the one that \
better conveys the most important information of the article, is factually consistent with it, \
and reads as a clear, fluent and coherent summary. Answer 'A' if summary_a is better, or 'B' if \
summary_b is better.
output_fields: answer

CONTEXT:
article: {ARTICLE}
summary_a: {{a}}
summary_b: {{b}}

EVALUATION:
answer: {{answer}}"""


def _write(tmp_path, cnn=CNN, bbc=BBC):
    folder = tmp_path / "news_summary_eval"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cnn_human.json").write_text(json.dumps(cnn, indent=4))  # pretty, as upstream cnn
    (folder / "bbc_human.json").write_text(json.dumps(bbc))  # one line, as upstream bbc
    return str(tmp_path)


def test_golden_counts_and_skips(tmp_path):
    root = _write(tmp_path)
    records = testing.render("news_summary_eval_preference", "train", root)
    first = records[0]
    a, b = (BRIO, GPT3) if first.answer == "A" else (GPT3, BRIO)
    assert testing.text(first) == GOLDEN.format(a=a, b=b, answer=first.answer)
    better = [dict(r.context)["summary_" + r.answer.lower()] for r in records]
    # CNN 0: (brio, gpt3) brio, (brio, t0) brio, (gpt3, t0) gpt3; CNN 1: (brio, gpt3) tie,
    # (brio, t0) brio, (gpt3, t0) identical; BBC 0: (brio, gpt3) tie, (brio, t0) t0 (1 vote to
    # 2), (gpt3, t0) t0 (1 vote to 2).
    assert better == [BRIO, BRIO, GPT3, BRIO, T0, T0]
    assert testing.skipped("news_summary_eval_preference", "train", root) == {
        "tie": 2,
        "identical": 1,
    }
    task = registry.get_task("news_summary_eval_preference")
    assert task.is_training and task.capability == "quality"
    assert dict(task.source.host.members) == {
        "bbc_human.json": "human_annotations/bbc_human.json",
        "cnn_human.json": "human_annotations/cnn_human.json",
    }
    assert isinstance(task.source.host, Archive)


@pytest.mark.parametrize(
    ("doc", "field", "message"),
    [
        (_doc([(["pegasus"], ["t0"])]), "annotators.0.best_summary", "'pegasus' is not one of"),
        (_doc([(["brio"], "t0")]), "annotators.0.worst_summary", "expected list, got str"),
        (_doc([(["brio"], ["t0"])], gpt3=" "), "gpt3.text", "empty text"),
        ({k: v for k, v in _doc([]).items() if k != "article"}, "article", "missing"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, doc, field, message):
    root = _write(tmp_path, cnn={"0": CNN["0"], "1": doc})
    with pytest.raises(DataError, match=rf"file cnn_human.json, row 2, field '{field}': {message}"):
        testing.render("news_summary_eval_preference", "train", root)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "row 1: expected an object, got int"),
        ('{"0": [1]}', "row 1: expected an object, got list"),
        ("{}", "no rows"),
        ('{"0": ', "invalid JSON"),
    ],
)
def test_bad_files_are_errors(tmp_path, text, message):
    root = _write(tmp_path)
    (tmp_path / "news_summary_eval" / "cnn_human.json").write_text(text)
    with pytest.raises(DataError, match=rf"file cnn_human.json.*{message}"):
        testing.render("news_summary_eval_preference", "train", root)
