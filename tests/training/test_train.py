"""The trainer end to end on the demo collection: resume, microbatches, NaN, SIGKILL, devices."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn

from flame_jax.data import features
from flame_jax.data.codec import Codec
from flame_jax.models import Transformer, TransformerConfig
from flame_jax.training import optimizers, steps
from flame_jax.training import train as train_lib
from flame_jax.training.state import TrainState

CONFIG = TransformerConfig(
    vocab_size=1024,
    embed_dim=32,
    num_layers=1,
    num_heads=2,
    num_kv_heads=1,
    head_dim=16,
    mlp_dim=64,
)
LENGTHS = {"inputs": 224, "targets": 32}


def _train(model_dir, train_steps, vocab, **kw):
    kw.setdefault("checkpoint_every", 2)
    return train_lib.train(
        codec=Codec.load(vocab),
        model_dir=str(model_dir),
        mixture_or_task_name="demo",
        model_config=CONFIG,
        train_steps=train_steps,
        batch_size=4,
        task_feature_lengths=LENGTHS,
        optimizer=optimizers.make_optimizer("adam", 1e-3),
        log_every=1,
        write_summaries=False,
        **kw,
    )


def test_resume_continues_the_same_stream(tmp_path, demo_vocab):
    straight = _train(tmp_path / "a", 6, demo_vocab)
    first = _train(tmp_path / "b", 4, demo_vocab)
    resumed = _train(tmp_path / "b", 6, demo_vocab)
    assert [h["step"] for h in resumed.history] == [5, 6]
    losses = {h["step"]: h["loss"] for h in straight.history}
    np.testing.assert_allclose([h["loss"] for h in first.history], [losses[s] for s in range(1, 5)])
    np.testing.assert_allclose(
        [h["loss"] for h in resumed.history], [losses[5], losses[6]], rtol=1e-5
    )
    assert (
        _train(tmp_path / "b", 6, demo_vocab).history == []
    )  # TRAIN_STEPS is absolute: nothing left


def test_fine_tuning_continues_the_initial_checkpoints_step(tmp_path, demo_vocab):
    base = _train(tmp_path / "base", 4, demo_vocab)
    tuned = _train(
        tmp_path / "tuned", 6, demo_vocab, initial_checkpoint_path=str(tmp_path / "base")
    )
    assert [h["step"] for h in tuned.history] == [5, 6]  # TRAIN_STEPS absolute, as in t5x
    assert tuned.history[0]["loss"] < base.history[0]["loss"]  # started from trained weights


def test_microbatches_equal_the_full_batch(demo_codec):
    batch = next(
        features.get_dataset(
            "demo", codec=demo_codec, sequence_length=256, targets_length=32, batch_size=8
        ).as_numpy_iterator()
    )
    model = Transformer(CONFIG)
    import flax.linen as nn

    from flame_jax.models import init_params

    params = nn.unbox(init_params(model, jax.random.key(0)))
    full_sums, full = steps.loss_and_grads(model, params, batch, None, num_microbatches=1)
    micro_sums, micro = steps.loss_and_grads(model, params, batch, None, num_microbatches=4)
    np.testing.assert_allclose(full_sums, micro_sums, rtol=1e-5)
    for a, b in zip(jax.tree.leaves(full), jax.tree.leaves(micro), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_non_finite_step_keeps_parameters_and_stops_the_run(demo_codec):
    model = Transformer(CONFIG)
    import flax.linen as nn

    from flame_jax.models import init_params

    params = nn.unbox(init_params(model, jax.random.key(0)))
    params["embedding"] = params["embedding"].at[5].set(jnp.nan)
    tx, schedule = optimizers.make_optimizer("adam", 1e-3)
    state = TrainState(jnp.zeros((), jnp.int32), params, tx.init(params))
    batch = next(
        features.get_dataset(
            "demo", codec=demo_codec, sequence_length=256, targets_length=32, batch_size=2
        ).as_numpy_iterator()
    )
    batch = {k: np.array(v) for k, v in batch.items()}
    batch["decoder_input_tokens"][0, 1] = 5  # a token whose embedding is NaN
    new, metrics = steps.train_step(
        state, batch, jax.random.key(0), model=model, optimizer=tx, schedule=schedule, dropout=False
    )
    assert int(metrics["finite"]) == 0
    for a, b in zip(jax.tree.leaves(new.params), jax.tree.leaves(state.params), strict=True):
        np.testing.assert_array_equal(a, b)

    class NoCheckpoints:
        def latest_step(self):
            return 4

    with pytest.raises(
        FloatingPointError, match=r"non-finite loss .* at step 8 .* checkpoint \(step 4\) is intact"
    ):
        train_lib._check_finite(
            [{"finite": 1}, {"finite": 0, "loss": np.nan, "grad_norm": 1.0}], 8, NoCheckpoints()
        )


_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, {tests!r})
    import flame_tasks
    from training.test_train import _train
    mesh = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    result = _train(sys.argv[1], int(sys.argv[2]), {vocab!r}, mesh_shape=mesh, checkpoint_every=1)
    if len(sys.argv) > 3:  # the first global batch as every device holds it, gathered
        import jax
        from jax.experimental import multihost_utils
        from flame_jax import partitioning
        from flame_jax.data import features
        from flame_jax.data.codec import Codec
        batch = next(features.get_dataset("demo", codec=Codec.load({vocab!r}),
                                          sequence_length=256, targets_length=32,
                                          batch_size=4, seed=0).as_numpy_iterator())
        placed = partitioning.global_batch_from_full(
            batch, partitioning.make_mesh(**mesh))["decoder_target_tokens"]
        print("BATCH", json.dumps(multihost_utils.process_allgather(placed, tiled=True).tolist()))
    print("LOSSES", json.dumps([h["loss"] for h in result.history]))
    """
)


def _run(script, *args, env=None, wait=True, output=False):
    command = [sys.executable, "-c", script, *map(str, args)]
    if not wait:
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout if output else json.loads(out.stdout.split("LOSSES ")[-1])


def _printed(stdout: str, key: str):
    return json.loads(stdout.rsplit(f"{key} ", maxsplit=1)[-1].splitlines()[0])


def test_killed_run_resumes_cleanly(tmp_path, demo_vocab):
    script = _SCRIPT.format(tests=os.path.dirname(os.path.dirname(__file__)), vocab=demo_vocab)
    straight = _run(script, tmp_path / "a", 8)
    proc = _run(script, tmp_path / "b", 200, wait=False)
    checkpoints = tmp_path / "b" / "checkpoints"
    deadline = time.time() + 300
    while time.time() < deadline and not (
        checkpoints.exists() and any(p.name == "3" for p in checkpoints.iterdir())
    ):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed = _run(script, tmp_path / "b", 8)
    done = sorted(int(p.name) for p in checkpoints.iterdir() if p.name.isdigit())
    assert done[-1] == 8
    np.testing.assert_allclose(resumed[-1], straight[-1], rtol=1e-5)


def test_eight_devices_match_one(tmp_path, demo_vocab):
    script = _SCRIPT.format(tests=os.path.dirname(os.path.dirname(__file__)), vocab=demo_vocab)
    one = _run(script, tmp_path / "one", 3)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8")
    eight = _run(
        script, tmp_path / "eight", 3, json.dumps({"data": 2, "fsdp": 2, "model": 2}), env=env
    )
    np.testing.assert_allclose(eight, one, rtol=2e-4)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _restored_params(model_dir):
    from flame_jax.models.transformer import init_params
    from flame_jax.training import checkpoints

    boxed = jax.eval_shape(lambda r: init_params(Transformer(CONFIG), r), jax.random.PRNGKey(0))
    return checkpoints.restore_params(str(model_dir), nn.unbox(boxed))


def test_two_processes_equal_one(tmp_path, demo_vocab):
    """jax.distributed on localhost: 2 processes x 4 devices = 1 process x 8 devices, in the
    global batch, the losses and the checkpoint both processes write."""
    script = _SCRIPT.format(tests=os.path.dirname(os.path.dirname(__file__)), vocab=demo_vocab)
    mesh = json.dumps({"data": 2, "fsdp": 2, "model": 2})
    env8 = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8")
    one = _run(script, tmp_path / "one", 3, mesh, env=env8, output=True)
    port = _free_port()
    procs = [
        _run(
            script,
            tmp_path / "two",
            3,
            mesh,
            wait=False,
            env=dict(
                os.environ,
                XLA_FLAGS="--xla_force_host_platform_device_count=4",
                JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{port}",
                JAX_NUM_PROCESSES="2",
                JAX_PROCESS_ID=str(i),
            ),
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-3000:] for o in outs)
    for out in outs:
        assert _printed(out, "BATCH") == _printed(one, "BATCH")
        np.testing.assert_allclose(_printed(out, "LOSSES"), _printed(one, "LOSSES"), rtol=2e-5)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7),
        _restored_params(tmp_path / "two"),
        _restored_params(tmp_path / "one"),
    )


def test_flags_parse_the_t5x_way():
    import argparse

    from flame_jax import configurables

    args, bindings, paths = configurables.parse_flags(
        [
            "--gin_file=gin/runs/demo.gin",
            '--gin.MODEL_DIR="/tmp/x"',
            "--gin_bindings=train.seed=3",
            "--gin_search_paths=/a,/b",
        ],
        argparse.ArgumentParser(),
    )
    assert args.gin_file == ["gin/runs/demo.gin"]
    assert bindings == ["train.seed=3", 'MODEL_DIR = "/tmp/x"']
    assert paths[:2] == ["/a", "/b"]


def test_relative_model_dir(tmp_path, demo_vocab, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _train("relative_run", 2, demo_vocab).step == 2
    assert (tmp_path / "relative_run" / "checkpoints" / "2").is_dir()
