"""Every shipped run gin parses with its required macros bound."""

import glob
import os

import gin
import pytest

from flame_jax import configurables  # noqa: F401
from flame_jax.training import train as train_lib

RUNS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "gin", "runs", "*.gin")))


@pytest.mark.parametrize("path", RUNS, ids=os.path.basename)
def test_run_gin_parses(path):
    gin.clear_config()
    gin.add_config_file_search_path(train_lib.REPO_ROOT)
    gin.parse_config_files_and_bindings(
        [path], ['MODEL_DIR = "/tmp/m"', 'VOCABULARY = "/tmp/v.model"'], finalize_config=False
    )
    assert gin.query_parameter("train.train_steps") is not None
    header = open(path).read().split("\n\n")[0]
    assert "Required:" in header and "flame-jax" in header
    gin.clear_config()
