"""Every gin/models/*.gin parses, builds a valid TransformerConfig, and states its true size."""

import pathlib
import re

import gin
import jax
import pytest

from flame_jax import configurables  # noqa: F401  (registers TransformerConfig)
from flame_jax.models import Transformer, TransformerConfig, init_params

MODELS = pathlib.Path(__file__).resolve().parents[1] / "gin" / "models"
GIN_FILES = sorted(MODELS.glob("*.gin"))


def _config(path: pathlib.Path) -> TransformerConfig:
    gin.clear_config()
    try:
        gin.parse_config_file(str(path))
        return gin.get_configurable("flame_jax.models.TransformerConfig")()
    finally:
        gin.clear_config()


def test_the_model_sizes_are_there():
    names = {p.stem for p in GIN_FILES}
    assert {"tiny", "small", "gemma2_2b", "gemma2_9b", "gemma2_27b", "llama3_8b"} <= names


@pytest.mark.parametrize("path", GIN_FILES, ids=lambda p: p.stem)
def test_gin_file_builds_a_config_matching_its_header(path):
    config = _config(path)
    assert isinstance(config, TransformerConfig)
    header = path.read_text().split("\n\n")[0]
    assert header.startswith(f"# {path.stem}:")
    # The header's parameter count ("2,614,341,888 parameters" or "0.25M parameters").
    exact = re.search(r"([\d,]{5,}) parameters", header)
    if exact:
        assert config.num_params() == int(exact.group(1).replace(",", ""))
    else:
        millions = float(re.search(r"([\d.]+)M parameters", header).group(1))
        assert config.num_params() / 1e6 == pytest.approx(millions, rel=0.02)
    # The flax model has exactly that many parameters (shapes only: nothing is allocated).
    shapes = jax.eval_shape(lambda: init_params(Transformer(config), jax.random.key(0)))
    leaves = jax.tree_util.tree_leaves(
        shapes, is_leaf=lambda x: hasattr(x, "value") and hasattr(x.value, "shape")
    )
    assert sum(leaf.value.size for leaf in leaves) == config.num_params()
