"""The paper's held-out benchmarks that have public homes, judged as registered tasks.

Benchmarks (FLAME.md §4; 256 random examples per task, flame_jax.evaluation.suite):
- hhh: HHH alignment (HF HuggingFaceH4/hhh_alignment), pairwise, 4 categories.
- alpacafarm: AlpacaFarm human preferences (HF tatsu-lab/alpaca_farm), pairwise.
- summfeedback: summarize-from-feedback's axis annotations (HF openai/summarize_from_feedback),
  pointwise overall quality.
- helpsteer: HelpSteer (v1) validation (HF nvidia/HelpSteer), five pointwise attributes and the
  pairwise task built from them.
- llmbar, mt_bench, humanevalpack, wice: further held-out pairwise/classification sets of the
  collection (sources of RewardBench subsets and WiCE's own test split).
- rankgen: RankGen's human A/B tests of continuations (GitHub martiansideofthemoon/rankgen,
  human-eval-data/), pairwise, majority of three annotators per pair (tasks/rankgen.py).
- copoet: CoPoet's third-party judgments of collaborative vs. solo poems for one title (GitHub
  vishakhpk/creative-instructions, MTurk batch CSV), pairwise, majority of three workers
  (tasks/copoet.py).
- contrsearch: human-likeness judgments of contrastive search vs. contrastive decoding (GitHub
  yxuansu/Contrastive_Search_versus_Contrastive_Decoding), pairwise, majority of four
  annotators (tasks/contrsearch.py).
- littrans: translators' preferences between two translations of literary paragraphs (GitHub
  marzenakrp/LiteraryTranslation), pairwise, 18 language pairs (tasks/littrans.py).
- lfqaeval: domain experts' preferences between two long-form ELI5 answers (GitHub
  carriex/lfqa_eval, preference_data/experts_*.jsonl), pairwise, ties removed
  (tasks/lfqa_eval.py).
How the paper turned multi-annotator sets into examples (majority vote or one record per
annotation) is not published; the source modules document the choices made here.

Metric per task type: pairwise = both-order accuracy (ties 0.5) with consistency;
classification = accuracy; pointwise = accuracy of the verdict (the most probable scale point,
or the parsed one) with the Spearman correlation of the expected score as a second number.
In generate mode each task also reports seqio's own metrics on the original order's outputs
(flame_jax.evaluation.suite.seqio_metrics), the numbers seqio.Evaluator gives.
A benchmark's headline = the plain mean of its tasks' accuracies ("Avg"); each task is also
reported.

Not registered: Dipper (Krishna et al. 2023, paraphrase quality). Its authors' release (GitHub
martiansideofthemoon/ai-detection-paraphrases, the HF model kalpeshk2011/dipper-paraphraser-xxl)
holds the DIPPER code, model and generation scripts but no file of the paper's human judgments
of paraphrases, and no other public copy was found, so the benchmark is not public; its paper
numbers stay in FLAME.md §4 only.
"""

from __future__ import annotations

import math

from scipy import stats

from flame_jax.data import registry
from flame_jax.evaluation import suite
from flame_jax.evaluation.report import BenchmarkResult, mean
from flame_jax.format import TaskType
from flame_jax.judge import Autorater

BENCHMARKS = {
    "hhh": ("test", "hhh_alignment_"),
    "alpacafarm": ("test", "alpaca_farm_"),
    "summfeedback": ("test", "summarize_from_feedback_axis"),
    "helpsteer": ("validation", "helpsteer_validation_"),
    "llmbar": ("test", "llmbar_"),
    "mt_bench": ("test", "mt_bench_human_judgments_llmbar_"),
    "humanevalpack": ("test", "humanevalpack_"),
    "wice": ("test", "wice_"),
    "rankgen": ("test", "rankgen_"),
    "copoet": ("test", "copoet_"),
    "contrsearch": ("test", "contrsearch_"),
    "littrans": ("test", "littrans_"),
    "lfqaeval": ("test", "lfqa_eval_"),
}
PAPER_COLUMN = {
    "hhh": "HHH",
    "alpacafarm": "AlpacaFarm",
    "summfeedback": "SummFeedback",
    "helpsteer": "HelpSteer",
    "rankgen": "RankGen",
    "copoet": "CoPoet",
    "contrsearch": "ContrSearch",
    "littrans": "LitTrans",
    "lfqaeval": "LFQAEval",
}
PAPER_ROWS = {  # FLAME.md §4, the headline table
    "GPT-4-0125": {
        "SummFeedback": 0.465,
        "AlpacaFarm": 0.496,
        "RankGen": 0.625,
        "CoPoet": 0.569,
        "ContrSearch": 0.558,
        "HHH": 0.946,
        "LitTrans": 0.676,
        "LFQAEval": 0.770,
        "HelpSteer": 0.379,
    },
    "GPT-4o": {
        "SummFeedback": 0.309,
        "AlpacaFarm": 0.504,
        "RankGen": 0.660,
        "CoPoet": 0.556,
        "ContrSearch": 0.575,
        "HHH": 0.923,
        "LitTrans": 0.727,
        "LFQAEval": 0.750,
        "HelpSteer": 0.401,
    },
    "FLAMe-24B": {
        "SummFeedback": 0.480,
        "AlpacaFarm": 0.582,
        "RankGen": 0.621,
        "CoPoet": 0.536,
        "ContrSearch": 0.699,
        "HHH": 0.914,
        "LitTrans": 0.672,
        "LFQAEval": 0.742,
        "HelpSteer": 0.484,
    },
    "FLAMe-RM-24B": {
        "SummFeedback": 0.531,
        "AlpacaFarm": 0.578,
        "RankGen": 0.652,
        "CoPoet": 0.575,
        "ContrSearch": 0.575,
        "HHH": 0.910,
        "LitTrans": 0.676,
        "LFQAEval": 0.727,
        "HelpSteer": 0.466,
    },
    "FLAMe-Opt-RM-24B": {
        "SummFeedback": 0.523,
        "AlpacaFarm": 0.531,
        "RankGen": 0.695,
        "CoPoet": 0.529,
        "ContrSearch": 0.487,
        "HHH": 0.891,
        "LitTrans": 0.695,
        "LFQAEval": 0.695,
        "HelpSteer": 0.359,
    },
}


def task_names(benchmark: str) -> list[str]:
    """The evaluation tasks of a held-out benchmark (registered names with its prefix)."""
    _, prefix = BENCHMARKS[benchmark]
    names = [t.name for t in registry.tasks() if t.evaluation_only and t.name.startswith(prefix)]
    if not names:
        raise ValueError(f"no registered evaluation task starts with {prefix!r}")
    return sorted(names)


def evaluate(
    judge: Autorater,
    benchmark: str,
    *,
    data_dir: str | None = None,
    max_per_task: int | None = 256,
    seed: int = 0,
    on_too_long: str = "error",
) -> BenchmarkResult:
    """One held-out benchmark: per-task accuracy (and consistency / Spearman) and their mean
    (`on_too_long`: items longer than the judge's max_length "skip" (listed) or "error")."""
    if benchmark not in BENCHMARKS:
        raise ValueError(registry.unknown_name("held-out benchmark", benchmark, BENCHMARKS))
    split, _ = BENCHMARKS[benchmark]
    judged, notes, too_long = suite.judge_tasks(
        judge,
        task_names(benchmark),
        split,
        max_per_task=max_per_task,
        seed=seed,
        data_dir=data_dir,
        on_too_long=on_too_long,
    )
    per_task, extra, predictions = {}, {}, []
    for task, judgments in judged.items():
        if not judgments:
            notes.append(f"{task}: no items")
            continue
        per_task[task] = mean([suite.item_score(j) for j in judgments])
        task_type = judgments[0].record.task_type
        if task_type == TaskType.PAIRWISE:
            extra[f"{task} consistency"] = mean([j.pair.consistent for j in judgments])  # type: ignore[union-attr]
        if task_type == TaskType.POINTWISE and judge.mode == "score":
            gold = [float(j.record.answer) for j in judgments]
            expected = [j.expected_score for j in judgments]
            rho = stats.spearmanr(gold, expected).statistic if len(set(gold)) > 1 else math.nan
            extra[f"{task} spearman"] = float(rho)
        if judge.mode == "generate":  # the numbers seqio.Evaluator gives (in percent)
            for name, value in suite.seqio_metrics(task, judgments).items():
                extra[f"{task} seqio {name}"] = value / 100
        predictions += [suite.prediction_row(task, j) for j in judgments]
    column = PAPER_COLUMN.get(benchmark, "Avg")
    scores = {column: mean(list(per_task.values())), **per_task, **extra}
    paper = {name: {column: row[column]} for name, row in PAPER_ROWS.items() if column in row}
    notes.append(f"split {split}; {max_per_task or 'all'} items per task (seed {seed})")
    return BenchmarkResult(benchmark, scores, predictions, paper, notes, too_long)
