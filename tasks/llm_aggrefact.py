"""LLM-AggreFact (Tang et al. 2024, MiniCheck): is a claim supported by its grounding document?

Home: HF lytang/LLM-AggreFact (gated: accept the terms, set HF_TOKEN; CC BY-ND 4.0; the terms
allow evaluation only, never training). Files: data/dev-00000-of-00001.parquet (validation)
and data/test-00000-of-00001.parquet (test), columns dataset, doc, claim, label (1 = the doc
supports the claim, 0 = it does not), contamination_identifier.

One task per source dataset, llm_aggrefact_<dataset>, because the benchmark's metric is the
balanced accuracy of each dataset, averaged over datasets (PROTOCOLS.md; FLAMe's groups:
LLM-FactVerify = ClaimVerify + FactCheck-GPT + Reveal, Wiki-FactVerify = Wice, Summarization =
AggreFact-* + TofuEval-*, Long-form QA = ExpertQA + Lfqa). The `dataset` values are those of
the release with RAGTruth (11 datasets; FLAMe used the earlier 10, without RAGTruth). Every task
reads the whole split and skips the other datasets' rows (`other_dataset`); a row of an unknown
dataset is an error, so a new release fails loudly instead of being silently left out. Labels:
"Yes" (label 1) and "No" (label 0), as in FLAMe's attribution example.
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.evaluation.aggrefact import DATASETS
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="llm_aggrefact",
    title="LLM-AggreFact",
    license="CC-BY-ND-4.0",
    host=HuggingFace("lytang/LLM-AggreFact", gated=True),
    evaluation_only=True,
    notes=(
        "Gated: accept the terms on the HF page and set HF_TOKEN. The terms permit use as an "
        "evaluation benchmark only (no pretraining or fine-tuning)."
    ),
)

SPLITS = {
    "validation": ("data/dev-00000-of-00001.parquet",),
    "test": ("data/test-00000-of-00001.parquet",),
}

SKIPS = {"other_dataset": "the row belongs to another source dataset (another task)"}

CLASSIFICATION = Classification(
    title="Is all of the information in the claim supported by the document?",
    description=(
        "In this task, you will be shown a document and a claim, a sentence that a system "
        "wrote while using the document (a summary, an answer or a dialogue response). Check "
        "every piece of information in the claim against the document alone. A claim is "
        "supported only if the document states or clearly implies all of it; information "
        "that contradicts the document or cannot be found in it makes the claim unsupported."
    ),
    context_fields=("document", "claim"),
    labels=(
        ("Yes", "the document supports all of the information in the claim"),
        ("No", "any information in the claim is contradicted by or missing from the document"),
    ),
)


def _converter(dataset: str):
    def label(row: Row) -> Label:
        if row.get("dataset", str, choices=tuple(DATASETS)) != dataset:
            raise SkipRow("other_dataset")
        value = row.get("label", int, choices=(0, 1))
        context = {"document": row.text("doc").strip(), "claim": row.text("claim").strip()}
        return Label(context, label="Yes" if value == 1 else "No")

    label.__name__ = f"label_{DATASETS[dataset]}"
    return per_row(label)


for _dataset, _suffix in DATASETS.items():
    register(
        FlameTask(
            name=f"llm_aggrefact_{_suffix}",
            source=SOURCE,
            capability=Capability.FACTUALITY,
            template=CLASSIFICATION,
            splits=SPLITS,
            convert=_converter(_dataset),
            skips=SKIPS,
            evaluation_only=True,
        )
    )
