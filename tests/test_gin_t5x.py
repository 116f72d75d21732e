"""gin/t5x/: run gins for t5x itself, checked against t5x's source without t5x installed.

t5x is not on PyPI, so these tests read each file's text: every include, import, configurable
and macro it names must exist in t5x (the list below, taken from google-research/t5x at the
commits given), in this project, or in an installed library; the mixtures it names must be
registered by flame_tasks; its required macros must be documented in its header; and its
recipe must be gin/runs/'s. With t5x installed, one more test parses the files for real.
"""

import ast
import glob
import importlib
import inspect
import os
import re

import gin
import optax
import pytest
import seqio

from flame_jax.configurables import REPO_ROOT as ROOT

T5X_GINS = sorted(glob.glob(os.path.join(ROOT, "gin", "t5x", "*.gin")))

# google-research/t5x files, each at the commit looked at.
T5X_FILES = {
    "t5x/configs/runs/finetune.gin": "0183fb0931fc44c7b974ea1e7f973cb5b2a7203a",
    "t5x/examples/decoder_only/models/base.gin": "247e27ef8ee90f36c20302fe857629a8dd321f42",
    "t5x/examples/decoder_only/models/large.gin": "f6ddd20522d95b9c3be9145a368513383597dc44",
    "t5x/examples/decoder_only/models/xl.gin": "fad51b8091215bdccc1e949e57e1faa1fcb68343",
    "t5x/examples/decoder_only/models/xxl.gin": "2c294339c42788daf66857f61545c9f101c0e8cf",
    "t5x/examples/t5/t5_1_1/adamw_opt.gin": "7166457ef53349fd3f782401107913fb49f1ae4c",
    "t5x/models.py": "00461dd4c76fb1e47258143d326a9c963f396ed8",
    "t5x/optimizers.py": "18f74b7891223faf96825d02ef7d7b23630a4c3c",
    "t5x/partitioning.py": "00604b5b2bb7ba972d40d77c524fa5c1c6dfdd39",
    "t5x/train.py": "00d04118ea315d3dbd847adf807435c239e8691f",
}
# Modules a gin file may import from t5x -> the file defining them.
T5X_MODULES = {
    "t5x.models": "t5x/models.py",
    "t5x.optimizers": "t5x/optimizers.py",
    "t5x.partitioning": "t5x/partitioning.py",
    "t5x.utils": "t5x/configs/runs/finetune.gin",  # imported there (`from t5x import utils`)
    "__main__": "t5x/train.py",  # `import __main__ as train_script` under python -m t5x.train
}
# Configurables (and their parameters) -> where t5x defines them or binds them itself.
T5X_CONFIGURABLES = {
    "optimizers.chain": ("t5x/optimizers.py", {"transformations"}),  # also adamw_opt.gin
    "partitioning.PjitPartitioner": (
        "t5x/partitioning.py",
        {"num_partitions", "model_parallel_submesh", "params_on_devices", "logical_axis_rules"},
    ),
    "partitioning.standard_logical_axis_rules": (
        "t5x/partitioning.py",
        {"activation_partitioning_dims", "parameter_partitioning_dims", "additional_rules"},
    ),
    "utils.SaveCheckpointConfig": (
        "t5x/configs/runs/finetune.gin",
        {"period", "dtype", "keep", "save_dataset"},
    ),
    "utils.create_learning_rate_scheduler": (
        "t5x/configs/runs/finetune.gin",
        {"factors", "base_learning_rate", "warmup_steps"},
    ),
    "train_script.train": (
        "t5x/train.py",
        {"infer_eval_dataset_cfg", "train_eval_dataset_cfg", "eval_period", "eval_steps"},
    ),
    "models.DecoderOnlyModel": (
        "t5x/models.py",
        {"inputs_bidirectional_attention", "feature_converter_cls", "z_loss"},
    ),
}
# Macros t5x's gin files define -> the file; and those finetune.gin marks %gin.REQUIRED.
T5X_MACROS = {
    **dict.fromkeys(
        "MODEL_DIR MIXTURE_OR_TASK_NAME TASK_FEATURE_LENGTHS MIXTURE_OR_TASK_MODULE TRAIN_STEPS "
        "INITIAL_CHECKPOINT_PATH DROPOUT_RATE USE_CACHED_TASKS BATCH_SIZE EVAL_STEPS EVAL_PERIOD "
        "RANDOM_SEED".split(),
        "t5x/configs/runs/finetune.gin",
    ),
    **dict.fromkeys(
        "VOCABULARY OPTIMIZER MODEL Z_LOSS LABEL_SMOOTHING LOSS_NORMALIZING_FACTOR".split(),
        "t5x/examples/decoder_only/models/base.gin",
    ),
}
T5X_REQUIRED = {"MODEL_DIR", "TRAIN_STEPS", "INITIAL_CHECKPOINT_PATH"}  # + the model gin's MODEL


def _parse(path: str) -> dict:
    """Includes, imports, macros and configurable bindings of a gin file (following includes
    of this project's gin files; later bindings win, as in gin)."""
    out = {"includes": [], "imports": {}, "macros": {}, "bindings": {}}
    text = open(path).read()
    block = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.startswith((" ", "\t")) and block:  # `Configurable:` block of `param = value`
            name, value = (part.strip() for part in line.split("=", 1))
            out["bindings"][f"{block}.{name}"] = value
            continue
        block = None
        if m := re.match(r"include ['\"](.+)['\"]$", line):
            out["includes"].append(m[1])
            if m[1].startswith("gin/"):
                included = _parse(os.path.join(ROOT, m[1]))
                for key in ("imports", "macros", "bindings"):
                    out[key] = {**included[key], **out[key]}
        elif m := re.match(r"from (\S+) import (\S+)(?: as (\S+))?$", line):
            out["imports"][m[3] or m[2]] = f"{m[1]}.{m[2]}" if m[1] != "__gin__" else "__gin__"
        elif m := re.match(r"import (\S+)(?: as (\S+))?$", line):
            out["imports"][m[2] or m[1]] = m[1]
        elif m := re.match(r"([\w./]+):$", line):
            block = m[1]
        elif m := re.match(r"([\w./]+) = (.+)$", line):
            name, value = m[1], m[2].strip()
            (out["macros"] if "." not in name else out["bindings"])[name] = value
        else:
            raise AssertionError(f"{path}: cannot read {raw!r}")
    return out


def _header(path: str) -> str:
    return open(path).read().split("\n\n")[0]


def test_there_are_t5x_run_gins_and_a_readme():
    names = [os.path.basename(p) for p in T5X_GINS]
    assert names == ["flame_finetune.gin", "flame_rm.gin"]
    readme = open(os.path.join(ROOT, "gin", "t5x", "README.md")).read()
    for name in names:
        assert name in readme


def _in_t5x(module: str) -> bool:
    return module.startswith("t5x.") or module == "__main__"


def _resolve(dotted: str):
    """A module, or an attribute of one (`from a.b import c`): imported for real."""
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError:
        parent, _, leaf = dotted.rpartition(".")
        return getattr(importlib.import_module(parent), leaf)


@pytest.mark.parametrize("path", T5X_GINS, ids=os.path.basename)
def test_includes_and_imports_exist(path):
    parsed = _parse(path)
    for include in parsed["includes"]:
        if include.startswith("t5x/"):
            assert include in T5X_FILES, f"{include} is not a t5x file we checked"
        else:
            assert os.path.exists(os.path.join(ROOT, include)), include
    for module in parsed["imports"].values():
        if _in_t5x(module):
            assert module in T5X_MODULES, f"{module} is not a t5x module we checked"
        elif module != "__gin__":
            assert _resolve(module), module  # this project or an installed library


@pytest.mark.parametrize("path", T5X_GINS, ids=os.path.basename)
def test_configurables_references_and_macros_exist(path):
    parsed = _parse(path)
    for name in parsed["bindings"]:
        configurable, param = name.rsplit(".", 1)
        alias, _, attr = configurable.partition(".")
        module = parsed["imports"][alias]
        if _in_t5x(module):
            assert configurable in T5X_CONFIGURABLES, f"{configurable} not checked in t5x"
            assert param in T5X_CONFIGURABLES[configurable][1], f"{name} not in t5x"
        else:
            assert param in inspect.signature(getattr(_resolve(module), attr)).parameters, name
    body = open(path).read().split("\n\n", 1)[1]  # the header's commands are not gin
    for reference in re.findall(r"@([\w.]+)", body):
        alias, _, attr = reference.partition(".")
        module = parsed["imports"][alias]
        if _in_t5x(module):
            assert reference in T5X_CONFIGURABLES, f"@{reference} not checked in t5x"
        else:
            assert hasattr(_resolve(module), attr), reference
    for macro in re.findall(r"%([A-Z_]+)", body):
        assert macro in parsed["macros"] or macro in T5X_MACROS, f"%{macro} is defined nowhere"


@pytest.mark.parametrize("path", T5X_GINS, ids=os.path.basename)
def test_mixtures_are_registered_by_flame_tasks(path):
    macros = _parse(path)["macros"]
    assert ast.literal_eval(macros["MIXTURE_OR_TASK_MODULE"]) == "flame_tasks"
    importlib.import_module("flame_tasks")
    name = ast.literal_eval(macros["MIXTURE_OR_TASK_NAME"])
    assert name in seqio.MixtureRegistry.names()


def test_the_flame_cache_covers_flame_rm():
    """flame_rm.gin reads the cache built for `flame`: its tasks are among flame's."""
    flame = {t.name for t in seqio.get_mixture_or_task("flame").tasks}
    assert {t.name for t in seqio.get_mixture_or_task("flame_rm").tasks} <= flame


@pytest.mark.parametrize("path", T5X_GINS, ids=os.path.basename)
def test_required_macros_and_the_command_are_in_the_header(path):
    parsed, header = _parse(path), _header(path)
    required_text = header.split("Required:", 1)[1].split("# Common overrides:", 1)[0]
    required = {m for m, v in parsed["macros"].items() if v == "%gin.REQUIRED"}
    required |= {m for m in T5X_REQUIRED if m not in parsed["macros"]}
    for macro in sorted(required):
        assert macro in required_text, f"{macro} is required but not documented"
    assert "model gin BEFORE this file" in required_text  # t5x's MODEL
    assert "FLAME_VOCAB" in required_text
    assert "OPTIONAL" in header and "python -m t5x.train" in header
    assert f"--gin_file=gin/t5x/{os.path.basename(path)}" in header
    for t5x_gin in re.findall(r"--gin_file=(t5x/\S+)", header):
        assert t5x_gin in T5X_FILES, t5x_gin


def _flame_jax_recipe(run: str) -> dict:
    from flame_jax import configurables  # noqa: F401

    gin.clear_config()
    gin.add_config_file_search_path(ROOT)
    bindings = ['MODEL_DIR = "/m"', 'VOCABULARY = "/v"', 'INITIAL_CHECKPOINT_PATH = "/c"']
    if run == "flame_rm":
        bindings.append("TRAIN_STEPS = 30050")
    gin.parse_config_files_and_bindings([f"gin/runs/{run}.gin"], bindings, finalize_config=False)
    try:
        return {
            name: gin.query_parameter(f"%{name}")
            for name in ("MIXTURE_OR_TASK_NAME", "TASK_FEATURE_LENGTHS", "BATCH_SIZE")
        } | {
            "DROPOUT_RATE": gin.query_parameter("%DROPOUT_RATE"),
            "learning_rate": gin.query_parameter("make_optimizer.learning_rate"),
        }
    finally:
        gin.clear_config()


@pytest.mark.parametrize(
    ("t5x_gin", "run"), [("flame_finetune", "flame"), ("flame_rm", "flame_rm")]
)
def test_the_recipe_is_gin_runs(t5x_gin, run):
    parsed = _parse(os.path.join(ROOT, "gin", "t5x", f"{t5x_gin}.gin"))
    macros = {k: ast.literal_eval(v) for k, v in parsed["macros"].items() if v[0] not in "@%"}
    ours = _flame_jax_recipe(run)
    for name in ("MIXTURE_OR_TASK_NAME", "TASK_FEATURE_LENGTHS", "BATCH_SIZE", "DROPOUT_RATE"):
        assert macros[name] == ours[name], name
    assert float(parsed["bindings"]["optax.adam.learning_rate"]) == ours["learning_rate"]
    assert parsed["bindings"]["optimizers.chain.transformations"] == "[@optax.adam()]"
    assert "constant" in parsed["bindings"]["utils.create_learning_rate_scheduler.factors"]
    assert "learning_rate" in inspect.signature(optax.adam).parameters


def test_parses_with_t5x_installed():
    """Only where t5x is installed from source (it is optional)."""
    pytest.importorskip("t5x", reason="t5x is optional (install it from source)")
    import t5x

    gin.clear_config()
    for path in (ROOT, os.path.dirname(os.path.dirname(t5x.__file__))):
        gin.add_config_file_search_path(path)
    try:
        gin.parse_config_files_and_bindings(
            ["t5x/examples/decoder_only/models/base.gin", "gin/t5x/flame_rm.gin"],
            ['MODEL_DIR = "/m"', 'INITIAL_CHECKPOINT_PATH = "/c"', "TRAIN_STEPS = 10"],
            finalize_config=False,
            skip_unknown=["train_script.train"],
        )
        assert gin.query_parameter("%MIXTURE_OR_TASK_NAME") == "flame_rm"
        assert gin.query_parameter("%BATCH_SIZE") == 8
    finally:
        gin.clear_config()
