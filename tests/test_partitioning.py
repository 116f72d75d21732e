"""Mesh construction, the rules table, multi-host helpers, and sharded == unsharded training
math on 8 simulated devices (in a subprocess: this process has one device)."""

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest
from jax.sharding import AbstractMesh, AxisType, PartitionSpec

from flame_jax import partitioning


def test_make_mesh_fills_the_free_axis_and_validates():
    mesh = partitioning.make_mesh()
    assert mesh.axis_names == partitioning.MESH_AXES
    assert dict(mesh.shape) == {"data": jax.device_count(), "fsdp": 1, "model": 1}
    assert all(t == AxisType.Auto for t in mesh.axis_types)
    with pytest.raises(ValueError, match="needs 2 devices"):
        partitioning.make_mesh(data=2)
    with pytest.raises(ValueError, match="at most one -1"):
        partitioning.make_mesh(data=-1, fsdp=-1)
    with pytest.raises(ValueError, match="positive"):
        partitioning.make_mesh(model=0)
    with pytest.raises(ValueError, match="cannot be split"):
        partitioning.make_mesh(data=-1, model=2, devices=jax.devices() * 3)


def test_rules_map_parameters_and_activations():
    mesh = AbstractMesh((2, 2, 2), partitioning.MESH_AXES)
    spec = partitioning.logical_to_spec
    assert spec(("embed", "mlp")) == PartitionSpec("fsdp", "model")
    assert spec(("vocab", "embed")) == PartitionSpec("model", "fsdp")
    # An activation keeps fsdp for the batch: embed is not split again.
    assert spec(("batch", "length", "embed")) == PartitionSpec(("data", "fsdp"), None, None)
    assert spec(("layers", "embed", "heads", "kv")) == PartitionSpec(None, "fsdp", "model", None)
    # One key/value head cannot be split two ways: replicated instead.
    assert spec(("embed", "kv_heads", "kv"), (64, 1, 16), mesh) == PartitionSpec("fsdp", None, None)
    assert spec(("embed", "kv_heads", "kv"), (64, 2, 16), mesh) == PartitionSpec(
        "fsdp", "model", None
    )


def test_single_process_helpers(monkeypatch):
    for name in ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TPU_WORKER_HOSTNAMES", raising=False)
    assert partitioning.initialize_distributed() is False
    with pytest.raises(ValueError, match="coordinator_address"):
        partitioning.initialize_distributed(num_processes=2)
    assert partitioning.host_shard_info() == (0, 1)
    mesh = partitioning.make_mesh()
    batch = partitioning.global_batch({"x": np.arange(6).reshape(3, 2)}, mesh)
    assert batch["x"].shape == (3, 2)
    assert batch["x"].sharding.spec == PartitionSpec(("data", "fsdp"), None)


_SHARDED_SCRIPT = textwrap.dedent(
    """
    import dataclasses
    import flax.linen as nn
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import PartitionSpec as P

    from flame_jax import partitioning
    from flame_jax.models import Transformer, TransformerConfig, compute_loss, init_params
    from flame_jax.models.transformer import stack_layers

    assert jax.device_count() == 8, jax.devices()
    config = TransformerConfig(
        vocab_size=1000, embed_dim=64, num_layers=2, num_heads=4, num_kv_heads=2, head_dim=16,
        mlp_dim=128, sliding_window=4, attention_pattern=("local", "global"),
        bidirectional_prefix=True, dropout_rate=0.1, scan_layers=True,
    )
    model = Transformer(config)
    abstract = jax.eval_shape(lambda: init_params(model, jax.random.key(0)))
    rng = np.random.default_rng(0)
    params = jax.tree_util.tree_map(
        lambda x: rng.normal(0.0, 0.2 if x.ndim > 1 else 0.1, x.shape).astype(np.float32),
        nn.unbox(abstract),
    )
    tokens = rng.integers(2, 1000, (8, 16)).astype(np.int32)
    weights = (np.arange(16)[None] >= rng.integers(2, 10, (8, 1))).astype(np.int32)
    batch = {
        "decoder_input_tokens": tokens,
        "decoder_target_tokens": np.roll(tokens, -1, 1),
        "decoder_loss_weights": weights,
        "decoder_causal_attention": 1 - weights,
    }

    def loss_and_grads(params, batch):
        # Dropout on, from a fixed key: the masks must not depend on the sharding.
        fn = lambda p: compute_loss(model, p, batch, dropout_rng=jax.random.key(7))[0]
        return jax.value_and_grad(fn)(params)

    ref_loss, ref_grads = jax.jit(loss_and_grads)(params, batch)

    mesh = partitioning.make_mesh(data=2, fsdp=2, model=2)
    with partitioning.activate(mesh):
        shardings = partitioning.param_shardings(abstract, mesh)
        assert shardings["layers"]["mlp"]["gate"].spec == P(None, "fsdp", "model")
        assert shardings["embedding"].spec == P("model", "fsdp")
        sharded = jax.device_put(params, shardings)
        global_batch = partitioning.global_batch(batch, mesh)
        step = jax.jit(loss_and_grads, out_shardings=(None, shardings))
        loss, grads = step(sharded, global_batch)
    assert grads["layers"]["attn"]["q"].sharding.spec == P(None, "fsdp", "model", None)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    # Sharded sums reduce in another order: compare against each tensor's scale.
    jax.tree_util.tree_map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3 * np.abs(b).max()),
        grads,
        ref_grads,
    )
    print("SHARDED_OK", float(loss))
    """
)


def test_eight_devices_give_the_same_loss_and_gradients_as_one():
    env = dict(os.environ)
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
    ).strip()
    env["JAX_PLATFORMS"] = "cpu"
    result = subprocess.run(
        [sys.executable, "-c", _SHARDED_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "SHARDED_OK" in result.stdout, result.stdout + result.stderr
