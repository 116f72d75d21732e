"""What a seqio dataset of the collection is built with: its vocabulary, its data dir, and
whether its tasks are read from the offline cache.

seqio registers a task once per process with fixed output features, and reads its source
through a dataset function that takes only (split, shuffle_files, seed). So the FLAMe tasks
register a vocabulary adaptor (`vocabularies.TaskVocabulary`) and a dataset function that look
these two values up here, and every function that builds a dataset (features.get_dataset, the
mixture statistics, inspection, the cache job) binds them for the duration of the build:

    with binding.bound(vocabulary=codec.vocabulary, data_dir=data_dir):
        dataset = seqio.get_dataset(...)

tf.data traces the tokenizer and reads the data dir while the dataset is built, so the values
are baked into it and the binding can end. A binding is a ContextVar: it holds for the thread
(or asyncio task) that made it, so two judges or two datasets with different vocabularies live
side by side, and an unbound build fails with an error that says what to pass.

One exception, for the doors to other programs that drive seqio themselves in threads of their
own (t5x's trainer and seqio.Evaluator's metrics thread, through gin/t5x/; a Beam worker):
`bind_process_default` sets what an unbound thread sees. flame-jax's own functions never set it
and never rely on it.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator
from typing import Any


@dataclasses.dataclass(frozen=True)
class Binding:
    vocabulary: Any = None  # a seqio.Vocabulary
    data_dir: str | None = None
    use_cached: bool = False  # the tasks are read from the offline cache (data/cache.py)


_BINDING: contextvars.ContextVar[Binding | None] = contextvars.ContextVar(
    "flame_jax_dataset_binding", default=None
)
_process_default = Binding()  # what an unbound thread sees: set only by bind_process_default


@contextlib.contextmanager
def bound(
    *, vocabulary: Any = None, data_dir: str | None = None, use_cached: bool | None = None
) -> Iterator[Binding]:
    """Binds the values of the datasets built inside; None keeps the outer binding's value (so
    a data-only binding inside a codec binding keeps the vocabulary)."""
    outer = current()
    token = _BINDING.set(
        Binding(
            vocabulary if vocabulary is not None else outer.vocabulary,
            data_dir if data_dir is not None else outer.data_dir,
            use_cached if use_cached is not None else outer.use_cached,
        )
    )
    try:
        yield _BINDING.get()
    finally:
        _BINDING.reset(token)


def bind_process_default(*, vocabulary: Any = None, data_dir: str | None = None) -> None:
    """What every unbound thread of this process sees: only for the doors to programs that
    build the datasets themselves (gin/t5x/'s vocabulary, a Beam worker's setup function)."""
    global _process_default
    _process_default = Binding(vocabulary, data_dir)


@contextlib.contextmanager
def process_default_restored() -> Iterator[None]:
    """Puts the process default back afterwards: for a job that runs its workers in this
    process (Beam's DirectRunner calls their setup function here)."""
    global _process_default
    saved = _process_default
    try:
        yield
    finally:
        _process_default = saved


def current() -> Binding:
    bound = _BINDING.get()
    return _process_default if bound is None else bound
