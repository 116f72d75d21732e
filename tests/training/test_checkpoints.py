"""Checkpoints: round trips with the data position, keep-N, params-only, restore into other
shardings (8 simulated devices, in a subprocess), clear errors, and crash safety: a process
SIGKILLed in the middle of an async save leaves the previous checkpoint as the newest."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flame_jax.training import checkpoints
from flame_jax.training.checkpoints import Checkpointer, restore_params
from flame_jax.training.optimizers import make_optimizer
from flame_jax.training.state import TrainState

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _state(step: int, seed: int = 0) -> TrainState:
    """A tiny state with a real AdamW optimizer state (namedtuples, masked and empty nodes)."""
    rng = np.random.default_rng(seed)
    params = {
        "dense": {"kernel": jnp.asarray(rng.normal(size=(4, 3)), jnp.float32)},
        "norm": {"scale": jnp.asarray(rng.normal(size=(3,)), jnp.float32)},
    }
    optimizer, _ = make_optimizer("adamw", 1e-3, weight_decay=0.1)
    opt_state = optimizer.init(params)
    grads = jax.tree_util.tree_map(jnp.ones_like, params)
    _, opt_state = optimizer.update(grads, opt_state, params)  # non-trivial moments
    return TrainState(step=jnp.asarray(step, jnp.int32), params=params, opt_state=opt_state)


def _abstract(state: TrainState) -> TrainState:
    return jax.tree_util.tree_map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), state)


def _assert_trees_equal(a, b):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    jax.tree_util.tree_map(np.testing.assert_array_equal, a, b)


def test_save_every_keep_and_resume_with_the_data_position(tmp_path):
    directory = str(tmp_path / "model")
    with Checkpointer(directory, keep=2, save_every=2) as ckpt:
        assert ckpt.latest_step() is None
        started = [ckpt.save(_state(s, seed=s), data_position=10 * s) for s in range(1, 7)]
        assert started == [False, True, False, True, False, True]
        assert ckpt.save(_state(7, seed=7), data_position=70, force=True)  # e.g. the last step
        assert not ckpt.save(_state(7, seed=7), data_position=70, force=True)  # not newer
        ckpt.wait()
        assert ckpt.all_steps() == [6, 7]  # keep=2 pruned 2 and 4
    assert sorted(os.listdir(directory)) == ["6", "7"]
    assert sorted(os.listdir(os.path.join(directory, "7"))) == sorted(
        ["_CHECKPOINT_METADATA", "commit_success.txt", "data", "state"]
    )

    # A restarted run: a new Checkpointer finds the newest complete step.
    resumed = Checkpointer(directory)
    assert resumed.latest_step() == 7
    state, position = resumed.restore(_abstract(_state(0)))
    assert position == 70
    _assert_trees_equal(state, _state(7, seed=7))
    assert isinstance(state, TrainState)
    state, position = resumed.restore(_abstract(_state(0)), step=6)
    assert (int(state.step), position) == (6, 60)
    _assert_trees_equal(state.params, _state(6, seed=6).params)
    resumed.close()


def test_synchronous_saves_are_complete_on_return(tmp_path):
    ckpt = Checkpointer(str(tmp_path), save_every=1, async_save=False)
    assert ckpt.save(_state(3), data_position=5)
    assert ckpt.latest_step() == 3  # no wait()
    ckpt.close()


def test_params_only_checkpoints_and_params_from_a_full_state(tmp_path):
    full_dir, params_dir = str(tmp_path / "full"), str(tmp_path / "params")
    state = _state(5, seed=1)
    with Checkpointer(full_dir, save_every=1) as full:
        full.save(state, data_position=50)
    with Checkpointer(params_dir, save_every=1, params_only=True) as params_only:
        params_only.save(state, data_position=50)
    assert not any("opt_state" in name for name in os.listdir(os.path.join(params_dir, "5")))

    abstract = _abstract(_state(0))
    for directory in (full_dir, params_dir):
        # INITIAL_CHECKPOINT_PATH: a step directory, or MODEL_DIR (its newest step).
        for path in (os.path.join(directory, "5"), directory):
            _assert_trees_equal(restore_params(path, abstract.params), state.params)
        # Fine-tuning start / params-only resume: step and params, no optimizer state.
        restored, position = Checkpointer(directory).restore(abstract.replace(opt_state=None))
        assert restored.opt_state is None and position == 50 and int(restored.step) == 5
        _assert_trees_equal(restored.params, state.params)

    with pytest.raises(ValueError, match="parameters only"):
        Checkpointer(params_dir).restore(abstract)


def test_clear_errors(tmp_path):
    abstract = _abstract(_state(0))
    empty = str(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match=f"no complete checkpoint in {empty}"):
        Checkpointer(empty).restore(abstract)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        restore_params(str(tmp_path / "nowhere"), abstract.params)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        restore_params(empty, abstract.params)

    directory = str(tmp_path / "model")
    with Checkpointer(directory, save_every=1) as ckpt:
        ckpt.save(_state(1), data_position=1)
    with pytest.raises(FileNotFoundError, match=r"step 2 .* complete: \[1\]"):
        Checkpointer(directory).restore(abstract, step=2)

    wrong = dict(abstract.params, dense={"kernel": jax.ShapeDtypeStruct((4, 8), jnp.float32)})
    with pytest.raises(ValueError, match=r"params/dense/kernel: checkpoint \(4, 3\), expected"):
        restore_params(directory, wrong)
    with pytest.raises(ValueError, match=r"params/dense/kernel"):
        Checkpointer(directory).restore(abstract.replace(params=wrong))
    extra = dict(abstract.params, head=jax.ShapeDtypeStruct((2,), jnp.float32))
    with pytest.raises(ValueError, match="has no params/head"):
        restore_params(directory, extra)


def test_temporary_and_incomplete_directories_are_never_picked_up(tmp_path):
    directory = tmp_path / "model"
    with Checkpointer(str(directory), save_every=1) as ckpt:
        ckpt.save(_state(1, seed=1), data_position=10)
    # What a crash mid-save leaves (Orbax's temporary name) and a step directory without
    # its commit marker (a half-finished copy, or a non-atomic filesystem).
    tmp = directory / "5.orbax-checkpoint-tmp-1234567890"
    (tmp / "state").mkdir(parents=True)
    (tmp / "state" / "manifest.ocdbt").write_bytes(b"\0" * 10)
    (directory / "7" / "state").mkdir(parents=True)

    assert checkpoints.complete_steps(str(directory)) == [1]
    reopened = Checkpointer(str(directory))
    assert reopened.latest_step() == 1
    state, position = reopened.restore(_abstract(_state(0)))
    assert (int(state.step), position) == (1, 10)
    with pytest.raises(FileNotFoundError, match="step 7"):
        reopened.restore(_abstract(_state(0)), step=7)
    with pytest.raises(FileNotFoundError, match="not a complete checkpoint"):
        restore_params(str(directory / "7"), _abstract(_state(0)).params)
    reopened.close()
    assert not tmp.exists()  # Orbax deletes temporary leftovers when the directory is opened


# A child that saves step 1, then starts an async save of ~100 MB at step 2 and reports it.
# mode "write": killed while the background thread writes the arrays (16 MB of ~96 MB on disk).
# mode "commit": killed after every array is written, just before the commit (rename).
_CRASH_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, time
    import jax.numpy as jnp
    import numpy as np
    import orbax.checkpoint as ocp
    from flame_jax.training.checkpoints import Checkpointer
    from flame_jax.training.state import TrainState

    mode, directory = sys.argv[1:3]

    def state(step, leaves, size):
        # Random values: constants would compress to nothing and the write be instant.
        rng = np.random.default_rng(step)
        params = {f"w{i}": jnp.asarray(rng.random((size, size), np.float32)) for i in range(leaves)}
        return TrainState(jnp.int32(step), params, {"count": jnp.int32(step)})

    ckpt = Checkpointer(directory, save_every=1)
    ckpt.save(state(1, 4, 8), data_position=10)
    ckpt.wait()
    if mode == "commit":  # every array of step 2 gets written; its commit never happens
        async def finalize(self):
            print("FINALIZING", flush=True)
            await asyncio.sleep(3600)
        ocp.path.atomicity.AtomicRenameTemporaryPath.finalize = finalize
    ckpt.save(state(2, 24, 1024), data_position=20)
    print("SAVING", flush=True)
    time.sleep(3600)
    """
)


def _env(devices: int = 1) -> dict[str, str]:
    env = dict(os.environ)
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={devices}"
    ).strip()
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _bytes_under(directory: str) -> int:
    total = 0
    for root, _, files in os.walk(directory):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except FileNotFoundError:  # renamed or deleted while we walk
                pass
    return total


def _kill_mid_save(child: subprocess.Popen, mode: str, directory: str) -> int:
    """SIGKILLs the child (no cleanup runs) mid-save; returns the bytes of step 2 on disk.

    "write": once step 2's temporary directory holds 16 MB of its ~96 MB (arrays half
    written); "commit": when Orbax starts finalizing (all arrays written, nothing renamed).
    """
    marker = "SAVING" if mode == "write" else "FINALIZING"
    lines = []
    for line in child.stdout:
        lines.append(line.strip())
        if line.strip() == marker:
            break
    else:
        child.wait()
        pytest.fail(f"child never printed {marker}: {lines}\n{child.stderr.read()}")
    deadline = time.time() + 60
    tmp = []
    while mode == "write" and time.time() < deadline:
        tmp = [n for n in os.listdir(directory) if n.startswith("2.orbax-checkpoint-tmp")]
        if not tmp or _bytes_under(os.path.join(directory, tmp[0])) >= 16 << 20:
            break
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    tmp = [n for n in os.listdir(directory) if n.startswith("2.orbax-checkpoint-tmp")]
    return _bytes_under(os.path.join(directory, tmp[0])) if tmp else 0


@pytest.mark.parametrize("mode", ["write", "commit"])
def test_a_process_killed_mid_save_leaves_the_previous_checkpoint(tmp_path, mode):
    directory = tmp_path / "model"
    child = subprocess.Popen(
        [sys.executable, "-c", _CRASH_SCRIPT, mode, str(directory)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    written = _kill_mid_save(child, mode, str(directory))
    assert child.returncode == -signal.SIGKILL

    names = sorted(os.listdir(directory))
    assert "1" in names and "2" not in names, names  # killed before step 2 was complete
    assert written >= 16 << 20, (names, written)  # ... but with much of it on disk

    ckpt = Checkpointer(str(directory), save_every=1)
    assert ckpt.latest_step() == 1
    abstract = TrainState(
        jax.ShapeDtypeStruct((), jnp.int32),
        {f"w{i}": jax.ShapeDtypeStruct((8, 8), jnp.float32) for i in range(4)},
        {"count": jax.ShapeDtypeStruct((), jnp.int32)},
    )
    state, position = ckpt.restore(abstract)
    assert (int(state.step), position) == (1, 10)
    expected = np.random.default_rng(1).random((4, 8, 8), np.float32)  # the child's step 1
    np.testing.assert_array_equal(state.params["w3"], expected[3])
    # The restarted run saves step 2 again over the leftovers.
    assert ckpt.save(state.replace(step=jnp.int32(2)), data_position=20)
    ckpt.close()
    assert sorted(os.listdir(directory)) == ["1", "2"]


_SHARDED_SCRIPT = textwrap.dedent(
    """
    import sys
    import flax.linen as nn
    import jax
    import numpy as np
    from jax.sharding import NamedSharding, PartitionSpec as P, SingleDeviceSharding

    from flame_jax import partitioning
    from flame_jax.models import Transformer, TransformerConfig, init_params
    from flame_jax.training.checkpoints import Checkpointer, restore_params
    from flame_jax.training.optimizers import make_optimizer
    from flame_jax.training.state import TrainState

    assert jax.device_count() == 8, jax.devices()
    directory = sys.argv[1]
    config = TransformerConfig(
        vocab_size=1000, embed_dim=64, num_layers=2, num_heads=4, num_kv_heads=2, head_dim=16,
        mlp_dim=128, scan_layers=True,
    )
    boxed = jax.eval_shape(lambda: init_params(Transformer(config), jax.random.key(0)))
    rng = np.random.default_rng(0)
    host = jax.tree_util.tree_map(
        lambda x: rng.normal(size=x.shape).astype(x.dtype), nn.unbox(boxed)
    )
    optimizer, _ = make_optimizer("adam")
    mesh = partitioning.make_mesh(data=2, fsdp=2, model=2)
    shardings = partitioning.param_shardings(boxed, mesh)
    params = jax.device_put(host, shardings)
    opt_state = jax.jit(optimizer.init)(params)
    updates, opt_state = jax.jit(optimizer.update)(params, opt_state, params)
    replicated = NamedSharding(mesh, P())
    state = TrainState(jax.device_put(np.int32(3), replicated), params, opt_state)
    assert state.params["embedding"].sharding.spec == P("model", "fsdp")

    with Checkpointer(directory, save_every=1) as ckpt:
        assert ckpt.save(state, data_position=12)

    def abstract_of(tree):
        return jax.tree_util.tree_map(
            lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), tree
        )

    def check_equal(a, b):
        jax.tree_util.tree_map(
            lambda x, y: np.testing.assert_array_equal(np.asarray(x), np.asarray(y)), a, b
        )

    # Into the same layout.
    same, position = Checkpointer(directory).restore(abstract_of(state))
    assert position == 12
    check_equal(same, state)
    for got, want in zip(jax.tree_util.tree_leaves(same), jax.tree_util.tree_leaves(state)):
        assert got.sharding == want.sharding, (got.sharding, want.sharding)

    # Into one device.
    one = SingleDeviceSharding(jax.devices()[0])
    single = jax.tree_util.tree_map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=one), abstract_of(state)
    )
    restored, _ = Checkpointer(directory).restore(single)
    check_equal(restored, state)
    assert all(x.sharding == one for x in jax.tree_util.tree_leaves(restored))

    # Params only, into another mesh (fsdp=8), as INITIAL_CHECKPOINT_PATH would.
    other = partitioning.param_shardings(boxed, partitioning.make_mesh(data=1, fsdp=8))
    target = jax.tree_util.tree_map(
        lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s), host, other
    )
    params8 = restore_params(directory + "/3", target)
    check_equal(params8, host)
    for got, want in zip(jax.tree_util.tree_leaves(params8), jax.tree_util.tree_leaves(other)):
        assert got.sharding == want, (got.sharding, want)
    print("SHARDED_CHECKPOINT_OK")
    """
)


def test_sharded_state_restores_into_the_same_and_other_layouts(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _SHARDED_SCRIPT, str(tmp_path / "model")],
        env=_env(devices=8),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "SHARDED_CHECKPOINT_OK" in result.stdout, result.stdout + result.stderr
