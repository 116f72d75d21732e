"""The device mesh, the logical-axis rules, and multi-host start-up.

The mesh has three axes (t5x / MaxText names):
  data   pure data parallelism: parameters replicated, batch split;
  fsdp   data parallelism with parameters (and optimizer state) sharded along "embed" (ZeRO-3);
  model  tensor parallelism: heads, MLP hidden units and the vocabulary split.
The batch is split over data x fsdp. Layers name their axes logically (batch, length, embed,
mlp, heads, kv_heads, kv, vocab, norm, layers) and LOGICAL_AXIS_RULES, the single table below,
maps those names to mesh axes. Typical layouts: one host's chips, data=-1; a large model,
fsdp=-1 (plus model=2..8 for very large ones).

Use:
    mesh = make_mesh(data=-1, fsdp=1, model=1)
    with activate(mesh):            # activation constraints in the model follow the rules
        shardings = param_shardings(jax.eval_shape(init_fn, rng), mesh)
        params = jax.jit(init_fn, out_shardings=shardings)(rng)
        batch = global_batch(host_batch, mesh)
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import numpy as np
from jax.experimental import mesh_utils
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

MESH_AXES = ("data", "fsdp", "model")
BATCH_AXES = ("data", "fsdp")

# The single logical -> mesh table. Order matters: an earlier rule wins a mesh axis, so an
# activation [batch, length, embed] keeps fsdp for its batch and leaves embed unsplit, while
# a parameter [embed, mlp] (no batch axis) is split along embed by fsdp.
LOGICAL_AXIS_RULES: tuple[tuple[str, str | tuple[str, ...] | None], ...] = (
    ("batch", BATCH_AXES),
    ("length", None),
    ("layers", None),  # the scan_layers axis: every device holds its slice of every layer
    ("vocab", "model"),
    ("heads", "model"),
    ("kv_heads", "model"),
    ("mlp", "model"),
    ("embed", "fsdp"),
    ("kv", None),  # per-head width
    ("norm", None),  # norm scales are tiny: replicated
)


def make_mesh(
    data: int = -1, fsdp: int = 1, model: int = 1, devices: Sequence[jax.Device] | None = None
) -> Mesh:
    """A ("data", "fsdp", "model") mesh over `devices` (default: all devices).

    At most one size may be -1: it takes the devices the others leave. The product must
    equal the device count. Axes are Auto (GSPMD) so that sharding constraints by logical
    name work (jax 0.10's jax.make_mesh would default to Explicit axes).
    """
    devices = list(jax.devices() if devices is None else devices)
    sizes = {"data": data, "fsdp": fsdp, "model": model}
    free = [name for name, size in sizes.items() if size == -1]
    bad = [f"{name}={size}" for name, size in sizes.items() if size != -1 and size < 1]
    if bad or len(free) > 1:
        raise ValueError(
            f"mesh sizes must be positive, with at most one -1 (the rest of the devices); "
            f"got data={data}, fsdp={fsdp}, model={model}"
        )
    fixed = math.prod(size for size in sizes.values() if size != -1)
    if free:
        if len(devices) % fixed:
            raise ValueError(
                f"{len(devices)} devices cannot be split into {free[0]}=-1 x {fixed} "
                f"(data={data}, fsdp={fsdp}, model={model}): {fixed} must divide {len(devices)}"
            )
        sizes[free[0]] = len(devices) // fixed
    shape = tuple(sizes[name] for name in MESH_AXES)
    if math.prod(shape) != len(devices):
        raise ValueError(
            f"mesh data={shape[0]} x fsdp={shape[1]} x model={shape[2]} needs "
            f"{math.prod(shape)} devices, but {len(devices)} are available"
        )
    try:
        # Lays the mesh out along the physical interconnect (TPU torus) where it can.
        device_array = mesh_utils.create_device_mesh(shape, devices)
    except (AssertionError, NotImplementedError, ValueError):
        device_array = np.asarray(devices).reshape(shape)
    return Mesh(device_array, MESH_AXES, axis_types=(AxisType.Auto,) * len(MESH_AXES))


@contextlib.contextmanager
def activate(mesh: Mesh, rules: Sequence[tuple[str, Any]] = LOGICAL_AXIS_RULES) -> Iterator[None]:
    """Makes `mesh` the current mesh and `rules` the logical-axis rules (for the model's
    activation constraints and nn.get_partition_spec users)."""
    with jax.set_mesh(mesh), nn.logical_axis_rules(rules):
        yield


def logical_to_spec(
    names: Sequence[str | None] | PartitionSpec,
    shape: Sequence[int] | None = None,
    mesh: Mesh | None = None,
    rules: Sequence[tuple[str, Any]] = LOGICAL_AXIS_RULES,
) -> PartitionSpec:
    """The mesh PartitionSpec of an array with logical axis `names`.

    Given `shape` and `mesh`, a dimension the mesh axes do not divide evenly is replicated
    instead (logged once per call): e.g. 1 key/value head on model=2.
    """
    spec = nn.logical_to_mesh_axes(tuple(names), rules)
    if shape is None or mesh is None:
        return spec
    parts = []
    padded = tuple(spec) + (None,) * len(shape)
    for dim, (size, mesh_axes) in enumerate(zip(shape, padded, strict=False)):
        axes = mesh_axes
        if axes is not None:
            group = (axes,) if isinstance(axes, str) else tuple(axes)
            ways = math.prod(mesh.shape[a] for a in group)
            if size % ways:
                logging.info(
                    "replicating dimension %d (%s, size %d): not divisible by %s=%d",
                    dim,
                    names[dim],
                    size,
                    axes,
                    ways,
                )
                axes = None
        parts.append(axes)
    return PartitionSpec(*parts)


def param_shardings(
    params: Any, mesh: Mesh, rules: Sequence[tuple[str, Any]] = LOGICAL_AXIS_RULES
) -> Any:
    """NamedShardings for a tree of boxed parameters (model.init output, or its
    jax.eval_shape), in the unboxed tree's structure. Leaves without logical names (plain
    arrays, e.g. step counters) are replicated."""

    def sharding(leaf: Any) -> NamedSharding:
        if isinstance(leaf, nn.LogicallyPartitioned):
            names = leaf.get_partition_spec()
            return NamedSharding(mesh, logical_to_spec(names, leaf.value.shape, mesh, rules))
        return NamedSharding(mesh, PartitionSpec())

    return jax.tree_util.tree_map(
        sharding, params, is_leaf=lambda x: isinstance(x, nn.LogicallyPartitioned)
    )


def logical_shardings(
    logical_specs: Any, mesh: Mesh, rules: Sequence[tuple[str, Any]] = LOGICAL_AXIS_RULES
) -> Any:
    """NamedShardings for a tree of logical PartitionSpecs (nn.get_partition_spec output)."""
    return nn.logical_to_mesh_sharding(logical_specs, mesh, rules)


def opt_state_shardings(opt_state: Any, params: Any, param_shardings: Any, mesh: Mesh) -> Any:
    """Optimizer-state leaves shaped like a parameter (Adam's moments) take its sharding."""
    by_path = {
        tuple(str(k) for k in path): (leaf.shape, sharding)
        for (path, leaf), sharding in zip(
            jax.tree_util.tree_flatten_with_path(params)[0],
            jax.tree_util.tree_leaves(param_shardings),
            strict=True,
        )
    }
    replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())

    def pick(path, leaf):
        keys = tuple(str(k) for k in path)
        for start in range(len(keys)):
            match = by_path.get(keys[start:])
            if match and match[0] == leaf.shape:
                return match[1]
        return replicated

    return jax.tree_util.tree_map_with_path(pick, opt_state)


def abstract_with(tree: Any, shardings: Any) -> Any:
    """Shape-only leaves (jax.ShapeDtypeStruct) of `tree` with the given shardings."""
    return jax.tree.map(
        lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s), tree, shardings
    )


def data_sharding(mesh: Mesh, ndim: int = 2) -> NamedSharding:
    """Sharding of a batch array: leading dimension over data x fsdp, the rest replicated."""
    return NamedSharding(mesh, PartitionSpec(BATCH_AXES, *([None] * (ndim - 1))))


# -- multi-host -----------------------------------------------------------------------------

_DISTRIBUTED_STARTED = False


def initialize_distributed(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> bool:
    """Starts jax.distributed when this is one process of several; returns whether it did.

    Arguments win over the environment (JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES,
    JAX_PROCESS_ID). On a multi-host Cloud TPU slice (TPU_WORKER_HOSTNAMES lists several
    hosts) jax finds the coordinator itself. A single process is a no-op, as is a second
    call. Call it before anything else touches jax devices.
    """
    global _DISTRIBUTED_STARTED
    if _DISTRIBUTED_STARTED:
        return True
    env = os.environ
    coordinator_address = coordinator_address or env.get("JAX_COORDINATOR_ADDRESS")
    if num_processes is None and env.get("JAX_NUM_PROCESSES"):
        num_processes = int(env["JAX_NUM_PROCESSES"])
    if process_id is None and env.get("JAX_PROCESS_ID"):
        process_id = int(env["JAX_PROCESS_ID"])
    tpu_hosts = [h for h in env.get("TPU_WORKER_HOSTNAMES", "").split(",") if h]
    if num_processes is not None and num_processes > 1:
        if coordinator_address is None or process_id is None:
            raise ValueError(
                f"{num_processes} processes need a coordinator_address and a process_id "
                "(arguments or JAX_COORDINATOR_ADDRESS / JAX_PROCESS_ID)"
            )
        # Several processes on CPU (tests, one machine) exchange over gloo; TPUs ignore this.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address, num_processes, process_id)
    elif num_processes is None and len(tpu_hosts) > 1:
        jax.distributed.initialize()
    else:
        return False
    _DISTRIBUTED_STARTED = True
    logging.info("jax.distributed: process %d of %d", jax.process_index(), jax.process_count())
    return True


class HostShard(NamedTuple):
    """This process's share of the input: seqio.ShardInfo(*host_shard_info())."""

    index: int
    num_shards: int


def host_shard_info() -> HostShard:
    """This process's index and the process count (each host reads its own data shard)."""
    return HostShard(index=jax.process_index(), num_shards=jax.process_count())


def global_batch(host_batch: Mapping[str, Any], mesh: Mesh) -> dict[str, jax.Array]:
    """Global arrays from this host's rows: batch dimension split over data x fsdp.

    Every host passes its own [local_batch, ...] arrays (as read with host_shard_info());
    the global batch is their concatenation in process order.
    """
    return {
        name: jax.make_array_from_process_local_data(
            data_sharding(mesh, np.ndim(value)), np.asarray(value)
        )
        for name, value in host_batch.items()
    }


def global_batch_from_full(batch: Mapping[str, Any], mesh: Mesh) -> dict[str, jax.Array]:
    """Global arrays from the whole [global_batch, ...] arrays, which every host holds.

    Each addressable device takes exactly its rows, so the result does not depend on how
    many hosts there are or how their devices are numbered.
    """

    def place(value: Any) -> jax.Array:
        value = np.asarray(value)
        return jax.make_array_from_callback(
            value.shape, data_sharding(mesh, value.ndim), lambda index: value[index]
        )

    return {name: place(value) for name, value in batch.items()}
