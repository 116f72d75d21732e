"""FActScore (Min et al. 2023): human labels of atomic facts in LLM-written biographies.

Paper: "FActScore: Fine-grained Atomic Evaluation of Factual Precision in Long Form Text
Generation" (EMNLP 2023). InstructGPT, ChatGPT and PerplexityAI answered "Question: Tell me a
bio of <entity>." for 183 people with Wikipedia pages; annotators split each answer sentence
into atomic facts (short statements of one piece of information) and labelled each against
the person's English Wikipedia article: Supported (S), Not-supported (NS) or Irrelevant (IR:
the fact has nothing to do with the prompt). Sentences they found irrelevant get no facts.
FLAMe Table 7: Factuality, Classification.

Home: GitHub shmsw25/FActScore (MIT, pyproject.toml; README at commit
a92b1fadd254b06d5e7ca0fd0206b9959fe64da9). The data are on Google Drive: factscore/
download_data.py fetches data.zip and unzips it into the working directory, where the README
reads data/unlabeled/<model>.jsonl; the human annotations are
data/labeled/{InstructGPT,ChatGPT,PerplexityAI}.jsonl (member paths inferred from those; the zip
is not in the repository, so no stored copy can settle them). The Drive id of data.zip is
155exEdKs7R21gZF4G-x54-XN3qswBcPo since commit f28272d (2025-04-13), which replaced
1enz1PxwxeMr4FRF9dtpCPXaZQCBejuVF in download_data.py. JSON lines (schema as several independent
readers of these files use it): `input` (the prompt), `output` (the answer), `topic` (the
person), `cat` ([rarity, region]) and `annotations`: null when the model abstained, else one
object per sentence with `text`, `is-relevant`, `human-atomic-facts` (null for irrelevant
sentences, else [{text, label}]) and `model-atomic-facts` (InstructGPT's splits, unused).

Task factscore_atomic_fact (classification, factuality): one record per human atomic fact,
given the person, the sentence it comes from and the fact: S -> "Supported", NS -> "Not
supported", IR -> "Irrelevant". The Wikipedia article is not part of the data, so the judge
relies on what it knows. Skipped, counted: answers where the model abstained (`abstained`, per
answer) and sentences without atomic facts (`irrelevant_sentence`, per sentence). All three
files feed "train". An unknown label or an empty fact, sentence or topic is an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import Archive, Source
from flame_jax.format import Capability, Classification, Label

_MODELS = ("InstructGPT", "ChatGPT", "PerplexityAI")
FILES = tuple(f"labeled/{model}.jsonl" for model in _MODELS)

SOURCE = Source(
    name="factscore",
    title="FActScore human annotations",
    license="MIT (FActScore release; answers by InstructGPT, ChatGPT and PerplexityAI)",
    host=Archive(
        "https://drive.usercontent.google.com/download?id=155exEdKs7R21gZF4G-x54-XN3qswBcPo"
        "&export=download&confirm=t",
        members={file: f"data/{file}" for file in FILES},
    ),
    notes=(
        "data.zip of the FActScore Google Drive; if the download fails, fetch it with "
        "`python -m factscore.download_data` (or from the README's Drive link) and copy "
        "data/labeled/*.jsonl to DATA_DIR/factscore/labeled/."
    ),
)

_LABELS = {"S": "Supported", "NS": "Not supported", "IR": "Irrelevant"}

ATOMIC_FACT = Classification(
    title="Is the atomic fact about the person supported?",
    description=(
        "In this task, you will be shown the name of a person, a sentence from a biography of "
        "that person written by an AI model, and one atomic fact of that sentence: a short "
        "statement of a single piece of information. Judge the fact against what the person's "
        "Wikipedia article says about them."
    ),
    context_fields=("person", "sentence", "atomic_fact"),
    labels=(
        ("Supported", "the fact is true of the person according to Wikipedia"),
        ("Not supported", "the fact is false or not supported by Wikipedia"),
        ("Irrelevant", "the fact has nothing to do with the person or the request for a bio"),
    ),
)


def _facts(rows: Iterator[Row]) -> Iterator[Label | Skip]:
    for row in rows:
        annotations = row.get("annotations", list, default=None)
        if annotations is None:
            yield Skip("abstained")
            continue
        person = row.text("topic").strip()
        for i in range(len(annotations)):
            facts = row.get(f"annotations.{i}.human-atomic-facts", list, default=None)
            if not facts:
                yield Skip("irrelevant_sentence")
                continue
            sentence = row.text(f"annotations.{i}.text").strip()
            for k in range(len(facts)):
                where = f"annotations.{i}.human-atomic-facts.{k}"
                label = row.get(f"{where}.label", str, choices=tuple(_LABELS))
                yield Label(
                    {
                        "person": person,
                        "sentence": sentence,
                        "atomic_fact": row.text(f"{where}.text").strip(),
                    },
                    label=_LABELS[label],
                )


register(
    FlameTask(
        name="factscore_atomic_fact",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=ATOMIC_FACT,
        splits={"train": FILES},
        convert=_facts,
        skips={
            "abstained": "the model abstained, so the answer has no annotations",
            "irrelevant_sentence": "annotators found the sentence irrelevant: no atomic facts",
        },
    )
)
