"""The paper's Table 7 as a checked list: every training row and the tasks that cover it.

Each row names the paper's dataset row, its capability and formats, and the registered
source (and, where one source gives several rows, the tasks) that implement it.
tests/tasks/test_table7.py checks the registry against it: every row's tasks are registered
training tasks of the row's capability whose task types include each of the row's formats,
and every training source of the collection belongs to a row. `flame-jax data card` prints
it with the shares the paper reports (FLAME.md §1).
"""

from __future__ import annotations

import dataclasses

from flame_jax.format import Capability, TaskType

Q, F, S, C, M, IT = (
    Capability.QUALITY,
    Capability.FACTUALITY,
    Capability.SAFETY,
    Capability.CODING,
    Capability.MATH,
    Capability.INSTRUCTION_TUNING,
)
PW, PT, CL, GEN = (
    TaskType.PAIRWISE,
    TaskType.POINTWISE,
    TaskType.CLASSIFICATION,
    TaskType.OPEN_ENDED,
)


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of Table 7: `tasks` empty = every training task of `source`."""

    capability: Capability
    dataset: str
    formats: tuple[TaskType, ...]
    source: str
    tasks: tuple[str, ...] = ()


TABLE_7 = (
    Row(Q, "BeaverTails Helpfulness", (PW,), "pku_saferlhf", ("pku_saferlhf_helpfulness",)),
    Row(Q, "HH-RLHF Helpfulness", (PW,), "hh_rlhf", ("hh_rlhf_helpfulness",)),
    Row(Q, "Hurdles LFQA", (PW,), "hurdles_lfqa"),
    Row(Q, "LMSYS Chatbot Arena conversations", (PW,), "chatbot_arena"),
    Row(Q, "MAUVE human evals", (PW,), "mauve"),
    Row(Q, "News Summary Evaluation", (PW,), "news_summary_eval"),
    Row(Q, "PRD", (PW,), "prd"),
    Row(Q, "SHP", (PW,), "shp"),
    Row(Q, "HelpSteer", (PW, PT), "helpsteer"),
    Row(Q, "Summary Comparisons", (PW,), "summarize_from_feedback"),
    Row(Q, "GENIE", (PW, PT, GEN), "genie"),
    Row(Q, "Fine-grained RLHF", (PW, CL), "fine_grained_rlhf"),
    Row(Q, "InstruSum", (PW, CL), "instrusum"),
    Row(Q, "WebGPT", (PW, GEN), "webgpt"),
    Row(Q, "LENS", (PT,), "lens"),
    Row(Q, "SummEval", (PT,), "summeval"),
    Row(Q, "riSum", (PT, CL), "risum"),
    Row(Q, "FeedbackQA", (PT, GEN), "feedbackqa"),
    Row(Q, "CoLA", (CL,), "glue", ("glue_cola",)),
    Row(Q, "SEAHORSE", (CL,), "seahorse"),
    Row(Q, "CREPE", (CL, GEN), "crepe"),
    Row(Q, "Scarecrow", (CL, GEN), "scarecrow"),
    Row(Q, "Validity LFQA", (CL, GEN), "validity_lfqa"),
    Row(F, "MOCHA", (PT,), "mocha"),
    Row(F, "Crisscrossed Captions", (PT,), "cxc"),
    Row(F, "STS-B", (PT,), "glue", ("glue_stsb",)),
    Row(F, "WikiBio hallucination", (PT,), "wikibio_hallucination"),
    Row(F, "BEGIN", (CL,), "begin"),
    Row(F, "DialFact", (CL,), "dialfact"),
    Row(F, "FActScore", (CL,), "factscore"),
    Row(F, "FRANK", (CL,), "frank"),
    Row(F, "FaithDial", (CL,), "faithdial"),
    Row(F, "HaluEval", (CL,), "halueval"),
    Row(F, "MNLI", (CL,), "mnli"),
    Row(F, "MultiPIT", (CL,), "multipit"),
    Row(F, "PAWS", (CL,), "paws"),
    Row(F, "Q²", (CL,), "q2"),
    Row(F, "QAGS", (CL,), "qags"),
    Row(F, "QQP", (CL,), "glue", ("glue_qqp",)),
    Row(F, "VitaminC", (CL,), "vitaminc"),
    Row(F, "RAGTruth", (CL,), "ragtruth"),
    Row(F, "e-SNLI", (CL, GEN), "esnli"),
    Row(F, "XSum hallucination", (GEN,), "xsum_hallucination_annotations"),
    Row(M, "PRM800K", (PW,), "prm800k", ("prm800k_pairwise",)),
    Row(C, "Code Contests", (PW,), "code_contests"),
    Row(C, "COFFEE", (PW,), "coffee"),
    Row(C, "CommitPack, CommitPack-Bugs", (PW,), "commitpack"),
    Row(S, "BeaverTails Harmlessness", (PW,), "pku_saferlhf", ("pku_saferlhf_harmlessness",)),
    Row(S, "HH-RLHF Harmlessness", (PW,), "hh_rlhf", ("hh_rlhf_harmlessness",)),
    Row(S, "HH-RLHF Red Teaming", (PT,), "hh_rlhf", ("hh_rlhf_red_team",)),
    Row(S, "BeaverTails QA-Classification", (CL,), "beavertails"),
    Row(IT, "LIMA", (GEN,), "lima"),
    Row(IT, "PRM800K IF", (GEN,), "prm800k", ("prm800k_solution",)),
    Row(IT, "TULU-2, human-written subsets", (GEN,), "tulu2"),
)

# Shares of datapoints the paper reports (FLAME.md §1).
PAPER_TYPE_SHARES = {PW: 0.388, CL: 0.349, PT: 0.133, GEN: 0.130}
PAPER_CAPABILITY_SHARES = {Q: 0.407, F: 0.293, S: 0.103, C: 0.098, IT: 0.067, M: 0.032}
