"""Memory planning: topology names, the compiled plan on 8 simulated devices (in subprocesses:
this process has one device), the formula for the paper's 27B setup, and the command line."""

import dataclasses
import json

import gin
import pytest

from flame_jax import cli, configurables
from flame_jax.models import TransformerConfig
from flame_jax.training import chips, planning

TINY = TransformerConfig(
    vocab_size=2048,
    embed_dim=64,
    num_layers=2,
    num_heads=4,
    num_kv_heads=2,
    head_dim=16,
    mlp_dim=256,
    post_attn_norm=True,
    post_mlp_norm=True,
)


def test_topology_names():
    assert chips.parse_topology("v5p-128").num_chips == 64  # TensorCores: 2 per chip
    assert chips.parse_topology("v4-8").num_chips == 4
    assert chips.parse_topology("v5litepod-16").num_chips == 16  # chips
    assert chips.parse_topology("v5e-4").chip.name == "v5e"
    assert chips.parse_topology("v6e-256").num_chips == 256
    assert chips.parse_topology("v5p-512").chip.hbm_bytes == 95 * 2**30
    with pytest.raises(ValueError, match=r"unknown TPU topology 'v7-8'.*v5p-128"):
        chips.parse_topology("v7-8")
    with pytest.raises(ValueError, match="Did you mean 'v5litepod'"):
        chips.parse_topology("v5lite-16")
    with pytest.raises(ValueError, match="counts TensorCores, 2 per chip"):
        chips.parse_topology("v5p-3")
    with pytest.raises(ValueError, match="unknown TPU topology"):
        chips.parse_topology("tpu")


@pytest.fixture(scope="module")
def compiled_plans():
    """The tiny model on 8 simulated devices: fully sharded (fsdp=8) on v5p chips, and
    replicated (data=8) on a deliberately tiny HBM."""
    spec = {
        "model_config": dataclasses.asdict(TINY),
        "batch_size": 8,
        "sequence_length": {"inputs": 96, "targets": 32},
        "optimizer": "adam",
    }
    fsdp = planning.run_in_subprocess(
        {**spec, "topology": "v5p-16", "mesh_shape": {"data": 1, "fsdp": 8}}, 8, timeout=300
    )
    data = planning.run_in_subprocess(
        {**spec, "mesh_shape": {"data": 8}, "hbm_bytes": 2**20}, 8, timeout=300
    )
    return fsdp, data


def test_compiled_plan_counts_sharded_parameters(compiled_plans):
    fsdp, _ = compiled_plans
    assert fsdp.num_devices == 8 and fsdp.mesh == {"data": 1, "fsdp": 8, "model": 1}
    assert fsdp.sequence_length == 128 and fsdp.chip == "v5p"
    # Every matrix splits its embed axis 8 ways; norm scales are replicated.
    norms = TINY.num_layers * TINY.embed_dim * 4 + TINY.embed_dim
    assert fsdp.parameters == (TINY.num_params() - norms) * 4 // 8 + norms * 4
    assert abs(fsdp.optimizer_state - 2 * fsdp.parameters) <= 16  # Adam's moments (+ count)
    assert fsdp.compiled["arguments"] >= fsdp.parameters + fsdp.optimizer_state
    assert fsdp.compiled["aliased"] > 0  # the state is donated, as in train
    assert fsdp.fits and fsdp.total == fsdp.compiled["total"]
    assert 0.5 < fsdp.estimate["total"] / fsdp.total < 2.0
    tokens = 8 * 128
    assert fsdp.model_flops_per_step == TINY.flops_per_token(128) * tokens
    assert 0.8 < fsdp.flops_per_step / fsdp.model_flops_per_step < 1.5
    report = fsdp.report()
    assert "mesh data=1 fsdp=8 model=1" in report and "fits" in report


def test_splitting_parameters_more_uses_less_memory(compiled_plans):
    fsdp, data = compiled_plans
    assert data.parameters == TINY.num_params() * 4  # replicated on every device
    assert fsdp.parameters < data.parameters
    assert fsdp.compiled["total"] < data.compiled["total"]


def test_tiny_hbm_does_not_fit_and_suggests(compiled_plans):
    _, data = compiled_plans
    assert not data.fits and data.hbm_bytes == 2**20
    assert data.suggestions
    assert "DOES NOT FIT" in data.report()
    assert planning.Plan(**json.loads(json.dumps(data.to_dict()))) == data


def test_formula_for_the_paper_setup():
    """27B, full fine-tuning, batch 32 x 2048, 256 and 128 chips: planned without devices."""
    gin.clear_config()
    gin.parse_config_file(f"{configurables.REPO_ROOT}/gin/models/gemma2_27b.gin")
    config = configurables.model_config_from_gin()
    gin.clear_config()
    lengths = {"inputs": 1792, "targets": 256}
    for topology, num_chips, model in (("v5p-512", 256, 8), ("v5p-256", 128, 4)):
        result = planning.plan(
            config, batch_size=32, sequence_length=lengths, topology=topology, compile=False
        )
        # train's default data=N cannot split batch 32: fsdp takes the batch, model the rest.
        assert result.mesh == {"data": 1, "fsdp": 32, "model": model}
        assert "train.mesh_shape" in result.notes[0]
        assert result.parameters == pytest.approx(config.num_params() * 4 / num_chips, rel=0.01)
        assert result.compiled is None and result.fits
    too_small = planning.plan(
        config, batch_size=32, sequence_length=2048, topology="v5litepod-16", compile=False
    )
    assert not too_small.fits
    assert "even fully sharded over 16" in too_small.suggestions[0]


def test_mesh_must_split_the_batch():
    with pytest.raises(ValueError, match="does not split over data x fsdp = 16 devices"):
        planning.plan(
            TINY,
            batch_size=8,
            sequence_length=64,
            topology="v5p-32",
            mesh_shape={"fsdp": 16, "data": 1},
            compile=False,
        )


def test_command_line_by_formula(capsys):
    argv = ["--gin_file=gin/models/tiny.gin", "--gin_file=gin/runs/demo.gin", "--topology"]
    assert (
        cli.main(["plan", *argv, "v5p-16", "--analytic", "--mesh", "data=2,fsdp=4", "--json"]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["name"] == "tiny" and result["mesh"] == {"data": 2, "fsdp": 4, "model": 1}
    assert result["optimizer"] == "adamw" and result["batch_size"] == 16  # demo.gin's
    assert cli.main(["plan", *argv, "v5p-16", "--analytic", "--hbm_gib", "0.001"]) == 1
    assert "DOES NOT FIT" in capsys.readouterr().out
    assert cli.main(["plan", *argv, "v9-8", "--analytic"]) == 2
    assert "unknown TPU topology" in capsys.readouterr().err
