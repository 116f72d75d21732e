"""Every shipped run gin parses with its required macros bound."""

import glob
import os

import gin
import pytest

from flame_jax import configurables

RUNS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "gin", "runs", "*.gin")))


@pytest.mark.parametrize("path", RUNS, ids=os.path.basename)
def test_run_gin_parses(path):
    gin.clear_config()
    gin.add_config_file_search_path(configurables.REPO_ROOT)
    required = [
        'MODEL_DIR = "/tmp/m"',
        'VOCABULARY = "/tmp/v.model"',
        'INITIAL_CHECKPOINT_PATH = "/tmp/base"',
        "TRAIN_STEPS = 10",
        'MIXTURE_OR_TASK_NAME = "demo"',
        'OPT_RM_WEIGHTS = "/tmp/mixture.json"',
    ]
    header = open(path).read().split("\n\n")[0]
    bound = [b for b in required if b.split(" =")[0] in header]  # the header names them
    gin.parse_config_files_and_bindings([path], bound, finalize_config=False)
    assert gin.query_parameter("train.train_steps") is not None
    assert "Required:" in header and "flame-jax" in header
    gin.clear_config()
