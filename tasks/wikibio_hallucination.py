"""WikiBio GPT-3 hallucination (Manakul et al. 2023): factuality of GPT-3 biography sentences.

Paper: "SelfCheckGPT: Zero-Resource Black-Box Hallucination Detection for Generative Large
Language Models" (EMNLP 2023). GPT-3 (text-davinci-003) wrote Wikipedia-like passages ("This is
a Wikipedia passage about {concept}") about 238 people of the WikiBio test set; each sentence
was annotated as accurate, minor_inaccurate (it contains some non-factual information but is
related to the topic) or major_inaccurate (it is entirely hallucinated, i.e. unrelated to
the topic). FLAMe Table 7: Factuality, Pointwise.

Home: HF potsawee/wiki_bio_gpt3_hallucination (CC BY-SA 3.0), pinned to revision
3a965f42c706480b0d6bedea37b4f646322ea8a3, whose tree has the parquet file
data/evaluation-00000-of-00001-e91191b8ff41afbe.parquet (its only split, "evaluation", 238 rows)
next to dataset.json. Row schema (dataset card): `gpt3_text` (the passage), `wiki_bio_text` (the
person's actual Wikipedia first paragraph), `gpt3_sentences` (the passage split into
sentences), `annotation` (one label per sentence), `wiki_bio_test_idx`, `gpt3_text_samples`
(20 further GPT-3 samples, unused).

Task wikibio_hallucination_sentence (pointwise, factuality): one record per annotated
sentence, given the whole GPT-3 passage (for context), the sentence, and the real Wikipedia
paragraph as evidence; the score is 2 = accurate, 1 = minor_inaccurate, 0 = major_inaccurate.
The dataset has one split; FLAMe trains on it, so it feeds "train". A sentence/annotation length
mismatch, an unknown label or an empty text is an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Pointwise, Rating

SOURCE = Source(
    name="wikibio_hallucination",
    title="WikiBio GPT-3 Hallucination Dataset",
    license="CC BY-SA 3.0",
    host=HuggingFace(
        "potsawee/wiki_bio_gpt3_hallucination", revision="3a965f42c706480b0d6bedea37b4f646322ea8a3"
    ),
)

FILE = "data/evaluation-00000-of-00001-e91191b8ff41afbe.parquet"

_POINTS = {"major_inaccurate": "0", "minor_inaccurate": "1", "accurate": "2"}

SENTENCE = Pointwise(
    title="How factual is the sentence of the generated biography?",
    description=(
        "In this task, you will be shown a Wikipedia-style passage about a person written by a "
        "language model, one sentence of that passage, and the first paragraph of the person's "
        "real Wikipedia article. Judge whether the information in the sentence is factually "
        "accurate about the person, using the Wikipedia paragraph as evidence together with "
        "what you know; information the paragraph does not mention is not false for that "
        "reason alone."
    ),
    context_fields=("passage", "sentence", "wikipedia_paragraph"),
    scale=(
        (
            "0",
            "major inaccurate: the sentence is entirely hallucinated, with nothing true about the "
            "person",
        ),
        (
            "1",
            "minor inaccurate: the sentence is about the person but contains some non-factual "
            "information",
        ),
        ("2", "accurate: all the information in the sentence is correct"),
    ),
)


def _ratings(rows: Iterator[Row]) -> Iterator[Rating]:
    for row in rows:
        passage = row.text("gpt3_text").strip()
        evidence = row.text("wiki_bio_text").strip()
        sentences = row.get("gpt3_sentences", list)
        labels = row.get("annotation", list)
        if len(sentences) != len(labels):
            raise row.error("annotation", f"{len(labels)} labels for {len(sentences)} sentences")
        for k in range(len(sentences)):
            label = row.get(f"annotation.{k}", str, choices=tuple(_POINTS))
            yield Rating(
                {
                    "passage": passage,
                    "sentence": row.text(f"gpt3_sentences.{k}").strip(),
                    "wikipedia_paragraph": evidence,
                },
                score=_POINTS[label],
            )


register(
    FlameTask(
        name="wikibio_hallucination_sentence",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=SENTENCE,
        splits={"train": (FILE,)},
        convert=_ratings,
    )
)
