"""WiCE (Kamoi et al. 2023): is a Wikipedia claim supported by the web article it cites?

Home: GitHub ryokamoi/wice (annotations ODC-BY 1.0; Wikipedia text CC BY-SA; evidence from
Common Crawl). Files (below data/): entailment_retrieval/claim/dev.jsonl (349 claims) and
entailment_retrieval/claim/test.jsonl (358 claims); one claim per line with label
(supported | partially_supported | not_supported), supporting_sentences, claim, evidence (the
cited article split into sentences; the first one is a "(meta data) TITLE: ..." line) and meta
{id, claim_title, claim_section, claim_context}. Pinned to main's commit
ddeb6c183665e2a20c5f03c5aa07f03888b9870f (2023-12-14), where the whole files have these sizes.

Task wice_claim_support (factuality, evaluation only: WiCE is LLM-AggreFact's Wiki-FactVerify
part): classify the claim against the evidence with WiCE's three labels. The evidence
sentences are joined by newlines, in their upstream order. Splits: validation (dev) and test.
"""

from __future__ import annotations

from flame_jax.data.readers import Row
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Label

SOURCE = Source(
    name="wice",
    title="WiCE: Real-World Entailment for Claims in Wikipedia",
    license="ODC-BY-1.0",
    host=GitHub("ryokamoi/wice", ref="ddeb6c183665e2a20c5f03c5aa07f03888b9870f", prefix="data"),
    evaluation_only=True,
    notes=(
        "Evaluation only (LLM-AggreFact includes WiCE). Claims come from Wikipedia (CC BY-SA); "
        "evidence articles from Common Crawl archives."
    ),
)

LABELS = ("supported", "partially_supported", "not_supported")

CLASSIFICATION = Classification(
    title="Is the claim supported by the cited article?",
    description=(
        "In this task, you will be shown a claim from a Wikipedia article and the sentences of "
        "the web article that Wikipedia cites for it. Break the claim into the facts it states "
        "and check each one against the article. Judge only from the article, not from what "
        "you know otherwise."
    ),
    context_fields=("claim", "evidence"),
    labels=(
        ("supported", "the article supports every part of the claim"),
        ("partially_supported", "the article supports some parts of the claim but not all"),
        ("not_supported", "the article supports no part of the claim"),
    ),
)


@per_row
def _label(row: Row) -> Label:
    label = row.get("label", str, choices=LABELS)
    sentences = row.get("evidence", list)
    if not sentences:
        raise row.error("evidence", "no sentences")
    evidence = "\n".join(row.get(f"evidence.{i}", str).strip() for i in range(len(sentences)))
    if not evidence.strip():
        raise row.error("evidence", "empty text")
    return Label({"claim": row.text("claim").strip(), "evidence": evidence}, label=label)


register(
    FlameTask(
        name="wice_claim_support",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=CLASSIFICATION,
        splits={
            "validation": ("entailment_retrieval/claim/dev.jsonl",),
            "test": ("entailment_retrieval/claim/test.jsonl",),
        },
        convert=_label,
        evaluation_only=True,
    )
)
