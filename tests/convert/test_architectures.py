"""config.json <-> TransformerConfig in both transformers formats, and the tensor-name map."""

import numpy as np
import pytest

from flame_jax.convert import architectures
from flame_jax.convert.architectures import UnsupportedError

# The config.json of google/gemma-2-2b (transformers 4 format: no layer_types, rope_theta).
GEMMA2_2B_V4 = {
    "architectures": ["Gemma2ForCausalLM"],
    "attn_logit_softcapping": 50.0,
    "final_logit_softcapping": 30.0,
    "head_dim": 256,
    "hidden_act": "gelu_pytorch_tanh",
    "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 2304,
    "intermediate_size": 9216,
    "model_type": "gemma2",
    "num_attention_heads": 8,
    "num_hidden_layers": 26,
    "num_key_value_heads": 4,
    "query_pre_attn_scalar": 256,
    "rms_norm_eps": 1e-06,
    "rope_theta": 10000.0,
    "sliding_window": 4096,
    "vocab_size": 256000,
}
# google/gemma-3-4b-it's text config (transformers 4 format), as a Gemma3ForCausalLM.
GEMMA3_4B_TEXT_V4 = {
    "architectures": ["Gemma3ForCausalLM"],
    "model_type": "gemma3_text",
    "head_dim": 256,
    "hidden_size": 2560,
    "intermediate_size": 10240,
    "num_attention_heads": 8,
    "num_hidden_layers": 34,
    "num_key_value_heads": 4,
    "query_pre_attn_scalar": 256,
    "rope_local_base_freq": 10000.0,
    "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
    "rope_theta": 1000000.0,
    "sliding_window": 1024,
    "sliding_window_pattern": 6,
    "vocab_size": 262208,
}


def test_gemma2_2b_config_equals_the_model_gin(tmp_path):
    import gin

    from flame_jax import configurables

    config = architectures.config_from_hf(GEMMA2_2B_V4, scan_layers=True, remat_policy="minimal")
    gin.clear_config()
    gin.parse_config_file("gin/models/gemma2_2b.gin")
    assert architectures.same_architecture(config, configurables.model_config_from_gin()) == []
    assert config.num_params() == 2_614_341_888


def test_gemma3_transformers4_format():
    config = architectures.config_from_hf(GEMMA3_4B_TEXT_V4)
    assert config.attention_pattern == ("local",) * 5 + ("global",)
    assert config.local_rope_base == 10_000.0 and config.rope_base == 1e6
    assert config.layer_rope_scales()[:6] == (1.0,) * 5 + (8.0,)
    assert config.qk_norm and config.query_scale == 256**-0.5


def test_cyclic_patterns_and_layer_types():
    hf = {**GEMMA2_2B_V4, "num_hidden_layers": 5}
    hf["layer_types"] = ["sliding_attention", "full_attention"] * 2 + ["sliding_attention"]
    assert architectures.config_from_hf(hf).attention_pattern == ("local", "global")
    hf["layer_types"] = ["full_attention"] * 4 + ["sliding_attention"]
    assert architectures.config_from_hf(hf).layer_kinds() == ("global",) * 4 + ("local",)
    hf["layer_types"] = ["full_attention"] * 4
    with pytest.raises(UnsupportedError, match="4 entries for 5 layers"):
        architectures.config_from_hf(hf)


@pytest.mark.parametrize(
    "hf",
    [GEMMA2_2B_V4, GEMMA3_4B_TEXT_V4],
    ids=["gemma2", "gemma3"],
)
def test_generated_config_reads_back_the_same(hf):
    config = architectures.config_from_hf(hf)
    generated = architectures.hf_config(config)
    assert generated["model_type"] == hf["model_type"]
    assert architectures.same_architecture(architectures.config_from_hf(generated), config) == []


def test_family_inference_and_refusals():
    gemma2 = architectures.config_from_hf(GEMMA2_2B_V4)
    assert architectures.infer_family(gemma2) == "gemma2"
    with pytest.raises(UnsupportedError, match="norm_scale_plus_one"):
        architectures.hf_config(gemma2, "mistral")
    with pytest.raises(UnsupportedError, match="unknown family"):
        architectures.hf_config(gemma2, "gpt2")
    with pytest.raises(UnsupportedError, match="rotary scaling of the sliding-window layers"):
        architectures.config_from_hf(
            {
                **GEMMA3_4B_TEXT_V4,
                "rope_parameters": {
                    "full_attention": {"rope_type": "default", "rope_theta": 1e6},
                    "sliding_attention": {"rope_type": "linear", "factor": 2.0},
                },
            }
        )


def test_tensor_maps_are_views_plus_transposes():
    config = architectures.config_from_hf({**GEMMA2_2B_V4, "num_hidden_layers": 1})
    maps = {m.hf_name: m for m in architectures.tensor_maps(config, "gemma2")}
    o = maps["model.layers.0.self_attn.o_proj.weight"]
    assert o.hf_shape == (2304, 2048) and o.flame_shape == (8, 256, 2304)
    rng = np.random.default_rng(0)
    hf = rng.normal(size=(6, 4 * 3))  # o_proj [D=6, H*Dh = 4*3]
    small = architectures.TensorMap("o", (6, 12), ("out",), (6, 4, 3), (1, 2, 0))
    flame = hf.reshape(6, 4, 3).transpose(1, 2, 0)
    np.testing.assert_array_equal(small.to_hf(flame), hf)
    index = (slice(1, 3), slice(None), slice(2, 4))
    block = hf.reshape(small.hf_view)[small.to_flame_index(index)].transpose(small.perm)
    np.testing.assert_array_equal(block, flame[index])
    assert (
        "model.layers.0.post_feedforward_layernorm.weight" in maps and "lm_head.weight" not in maps
    )
