"""SEAHORSE (Clark et al. 2023): six yes/no ratings of summaries in six languages.

Paper: "SEAHORSE: A Multilingual, Multifaceted Dataset for Summarization Evaluation" (EMNLP
2023). 96K summaries (references and outputs of 8 systems) of articles from four GEM datasets
(XSum, XL-Sum, MLSum, WikiLingua) in German, English, Spanish, Russian, Turkish and Vietnamese,
each rated by a native speaker on six yes/no questions (the repository's README and the HF
card): 1 comprehensible (the summary can be read and understood; if No, the other questions
are skipped), 2 repetition (free of unnecessarily repeated information), 3 grammar
(grammatically correct), 4 attribution (all the information is fully attributable to the
source article, as defined in Rashkin et al. 2021), 5 main ideas (captures the main idea(s) of
the article), 6 conciseness (concisely represents the information in the article). FLAMe
Table 7: Quality, Classification.

Home: GitHub google-research-datasets/seahorse (README at commit
029ecbb3eb4beef2b344bc1f300bf5225a088025; data released under CC BY 4.0) distributes
https://storage.googleapis.com/seahorse-public/seahorse_data.zip with train/validation/test
TSVs (`gem_id`, `worker_lang`, `summary`, `model`, `question1`..`question6`) that do not contain
the articles: those must be joined from GEM by `gem_id` (WikiLingua from an older TFDS
version). The files used here are the HF dataset tasksource/seahorse_summarization_evaluation
(pinned to revision c641c22879b601fb2edaa0a3f0edf3a68e5f5d23), a third-party conversion that
joins the GEM articles and stores one row per (summary, question): `gem_id`, `worker_lang`,
`model`, `article`, `summary`, `question`, `answer`; parquet files data/train-0000{0,1,2}-of-
00003-*.parquet (334,806 rows), data/validation-00000-of-00001-*.parquet (49,265) and
data/test-00000-of-00001-*.parquet (101,652), names from the repository's tree.

Unverified: the `question` values. A third-party script reading these files uses the six
question sentences of the card (attribution without its "as defined in Rashkin et al. (2021)")
and says the answers are exactly "Yes" and "No". A question is recognised by the start of one
of those sentences, or by the upstream column names question1..question6; anything else is an
error, as is an answer other than Yes/No/empty.

Tasks (classification, quality; one per question, each reading all rows and keeping those of its
question): seahorse_comprehensible, seahorse_repetition, seahorse_grammar (context: the
summary only; these three judge the summary's text alone), seahorse_attribution,
seahorse_main_ideas, seahorse_conciseness (context: article and summary). Yes -> "Yes",
No -> "No". Skipped, counted: an empty or null answer (`not_rated`: question 1 was answered No),
and for the article questions an empty or null article (`no_article`: the join found none).
Splits train, validation and test as upstream; the authors ask that validation is not used for
training, so it is kept apart. All six languages are kept (`worker_lang` is not filtered).
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="seahorse",
    title="SEAHORSE",
    license=(
        "CC BY 4.0 (ratings and summaries); joined GEM articles: XL-Sum and WikiLingua "
        "CC BY-NC-SA (non-commercial), MLSum research use only"
    ),
    host=HuggingFace(
        "tasksource/seahorse_summarization_evaluation",
        revision="c641c22879b601fb2edaa0a3f0edf3a68e5f5d23",
    ),
    notes=(
        "Upstream (storage.googleapis.com/seahorse-public/seahorse_data.zip) has no articles; "
        "the files are tasksource's conversion that joins the GEM articles by gem_id."
    ),
)

SPLITS = {
    "train": (
        "data/train-00000-of-00003-7ed4a8e6ac83bdb2.parquet",
        "data/train-00001-of-00003-7b7744e538f69b1b.parquet",
        "data/train-00002-of-00003-598f9d380c6191e2.parquet",
    ),
    "validation": ("data/validation-00000-of-00001-1f3cb1c4203303ba.parquet",),
    "test": ("data/test-00000-of-00001-acd5b00ba47747a7.parquet",),
}

_SUMMARY_INTRO = (
    "In this task, you will be shown a summary of an article, written by a person or a "
    "summarization system; it may be in German, English, Spanish, Russian, Turkish or "
    "Vietnamese."
)
_ARTICLE_INTRO = (
    "In this task, you will be shown an article and a summary of it, written by a person or a "
    "summarization system; they may be in German, English, Spanish, Russian, Turkish or "
    "Vietnamese."
)

# name -> (upstream column, the question's opening as the card writes it, title, guideline,
#          meaning of Yes, meaning of No)
_QUESTIONS: dict[str, tuple[str, str, str, str, str, str]] = {
    "comprehensible": (
        "question1",
        "The summary can be read and understood",
        "Can the summary be read and understood?",
        "Judge whether you can read and understand the summary: whether it is written in the "
        "expected language, makes sense as text and is not garbled, cut off mid-sentence or "
        "nonsensical.",
        "the summary can be read and understood",
        "the summary is incomprehensible",
    ),
    "repetition": (
        "question2",
        "The summary is free of unnecessarily repeated information",
        "Is the summary free of unnecessary repetition?",
        "Judge whether the summary is free of unnecessarily repeated information: the same "
        "words, phrases or facts stated more than once without need.",
        "the summary repeats nothing unnecessarily",
        "the summary repeats some information unnecessarily",
    ),
    "grammar": (
        "question3",
        "The summary is grammatically correct",
        "Is the summary grammatically correct?",
        "Judge whether the summary is grammatically correct in its language: word forms, "
        "agreement, word order and punctuation. Minor stylistic choices are not errors.",
        "the summary is grammatically correct",
        "the summary has grammatical errors",
    ),
    "attribution": (
        "question4",
        "All the information in the summary is fully attributable to the source article",
        "Is all of the information in the summary fully attributable to the article?",
        "Judge whether all of the information in the summary is fully attributable to the "
        "article: a reader of the article alone would agree that 'According to the article, "
        "<the summary>' is true. Information that is not in the article, even if true of the "
        "world, or that contradicts it, is not attributable.",
        "all of the information in the summary is supported by the article",
        "some information in the summary is not supported by the article",
    ),
    "main_ideas": (
        "question5",
        "The summary captures the main idea(s) of the source article",
        "Does the summary capture the main ideas of the article?",
        "Judge whether the summary captures the main idea or ideas of the article: the key "
        "points a reader should take away from it, rather than secondary details.",
        "the summary captures the article's main idea(s)",
        "the summary misses the article's main idea(s)",
    ),
    "conciseness": (
        "question6",
        "The summary concisely represents the information in the source article",
        "Does the summary concisely represent the information in the article?",
        "Judge whether the summary represents the information of the article concisely: it "
        "conveys the article's important information without unnecessary detail or filler.",
        "the summary is a concise representation of the article's information",
        "the summary is not concise (it includes unimportant details or filler)",
    ),
}
_WITH_ARTICLE = ("attribution", "main_ideas", "conciseness")

TEMPLATES = {
    name: Classification(
        title=title,
        description=f"{_ARTICLE_INTRO if name in _WITH_ARTICLE else _SUMMARY_INTRO} {guideline}",
        context_fields=("article", "summary") if name in _WITH_ARTICLE else ("summary",),
        labels=(("Yes", yes), ("No", no)),
    )
    for name, (_, _, title, guideline, yes, no) in _QUESTIONS.items()
}


def _question(row: Row) -> str:
    """The name of the row's question (see the module docstring for how it is recognised)."""
    question = row.text("question").strip()
    for name, (column, opening, *_) in _QUESTIONS.items():
        if question == column or question.startswith(opening):
            return name
    raise row.error("question", f"{question!r:.80} is not one of the six SEAHORSE questions")


def _convert(name: str):
    def convert(rows: Iterator[Row]) -> Iterator[Label | Skip]:
        for row in rows:
            if _question(row) != name:
                continue
            answer = row.get("answer", str, default="").strip()
            if answer not in ("Yes", "No", ""):
                raise row.error("answer", f"{answer!r:.80} is not one of ['Yes', 'No']")
            if not answer:
                yield Skip("not_rated")
                continue
            context = {"summary": row.text("summary").strip()}
            if name in _WITH_ARTICLE:
                article = row.get("article", str, default="").strip()
                if not article:
                    yield Skip("no_article")
                    continue
                context = {"article": article, **context}
            yield Label(context, label=answer)

    convert.__name__ = f"convert_{name}"
    return convert


_SKIPS = {"not_rated": "no answer: the rater found the summary incomprehensible (question 1)"}

for _name, _template in TEMPLATES.items():
    register(
        FlameTask(
            name=f"seahorse_{_name}",
            source=SOURCE,
            capability=Capability.QUALITY,
            template=_template,
            splits=SPLITS,
            convert=_convert(_name),
            skips=(
                {**_SKIPS, "no_article": "the conversion has no article for the summary"}
                if _name in _WITH_ARTICLE
                else _SKIPS
            ),
        )
    )
