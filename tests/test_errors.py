"""Every user error ends in one line naming the culprit and a non-zero exit, never a traceback:
each class of error driven through the command line (flame_jax.cli.main)."""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flame_jax import cli
from flame_jax.training import checkpoints


def _fails(capsys, argv, *expected):
    """Runs the command; asserts a non-zero exit and one stderr line holding `expected`."""
    assert cli.main(argv) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture()
def train_argv(tmp_path, demo_vocab):
    """A tiny demo run's flags: each error below is found before anything is compiled."""
    return [
        "train",
        "--gin_file=gin/runs/demo.gin",
        f'--gin.MODEL_DIR="{tmp_path / "run"}"',
        f'--gin.VOCABULARY="{demo_vocab}"',
        "--gin.TRAIN_STEPS=2",
        "--gin.BATCH_SIZE=2",
        "--gin_bindings=make_optimizer.warmup_steps=1",
    ]


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("--gin.TRAIN_STEPS=abc", ("TRAIN_STEPS = abc", "bindings, line")),
        ("--gin.TRAIN_STEPS=(1", ("unbalanced",)),
        ('--gin.TRAIN_STEPS="2"', ("make_optimizer", "'<=' not supported")),
        ('--gin_bindings=train.train_steps="2"', ("train.train_steps must be a positive integer",)),
        ("--gin_bindings=train.train_steps=0", ("train.train_steps must be a positive integer",)),
        ("--gin.BATCH_SIZE=-1", ("train.batch_size must be a positive integer, got -1",)),
        ("--gin_bindings=train.foo=1", ("'train' doesn't have a parameter named 'foo'",)),
        ("--gin_bindings=Nothing.x=1", ("No configurable matching 'Nothing'",)),
        ("--gin_file=gin/runs/nope.gin", ("gin file gin/runs/nope.gin not found",)),
        ("--gin_file=gin", ("gin file gin not found",)),
        ('--gin.VOCABULARY="/nonexistent/v.model"', ("VOCABULARY", "/nonexistent/v.model")),
        ('--gin.MIXTURE_OR_TASK_NAME="dem"', ("unknown mixture or task 'dem'",)),
        ("--gin.TASK_FEATURE_LENGTHS={'inputs': -5}", ("train.task_feature_lengths",)),
        ("--gin_bindings=train.mesh_shape={'data': 3}", ("needs 3 devices",)),
        ("--gin_bindings=train.mesh_shape={'rows': 1}", ("train.mesh_shape",)),
        ("--gin_bindings=train.num_microbatches=3", ("train.num_microbatches",)),
        ("--gin_bindings=train.host_input='x'", ("train.host_input",)),
        ("--gin_bindings=TransformerConfig.num_layers='x'", ("TransformerConfig.num_layers",)),
        ("--gin_bindings=make_optimizer.name='zz'", ("unknown optimizer 'zz'",)),
        ("--gin_bindings=train.dropout_rate=1.5", ("train.dropout_rate",)),
    ],
)
def test_train_bad_bindings(capsys, train_argv, tmp_path, flag, expected):
    _fails(capsys, [*train_argv, flag], *expected)
    assert not (tmp_path / "run" / "checkpoints").exists()  # refused before any work


def test_train_missing_required_macro(capsys, tmp_path):
    _fails(capsys, ["train", "--gin_file=gin/runs/demo.gin"], "MODEL_DIR", "gin.REQUIRED")


def test_second_trainer_on_one_model_dir_is_refused(capsys, train_argv, tmp_path):
    (tmp_path / "run").mkdir()
    with checkpoints.lock_model_dir(str(tmp_path / "run")):
        err = _fails(capsys, train_argv, "is in use by another training run", f"pid {os.getpid()}")
    assert "lock" in err


def test_lock_is_released_with_its_holder(tmp_path):
    with checkpoints.lock_model_dir(str(tmp_path)):
        pass
    with checkpoints.lock_model_dir(str(tmp_path)):  # released: taken again at once
        pass


def test_judge_bad_input_and_output_fail_before_judging(capsys, tmp_path):
    checkpoint = str(tmp_path / "no_such_run")  # never loaded: the paths are checked first
    base = ["judge", "--checkpoint", checkpoint, "--task", "demo_sorting"]
    rows = tmp_path / "rows.jsonl"
    rows.write_text("{}\n")
    _fails(capsys, [*base, "--input", str(tmp_path / "missing.jsonl"), "--output", "o"], "missing")
    _fails(capsys, [*base, "--input", str(tmp_path), "--output", "o"], "is a directory")
    _fails(capsys, [*base, "--input", str(rows), "--output", str(tmp_path)], "is a directory")
    _fails(
        capsys, [*base, "--input", str(rows), "--output", f"{rows}/out.jsonl"], "not a directory"
    )


def test_eval_output_holding_other_files_is_refused_before_judging(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    argv = ["eval", "--checkpoint", str(tmp_path / "nope"), "--benchmark", "rewardbench"]
    _fails(capsys, [*argv, "--output", str(tmp_path)], "notes.txt")
    _fails(capsys, [*argv, "--output", str(tmp_path / "notes.txt")], "is a file")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_json_error_names_the_file(capsys, tmp_path):
    bad = tmp_path / "run"
    bad.mkdir()
    (bad / "run.json").write_text("{not json")
    _fails(
        capsys, ["convert", "flame-to-hf", "--checkpoint", str(bad), "--output", "x"], "run.json"
    )
    json.dumps({})


def _check_rows(capsys, data_dir) -> dict:
    code = cli.main(
        ["data", "check", "--data_dir", str(data_dir), "--sources", "hh_rlhf", "--json"]
    )
    rows = {(r["task"], r["split"]): r for r in json.loads(capsys.readouterr().out)}
    return code, rows[("hh_rlhf_harmlessness", "test")]


def test_data_check_rereads_a_file_corrupted_in_place(capsys, shared_data, tmp_path):
    path = tmp_path / "hh_rlhf" / "harmless-base" / "test.jsonl.gz"
    path.parent.mkdir(parents=True)
    data = (Path(shared_data) / "hh_rlhf" / "harmless-base" / "test.jsonl.gz").read_bytes()
    path.write_bytes(data)
    assert _check_rows(capsys, tmp_path)[1]["status"] == "present"
    stat = path.stat()
    middle = len(data) // 2  # same size, same modification time, other bytes
    path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    code, row = _check_rows(capsys, tmp_path)
    assert code == 1 and row["status"] == "error" and "test.jsonl.gz" in row["detail"]


def test_data_dir_that_is_a_file_or_missing(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    _fails(capsys, ["data", "check", "--data_dir", str(tmp_path / "file")], "is a file")
    _fails(capsys, ["data", "check", "--data_dir", str(tmp_path / "nowhere")], "no data dir at")
    argv = ["mixture", "describe", "flame", "--data_dir", str(tmp_path / "file")]
    _fails(capsys, argv, "is a file")


def test_plan_and_train_flag_errors(capsys):
    _fails(capsys, ["train"], "--gin_file is required")
    _fails(capsys, ["plan", "--gin_file=gin/runs/demo.gin", "--analytic"], "give --topology")


def test_data_check_reports_a_directory_where_a_file_should_be(capsys, tmp_path):
    (tmp_path / "hh_rlhf" / "harmless-base" / "test.jsonl.gz").mkdir(parents=True)
    code, row = _check_rows(capsys, tmp_path)
    assert code == 1 and row["status"] == "error" and "is a directory" in row["detail"]


SMALL = [  # a model and batches small enough that compiling and two steps take seconds
    "--gin_bindings=TransformerConfig.embed_dim=32",
    "--gin_bindings=TransformerConfig.mlp_dim=64",
    "--gin_bindings=TransformerConfig.num_layers=1",
    "--gin.TASK_FEATURE_LENGTHS={'inputs': 112, 'targets': 16}",
    "--gin_bindings=train.eval_every=None",
]


def test_refused_resume_leaves_the_runs_files_untouched(capsys, train_argv, tmp_path):
    assert cli.main([*train_argv, *SMALL]) == 0
    run = tmp_path / "run"
    before = {name: (run / name).read_bytes() for name in ("config.gin", "run.json")}
    stamps = {name: (run / name).stat().st_mtime_ns for name in before}
    capsys.readouterr()
    _fails(
        capsys,
        [
            *train_argv,
            *SMALL,
            "--gin_bindings=TransformerConfig.embed_dim=48",
            "--gin.TRAIN_STEPS=4",
        ],
        "shape mismatch",
        "checkpoints/2",
    )
    assert {name: (run / name).read_bytes() for name in before} == before
    assert {name: (run / name).stat().st_mtime_ns for name in before} == stamps


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))  # a disk that fills at 200 kB
from flame_jax import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_full_disk_during_a_save_is_one_line(train_argv, tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK, *train_argv, *SMALL[-1:]],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 2, out.stderr[-3000:]
    # On a loaded machine Orbax's and TensorStore's asynchronous writers can still report after
    # the run ended (a callback on the closed event loop; asyncio's "Task exception was never
    # retrieved" for the writes the full disk failed): late echoes of the one failure, not the
    # command's error report. Any other traceback is one.
    echoes = ("RuntimeError: Event loop is closed", "in write_fragment")
    reports = [
        block
        for block in out.stderr.split("Traceback")[1:]
        if not any(echo in block for echo in echoes)
    ]
    assert reports == [], out.stderr[-3000:]
    errors = [line for line in out.stderr.splitlines() if line.startswith("flame-jax: error")]
    assert len(errors) == 1, out.stderr[-3000:]
    assert errors[0].startswith("flame-jax: error: saving step 2 to ")
    assert "failed: File too large" in errors[0]
    assert not (tmp_path / "run" / "checkpoints" / "2").exists()  # no partial checkpoint


def test_a_bad_row_met_while_training_is_named(capsys, train_argv, tmp_path, shared_data):
    good = gzip.decompress(
        (Path(shared_data) / "hh_rlhf" / "harmless-base" / "test.jsonl.gz").read_bytes()
    ).splitlines()[:3]
    path = tmp_path / "data" / "hh_rlhf" / "harmless-base" / "train.jsonl.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b"\n".join([*good, b'{"chosen": 3, "rejected": "x"}']) + b"\n"))
    argv = [
        *train_argv,
        *SMALL,
        '--gin.MIXTURE_OR_TASK_NAME="hh_rlhf_harmlessness"',
        f"--gin_bindings=train.data_dir={str(tmp_path / 'data')!r}",
        "--gin.TASK_FEATURE_LENGTHS={'inputs': 1024, 'targets': 16}",
    ]
    _fails(capsys, argv, "harmless-base/train.jsonl.gz, row 4, field 'chosen'")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["judge", "--checkpoint", "c", "--task", "t", "--output", "o", "--bogus"], "--bogus"),
        (["nosuch"], "argument COMMAND: invalid choice: 'nosuch'"),
        (["convert", "flame-to-hf"], "required: --checkpoint, --output"),
    ],
)
def test_a_bad_flag_is_one_line_with_where_to_look(capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert expected in err and err.endswith("--help)"), err


def test_the_console_stays_quiet():
    """No TensorFlow start-up notices (oneDNN, cudart, absl) on a command's stderr."""
    out = subprocess.run(
        [sys.executable, "-m", "flame_jax.cli", "mixture", "list"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "flame" in out.stdout
    assert out.stderr == "", out.stderr[-3000:]
