"""A judge from disk: the run manifest's model and codec, the checkpoint's parameters.

    judge = load_autorater("gs://B/flame_rm")          # its newest complete checkpoint
    judge = load_autorater("runs/demo/checkpoints/1000", mode="generate")

Nothing in the run directory is executed: the manifest (flame_jax.training.manifest) is plain
JSON read into typed values, and the checkpoint is Orbax arrays.
"""

from __future__ import annotations

import os

import flax.linen as nn
import jax

from flame_jax.data.codec import Codec
from flame_jax.judge.autorater import Autorater
from flame_jax.models import Transformer, init_params
from flame_jax.training import checkpoints, manifest


def load_autorater(checkpoint: str, *, vocabulary: str | None = None, **options) -> Autorater:
    """An Autorater from a training run or an imported model.

    `checkpoint` is a MODEL_DIR (its newest complete checkpoint), MODEL_DIR/checkpoints, or one
    step directory MODEL_DIR/checkpoints/<step>. The model config, the vocabulary and the chat
    template come from MODEL_DIR/run.json (the vocabulary overridable: a run moved to another
    machine). `options` go to Autorater (mode, batch_size, max_length, max_new_tokens,
    progress).
    """
    model_dir = manifest.find_model_dir(checkpoint)
    run = manifest.read(model_dir)
    vocabulary = vocabulary or run.vocabulary
    if not vocabulary:
        raise ValueError(
            f"{model_dir} records no vocabulary (imported with --skip_vocabulary): pass the "
            "tokenizer the model was trained with (--vocabulary)"
        )
    try:
        codec = Codec.load(vocabulary, run.chat_template)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the vocabulary of {model_dir} ({vocabulary!r}, from its {manifest.FILENAME}) is "
            "not there: pass the SentencePiece model explicitly (--vocabulary)"
        ) from None
    full = checkpoint if "://" in checkpoint else os.path.abspath(checkpoint)
    ckpt = full if full.rstrip("/") != model_dir else f"{model_dir}/checkpoints"
    model = Transformer(run.model_config)
    abstract = jax.eval_shape(lambda rng: nn.unbox(init_params(model, rng)), jax.random.key(0))
    params = checkpoints.restore_params(ckpt, abstract)
    return Autorater(model, params, codec, **options)
