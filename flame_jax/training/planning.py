"""Memory planning before launch: the train step compiled ahead of time for a TPU slice.

    flame-jax plan --gin_file=gin/models/gemma2_27b.gin --gin_file=gin/runs/flame.gin \\
        --topology v5p-512 [--mesh data=1,fsdp=32,model=8] [--json]

`plan()` builds the train state and one batch as abstract shapes (jax.ShapeDtypeStruct with
NamedShardings: nothing is materialised, so a 27B model costs no memory here), lowers and
compiles the very step `train()` jits (same shardings, donation, microbatches, dropout), and
reads XLA's memory and cost analyses. It needs a process whose jax sees the slice's device
count; `run_in_subprocess` starts one on simulated CPU devices
(XLA_FLAGS=--xla_force_host_platform_device_count=N), so the command works on any machine.

Per device (one jax device = one chip on every generation below), the plan gives:
  parameters, optimizer state   exact, from the sharded abstract shapes;
  compiled (XLA)                compiled.memory_analysis(): arguments, outputs, the aliased
                                (donated) state and temporaries (gradients, activations kept
                                for the backward pass, workspace); total = arguments + outputs
                                - aliased + temporaries, as MaxText reports it;
  formula                       `estimate_memory`: parameters and optimizer state (exact) +
                                gradients, the optimizer update's new state, fsdp-gathered
                                weights, activations and logits (estimated): always printed,
                                the only figures with compile=False (--analytic), and what
                                suggestions use to price other meshes, remat policies and
                                microbatch counts.
FLOPs per step: XLA's HLO cost analysis of the step (global, rematerialisation included), next
to the model FLOPs 6N + attention (TransformerConfig.flops_per_token) x tokens. XLA counts a
while-loop body once, so a scan_layers model is lowered (not compiled) once more with its
layers unrolled for this count.

Caveats: the compiled figures are XLA:CPU's buffer assignment for the TPU program's sharding.
XLA:TPU fuses, pads to (8, 128) tiles and schedules differently, so take them as a close
estimate and keep headroom: `fits` means total <= HBM, and under 10% to spare is called tight.
One known CPU artefact: XLA:CPU computes bfloat16 matmuls in float32 and keeps float32 copies
of the matmul outputs that remat "minimal" saves, so with bfloat16 compute and that policy the
compiled activations are about twice the formula's (with float32 compute the two agree).

The paper's setups (gin/models/gemma2_27b.gin + gin/runs/flame.gin: 27B, full fine-tuning with
Adam, float32 parameters, bfloat16 compute, remat full, batch 32 x 2048), compiled on simulated
devices, GiB per device (compiled total / formula total), each in about 6 s of compilation:
  256 chips, mesh data=1,fsdp=32,model=8:   5.9 / 6.1  (params 0.40, Adam 0.80); remat
                                            minimal: 12.6 / 9.5
  128 chips, mesh data=1,fsdp=32,model=4:   9.4 / 10.9 (params 0.80, Adam 1.59)
so both fit v5p (95 GiB), v4 and v6e (32 GiB) and v5e (16 GiB) chips. Batch 32 cannot be
split over more than 32 devices, so flame.gin's default mesh (data=-1) does not work on
these slices: the remaining devices go to model parallelism. FLOPs per step: 1.45e16 (XLA,
full remat recomputes the forward pass) against 1.10e16 model FLOPs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from jax.sharding import AbstractMesh, Mesh, NamedSharding, PartitionSpec

from flame_jax import partitioning
from flame_jax.models import Transformer, TransformerConfig, init_params
from flame_jax.training import optimizers, steps
from flame_jax.training.chips import GIB, parse_topology
from flame_jax.training.state import TrainState

TIGHT = 0.9  # a plan over 90% of HBM fits, but tightly: XLA:TPU's own figures may differ

# -- the plan ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Plan:
    """Per-device memory (bytes) and FLOPs of one training step on one mesh.

    `compiled` (None with compile=False): XLA's per-device arguments, outputs, aliased,
    temporaries, generated_code and total. `estimate`: the formula's parameters,
    optimizer_state, gradients, activations, logits, inputs and total. `total` is the
    compiled total when there is one, else the estimate's; `fits` compares it with HBM.
    """

    name: str
    num_params: int
    num_devices: int
    mesh: dict[str, int]
    chip: str | None
    hbm_bytes: int
    batch_size: int
    sequence_length: int
    num_microbatches: int
    optimizer: str
    remat_policy: str
    param_dtype: str
    dtype: str
    parameters: int
    optimizer_state: int
    compiled: dict[str, int] | None
    estimate: dict[str, int]
    total: int
    fits: bool
    flops_per_step: float | None
    model_flops_per_step: float
    peak_flops: float | None
    compile_seconds: float | None
    suggestions: list[str]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; Plan(**d) rebuilds the plan."""
        return dataclasses.asdict(self)

    def report(self) -> str:
        """The plan as a readable table (per device) with suggestions and caveats."""
        unit, size = ("GiB", GIB) if self.total >= GIB else ("MiB", 2**20)
        mesh = " ".join(f"{k}={v}" for k, v in self.mesh.items())
        where = f"{self.num_devices} {self.chip or 'devices'}" + (" chips" if self.chip else "")
        lines = [
            f"plan: {self.name} ({self.num_params / 1e9:.2f}B parameters) on {where} "
            f"({_size(self.hbm_bytes)} HBM each), mesh {mesh}",
            f"batch {self.batch_size} x {self.sequence_length} tokens in "
            f"{self.num_microbatches} microbatch(es), optimizer {self.optimizer}, remat "
            f"{self.remat_policy}, parameters {self.param_dtype}, compute {self.dtype}",
            "",
            f"  {'per device, ' + unit:<44}{'compiled (XLA)':>15}{'formula':>10}",
        ]
        xla, est = self.compiled, self.estimate
        rows = [
            ("parameters", xla and self.parameters, est["parameters"]),
            ("optimizer state", xla and self.optimizer_state, est["optimizer_state"]),
        ]
        if xla:
            rows += [
                (
                    "batch, step and rng",
                    xla["arguments"] - self.parameters - self.optimizer_state,
                    est["inputs"],
                ),
                ("temporaries", xla["temporaries"], None),
                ("outputs not aliased to the donated state", xla["outputs"] - xla["aliased"], None),
                ("temporaries by formula:", None, None),
            ]
        else:
            rows.append(("batch", None, est["inputs"]))
        for key in ("gradients", "optimizer_update", "gathered_weights", "activations", "logits"):
            rows.append((("  " if xla else "") + _ESTIMATE_LABELS[key], None, est[key]))
        rows.append(("total", xla and xla["total"], est["total"]))
        for label, compiled, formula in rows:
            cells = "".join(
                f"{v / size:>{w}.2f}"
                if v is not None
                else f"{'-' if label[-1] != ':' else '':>{w}}"
                for v, w in ((compiled, 15), (formula, 10))
            )
            lines.append(f"  {label:<44}{cells}")
        share = self.total / self.hbm_bytes
        verdict = "fits" if self.fits else "DOES NOT FIT"
        if self.fits and share > TIGHT:
            verdict = "fits, tightly"
        lines += [
            f"  {verdict}: {_size(self.total)} ({'compiled' if xla else 'formula'}) is "
            f"{share:.0%} of {_size(self.hbm_bytes)}",
            "",
        ]
        if self.flops_per_step is not None:
            lines.append(
                f"FLOPs per step: {self.flops_per_step:.3e} (XLA, remat included; "
                f"{self.flops_per_step / self.num_devices:.3e} per device)"
            )
        line = f"model FLOPs per step (6N + attention): {self.model_flops_per_step:.3e}"
        if self.peak_flops:
            seconds = self.model_flops_per_step / self.num_devices / self.peak_flops
            line += f"; {seconds:.3g} s/step at 100% MFU ({self.peak_flops / 1e12:.0f} TFLOP/s)"
        lines.append(line)
        if self.compile_seconds is not None:
            lines.append(
                f"compiled in {self.compile_seconds:.1f} s on {self.num_devices} simulated CPU "
                "devices"
            )
        if self.suggestions:
            lines += ["", "suggestions:", *(f"  - {s}" for s in self.suggestions)]
        if self.notes:
            lines += ["", "notes:", *(f"  - {n}" for n in self.notes)]
        return "\n".join(lines)


def _size(n: float) -> str:
    return f"{n / GIB:.1f} GiB" if n >= GIB / 10 else f"{n / 2**20:.1f} MiB"


_ESTIMATE_LABELS = {
    "gradients": "gradients",
    "optimizer_update": "optimizer update (new state)",
    "gathered_weights": "fsdp-gathered weights",
    "activations": "activations kept for the backward pass",
    "logits": "logits (float32)",
}


def plan(
    model_config: TransformerConfig,
    *,
    batch_size: int,
    sequence_length: int | Mapping[str, int],
    topology: str | None = None,
    num_devices: int | None = None,
    mesh_shape: Mapping[str, int] | None = None,
    hbm_bytes: int | None = None,
    optimizer: str = "adam",
    optimizer_options: Mapping[str, Any] | None = None,
    num_microbatches: int = 1,
    remat_policy: str | None = None,
    param_dtype: str | None = None,
    dtype: str | None = None,
    z_loss: float = 0.0,
    compile: bool = True,
    name: str = "model",
) -> Plan:
    """Plans one training step of `model_config`; see the module docstring.

    sequence_length: tokens per row, or TASK_FEATURE_LENGTHS (summed, as `train` does).
    topology: a slice name (parse_topology), giving num_devices and HBM unless given.
    mesh_shape: as train's (data / fsdp / model, one may be -1); None is train's default
      (data=-1) where the batch divides over it, else fsdp over the batch and model for the
      rest (noted in the plan).
    optimizer, optimizer_options: make_optimizer's name and keyword arguments.
    remat_policy, param_dtype, dtype: override the config's fields.
    compile: False skips XLA and plans by formula only (no devices needed). True needs
      num_devices jax devices in this process (run_in_subprocess provides them).
    """
    chip = parse_topology(topology).chip if topology else None
    if num_devices is None:
        num_devices = parse_topology(topology).num_chips if topology else jax.device_count()
    if hbm_bytes is None:
        if chip is None:
            raise ValueError("give a topology (e.g. v5p-128) or hbm_bytes: the chip's memory")
        hbm_bytes = chip.hbm_bytes
    if not isinstance(sequence_length, int):
        sequence_length = sum(sequence_length.values())
    overrides = {"remat_policy": remat_policy, "param_dtype": param_dtype, "dtype": dtype}
    config = dataclasses.replace(
        model_config, **{k: v for k, v in overrides.items() if v is not None}
    )
    options = {k: v for k, v in (optimizer_options or {}).items() if k != "name"}
    tx, schedule = optimizers.make_optimizer(optimizer, **options)
    notes = []
    if mesh_shape is None:
        mesh = _resolve_mesh({}, num_devices)
        if batch_size % (mesh["data"] * num_microbatches):
            mesh = _batch_mesh(num_devices, batch_size // num_microbatches)
            notes.append(
                f"train's default mesh (data={num_devices}) cannot split batch {batch_size}: "
                f"planned on {_mesh_text(mesh)}; to train on it, bind train.mesh_shape = {mesh}"
            )
    else:
        mesh = _resolve_mesh(mesh_shape, num_devices)
    _check_batch(mesh, batch_size, num_microbatches)

    abstract = _AbstractState.of(config, tx)
    estimate = estimate_memory(
        config,
        mesh,
        batch_size=batch_size,
        sequence_length=sequence_length,
        num_microbatches=num_microbatches,
        state=abstract,
    )
    compiled = flops = seconds = None
    params_bytes, opt_bytes = estimate["parameters"], estimate["optimizer_state"]
    if compile:
        if jax.device_count() < num_devices:
            raise ValueError(
                f"compiling for {num_devices} devices needs them in this process (it has "
                f"{jax.device_count()}): use run_in_subprocess, or compile=False"
            )
        real_mesh = partitioning.make_mesh(**mesh, devices=jax.devices()[:num_devices])
        start = time.perf_counter()
        step_args = {
            "tx": tx,
            "schedule": schedule,
            "batch_size": batch_size,
            "length": sequence_length,
            "num_microbatches": num_microbatches,
            "z_loss": z_loss,
        }
        lowered = _lower_step(config, real_mesh, abstract, **step_args)
        compiled = _memory(lowered.compile())
        seconds = time.perf_counter() - start
        params_bytes, opt_bytes = abstract.bytes_per_device(real_mesh)
        if config.scan_layers:  # XLA counts a loop body once: count the unrolled step
            unrolled = dataclasses.replace(config, scan_layers=False)
            lowered = _lower_step(unrolled, real_mesh, _AbstractState.of(unrolled, tx), **step_args)
        flops = float(_cost(lowered).get("flops", 0.0)) or None
    total = compiled["total"] if compiled else estimate["total"]
    notes.append(
        "compiled figures are XLA:CPU's buffer assignment of the TPU program's sharding; "
        "XLA:TPU pads, fuses and schedules differently"
        if compiled
        else "no compilation (compile=False / --analytic): every figure is the formula's"
    )
    notes.append(
        "formula = exact sharded parameters and optimizer state + estimates of the rest "
        "(flame_jax/training/planning.py: estimate_memory; within about 25% of XLA's totals so far)"
    )
    result = Plan(
        name=name,
        num_params=config.num_params(),
        num_devices=num_devices,
        mesh=mesh,
        chip=chip.name if chip else None,
        hbm_bytes=int(hbm_bytes),
        batch_size=batch_size,
        sequence_length=sequence_length,
        num_microbatches=num_microbatches,
        optimizer=optimizer,
        remat_policy=config.remat_policy,
        param_dtype=config.param_dtype,
        dtype=config.dtype,
        parameters=params_bytes,
        optimizer_state=opt_bytes,
        compiled=compiled,
        estimate=estimate,
        total=total,
        fits=total <= hbm_bytes,
        flops_per_step=flops,
        model_flops_per_step=config.flops_per_token(sequence_length) * batch_size * sequence_length,
        peak_flops=chip.peak_flops if chip else None,
        compile_seconds=seconds,
        suggestions=[],
        notes=notes,
    )
    return dataclasses.replace(result, suggestions=_suggest(result, config, abstract, estimate))


# -- abstract state, shardings and the compiled step ---------------------------------------


@dataclasses.dataclass(frozen=True)
class _AbstractState:
    """Shapes only: boxed parameters (for their logical axes), parameters, optimizer state."""

    boxed: Any
    params: Any
    opt_state: Any

    @classmethod
    def of(cls, config: TransformerConfig, tx: optax.GradientTransformation) -> _AbstractState:
        model = Transformer(config)
        boxed = jax.eval_shape(lambda rng: init_params(model, rng), jax.random.key(0))
        params = jax.tree.map(
            lambda x: x.value if isinstance(x, nn.LogicallyPartitioned) else x,
            boxed,
            is_leaf=lambda x: isinstance(x, nn.LogicallyPartitioned),
        )
        return cls(boxed, params, jax.eval_shape(tx.init, params))

    def shardings(self, mesh: Mesh | AbstractMesh) -> TrainState:
        """The state's shardings exactly as `train` lays it out."""
        params = partitioning.param_shardings(self.boxed, mesh)
        return TrainState(
            step=NamedSharding(mesh, PartitionSpec()),
            params=params,
            opt_state=partitioning.opt_state_shardings(self.opt_state, self.params, params, mesh),
        )

    def bytes_per_device(self, mesh: Mesh | AbstractMesh) -> tuple[int, int]:
        """(parameters, optimizer state) bytes on one device under `mesh`'s shardings."""
        shardings = self.shardings(mesh)
        return (
            _sharded_bytes(self.params, shardings.params),
            _sharded_bytes(self.opt_state, shardings.opt_state),
        )


def _sharded_bytes(tree: Any, shardings: Any) -> int:
    return sum(
        math.prod(s.shard_shape(x.shape)) * x.dtype.itemsize
        for x, s in zip(jax.tree.leaves(tree), jax.tree.leaves(shardings), strict=True)
    )


# The packed PrefixLM features `train` feeds (features.get_dataset with pack=True).
_FEATURES = (
    "decoder_target_tokens",
    "decoder_input_tokens",
    "decoder_loss_weights",
    "decoder_causal_attention",
    "decoder_segment_ids",
    "decoder_positions",
)


def _lower_step(
    config: TransformerConfig,
    mesh: Mesh,
    abstract: _AbstractState,
    *,
    tx: optax.GradientTransformation,
    schedule: optax.Schedule,
    batch_size: int,
    length: int,
    num_microbatches: int,
    z_loss: float,
) -> jax.stages.Lowered:
    """The train step of `train` (the same jit, shardings and donation), lowered on
    abstract inputs."""
    model = Transformer(config)
    with partitioning.activate(mesh):
        shardings = abstract.shardings(mesh)
        replicated = shardings.step
        state = TrainState(
            step=jax.ShapeDtypeStruct((), jnp.int32, sharding=replicated),
            params=partitioning.abstract_with(abstract.params, shardings.params),
            opt_state=partitioning.abstract_with(abstract.opt_state, shardings.opt_state),
        )
        data = partitioning.data_sharding(mesh)
        batch = {
            k: jax.ShapeDtypeStruct((batch_size, length), jnp.int32, sharding=data)
            for k in _FEATURES
        }
        rng = jax.ShapeDtypeStruct((2,), jnp.uint32, sharding=replicated)  # PRNGKey
        step = steps.jit_train_step(
            model=model,
            optimizer=tx,
            schedule=schedule,
            state_shardings=shardings,
            data_sharding=data,
            num_microbatches=num_microbatches,
            z_loss=z_loss,
            dropout=config.dropout_rate > 0,
        )
        return step.lower(state, batch, rng)


def _memory(compiled: jax.stages.Compiled) -> dict[str, int]:
    stats = compiled.memory_analysis()
    out = {
        "arguments": stats.argument_size_in_bytes,
        "outputs": stats.output_size_in_bytes,
        "aliased": stats.alias_size_in_bytes,
        "temporaries": stats.temp_size_in_bytes,
        "generated_code": stats.generated_code_size_in_bytes,
    }
    out["total"] = out["arguments"] + out["outputs"] - out["aliased"] + out["temporaries"]
    return {k: int(v) for k, v in out.items()}


def _cost(lowered: jax.stages.Lowered) -> dict[str, float]:
    cost = lowered.cost_analysis()  # a dict; a one-element list on some jax versions
    return (cost[0] if isinstance(cost, list) else cost) or {}


# -- meshes --------------------------------------------------------------------------------


def _resolve_mesh(mesh_shape: Mapping[str, int], num_devices: int) -> dict[str, int]:
    """Mesh sizes as partitioning.make_mesh resolves them (its defaults, one -1 filled)."""
    unknown = set(mesh_shape) - set(partitioning.MESH_AXES)
    if unknown:
        raise ValueError(f"unknown mesh axes {sorted(unknown)}: use {partitioning.MESH_AXES}")
    sizes = {"data": -1, "fsdp": 1, "model": 1, **mesh_shape}
    free = [k for k, v in sizes.items() if v == -1]
    fixed = math.prod(v for v in sizes.values() if v != -1)
    if len(free) > 1 or any(v < 1 for v in sizes.values() if v != -1):
        raise ValueError(f"mesh sizes must be positive, with at most one -1; got {sizes}")
    if free:
        if num_devices % fixed:
            raise ValueError(f"mesh {sizes} cannot be laid out on {num_devices} devices")
        sizes[free[0]] = num_devices // fixed
    if math.prod(sizes.values()) != num_devices:
        raise ValueError(
            f"mesh {sizes} needs {math.prod(sizes.values())} devices, not {num_devices}"
        )
    return {k: int(sizes[k]) for k in partitioning.MESH_AXES}


def _batch_mesh(num_devices: int, rows: int) -> dict[str, int]:
    """fsdp as wide as the batch allows, model parallelism for the remaining devices."""
    fsdp = math.gcd(num_devices, rows)
    return {"data": 1, "fsdp": fsdp, "model": num_devices // fsdp}


def _check_batch(mesh: Mapping[str, int], batch_size: int, num_microbatches: int) -> None:
    """What `train` requires: the batch splits over data x fsdp and into the microbatches."""
    shards = mesh["data"] * mesh["fsdp"]
    if batch_size % shards:
        raise ValueError(
            f"batch {batch_size} does not split over data x fsdp = {shards} devices: use "
            "model parallelism for the remaining devices (e.g. --mesh data=1,fsdp=N,model=M)"
        )
    if batch_size % num_microbatches:
        raise ValueError(f"batch {batch_size} does not split into {num_microbatches} microbatches")


def _candidate_meshes(
    config: TransformerConfig, num_devices: int, rows: int
) -> Iterator[dict[str, int]]:
    """Every (data, fsdp, model) over num_devices whose data x fsdp divides `rows` and
    whose model axis splits the heads and the MLP evenly."""
    divisors = [d for d in range(1, num_devices + 1) if num_devices % d == 0]
    for model in divisors:
        if config.num_heads % model or config.mlp_dim % model:
            continue
        for fsdp in divisors:
            data, rest = divmod(num_devices, model * fsdp)
            if rest == 0 and rows % (data * fsdp) == 0:
                yield {"data": data, "fsdp": fsdp, "model": model}


# -- the formula ---------------------------------------------------------------------------


def estimate_memory(
    config: TransformerConfig,
    mesh_shape: Mapping[str, int],
    *,
    batch_size: int,
    sequence_length: int,
    optimizer: str = "adam",
    optimizer_options: Mapping[str, Any] | None = None,
    num_microbatches: int = 1,
    state: _AbstractState | None = None,
) -> dict[str, int]:
    """Per-device bytes of one train step by part, by formula: no compilation, no devices.

    parameters, optimizer_state: exact, from the shapes and train's shardings on an
      AbstractMesh of `mesh_shape` (sizes resolved: no -1).
    gradients: one parameter-sized, parameter-sharded buffer; two with microbatches (the
      accumulator and the current microbatch's).
    optimizer_update: the new parameters and optimizer state, computed before train_step's
      finite check chooses between them and the old ones.
    gathered_weights: with fsdp > 1, the embedding and one layer's weights all-gathered
      over fsdp (split by model only) while they are used.
    activations, logits: `_activation_bytes`, for rows = batch / (microbatches x data x
      fsdp) per device.
    inputs: the batch's six int32 features.
    Against XLA's compiled totals for the gin models (2B to 27B, 8 to 256 devices), the
    formula's total was within about 25% (see the module docstring).
    """
    if state is None:
        tx, _ = optimizers.make_optimizer(optimizer, **(optimizer_options or {}))
        state = _AbstractState.of(config, tx)
    model = mesh_shape["model"]
    mesh = AbstractMesh(
        tuple(mesh_shape[k] for k in partitioning.MESH_AXES), partitioning.MESH_AXES
    )
    params, opt_state = state.bytes_per_device(mesh)
    shards = mesh_shape["data"] * mesh_shape["fsdp"]
    rows = batch_size / num_microbatches / shards
    activations, logits = _activation_bytes(config, rows, sequence_length, model)
    gathered = 0.0
    if mesh_shape["fsdp"] > 1:
        weights = config.num_embedding_params() + config.num_layer_params()
        gathered = weights / model * jnp.dtype(config.weight_dtype).itemsize
    parts = {
        "parameters": params,
        "optimizer_state": opt_state,
        "gradients": params * (2 if num_microbatches > 1 else 1),
        "optimizer_update": params + opt_state,
        "gathered_weights": int(gathered),
        "activations": int(activations),
        "logits": int(logits),
        "inputs": int(len(_FEATURES) * 4 * batch_size / shards * sequence_length),
    }
    return {**parts, "total": sum(parts.values())}


def _activation_bytes(
    config: TransformerConfig, rows: float, length: int, model: int
) -> tuple[float, float]:
    """(activations, logits): bytes per device that the backward pass needs, by formula.

    Per token, what jax saves for the backward pass of one layer (its residuals, as
    jax._src.ad_checkpoint.saved_residuals lists them for this model), c = the compute
    dtype's bytes:
      remat none     everything: each RMSNorm's three float32 intermediates and output
                     ((12 + c) x D), queries, keys, values and the attention output, the MLP's
                     eight F-wide intermediates (matmuls, activation, product), and per head
                     the attention scores over all L keys (dense; local layers mask): float32
                     logits, mask, exp and c-byte probabilities, plus two float32 copies for
                     the soft-cap;
      remat minimal  the outputs of matmuls without batch dimensions (q, k, v, both output
                     projections, gate and up) and the layer's input;
      remat full     the layer's input.
    With remat, the layer whose gradient is being computed holds its full set again.
    Logits: float32 [tokens, V] buffers (exp, the soft-cap's two) split by model.
    Head, MLP and vocabulary widths are divided by the model axis where it divides them.
    """
    c = jnp.dtype(config.compute_dtype).itemsize
    d, dh = config.embed_dim, config.head_dim

    def split(width: int) -> float:
        return width / model if width % model == 0 else float(width)

    heads = split(config.num_heads)
    q, kv = heads * dh, 2 * split(config.num_kv_heads) * dh
    mlp = split(config.mlp_dim)
    norms = 2 + int(config.post_attn_norm) + int(config.post_mlp_norm)
    score = 9 + c + (8 if config.attn_logit_softcap else 0)
    layer = norms * (12 + c) * d + c * (2 * q + kv + 8 * mlp) + score * heads * length
    kept = {
        "none": layer,
        "minimal": c * (q + kv + 3 * d + 2 * mlp),
        "full": c * d,
    }[config.remat_policy]
    tokens = rows * length
    activations = tokens * (config.num_layers * kept + (config.remat_policy != "none") * layer)
    copies = 3 if config.final_logit_softcap else 1
    return activations, tokens * split(config.vocab_size) * 4 * copies


# -- suggestions ---------------------------------------------------------------------------


def _suggest(
    result: Plan, config: TransformerConfig, abstract: _AbstractState, estimate: Mapping[str, int]
) -> list[str]:
    """Rule-based advice from the numbers, each alternative priced by the formula (scaled by
    this plan's compiled / formula ratio when it was compiled).

    Over 90% of HBM: the best single change that fits, of each kind: a mesh (least model
    parallelism, whose collectives sit in every layer, then least fsdp), a heavier remat
    policy, more microbatches; if none does, the cheapest combination; and whether the state
    alone exceeds the chips' memory. With room to spare: a lighter remat policy that fits.
    """
    hbm, budget = result.hbm_bytes, TIGHT * result.hbm_bytes
    scale = result.total / estimate["total"]
    rows, micro_now, mesh_now = result.batch_size, result.num_microbatches, result.mesh

    def price(remat: str, mesh: Mapping[str, int], micro: int) -> float:
        cfg = dataclasses.replace(config, remat_policy=remat)
        est = estimate_memory(
            cfg,
            mesh,
            batch_size=rows,
            sequence_length=result.sequence_length,
            num_microbatches=micro,
            state=abstract,
        )
        return est["total"] * scale

    heavier = {"none": ("minimal", "full"), "minimal": ("full",), "full": ()}
    if result.total <= budget:
        lighter = {"full": "minimal", "minimal": "none"}.get(config.remat_policy)
        if lighter and (need := price(lighter, mesh_now, micro_now)) <= budget:
            return [
                f"room to spare: remat_policy {lighter!r} (less recomputation, faster) needs "
                f"about {_size(need)} of {_size(hbm)}"
            ]
        return []
    out = []
    # Parameters, gradients, optimizer state and the update's new copy of both, fully
    # sharded: no mesh, remat policy or microbatch count goes below this.
    state = 3 * _tree_bytes(abstract.params) + 2 * _tree_bytes(abstract.opt_state)
    if state / result.num_devices > budget:
        out.append(
            f"parameters, gradients and optimizer state (with the update's new copy) alone "
            f"need {_size(state / result.num_devices)} per chip even fully sharded over "
            f"{result.num_devices}: use {math.ceil(state / budget)} or more chips, optimizer "
            "'adafactor' (factored second moments) or param_dtype bfloat16"
        )
    micros = [m for m in (1, 2, 4, 8, 16, 32, 64) if rows % m == 0]
    meshes = {m: list(_candidate_meshes(config, result.num_devices, rows // m)) for m in micros}
    single = [
        (
            "mesh",
            [
                (price(config.remat_policy, mesh, micro_now), mesh, config.remat_policy, micro_now)
                for mesh in meshes.get(micro_now, [])
                if mesh != mesh_now
            ],
        ),
        (
            "remat_policy",
            [
                (price(r, mesh_now, micro_now), mesh_now, r, micro_now)
                for r in heavier[config.remat_policy]
            ],
        ),
        (
            "num_microbatches",
            [
                (price(config.remat_policy, mesh_now, m), mesh_now, config.remat_policy, m)
                for m in micros
                if m > micro_now and mesh_now in meshes[m]
            ],
        ),
    ]
    singles = 0
    for kind, options in single:
        fitting = [o for o in options if o[0] <= budget]
        if fitting:
            singles += 1
            need, mesh, remat, micro = min(
                fitting, key=lambda o: (o[1]["model"], o[1]["fsdp"], o[3], o[0])
            )
            change = {
                "mesh": "mesh " + _mesh_text(mesh),
                "remat_policy": f"remat_policy {remat!r}",
                "num_microbatches": f"num_microbatches {micro}",
            }[kind]
            out.append(f"{change}: about {_size(need)} per chip")
    if not singles:
        rank = {"none": 0, "minimal": 1, "full": 2}
        combos = [
            (price(r, mesh, m), mesh, r, m)
            for m in micros
            for r in (config.remat_policy, *heavier[config.remat_policy])
            for mesh in meshes[m]
        ]
        fitting = [o for o in combos if o[0] <= budget]
        if fitting:
            need, mesh, remat, micro = min(
                fitting, key=lambda o: (rank[o[2]] + math.log2(o[3]), o[1]["model"], o[0])
            )
            out.append(
                f"together: mesh {_mesh_text(mesh)}, remat_policy {remat!r}, "
                f"num_microbatches {micro}: about {_size(need)} per chip"
            )
        elif combos:
            need = min(o[0] for o in combos)
            out.append(
                f"no mesh, remat policy or microbatch count fits {result.num_devices} chips "
                f"(the least needs about {_size(need)} per chip): use more chips"
            )
    return out


def _mesh_text(mesh: Mapping[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in mesh.items())


def _tree_bytes(tree: Any) -> int:
    return sum(math.prod(x.shape) * x.dtype.itemsize for x in jax.tree.leaves(tree))


# -- running on simulated devices ----------------------------------------------------------

_MARKER = "FLAME_JAX_PLAN "


def run_in_subprocess(
    spec: Mapping[str, Any], num_devices: int, *, timeout: float | None = None
) -> Plan:
    """`plan(**spec)` in a child python with `num_devices` simulated CPU devices.

    spec: plan()'s keyword arguments, with model_config as a dict
    (dataclasses.asdict(TransformerConfig)); JSON-serialisable. The child's stderr tail is
    in the error when it fails; a timeout raises TimeoutError (try compile=False).
    """
    env = dict(os.environ)
    flags = [
        f
        for f in env.get("XLA_FLAGS", "").split()
        if not f.startswith("--xla_force_host_platform_device_count")
    ]
    env["XLA_FLAGS"] = " ".join([*flags, f"--xla_force_host_platform_device_count={num_devices}"])
    env["JAX_PLATFORMS"] = "cpu"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    code = "import sys; from flame_jax.training import planning; sys.exit(planning._child())"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps({**spec, "num_devices": num_devices}),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise TimeoutError(
            f"compiling on {num_devices} simulated devices took over {timeout:.0f} s: "
            "plan by formula instead (--analytic / compile=False)"
        ) from e
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(_MARKER)]
    if proc.returncode or not lines:
        raise RuntimeError(
            f"planning on {num_devices} simulated devices failed (exit {proc.returncode}):\n"
            + proc.stderr[-3000:]
        )
    return Plan(**json.loads(lines[-1][len(_MARKER) :]))


def _child() -> int:
    """The child side of run_in_subprocess: a spec on stdin, the plan on stdout."""
    spec = json.loads(sys.stdin.read())
    config = TransformerConfig(**spec.pop("model_config"))
    print(_MARKER + json.dumps(plan(config, **spec).to_dict()), flush=True)
    return 0
