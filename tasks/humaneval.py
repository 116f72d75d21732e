"""HumanEval (Chen et al. 2021): the problems of the best-of-N re-ranking benchmark (no task).

Home: GitHub openai/human-eval (MIT), data/HumanEval.jsonl.gz: 164 problems with task_id,
prompt, entry_point, canonical_solution and test (HumanEval's `check(candidate)`). The
re-ranking benchmark (flame_jax.evaluation.rerank) reads it through `SOURCE`; the candidates to
re-rank come from the user's generator as a jsonl of {task_id, completion}.
"""

from __future__ import annotations

from flame_jax.data.registry import register_source_files
from flame_jax.data.sources import GitHub, Source
from flame_jax.evaluation.benchmarks import HUMANEVAL_PROBLEMS

SOURCE = Source(
    name="humaneval",
    title="HumanEval",
    license="MIT",
    host=GitHub("openai/human-eval", ref="6d43fb980f9fee3c892a914eda09951f772ad10d", prefix="data"),
    evaluation_only=True,
    notes="Evaluation only: the problems of the best-of-N re-ranking benchmark.",
)

register_source_files(SOURCE, (HUMANEVAL_PROBLEMS,))
