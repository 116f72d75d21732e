"""TULU-2 SFT mixture (Ivison et al. 2023, "Camels in a Changing Climate"): its human-written
subsets as plain instruction-tuning data.

The Tulu V2 mix gathers 326,154 instruction-response conversations from 16 subsets; many are
distilled from other models (ShareGPT, GPT-4 Alpaca, Code Alpaca, WizardLM, Open-Orca). FLAMe
(Table 7, instruction tuning) keeps only the human-written subsets, FLAN, CoT, Open Assistant 1,
science and hard-coded, as open-ended tasks (write the response).

Home: HF allenai/tulu-v2-sft-mixture (ODC-BY for the mix; each subset keeps its own license:
FLAN and OASST1 Apache 2.0, the others per the card), pinned to commit
6248b175d2ccb5ec7c4aeb22e6d8ee3b21b2c752. Files (hub listing): data/train-00000-of-00003-
99ee8754042a69f6.parquet, data/train-00001-of-00003-278198836de5994c.parquet and
data/train-00002-of-00003-a52de323599d586a.parquet (the only split). Row schema (card): `dataset`
(the subset), `id`, `messages` ([{`role`: system | user | assistant, `content`}]).

The `dataset` values (as the open-instruct mixture scripts and other projects list them) and
what happens to them:
- kept (human-written): `flan_v2` (50,000 FLAN v2 examples), `cot` (50,000 FLAN v2
  chain-of-thought examples), `oasst1` (the top-rated paths of Open Assistant 1 trees, 7,708),
  `hard_coded` (140 prompts about the model's identity, written by the authors) and the six
  science subsets `science.evidence_inference`, `science.qasper_truncated_4000`,
  `science.scifact_json`, `science.scitldr_aic`, `science.scierc_ner`,
  `science.scierc_relation` (instruction versions of human-annotated scientific NLP datasets;
  the card notes an off-by-one sentence-index error in some of them).
- skipped as `model_generated` (responses written by models): `sharegpt`, `gpt4_alpaca`,
  `code_alpaca`, `wizardlm`, `open_orca`.
- skipped as `lima`: human-written, but it is the separate FLAMe source `lima` (the lima task
  reads GAIR/lima itself), so it is not counted twice.
Any other `dataset` value is an error.

tulu2_response (open-ended, instruction tuning): every assistant turn of a kept conversation
gives one example whose context is the conversation up to that turn, rendered as "System:",
"User:" and "Assistant:" paragraphs, and whose target is the assistant turn (OASST1 dialogues
give one example per assistant turn; an assistant turn with nothing before it gives none).
Skips: conversations without an assistant turn (`no_response`) and conversations with an empty
turn (`empty_turn`; the card notes that some samples contain empty turns). The subset is kept
as the record's meta.
"""

from __future__ import annotations

from collections.abc import Iterator

from flame_jax.data.readers import Row, Skip
from flame_jax.data.registry import FlameTask, register
from flame_jax.data.sources import HuggingFace, Source
from flame_jax.format import Capability, Generation, OpenEnded, assistant_responses

SOURCE = Source(
    name="tulu2",
    title="Tulu V2 SFT mixture (human-written subsets)",
    license="ODC-BY (mixture); subsets keep their own licenses (FLAN, OASST1: Apache 2.0)",
    host=HuggingFace(
        "allenai/tulu-v2-sft-mixture", revision="6248b175d2ccb5ec7c4aeb22e6d8ee3b21b2c752"
    ),
    notes="Only the human-written subsets are used; the distilled ones are skipped and counted.",
)

FILES = (
    "data/train-00000-of-00003-99ee8754042a69f6.parquet",
    "data/train-00001-of-00003-278198836de5994c.parquet",
    "data/train-00002-of-00003-a52de323599d586a.parquet",
)

SCIENCE = (
    "science.evidence_inference",
    "science.qasper_truncated_4000",
    "science.scifact_json",
    "science.scitldr_aic",
    "science.scierc_ner",
    "science.scierc_relation",
)
KEPT = ("flan_v2", "cot", "oasst1", "hard_coded", *SCIENCE)
MODEL_GENERATED = ("sharegpt", "gpt4_alpaca", "code_alpaca", "wizardlm", "open_orca")
SUBSETS = (*KEPT, *MODEL_GENERATED, "lima")

SKIPS = {
    "model_generated": "a subset whose responses were written by models (sharegpt, "
    "gpt4_alpaca, code_alpaca, wizardlm, open_orca)",
    "lima": "the lima subset: the separate FLAMe source lima covers it",
    "no_response": "the conversation has no assistant turn",
    "empty_turn": "a turn of the conversation is empty",
}

RESPONSE = OpenEnded(
    title="Respond to the user",
    description=(
        "In this task, you will be shown a conversation between a user and an AI assistant, "
        "possibly with a system message, that ends with a message from the user. Write the "
        "assistant's next response. Follow the user's instructions exactly, including any "
        "requested format, options or length; answer correctly, reason step by step when the "
        "task calls for it, and be helpful, honest and clear."
    ),
    context_fields=("conversation",),
    fields=("response",),
)

_ROLES = ("system", "user", "assistant")


def _responses(rows: Iterator[Row]) -> Iterator[Generation | Skip]:
    for row in rows:
        subset = row.get("dataset", str, choices=SUBSETS)
        if subset in MODEL_GENERATED:
            yield Skip("model_generated")
            continue
        if subset == "lima":
            yield Skip("lima")
            continue
        messages = row.get("messages", list)
        turns = [
            (
                row.get(f"messages.{i}.role", str, choices=_ROLES),
                row.get(f"messages.{i}.content", str).strip(),
            )
            for i in range(len(messages))
        ]
        if not any(role == "assistant" for role, _ in turns):
            yield Skip("no_response")
            continue
        if not all(content for _, content in turns):
            yield Skip("empty_turn")
            continue
        yield from assistant_responses(turns, {"dataset": subset})


register(
    FlameTask(
        name="tulu2_response",
        source=SOURCE,
        capability=Capability.INSTRUCTION_TUNING,
        template=RESPONSE,
        splits={"train": FILES},
        convert=_responses,
        skips=SKIPS,
    )
)
