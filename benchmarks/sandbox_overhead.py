"""Cost of executing one HumanEval candidate in the bubblewrap sandbox vs the former path.

    python benchmarks/sandbox_overhead.py [--problems 20] [--repeats 3] [--workers 1]

Runs the canonical solution and an off-by-one mutation of the first --problems HumanEval
problems (../shared/data/humaneval) through both, in the same run, alternating so that load on
the machine hits both alike, and prints seconds per candidate and the ratio:
  1. baseline: the former `flame_jax.evaluation.sandbox` (in-process guards in a plain child
     process with rlimits and an attempted network namespace), as of commit BASELINE, read
     from git history;
  2. bwrap: the current module (one bubblewrap sandbox per candidate).
Both must give the same verdicts (checked). --workers > 1 runs candidates in parallel as
`rerank.evaluate` does, giving throughput instead of latency.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

from flame_jax.data import testing
from flame_jax.evaluation import rerank, sandbox

BASELINE = "0519fcbfa92b654d6a8dfc579030535992860dab"  # the last commit of the in-process guard


def load_baseline():
    """The former sandbox module, imported from a copy of its file at BASELINE."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = subprocess.run(
        ["git", "-C", root, "show", f"{BASELINE}:flame_jax/evaluation/sandbox.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = os.path.join(tempfile.mkdtemp(), "former_sandbox.py")
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("former_sandbox", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    path = os.path.join(testing.shared_data(), "humaneval", "HumanEval.jsonl.gz")
    problems = list(rerank.load_problems(path).values())[: args.problems]
    mutated = "    return None\n"
    candidates = [(p, c) for p in problems for c in (p.canonical_solution, mutated)]
    former = load_baseline()
    former_items = [
        (former.Problem(**vars(problem)), completion) for problem, completion in candidates
    ]

    timings: dict[str, list[float]] = {"baseline": [], "bwrap": []}
    verdicts = {}
    for _ in range(args.repeats):
        for name, module, items in (
            ("baseline", former, former_items),
            ("bwrap", sandbox, candidates),
        ):
            start = time.perf_counter()
            results = module.check_many(items, workers=args.workers, timeout_s=3.0)
            timings[name].append((time.perf_counter() - start) / len(items))
            verdicts[name] = [r.status for r in results]
    if verdicts["baseline"] != verdicts["bwrap"]:
        raise SystemExit(f"verdicts differ: {verdicts}")
    passed = verdicts["bwrap"].count("passed")
    print(
        f"{len(candidates)} candidates ({passed} passed) x {args.repeats} repeats, "
        f"{args.workers} worker(s); median seconds per candidate:"
    )
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, value in medians.items():
        print(f"  {name:8s} {1000 * value:7.1f} ms")
    print(f"  ratio bwrap / baseline: {medians['bwrap'] / medians['baseline']:.2f}x")


if __name__ == "__main__":
    main()
