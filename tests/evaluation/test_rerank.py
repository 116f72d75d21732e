"""Best-of-N re-ranking on real HumanEval problems with constructed judges.

The judges read the rendered records (context `program_a` / `program_b`), so the tests check
what the judge is shown as well as the round robin, the tie rule and the three scores, which
are computed here by hand from the candidates' known pass/fail.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from flame_jax import cli
from flame_jax.data.readers import DataError
from flame_jax.evaluation import rerank
from flame_jax.judge.scoring import PairwiseVerdict


@pytest.fixture(scope="module")
def problems(shared_data):
    return rerank.load_problems(os.path.join(shared_data, "humaneval", "HumanEval.jsonl.gz"))


def verdict(p: float) -> PairwiseVerdict:
    answer = "A" if p >= 0.5 else "B"
    return PairwiseVerdict(p, (p, p), (answer, "B" if answer == "A" else "A"), True)


class CanonicalJudge:
    """Prefers the program that is its problem's canonical solution; otherwise a tie."""

    def __init__(self, problems):
        self.canonical = {p.prompt + p.canonical_solution for p in problems.values()}
        self.records = []

    def judge_pairs(self, records):
        self.records += records
        out = []
        for record in records:
            context = dict(record.context)
            a = context["program_a"] in self.canonical
            b = context["program_b"] in self.canonical
            out.append(verdict(1.0 if a and not b else 0.0 if b and not a else 0.5))
        return out


class ConstantJudge:
    """p_a_better fixed: 1.0 is a judge that always answers "A" (position-biased, not averaged
    over orders); 0.5 ties every pair."""

    def __init__(self, p: float):
        self.p = p

    def judge_pairs(self, records):
        return [verdict(self.p) for _ in records]


def test_load_problems(problems):
    assert len(problems) == 82
    assert list(problems)[:2] == ["HumanEval/0", "HumanEval/1"]
    problem = problems["HumanEval/2"]
    assert problem.entry_point == "truncate_number"
    assert problem.canonical_solution == "    return number % 1.0\n"
    assert "def check(candidate):" in problem.test


def write_jsonl(path, rows) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def problem_row(problem) -> dict:
    return {
        "task_id": problem.task_id,
        "prompt": problem.prompt,
        "canonical_solution": problem.canonical_solution,
        "test": problem.test,
        "entry_point": problem.entry_point,
    }


def test_bad_problem_files_name_file_row_and_field(problems, tmp_path):
    good = problem_row(problems["HumanEval/2"])
    missing = {k: v for k, v in good.items() if k != "test"} | {"task_id": "HumanEval/3"}
    path = write_jsonl(tmp_path / "bad.jsonl", [good, missing])
    with pytest.raises(DataError, match=r"bad\.jsonl, row 2, field 'test': missing"):
        rerank.load_problems(path)
    path = write_jsonl(tmp_path / "repeat.jsonl", [good, good])
    with pytest.raises(DataError, match=r"repeat\.jsonl, row 2, field 'task_id'.*repeats row 1"):
        rerank.load_problems(path)
    path = write_jsonl(tmp_path / "entry.jsonl", [{**good, "entry_point": "f(); import os"}])
    with pytest.raises(DataError, match=r"entry\.jsonl, row 1, field 'entry_point'"):
        rerank.load_problems(path)


def test_load_candidates_groups_in_file_order(problems, tmp_path):
    rows = [
        {"task_id": "HumanEval/2", "completion": "a"},
        {"task_id": "HumanEval/0", "completion": "b"},
        {"task_id": "HumanEval/2", "completion": ""},
    ]
    path = write_jsonl(tmp_path / "samples.jsonl", rows)
    assert rerank.load_candidates(path, problems) == {
        "HumanEval/2": ["a", ""],
        "HumanEval/0": ["b"],
    }
    unknown = write_jsonl(tmp_path / "unknown.jsonl", [*rows, {"task_id": "X/1", "completion": ""}])
    with pytest.raises(DataError, match=r"unknown\.jsonl, row 4, field 'task_id': 'X/1'"):
        rerank.load_candidates(unknown, problems)
    missing = write_jsonl(tmp_path / "missing.jsonl", [rows[0], {"task_id": "HumanEval/0"}])
    with pytest.raises(DataError, match=r"missing\.jsonl, row 2, field 'completion'"):
        rerank.load_candidates(missing)


def test_canonical_judge_picks_the_canonical_solution(problems):
    hang = "    while True:\n        pass\n"
    candidates = {
        "HumanEval/0": ["    return False\n", problems["HumanEval/0"].canonical_solution, hang],
        "HumanEval/2": [
            "    return number % 1.0 + 1\n",
            problems["HumanEval/2"].canonical_solution,
        ],
        "HumanEval/4": [
            "    return 0.0\n",
            "    return None\n",
            problems["HumanEval/4"].canonical_solution,
            "    return 0.0\n",  # a copy of candidate 0: never sent to the judge
        ],
    }
    judge = CanonicalJudge(problems)
    result = rerank.evaluate(judge, problems, candidates, timeout_s=2, workers=2)

    assert result.benchmark == "humaneval_rerank"
    assert list(result.scores) == [
        "pass@1 (reranked)",
        "pass@1 (no ranker)",
        "oracle",
        "problems with candidates",
    ]
    assert result.scores["pass@1 (reranked)"] == 1.0
    assert result.scores["pass@1 (no ranker)"] == pytest.approx((1 / 3 + 1 / 2 + 1 / 4) / 3)
    assert result.scores["oracle"] == 1.0
    assert result.scores["problems with candidates"] == 3 / 82
    without = [n for n in result.notes if "have no candidates" in n]
    assert without[0].startswith("79 of 82 problems have no candidates and are not scored: ")
    assert "HumanEval/1, HumanEval/3, HumanEval/5" in without[0]
    assert len(judge.records) == 3 + 1 + 3  # C(3,2) + C(2,2) + C(3,2) distinct pairs

    first = dict(judge.records[0].context)
    prompt = problems["HumanEval/0"].prompt
    assert first["task"] == prompt
    assert first["program_a"] == prompt + "    return False\n"
    assert first["program_b"] == prompt + problems["HumanEval/0"].canonical_solution

    by_task = {p["task_id"]: p for p in result.predictions}
    assert by_task["HumanEval/0"]["status"] == ["failed", "passed", "timeout"]
    assert by_task["HumanEval/0"]["wins"] == [0.5, 2.0, 0.5]
    assert by_task["HumanEval/4"]["wins"] == [1.0, 1.0, 3.0, 1.0]
    assert by_task["HumanEval/4"]["chosen"] == 2
    assert by_task["HumanEval/4"]["passed"] == [False, False, True, False]
    assert by_task["HumanEval/4"]["n"] == 4


def test_always_a_judge_and_seed_against_hand_computed_scores(problems):
    """An always-"A" judge makes the round robin depend on placement: with seed 0 the k-th
    pair shows the earlier candidate first when k is even. Hand-computed wins:
    N=2, seed 0: (0,1) A=0 -> [1, 0]; seed 1: A=1 -> [0, 1].
    N=4, seed 0: pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3) won by 0, 2, 0, 2, 1, 3 -> [2, 1, 2, 1];
    seed 1: won by 1, 0, 3, 1, 3, 2 -> [1, 2, 1, 2].
    """
    candidates = {
        "HumanEval/0": ["    return False\n", "    return True\n"],  # neither passes
        "HumanEval/2": [
            "    return 0.5\n",
            problems["HumanEval/2"].canonical_solution,
            "    return None\n",
            "    return number - int(number)\n",  # also correct
        ],
    }
    judge = ConstantJudge(1.0)
    seed0 = rerank.evaluate(judge, problems, candidates, timeout_s=5, seed=0)
    seed1 = rerank.evaluate(judge, problems, candidates, timeout_s=5, seed=1)

    assert [p["wins"] for p in seed0.predictions] == [[1.0, 0.0], [2.0, 1.0, 2.0, 1.0]]
    assert [p["wins"] for p in seed1.predictions] == [[0.0, 1.0], [1.0, 2.0, 1.0, 2.0]]
    assert [p["chosen"] for p in seed0.predictions] == [0, 0]
    assert [p["chosen"] for p in seed1.predictions] == [1, 1]
    assert [p["passed"] for p in seed0.predictions] == [[False, False], [False, True, False, True]]
    for result, reranked in ((seed0, 0.0), (seed1, 0.5)):
        assert result.scores == {
            "pass@1 (reranked)": reranked,
            "pass@1 (no ranker)": pytest.approx((0 + 2 / 4) / 2),
            "oracle": (0 + 1) / 2,
            "problems with candidates": 2 / 82,
        }


def test_ties_go_to_the_lowest_index(problems):
    candidates = {"HumanEval/2": ["    return 1.0\n", problems["HumanEval/2"].canonical_solution]}
    result = rerank.evaluate(ConstantJudge(0.5), problems, candidates, timeout_s=5)
    assert result.predictions[0]["wins"] == [0.5, 0.5]
    assert result.predictions[0]["chosen"] == 0
    assert result.scores["pass@1 (reranked)"] == 0.0
    assert rerank.choose([1.0, 2.0, 2.0, 0.5]) == 1
    assert rerank.choose([1.5, 1.5]) == 0


def test_count_wins_shares_the_outcome_of_identical_completions():
    completions = ["x", "y", "x", "z"]
    # Distinct pairs (x, y), (x, z), (y, z), named by first occurrence: 0, 1, 3.
    shown = [(0, 1), (3, 0), (1, 3)]
    wins = rerank.count_wins(completions, shown, [0.9, 0.2, 0.5])
    # x beats y, x beats z (0.2 for z as program_a), y-z tie; the two x tie each other.
    assert wins == [2.5, 0.5, 2.5, 0.5]


def test_records_and_round_robin_placement(problems):
    problem = problems["HumanEval/2"]
    records, shown = rerank.round_robin(problem, ["a\n", "b\n", "a\n", "c\n"], seed=0)
    assert shown == [(0, 1), (3, 0), (1, 3)]
    assert [dict(r.context)["program_a"] for r in records] == [
        problem.prompt + "a\n",
        problem.prompt + "c\n",
        problem.prompt + "b\n",
    ]
    assert records[0].instructions.title == rerank.TEMPLATE.title
    assert records[0].options == ("A", "B")


def test_evaluate_checks_its_inputs(problems):
    judge = ConstantJudge(0.5)
    with pytest.raises(ValueError, match="not problems"):
        rerank.evaluate(judge, problems, {"X/1": ["    return 1\n"]})
    with pytest.raises(ValueError, match="no problem has candidates"):
        rerank.evaluate(judge, problems, {"HumanEval/2": []})

    class ShortJudge:
        def judge_pairs(self, records):
            return []

    with pytest.raises(ValueError, match="0 verdicts for 1 records"):
        rerank.evaluate(ShortJudge(), problems, {"HumanEval/2": ["a", "b"]})


def test_max_problems_and_report(problems):
    candidates = {
        "HumanEval/0": [problems["HumanEval/0"].canonical_solution],
        "HumanEval/2": [problems["HumanEval/2"].canonical_solution],
    }
    result = rerank.evaluate(ConstantJudge(0.5), problems, candidates, max_problems=1)
    assert [p["task_id"] for p in result.predictions] == ["HumanEval/0"]
    assert result.predictions[0]["chosen"] == 0
    assert result.scores == {
        "pass@1 (reranked)": 1.0,
        "pass@1 (no ranker)": 1.0,
        "oracle": 1.0,
        "problems with candidates": 2 / 82,
    }
    report = result.markdown()
    assert "| CodeGen-16B + FLAMe-24B (paper) | 31.1 | 21.2 | 46.9 | - |" in report
    assert "| davinci-002 + FLAMe-RM-24B (paper) | 23.2 | 17.6 | 63.4 | - |" in report
    assert "| InCoder-6B + FLAMe (paper) | 22.0 | 14.6 | 29.3 | - |" in report
    assert any("max_problems" in note for note in result.notes)


def test_pass_at_k_is_human_evals_unbiased_estimator():
    for n in range(1, 13):
        for c in range(n + 1):
            for k in range(1, n + 1):
                exact = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert rerank.estimate_pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)
    assert rerank.estimate_pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert rerank.estimate_pass_at_k(10, 1, 10) == 1.0  # n - c < k
    assert rerank.estimate_pass_at_k(10, 0, 10) == 0.0
    # stable where the binomials do not fit a float: C(1000, 100) ~ 6e139, C(200, 100) ~ 9e58
    assert rerank.estimate_pass_at_k(1000, 5, 100) == pytest.approx(
        1 - math.comb(995, 100) / math.comb(1000, 100), rel=1e-12
    )
    with pytest.raises(ValueError, match="n=3, c=4, k=1"):
        rerank.estimate_pass_at_k(3, 4, 1)
    with pytest.raises(ValueError, match="n=3, c=1, k=4"):
        rerank.estimate_pass_at_k(3, 1, 4)


def test_pass_at_10_is_reported_when_every_problem_has_10_candidates(problems):
    canonical = problems["HumanEval/2"].canonical_solution
    wrong = [f"    return {i}.0\n" for i in range(9)]
    candidates = {
        "HumanEval/2": [canonical, *wrong],  # c = 1 of n = 10
        "HumanEval/4": [f"    return {i}.5\n" for i in range(10)],  # c = 0
    }
    result = rerank.evaluate(ConstantJudge(0.5), problems, candidates)
    assert result.scores["pass@1 (no ranker)"] == pytest.approx((0.1 + 0) / 2)
    assert result.scores["pass@10 (no ranker)"] == pytest.approx((1.0 + 0) / 2)
    assert "pass@100 (no ranker)" not in result.scores
    assert result.scores["oracle"] == 0.5
    fewer = {**candidates, "HumanEval/0": ["    return True\n"]}  # one problem with n = 1
    assert "pass@10 (no ranker)" not in rerank.evaluate(ConstantJudge(0.5), problems, fewer).scores


def test_eval_command_passes_the_sandbox_limits(
    problems, shared_data, tmp_path, monkeypatch, capsys
):
    """`flame-jax eval --benchmark humaneval_rerank --timeout --memory_limit` with a stand-in
    judge: the flags reach the sandbox, and other benchmarks refuse them."""
    monkeypatch.setattr("flame_jax.judge.load_autorater", lambda *a, **k: ConstantJudge(0.5))
    samples = write_jsonl(
        tmp_path / "samples.jsonl",
        [
            {"task_id": "HumanEval/2", "completion": problems["HumanEval/2"].canonical_solution},
            {"task_id": "HumanEval/2", "completion": "    while True:\n        pass\n"},
            {"task_id": "HumanEval/2", "completion": "    x = bytearray(600 * 2**20)\n"},
        ],
    )
    common = ["eval", "--checkpoint", "c", "--data_dir", shared_data, "--output"]
    argv = [*common, str(tmp_path / "out"), "--benchmark", "humaneval_rerank", "--input", samples]
    assert cli.main([*argv, "--timeout", "0.5", "--memory_limit", "512"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "predictions.jsonl").open()]
    assert rows[0]["status"] == ["passed", "timeout", "failed"]
    assert rows[0]["detail"][1:] == [
        "wall-clock limit of 0.5 s reached; program killed",
        "MemoryError",
    ]
    notes = json.loads((tmp_path / "out" / "scores.json").read_text())["notes"]
    assert any("timeout 0.5 s, 512 MiB per program" in note for note in notes)

    hhh = [*common, str(tmp_path / "hhh"), "--benchmark", "hhh", "--timeout", "1"]
    assert cli.main(hhh) == 2
    assert capsys.readouterr().err == (
        "flame-jax: error: --timeout and --memory_limit apply to humaneval_rerank, not hhh\n"
    )
    assert not (tmp_path / "hhh").exists()
