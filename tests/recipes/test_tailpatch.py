"""The Opt-RM search end to end on this machine: demo collection, tiny model, a short tail-patch
budget, an interrupted and resumed search, the weights, and a flame_opt_rm run from them."""

import json
import os

import pytest

from flame_jax import cli, configurables
from flame_jax.recipes import opt_rm, tailpatch


def test_evaluation_steps():
    assert tailpatch.evaluation_steps(3000, 500) == [500, 1000, 1500, 2000, 2500, 3000]
    assert tailpatch.evaluation_steps(5, 2) == [2, 4, 5]
    with pytest.raises(ValueError, match="must be >= 1"):
        tailpatch.evaluation_steps(0, 2)


def test_print_commands(capsys):
    argv = [
        "opt-rm",
        "tailpatch",
        "--base_checkpoint",
        "gs://b/base",
        "--workdir",
        "gs://b/w",
        "--tasks",
        "hh_rlhf_harmlessness",
        "helpsteer_pairwise",
        "--print_commands",
        "--gin_bindings",
        "BATCH_SIZE = 16",
    ]
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("flame-jax opt-rm tailpatch --base_checkpoint gs://b/base")
    assert (
        "--tasks hh_rlhf_harmlessness" in lines[0]
        and "'--gin_bindings=BATCH_SIZE = 16'" in lines[0]
    )


class Interrupted(Exception):
    pass


def test_search_end_to_end_with_an_interruption(tmp_path, demo_checkpoint, demo_vocab, monkeypatch):
    workdir = str(tmp_path / "search")
    argv = [
        "opt-rm",
        "tailpatch",
        "--base_checkpoint",
        demo_checkpoint,
        "--target",
        "demo",
        "--tasks",
        "demo_sorting",
        "demo_support",
        "--workdir",
        workdir,
        "--steps",
        "4",
        "--eval_every",
        "2",
        "--max_per_task",
        "6",
        "--gin_bindings",
        "BATCH_SIZE = 2",
    ]
    score = tailpatch._score
    calls = []

    def crashing(*args, **kwargs):  # the search dies during its 3rd evaluation
        calls.append(args[0])
        if len(calls) == 3:
            raise Interrupted
        return score(*args, **kwargs)

    monkeypatch.setattr(tailpatch, "_score", crashing)
    with pytest.raises(Interrupted):
        cli.main(argv)
    first = json.loads(open(opt_rm.curve_path(workdir, "demo_sorting")).read())
    assert [e["step"] for e in first["evaluations"]] == [2] and not first["complete"]

    calls.clear()
    monkeypatch.setattr(
        tailpatch, "_score", lambda *a, **k: (calls.append(a[0]), score(*a, **k))[1]
    )
    assert cli.main(argv) == 0
    # Resumed: the base is not scored again, step 2 of demo_sorting is not redone.
    assert len(calls) == 1 + 2
    curves = opt_rm.read_curves(workdir)
    assert sorted(curves) == ["demo_sorting", "demo_support"]
    for curve in curves.values():
        assert [e.step for e in curve.evaluations] == [2, 4] and curve.complete
        assert set(curve.base) == {"Pairwise", "Classification", "Pointwise"}
    assert cli.main(argv) == 0  # a complete search does nothing more
    assert len(calls) == 3

    weights_file = os.path.join(workdir, "mixture.json")
    assert cli.main(["opt-rm", "weights", "--workdir", workdir, "--output", weights_file]) == 0
    weights = json.loads(open(weights_file).read())["weights"]
    assert set(weights) == {"demo_sorting", "demo_support"} and min(weights.values()) >= 3000
    assert os.path.exists(os.path.join(workdir, "opt_rm", "report.md"))

    result = configurables.train_main(
        [
            "--gin_file=gin/models/tiny.gin",
            "--gin_file=gin/runs/flame_opt_rm.gin",
            f'--gin.MODEL_DIR="{tmp_path / "opt_rm_run"}"',
            f'--gin.VOCABULARY="{demo_vocab}"',
            "--gin.INITIAL_CHECKPOINT_PATH=None",
            f'--gin.OPT_RM_WEIGHTS="{weights_file}"',
            "--gin.TRAIN_STEPS=2",
            "--gin.BATCH_SIZE=2",
            "--gin.TASK_FEATURE_LENGTHS={'inputs': 224, 'targets': 32}",
            "--gin_bindings=train.eval_every=None",
        ]
    )
    assert result.step == 2
    config = open(tmp_path / "opt_rm_run" / "config.gin").read()
    assert "flame_opt_rm_mixture.weights_path" in config
