"""Tiny random Hugging Face models built offline with transformers (torch: test-only).

Helpers of tests/convert (imported by name: `from hf_models import ...`).

Every weight, norm scales included, is drawn from N(0, 0.3) rather than transformers' small
initialisation, so logits are O(1-10) and a wrong mapping (a transpose, a 1 + scale, a missed
soft-cap) moves them by far more than the 1e-4 tolerance.
"""

from __future__ import annotations

import os

import numpy as np

# One small vocabulary for every family; 8 layers at most; sequences of SEQ_LEN tokens are
# longer than every sliding window below, so local attention changes the result.
VOCAB = 96
SEQ_LEN = 16
COMMON = {
    "vocab_size": VOCAB,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 8,
}

# family -> (config class, model class, config overrides): one per special feature.
FAMILY_CONFIGS = {
    # Gemma 1: multi-query attention (one key/value head), tied embeddings.
    "gemma": ("GemmaConfig", "GemmaForCausalLM", {"num_key_value_heads": 1}),
    # Gemma 2: soft-capping (low caps so they bite), local/global alternation, a query scale
    # that is not head_dim.
    "gemma2": (
        "Gemma2Config",
        "Gemma2ForCausalLM",
        {
            "sliding_window": 6,
            "attn_logit_softcapping": 5.0,
            "final_logit_softcapping": 3.0,
            "query_pre_attn_scalar": 24,
        },
    ),
    # Gemma 3 text: qk-norm, two local layers then a global one, a rotary base per kind and
    # linear rotary scaling of the global layers (as Gemma 3 4B-27B).
    "gemma3_text": (
        "Gemma3TextConfig",
        "Gemma3ForCausalLM",
        {
            "num_hidden_layers": 3,
            "layer_types": ["sliding_attention", "sliding_attention", "full_attention"],
            "sliding_window": 5,
            "query_pre_attn_scalar": 8,
            "rope_parameters": {
                "full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 1e6},
                "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
            },
        },
    ),
    # Llama 3 style: grouped-query attention, untied, rotary base 500000.
    "llama": (
        "LlamaConfig",
        "LlamaForCausalLM",
        {"rope_parameters": {"rope_type": "default", "rope_theta": 500_000.0}},
    ),
    # Mistral v0.1: a sliding window on every layer.
    "mistral": ("MistralConfig", "MistralForCausalLM", {"sliding_window": 5}),
    # Qwen2: query/key/value biases, tied embeddings (as Qwen2 0.5B).
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", {"tie_word_embeddings": True}),
}


def build_hf_model(family: str, directory: str, *, seed: int = 0, dtype=None, **overrides):
    """A random `family` model saved as safetensors in `directory`; returns the torch model."""
    import torch
    import transformers

    config_cls, model_cls, extra = FAMILY_CONFIGS[family]
    kwargs = {**COMMON, **extra, **overrides}
    config = getattr(transformers, config_cls)(**kwargs)
    config._attn_implementation = "eager"  # soft-capping needs the eager kernel
    torch.manual_seed(seed)
    model = getattr(transformers, model_cls)(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            # Vectors (norm scales, biases) around 1: a Llama norm scale near 0 would shrink
            # the activations and the logits with them.
            parameter.normal_(1.0 if parameter.ndim == 1 else 0.0, 0.3)
    if dtype is not None:
        model = model.to(dtype)
    os.makedirs(directory, exist_ok=True)
    model.save_pretrained(directory)
    return model


def hf_logits(model, tokens: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.tensor(tokens, dtype=torch.long)).logits.float().numpy()


def hf_greedy(model, prompt: np.ndarray, max_new_tokens: int) -> np.ndarray:
    """Greedy continuation of one prompt [1, P] by transformers' cached generate."""
    import torch

    model.generation_config.eos_token_id = None  # run the whole budget
    model.generation_config.pad_token_id = 0
    with torch.no_grad():
        out = model.generate(
            torch.tensor(prompt, dtype=torch.long),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            min_new_tokens=max_new_tokens,
        )
    return out[0, prompt.shape[1] :].numpy()


def tokens_for(seed: int, batch: int = 2, length: int = SEQ_LEN) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, VOCAB, (batch, length))


# Llama-3- and Qwen2-shaped folders ship a byte-level BPE tokenizer.json (no tokenizer.model).
BPE_STYLES = {"llama": "llama3", "qwen2": "qwen2"}
BPE_CORPUS = [
    "INSTRUCTIONS:\nWhich response is better? Answer A or B.\n\n",
    "CONTEXT:\nResponse A: The capital of France is Paris.\nResponse B: It is Lyon.\n\n",
    "EVALUATION:\nanswer: A\nexplanation: Response A is correct, B is not.\n",
    "unicode: café naïve Straße 東京 日本語 Ελληνικά, code:\n\tdef f(x):\n\t\treturn x * 2\n",
] * 20
# Texts for tokenizer parity: the FLAMe markup, newlines and blank lines, tabs, unicode that
# the corpus lacks (byte tokens), the chat templates' special tokens.
BPE_SAMPLES = [
    "INSTRUCTIONS:\nWhich response is better?\n\nRESPONSE A:\nyes\n\nEVALUATION:\nanswer: A\n",
    "x  y   z\n\n\n  w\t\ttab\r\nwindows  ",
    "東京 café, naïve — “quoted” 🙂 𝔘𝔫𝔦 ℵ₀ 12345",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
    "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
]


def build_bpe_model(family: str, directory: str, *, vocab_size: int = 512, seed: int = 0):
    """A random Llama-3-style ("llama") or Qwen2-style model whose folder holds a tokenizer.json
    and tokenizer_config.json (trained on BPE_CORPUS, below vocab_size); returns the model."""
    from flame_jax.data import testing

    model = build_hf_model(family, directory, seed=seed, vocab_size=vocab_size)
    testing.train_byte_level_bpe(
        BPE_CORPUS, directory, style=BPE_STYLES[family], vocab_size=vocab_size - 16
    )
    return model
