"""e-SNLI (Camburu et al., NeurIPS 2018): SNLI pairs with human-written explanations.

Crowdworkers were shown an SNLI premise, hypothesis and gold label and asked to explain in
their own words why the label holds (and to highlight the words that matter). Train pairs have
one explanation; dev and test pairs have three, by different workers. FLAMe (Table 7,
factuality) uses e-SNLI for classification, with NLI recast as attribution, and for an
open-ended task.

Home: GitHub OanaMariaCamburu/e-SNLI (MIT, the repository's LICENSE; the premises and
hypotheses are SNLI's, CC BY-SA 4.0), folder dataset/: esnli_train_1.csv and
esnli_train_2.csv ("train", 549,367 pairs together per the paper), esnli_dev.csv
("validation") and esnli_test.csv ("test"). Comma-separated with a header: `pairID`,
`gold_label` (entailment | neutral | contradiction), `Sentence1` (premise), `Sentence2`
(hypothesis), `Explanation_1` (and `Explanation_2`, `Explanation_3` in dev/test), plus the
highlight columns `Sentence{1,2}_marked_k`, `Sentence{1,2}_Highlighted_k` and, in train,
`WorkerId` (unused). Pinned to master's commit 7b585a3f077fdea899780eb0473940522ae44a2e
(2022-04-29), whose tree holds the four dataset/ CSVs and the MIT LICENSE. Each CSV is over
4 MiB, so the stored snapshot of the repository that was swept lacked their contents: the
columns above are those of the authors' loaders, not checked against the whole files.

Tasks (capability factuality):
- esnli_attribution (classification): is the hypothesis fully supported by the premise? As in
  mnli_attribution: entailment -> Yes, neutral and contradiction -> No.
- esnli_explanation (open-ended): the annotators' task: given the premise, the hypothesis and
  their relation (the gold label), write the explanation. The target is `Explanation_1` (dev
  and test keep their first explanation only, so every pair gives one example).
Skips: pairs whose premise or hypothesis is empty (`empty_text`; loaders of these CSVs report
empty cells) and, for the explanation task, pairs whose `Explanation_1` is empty
(`no_explanation`). An unknown gold label is an error.
"""

from __future__ import annotations

from flame_jax.data.readers import Row, SkipRow
from flame_jax.data.registry import FlameTask, per_row, register
from flame_jax.data.sources import GitHub, Source
from flame_jax.format import Capability, Classification, Generation, Label, OpenEnded

SOURCE = Source(
    name="esnli",
    title="e-SNLI: Natural Language Inference with Natural Language Explanations",
    license="MIT (explanations); SNLI sentences CC BY-SA 4.0",
    host=GitHub(
        "OanaMariaCamburu/e-SNLI", ref="7b585a3f077fdea899780eb0473940522ae44a2e", prefix="dataset"
    ),
)

SPLITS = {
    "train": ("esnli_train_1.csv", "esnli_train_2.csv"),
    "validation": ("esnli_dev.csv",),
    "test": ("esnli_test.csv",),
}
_LABELS = ("entailment", "neutral", "contradiction")

ATTRIBUTION = Classification(
    title="Is all of the information in the hypothesis fully supported by the premise?",
    description=(
        "In this task, you will be shown a premise, a sentence describing a scene, and a "
        "hypothesis, a statement about the same scene. Judge whether the hypothesis is fully "
        "attributable to the premise: whether someone who reads only the premise would have to "
        "conclude that everything the hypothesis says is true. A hypothesis that adds "
        "information the premise does not give, or that contradicts the premise, is not "
        "supported."
    ),
    context_fields=("premise", "hypothesis"),
    labels=(
        ("Yes", "all of the information in the hypothesis is supported by the premise"),
        (
            "No",
            "some information in the hypothesis is not supported by, or contradicts, the premise",
        ),
    ),
)

EXPLANATION = OpenEnded(
    title="Explain the relation between the premise and the hypothesis",
    description=(
        "In this task, you will be shown a premise, a hypothesis and their relation: "
        "entailment (the hypothesis must be true given the premise), contradiction (the "
        "hypothesis cannot be true given the premise) or neutral (the hypothesis may or may "
        "not be true given the premise). Write a short, self-contained explanation in your "
        "own words of why the relation holds, pointing to the parts of the premise and the "
        "hypothesis that decide it, without simply repeating the two sentences."
    ),
    context_fields=("premise", "hypothesis", "relation"),
    fields=("explanation",),
)

SKIPS = {"empty_text": "the premise or the hypothesis is empty"}


def _pair(row: Row) -> tuple[str, str, str]:
    label = row.get("gold_label", str, choices=_LABELS)
    premise = row.get("Sentence1", str).strip()
    hypothesis = row.get("Sentence2", str).strip()
    if not premise or not hypothesis:
        raise SkipRow("empty_text")
    return premise, hypothesis, label


@per_row
def _attribution(row: Row) -> Label:
    premise, hypothesis, label = _pair(row)
    return Label(
        {"premise": premise, "hypothesis": hypothesis},
        label="Yes" if label == "entailment" else "No",
    )


@per_row
def _explanation(row: Row) -> Generation:
    premise, hypothesis, label = _pair(row)
    explanation = row.get("Explanation_1", str).strip()
    if not explanation:
        raise SkipRow("no_explanation")
    return Generation(
        {"premise": premise, "hypothesis": hypothesis, "relation": label},
        {"explanation": explanation},
    )


register(
    FlameTask(
        name="esnli_attribution",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=ATTRIBUTION,
        splits=SPLITS,
        convert=_attribution,
        skips=SKIPS,
    )
)

register(
    FlameTask(
        name="esnli_explanation",
        source=SOURCE,
        capability=Capability.FACTUALITY,
        template=EXPLANATION,
        splits=SPLITS,
        convert=_explanation,
        skips={**SKIPS, "no_explanation": "the pair's first explanation is empty"},
    )
)
