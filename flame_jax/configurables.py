"""Gin wiring: the one place that makes library objects configurable.

Core code takes plain typed arguments and never imports gin; importing this module registers
the configurables that gin files name:

    TransformerConfig.num_layers = 2            (flame_jax.models.TransformerConfig)
    train.model_config = @TransformerConfig()   (flame_jax.training.train)
    train.optimizer = @make_optimizer()         (flame_jax.training.make_optimizer)
    make_optimizer.learning_rate = 1e-4
"""

import gin

from flame_jax.models.config import TransformerConfig
from flame_jax.training import optimizers
from flame_jax.training import train as train_lib

model_config_from_gin = gin.external_configurable(TransformerConfig, module="flame_jax.models")
gin.external_configurable(optimizers.make_optimizer, module="flame_jax.training")
train_from_gin = gin.external_configurable(
    train_lib.train, name="train", module="flame_jax.training"
)


def run_vocabulary(model_dir: str) -> str | None:
    """The vocabulary path of a training run, from its MODEL_DIR/config.gin.

    Leaves that config parsed (gin's global state), so the model config can be read next.
    """
    import os  # noqa: PLC0415

    gin.clear_config()
    gin.parse_config_file(os.path.join(model_dir, "config.gin"), skip_unknown=True)
    vocabulary = gin.query_parameter("train.vocabulary_path")
    if isinstance(vocabulary, gin.config.ConfigurableReference):  # a macro: %VOCABULARY
        vocabulary = vocabulary.scoped_configurable_fn()
    return vocabulary


def run_chat_template():
    """The chat template (flame_jax.data.chat) of the parsed run config; None if unbound."""
    try:
        template = gin.query_parameter("train.chat_template")
    except ValueError:  # not bound: the run used the inputs as they are
        return None
    if isinstance(template, gin.config.ConfigurableReference):  # a macro: %CHAT_TEMPLATE
        template = template.scoped_configurable_fn()
    return template


def load_autorater(checkpoint: str, *, vocabulary: str | None = None, **options):
    """An Autorater from a training run: its model from the run's config.gin, its parameters.

    `checkpoint` is a MODEL_DIR (its newest complete checkpoint), MODEL_DIR/checkpoints, or one
    step directory MODEL_DIR/checkpoints/<step>; the model config and the vocabulary come from
    MODEL_DIR/config.gin (what `train` wrote), the vocabulary overridable. `options` go to
    Autorater (mode, batch_size, max_length, max_new_tokens, progress).
    """
    import os  # noqa: PLC0415

    import flax.linen as nn  # noqa: PLC0415
    import jax  # noqa: PLC0415

    from flame_jax.data import chat, vocabularies  # noqa: PLC0415
    from flame_jax.judge import Autorater  # noqa: PLC0415
    from flame_jax.models import Transformer, init_params  # noqa: PLC0415
    from flame_jax.training import checkpoints  # noqa: PLC0415

    path = os.path.abspath(checkpoint)
    candidates = [path, os.path.dirname(path), os.path.dirname(os.path.dirname(path))]
    model_dir = next((d for d in candidates if os.path.exists(os.path.join(d, "config.gin"))), None)
    if model_dir is None:
        raise FileNotFoundError(
            f"no config.gin in {path} or the two directories above it: give a MODEL_DIR written "
            "by `flame-jax train` (it writes MODEL_DIR/config.gin), or one of its checkpoints"
        )
    ckpt = path if path != model_dir else os.path.join(model_dir, "checkpoints")
    vocabulary = vocabulary or run_vocabulary(model_dir)  # parses the run's config.gin
    config = model_config_from_gin()
    chat.set_chat_template(run_chat_template())  # the markup the run trained with
    if not vocabulary or not os.path.exists(vocabulary):
        raise FileNotFoundError(
            f"the vocabulary of {model_dir} ({vocabulary!r}, from its config.gin) is not there: "
            "pass the SentencePiece model explicitly (--vocabulary)"
        )
    vocabularies.set_vocabulary_path(vocabulary)
    model = Transformer(config)
    abstract = jax.eval_shape(lambda rng: nn.unbox(init_params(model, rng)), jax.random.key(0))
    params = checkpoints.restore_params(ckpt, abstract)
    return Autorater(model, params, **options)


@gin.configurable(module="flame_jax.recipes")
def flame_opt_rm_mixture(weights_path: str) -> str:
    """Registers `flame_opt_rm` from the search's weights file; returns the mixture's name.

    For MIXTURE_OR_TASK_NAME in gin/runs/flame_opt_rm.gin (evaluated when `train` is called).
    """
    import flame_tasks  # noqa: F401,PLC0415  (the tasks the weights name)

    from flame_jax.recipes import opt_rm  # noqa: PLC0415

    return opt_rm.register_from_weights(weights_path).name
