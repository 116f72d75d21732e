"""Hugging Face import and export: safetensors model folders <-> flame-jax checkpoints.

    flame-jax convert hf-to-flame --hf_dir D --output C     (importing.hf_to_flame)
    flame-jax convert flame-to-hf --checkpoint C --output D (exporting.flame_to_hf)

Families: Gemma 1/2/3 (text), Llama 2/3, Mistral, Qwen2 (flame_jax.convert.architectures).
Needs neither torch nor transformers: safetensors are read and written with numpy
(flame_jax.convert.safetensors_io); transformers only checks the results in the tests.
"""

from flame_jax.convert.architectures import (
    FAMILIES,
    UnsupportedError,
    config_from_hf,
    family_of,
    hf_config,
    tensor_maps,
)
from flame_jax.convert.exporting import flame_to_hf
from flame_jax.convert.importing import ImportResult, hf_to_flame, load_hf_params

__all__ = [
    "FAMILIES",
    "ImportResult",
    "UnsupportedError",
    "config_from_hf",
    "family_of",
    "flame_to_hf",
    "hf_config",
    "hf_to_flame",
    "load_hf_params",
    "tensor_maps",
]
