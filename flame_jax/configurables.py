"""The gin door: the one place that reads gin files and t5x-style flags.

Core code takes plain typed arguments and never imports gin; this module registers the
configurables that gin files name, parses t5x-style flags, and turns what gin binds into the
typed values the library functions take:

    TransformerConfig.num_layers = 2            (flame_jax.models.TransformerConfig)
    train.model_config = @TransformerConfig()   (flame_jax.training.train)
    train.optimizer = @make_optimizer()         (flame_jax.training.make_optimizer)
    train.vocabulary_path = %VOCABULARY         (with train.chat_template: the run's Codec)
    make_optimizer.learning_rate = 1e-4

Flags (t5x's): --gin_file (repeated), --gin_bindings (repeated), --gin.NAME=VALUE (a macro
binding), --gin_search_paths (comma-separated; the repository root is always searched, so gin
files are named from it: gin/runs/demo.gin, gin/models/tiny.gin), --seqio_additional_cache_dirs
(comma-separated: where `flame-jax data cache` wrote the tasks; read when
train.use_cached_tasks / USE_CACHED_TASKS is True). The environment is read here too: the
data dir from FLAME_DATA_DIR when gin binds no train.data_dir.

A gin file that is missing or does not parse, an unknown or malformed binding, a configurable
that rejects its value, a missing vocabulary: each is a ConfigError, one line naming the file or
binding (gin's own errors span several lines and log each search path).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import logging
import os
import re
import tokenize
from collections.abc import Mapping, Sequence
from typing import Any

import gin

from flame_jax.data.codec import Codec
from flame_jax.models.config import TransformerConfig
from flame_jax.training import optimizers
from flame_jax.training import train as train_lib


class ConfigError(ValueError):
    """A gin file, binding or bound value that cannot be used: the message names it."""


def _one_line(error: BaseException) -> str:
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return re.sub(r" \(<function \S+ at 0x[0-9a-f]+>\)", "", text)  # gin's "In call to ..."


@contextlib.contextmanager
def _gin_errors(what: str):
    """Turns gin's errors into one-line ConfigErrors (and keeps gin's root-logger noise, one
    ERROR line per searched path, off stderr)."""
    logging.disable(logging.ERROR)
    try:
        yield
    except SyntaxError as e:  # gin's parser: a value or a line it cannot read
        where = f"{e.filename or 'bindings'}, line {e.lineno}"
        text = (e.text or "").strip()
        reason = e.msg.splitlines()[-1].strip() if e.msg else "cannot parse"
        raise ConfigError(f"gin ({where}): cannot parse {text!r}: {reason}") from None
    except tokenize.TokenError as e:
        raise ConfigError(f"gin {what}: unbalanced brackets or quotes ({e.args[0]})") from None
    except (ValueError, TypeError, OSError) as e:
        raise ConfigError(f"gin {what}: {_one_line(e)}") from None
    finally:
        logging.disable(logging.NOTSET)


# gin files name each other from the repository root ("include 'gin/models/tiny.gin'").
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

model_config_from_gin = gin.external_configurable(TransformerConfig, module="flame_jax.models")
gin.external_configurable(optimizers.make_optimizer, module="flame_jax.training")

# What gin binds for `train`: train()'s own arguments, with the codec given as its files (a
# vocabulary path and a chat template) and the module that registers the tasks.
_CODEC_ARGUMENTS = ("codec", "operative_config")


def _train_signature() -> inspect.Signature:
    own = [
        p
        for name, p in inspect.signature(train_lib.train).parameters.items()
        if name not in _CODEC_ARGUMENTS
    ]
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature(
        [
            *own,
            inspect.Parameter("vocabulary_path", keyword, default=None),
            inspect.Parameter("chat_template", keyword, default=None),
            inspect.Parameter("mixture_or_task_module", keyword, default=None),
        ]
    )


def _bound_train_arguments(**kwargs: Any) -> dict[str, Any]:
    return kwargs


_bound_train_arguments.__signature__ = _train_signature()  # type: ignore[attr-defined]
train_arguments_from_gin = gin.external_configurable(
    _bound_train_arguments, name="train", module="flame_jax.training"
)


def train_arguments(bound: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """train()'s keyword arguments from the parsed gin config: the codec loaded from its
    files, the task module imported, the data dir from FLAME_DATA_DIR when gin binds none."""
    if bound is None:
        with _gin_errors("configurables"):  # a configurable rejecting its bound value
            bound = train_arguments_from_gin()
    arguments = dict(bound)
    module = arguments.pop("mixture_or_task_module", None)
    if module:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise ConfigError(f"train.mixture_or_task_module {module!r}: {e}") from None
    vocabulary = arguments.pop("vocabulary_path", None)
    template = arguments.pop("chat_template", None)
    if not vocabulary:
        raise ConfigError("no vocabulary: bind VOCABULARY (train.vocabulary_path)")
    try:
        arguments["codec"] = Codec.load(vocabulary, template)
    except (OSError, ValueError) as e:
        raise ConfigError(f"VOCABULARY (train.vocabulary_path): {_one_line(e)}") from None
    if arguments.get("data_dir") is None:
        arguments["data_dir"] = os.environ.get("FLAME_DATA_DIR") or None
    return arguments


# -- t5x-style flags ------------------------------------------------------------------------


def parse_flags(
    argv: Sequence[str], parser: argparse.ArgumentParser
) -> tuple[argparse.Namespace, list[str], list[str]]:
    """(other flags, gin bindings, search paths) of t5x-style flags; `parser` has the
    command's own flags, to which --gin_file, --gin_bindings and --gin_search_paths are added."""
    parser.add_argument("--gin_file", action="append", default=[])
    parser.add_argument("--gin_bindings", action="append", default=[])
    parser.add_argument("--gin_search_paths", default="")
    bindings, rest = [], []
    for arg in argv:
        if arg.startswith("--gin.") and "=" in arg:
            name, value = arg[len("--gin.") :].split("=", 1)
            bindings.append(f"{name} = {value}")
        else:
            rest.append(arg)
    args = parser.parse_args(rest)
    if not args.gin_file:
        raise ConfigError("at least one --gin_file is required (e.g. gin/runs/demo.gin)")
    paths = [p for p in args.gin_search_paths.split(",") if p]
    return args, args.gin_bindings + bindings, [*paths, ".", REPO_ROOT]


def parse_gin(
    files: Sequence[str],
    bindings: Sequence[str],
    paths: Sequence[str] = (".", REPO_ROOT),
    *,
    finalize: bool = True,
) -> None:
    """Parses gin files and bindings into gin's (fresh) config; ConfigError names what fails."""
    gin.clear_config()
    for file in files:
        if not any(os.path.isfile(os.path.join(p, file)) for p in ("", *paths)):
            raise ConfigError(f"gin file {file} not found (searched {', '.join(paths)})")
    for path in paths:
        gin.add_config_file_search_path(path)
    with _gin_errors("files and bindings"):
        gin.parse_config_files_and_bindings(list(files), list(bindings), finalize_config=finalize)


def train_main(argv: Sequence[str]) -> train_lib.TrainResult:
    """`flame-jax train`: t5x-style flags -> gin -> train(...)."""
    parser = argparse.ArgumentParser(prog="flame-jax train", description="t5x-style training")
    parser.add_argument("--seqio_additional_cache_dirs", default="")
    args, bindings, paths = parse_flags(argv, parser)
    cache_dirs = [d for d in args.seqio_additional_cache_dirs.split(",") if d]
    if cache_dirs:  # t5x's flag, bound to the trainer's argument
        bindings.append(f"train.cache_dirs = {cache_dirs!r}")
    parse_gin(args.gin_file, bindings, paths)
    arguments = train_arguments()
    return train_lib.train(**arguments, operative_config=gin.config_str())


def tailpatch_train_arguments(gin_files: Sequence[str], gin_bindings: Sequence[str]):
    """For recipes.tailpatch.run: one chunk's train() arguments from gin/runs/tailpatch.gin,
    then the user's gin files and bindings, with the run's macros bound."""
    from flame_jax.recipes import tailpatch  # noqa: PLC0415

    def arguments(*, task, model_dir, train_steps, vocabulary, initial_checkpoint_path):
        macros = {
            "MIXTURE_OR_TASK_NAME": task,
            "MODEL_DIR": model_dir,
            "VOCABULARY": vocabulary,
            "INITIAL_CHECKPOINT_PATH": initial_checkpoint_path,
        }
        bindings = [f"{name} = {value!r}" for name, value in macros.items()]
        parse_gin(
            [tailpatch.TAILPATCH_GIN, *gin_files],
            [*bindings, f"TRAIN_STEPS = {train_steps}", *gin_bindings],
        )
        header = "# The model and the codec are the base run's (run.json beside this file).\n"
        return train_arguments(), header + gin.config_str()

    return arguments


# -- flame-jax plan -----------------------------------------------------------------------


def _evaluated(value: Any) -> Any:
    if isinstance(value, gin.config.ConfigurableReference):  # a macro: %TRAIN_STEPS
        return value.scoped_configurable_fn()
    return value


def plan_spec_from_gin(
    files: Sequence[str], bindings: Sequence[str], paths: Sequence[str]
) -> tuple[TransformerConfig, dict[str, Any], dict[str, Any]]:
    """(model config, train's and make_optimizer's bindings) from gin files, for planning.

    Not finalized: a run gin's %gin.REQUIRED macros (MODEL_DIR, ...) do not matter here.
    """
    parse_gin(files, bindings, paths, finalize=False)
    with _gin_errors("TransformerConfig"):
        config = model_config_from_gin()
    try:
        optimizer = {k: _evaluated(v) for k, v in gin.get_bindings("make_optimizer").items()}
    except ValueError:
        optimizer = {}
    train = {}
    for key in (
        "batch_size",
        "task_feature_lengths",
        "mesh_shape",
        "num_microbatches",
        "dropout_rate",
        "z_loss",
    ):
        try:
            train[key] = _evaluated(gin.query_parameter(f"train.{key}"))
        except ValueError:
            train[key] = None
    return config, train, optimizer


# -- gin entry points of other programs ----------------------------------------------------


@gin.configurable(module="flame_jax.recipes")
def flame_opt_rm_mixture(weights_path: str) -> str:
    """Registers `flame_opt_rm` from the search's weights file; returns the mixture's name.

    For MIXTURE_OR_TASK_NAME in gin/runs/flame_opt_rm.gin (evaluated when `train` is called).
    """
    import flame_tasks  # noqa: F401,PLC0415  (the tasks the weights name)

    from flame_jax.recipes import opt_rm  # noqa: PLC0415

    return opt_rm.register_from_weights(weights_path).name


def t5x_task_vocabulary(path: str | None = None):
    """For t5x's gins (gin/t5x/, through gin's dynamic registration): binds the vocabulary of
    the FLAMe tasks (path, or FLAME_VOCAB) for the process that t5x drives (its trainer and
    seqio's evaluator threads), and returns the tasks' vocabulary adaptor, which t5x's
    `verify_matching_vocabs` compares with the model's."""
    from flame_jax.data import binding, vocabularies  # noqa: PLC0415

    path = path or os.environ.get("FLAME_VOCAB")
    if not path:
        raise ValueError("no vocabulary for the FLAMe tasks: set FLAME_VOCAB or bind path")
    binding.bind_process_default(
        vocabulary=vocabularies.load(path), data_dir=os.environ.get("FLAME_DATA_DIR")
    )
    return vocabularies.TaskVocabulary()
