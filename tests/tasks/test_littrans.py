"""Golden tests of the LitTrans preference task on rows in the upstream JSON schema."""

import pytest

from flame_jax.data import registry, testing
from flame_jax.data.readers import DataError

TASK = "littrans_preference"
FILE = "all_annotations_v1.json"

INSTRUCTIONS = """\
INSTRUCTIONS:
title: Which translation of the literary paragraph is better?
description: In this task, you will be shown a paragraph from a novel in its source language \
and two translations of it into the target language. As a professional literary translator \
would, choose the better translation: the one that conveys the meaning of the source \
faithfully, without mistranslations, untranslated words, or added or omitted information that \
changes the meaning, and that reads as fluent, grammatical prose in the target language with \
consistent terms, the right register and the target language's conventions (punctuation, \
format), preserving the author's voice. Answer 'A' if translation_a is better, or 'B' if \
translation_b is better.
output_fields: answer

CONTEXT:
"""

SOURCE_EN = "As the evenings wore on, some parents got it into their heads to dance."
PL_GOOD = "Kiedy zapadał zmrok, niektórzy rodzice zaczęli tańczyć."
PL_BAD = "Gdy wieczory mijały, niektórzy rodzice zaczęli mieć ochotę na taniec."
SOURCE_FR = "Celui qui est sous ma joue est un manuscrit d'amour."
JA_1 = "私の頬にあるのは、愛のための手稿だ。"
JA_2 = "私の頬の下にあるのは、恋愛小説の原稿だ。"


def _row(eval_, source, pair, tags, *, choice, langs):
    return {
        "eval": eval_,
        "book": "a_childrens_bible",
        "author": "lydia_millet",
        "source": source,
        "target": "(a published human translation)",
        "source_lang": langs[0],
        "target_lang": langs[1],
        "text1": pair[0],
        "text2": pair[1],
        "text1_tag": tags[0],
        "text2_tag": tags[1],
        "difficult_choice": "NO, the translations I have chosen is visibly better.",
        "comment": "T1 is unquestionably better.",
        "choice": choice,
        "added_omitted": "NEITHER of the translations add or omit information",
        "annotations": {"text1": [], "text2": []},
    }


EN_PL, FR_JA = ("en", "pl"), ("fr", "ja")
ROWS = [
    _row("en_pl_1", SOURCE_EN, (PL_GOOD, PL_BAD), ("para", "sent"), choice="text1", langs=EN_PL),
    _row("fr_ja_3", SOURCE_FR, (JA_1, JA_2), ("gtr", "para"), choice="text2", langs=FR_JA),
]


def test_golden(tmp_path):
    root = testing.write_rows(tmp_path, "littrans", FILE, ROWS)
    records = testing.render(TASK, "test", root)
    assert [testing.text(r) for r in records] == [
        INSTRUCTIONS + "source_language: English\ntarget_language: Polish\n"
        f"source: {SOURCE_EN}\ntranslation_a: {PL_GOOD}\ntranslation_b: {PL_BAD}\n\n"
        "EVALUATION:\nanswer: A",
        INSTRUCTIONS + "source_language: French\ntarget_language: Japanese\n"
        f"source: {SOURCE_FR}\ntranslation_a: {JA_1}\ntranslation_b: {JA_2}\n\n"
        "EVALUATION:\nanswer: B",
    ]
    assert [dict(r.meta) for r in records] == [
        {"eval": "en_pl_1", "winner": "para", "loser": "sent"},
        {"eval": "fr_ja_3", "winner": "para", "loser": "gtr"},
    ]
    assert testing.skipped(TASK, "test", root) == {}


def test_answers_are_balanced_between_positions(tmp_path):
    tags = ("para", "para_sent")
    rows = [
        _row("de_en_2", f"Satz {i}.", (f"1 {i}.", f"2 {i}."), tags, choice=c, langs=("de", "en"))
        for i, c in enumerate(["text1", "text2", "text1"] * 3)
    ]
    root = testing.write_rows(tmp_path, "littrans", FILE, rows)
    answers = [r.evaluation[0][1] for r in testing.render(TASK, "test", root)]
    assert len(answers) == 9
    assert abs(answers.count("A") - answers.count("B")) <= 1


def test_bad_rows_name_file_row_and_field(tmp_path):
    root = testing.write_rows(tmp_path, "littrans", FILE, [ROWS[0], dict(ROWS[1], choice="T2")])
    with pytest.raises(DataError, match=rf"file {FILE}, row 2, field 'choice': 'T2' is not one"):
        testing.render(TASK, "test", root)
    root = testing.write_rows(tmp_path, "littrans", FILE, [dict(ROWS[0], target_lang="it")])
    with pytest.raises(DataError, match=r"row 1, field 'target_lang': 'it' is not one"):
        testing.render(TASK, "test", root)
    root = testing.write_rows(tmp_path, "littrans", FILE, [dict(ROWS[0], text2=" ")])
    with pytest.raises(DataError, match=r"row 1, field 'text2': empty text"):
        testing.render(TASK, "test", root)
    missing = {k: v for k, v in ROWS[0].items() if k != "source"}
    root = testing.write_rows(tmp_path, "littrans", FILE, [missing])
    with pytest.raises(DataError, match=r"row 1, field 'source': missing"):
        testing.render(TASK, "test", root)


def test_evaluation_only():
    task = registry.get_task(TASK)
    assert task.evaluation_only and task.source.evaluation_only
    assert "evaluation use only" in task.source.license
