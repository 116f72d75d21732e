"""Literary translation preferences (Karpinska and Iyyer 2023, WMT): which of two machine
translations of a literary paragraph a professional translator preferred.

Role in FLAMe: the held-out benchmark "LitTrans" (FLAME.md §4; pairwise, evaluation only).

Home: GitHub marzenakrp/LiteraryTranslation (no license file upstream; excerpts of copyrighted
novels, so evaluation use only and nothing is redistributed), pinned at 9067588a, the commit at
which the file below was read and its last change (the README notes later corrections of a few
annotations; the file is unchanged up to the repository's HEAD 7875c8a of 2024-04-02). File:
annotations/default_format_v1/ all_annotations_v1.json, a JSON array of {eval
("<src>_<tgt>_<n>": n = 1 SENT vs PARA, 2 PARA_SENT vs PARA, 3 GTr vs PARA), book, author,
source (the source paragraph), target (a published human translation), source_lang and
target_lang (cs, de, en, fr, ja, pl, ru, zh), text1 and text2 (the two translations shown as T1
and T2), text1_tag and text2_tag (the system: sent = sentence-level davinci-003, para =
paragraph-level, para_sent = sentence-level with context, gtr = Google Translate),
difficult_choice, comment (the translator's reasons), choice ("text1" or "text2": the better
translation), added_omitted, annotations (error spans: mistranslation, grammar, untranslated,
inconsistency, format, register)}, 18 language pairs, one translator per pair.

Task littrans_preference (pairwise, quality; evaluation only, test split): which translation
the translator chose. The context is the two languages and the source paragraph; the published
human translation (`target`) is not shown, since it is not part of the comparison the
translators made (unverified whether they saw it). A `choice` other than text1/text2, or an
unknown language code, is an error.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Pair, Pairwise

SOURCE = Source(
    name="littrans",
    title="Literary translation pairwise preferences (LitTrans)",
    license=(
        "no license file upstream (all rights reserved; excerpts of novels); evaluation use only"
    ),
    host=GitHub(
        "marzenakrp/LiteraryTranslation",
        ref="9067588a34ca3fac24dfcd62e75921098b5e8382",
        prefix="annotations/default_format_v1",
    ),
    evaluation_only=True,
    notes=(
        "Evaluation only (held-out benchmark). Professional translators compared two GPT-3.5 "
        "or Google Translate translations of literary paragraphs in 18 language pairs."
    ),
)

FILE = "all_annotations_v1.json"

LANGUAGES = {
    "cs": "Czech",
    "de": "German",
    "en": "English",
    "fr": "French",
    "ja": "Japanese",
    "pl": "Polish",
    "ru": "Russian",
    "zh": "Chinese",
}

PAIRWISE = Pairwise(
    title="Which translation of the literary paragraph is better?",
    description=(
        "In this task, you will be shown a paragraph from a novel in its source language and "
        "two translations of it into the target language. As a professional literary "
        "translator would, choose the better translation: the one that conveys the meaning of "
        "the source faithfully, without mistranslations, untranslated words, or added or "
        "omitted information that changes the meaning, and that reads as fluent, grammatical "
        "prose in the target language with consistent terms, the right register and the "
        "target language's conventions (punctuation, format), preserving the author's voice."
    ),
    context_fields=("source_language", "target_language", "source"),
    response_field="translation",
)


def _language(row: Row, field: str) -> str:
    return LANGUAGES[row.get(field, str, choices=tuple(LANGUAGES))]


@per_row
def _pair(row: Row) -> Pair:
    better = row.get("choice", str, choices=("text1", "text2"))
    worse = "text2" if better == "text1" else "text1"
    context = {
        "source_language": _language(row, "source_lang"),
        "target_language": _language(row, "target_lang"),
        "source": row.text("source").strip(),
    }
    return Pair(
        context,
        better=row.text(better).strip(),
        worse=row.text(worse).strip(),
        meta={
            "eval": row.get("eval", str),
            "winner": row.get(f"{better}_tag", str),
            "loser": row.get(f"{worse}_tag", str),
        },
    )


register(
    FlameTask(
        name="littrans_preference",
        source=SOURCE,
        capability=Capability.QUALITY,
        template=PAIRWISE,
        splits={"test": (FILE,)},
        convert=_pair,
        evaluation_only=True,
    )
)
