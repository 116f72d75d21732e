"""Offline caching: seqio's Apache Beam job writes the tasks' preprocessed, tokenized examples.

Without a cache every host of a pod renders and tokenizes the raw collection itself. With one,
it reads TFRecords of token ids (t5x's USE_CACHED_TASKS):

    flame-jax data cache --mixture_or_task flame --output_cache_dir gs://B/cache \\
        --data_dir gs://B/data --vocabulary gs://B/base/tokenizer.model \\
        --runner DataflowRunner --project P --region us-central1 \\
        --temp_location gs://B/tmp --setup_file ./setup.py
    flame-jax train ... --gin.USE_CACHED_TASKS=True --seqio_additional_cache_dirs=gs://B/cache

The job is seqio's (seqio/scripts/cache_tasks_main.py, built from seqio.beam_utils): for each
split of each task, PreprocessTask runs the source and the preprocessors before the task's
CacheDatasetPlaceholder (render, tokenize); a global Reshuffle; WriteExampleTfRecord, GetInfo
and GetStats; and, once every split is written, a COMPLETED file. The layout is seqio's, so any
seqio Task (t5x included) reads it with `seqio.add_global_cache_dirs` and `use_cached=True`:

    DIR/<task>/<split>.tfrecord-0000i-of-0000n   tf.Examples: inputs, targets (token ids) and
                                                  their *_pretokenized text
    DIR/<task>/info.<split>.json                  features, dtypes, number of shards
    DIR/<task>/stats.<split>.json                 examples, tokens per feature
    DIR/<task>/COMPLETED                          written last; its text is this project's JSON:
                                                  vocabulary and its sha256, data dir, task version

The preprocessors after the cache point (drop_overlength, EOS) run when the cache is read, so
one cache serves any TASK_FEATURE_LENGTHS. Token ids depend on the vocabulary: reading a cache
made with another SentencePiece model is an error (`check_cached`). A cache holds the same
examples as the uncached pipeline (the same token ids) in another order: the job reshuffles
globally, so two builds lay the examples out differently, while one cache read with one seed
always gives one order (a resumed run continues its stream). Beam runs on the DirectRunner here
and on Dataflow at scale; it is an optional dependency (`pip install 'flame-jax[cache]'`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import seqio

from flame_jax.data import binding, registry, sources, vocabularies
from flame_jax.data.readers import is_remote

COMPLETED = "COMPLETED"
DEFAULT_MIN_SHARDS = 64  # seqio's default: enough files for file-level shuffling and many hosts
TASK_MODULE = "flame_tasks"


@dataclasses.dataclass(frozen=True)
class CachedSplit:
    """What the job wrote for one split of one task (from its stats.<split>.json)."""

    task: str
    split: str
    examples: int
    tokens: Mapping[str, int]  # inputs_tokens, targets_tokens (no EOS, no padding), *_max_tokens


@dataclasses.dataclass(frozen=True)
class CacheReport:
    output_cache_dir: str
    cached: list[CachedSplit]
    skipped: dict[str, str]  # task -> why it was not cached
    seconds: float


def task_names(name: str) -> list[str]:
    """The tasks of a mixture (sub-mixtures flattened), or [name] for a task."""
    if name in seqio.MixtureRegistry.names():
        return sorted({task.name for task in seqio.get_mixture_or_task(name).tasks})
    return [registry.get_task(name).name]  # an unknown name raises, with suggestions


def vocabulary_sha256(path: str) -> str:
    import tensorflow as tf  # noqa: PLC0415

    with tf.io.gfile.GFile(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def task_cache_dir(task: str, cache_dirs: Sequence[str] | None = None) -> str | None:
    """The first `<dir>/<task>` holding a COMPLETED cache, searching `cache_dirs` (default:
    seqio's global cache dirs) in order, as seqio does; None when the task is not cached."""
    import tensorflow as tf  # noqa: PLC0415

    for root in seqio.get_global_cache_dirs() if cache_dirs is None else cache_dirs:
        path = os.path.join(root, seqio.get_task_dir_from_name(task))
        if tf.io.gfile.exists(os.path.join(path, COMPLETED)):
            return path
    return None


def cache_metadata(path: str) -> dict[str, Any]:
    """This project's metadata of a task cache (the text of its COMPLETED file); {} for a cache
    written by another tool (seqio's own script writes an empty COMPLETED)."""
    import tensorflow as tf  # noqa: PLC0415

    with tf.io.gfile.GFile(os.path.join(path, COMPLETED)) as f:
        text = f.read().strip()
    try:
        return json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}


def is_cached(task: str, split: str, cache_dirs: Sequence[str] | None = None) -> bool:
    import tensorflow as tf  # noqa: PLC0415

    path = task_cache_dir(task, cache_dirs)
    return path is not None and tf.io.gfile.exists(seqio.get_cached_info_path(path, split))


def num_cached_examples(task: str, split: str, cache_dirs: Sequence[str] | None = None) -> int:
    """Examples of a cached split (its stats.<split>.json); 0 when it is not cached."""
    import tensorflow as tf  # noqa: PLC0415

    path = task_cache_dir(task, cache_dirs)
    stats = seqio.get_cached_stats_path(path, split) if path else None
    if not stats or not tf.io.gfile.exists(stats):
        return 0
    with tf.io.gfile.GFile(stats) as f:
        return int(json.load(f)["examples"])


def _cache_command(name: str) -> str:
    return f"flame-jax data cache --mixture_or_task {name} --output_cache_dir DIR"


def check_cached(
    name: str,
    split: str,
    cache_dirs: Sequence[str] | None = None,
    *,
    tasks: Sequence[str] | None = None,
    vocabulary_path: str | None = None,
) -> list[str]:
    """The tasks of `name` (a mixture or a task) whose `split` is cached; raises a clear error
    when none is, or when a cache was tokenized with another vocabulary than `vocabulary_path`
    (the run's; None: not compared).

    A task missing from the cache raises FileNotFoundError naming the task and the cache dirs
    searched. Of a mixture, the uncached tasks are left out with a warning (as tasks whose data
    is missing are, see mixtures.FlameMixture); only a mixture with no cached task is an error.
    `tasks` gives a mixture's tasks when it is not registered under `name`.
    """
    dirs = list(seqio.get_global_cache_dirs() if cache_dirs is None else cache_dirs)
    names = list(tasks) if tasks is not None else task_names(name)
    cached = [task for task in names if is_cached(task, split, dirs)]
    if not cached:
        where = ", ".join(dirs) if dirs else "none configured"
        how = (
            f"build it with `{_cache_command(name)}` and pass DIR (train.cache_dirs or "
            "--seqio_additional_cache_dirs), or set USE_CACHED_TASKS=False"
        )
        if names != [name]:
            raise FileNotFoundError(
                f"no task of mixture {name} is cached for split {split!r} in the cache dirs "
                f"({where}): {how}"
            )
        path = task_cache_dir(name, dirs)
        if path:
            raise FileNotFoundError(
                f"task {name} is cached at {path} without split {split!r} "
                f"(no {os.path.basename(seqio.get_cached_info_path(path, split))}): "
                f"rebuild it with `{_cache_command(name)} --overwrite`"
            )
        raise FileNotFoundError(
            f"task {name} is not cached: no {seqio.get_task_dir_from_name(name)}/{COMPLETED} "
            f"in the cache dirs ({where}); {how}"
        )
    current = vocabulary_sha256(vocabulary_path) if vocabulary_path else None
    for task in cached:
        path = task_cache_dir(task, dirs)
        metadata = cache_metadata(path)
        made_with = metadata.get("vocabulary_sha256")
        if made_with and current and made_with != current:
            raise ValueError(
                f"the cache of task {task} at {path} was tokenized with another vocabulary "
                f"({metadata.get('vocabulary')}, sha256 {made_with[:12]}) than the current one "
                f"({vocabulary_path}, sha256 {current[:12]}): rebuild it with "
                f"`{_cache_command(task)} --overwrite --vocabulary VOCAB`"
            )
    return cached


def _configure_worker(data_dir: str | None, vocabulary_path: str) -> None:
    """Beam setup_fn: a worker (a Dataflow VM, or this process on the DirectRunner) builds the
    tasks' datasets with these, not with anything from its environment."""
    binding.bind_process_default(vocabulary=vocabularies.load(vocabulary_path), data_dir=data_dir)


def _present_splits(
    task: registry.FlameTask, splits: Sequence[str] | None, root: str | None
) -> tuple[list[str], dict[str, str]]:
    """(splits to cache, {split: why not}) for a task: its splits whose files are present."""
    wanted = [s for s in task.splits if splits is None or s in splits]
    present, absent = [], {}
    generated = isinstance(task.source.host, sources.Generated)
    for split in wanted:
        missing = task.missing_files(split, root) if root or generated else task.files(split)
        if missing:
            absent[split] = f"missing {', '.join(missing)}"
        else:
            present.append(split)
    return present, absent


def _plan(
    names: Sequence[str],
    output_cache_dir: str,
    splits: Sequence[str] | None,
    root: str | None,
    overwrite: bool,
) -> tuple[list[tuple[seqio.Task, str, list[str]]], dict[str, str]]:
    """([(task, its output dir, splits to cache)], {task: why it is skipped})."""
    import tensorflow as tf  # noqa: PLC0415

    plan, skipped = [], {}
    for name in names:
        out = os.path.join(output_cache_dir, seqio.get_task_dir_from_name(name))
        if tf.io.gfile.exists(os.path.join(out, COMPLETED)):
            if not overwrite:
                skipped[name] = f"already cached at {out} (--overwrite rebuilds it)"
                print(f"{name}: {skipped[name]}", flush=True)
                continue
            tf.io.gfile.rmtree(out)
        present, absent = _present_splits(registry.get_task(name), splits, root)
        for split, why in absent.items():
            print(f"{name}: skipping split {split}: {why}", flush=True)
        if present:
            plan.append((seqio.get_mixture_or_task(name), out, present))
        else:
            reasons = "; ".join(f"{s}: {why}" for s, why in absent.items())
            skipped[name] = f"no split to cache ({reasons or f'none of {list(splits or [])}'})"
    return plan, skipped


def _write_task(
    pipeline,
    task: seqio.Task,
    out: str,
    splits: Sequence[str],
    *,
    setup,
    stats_vocabulary: seqio.Vocabulary,
    min_shards: int,
    preprocessors_seed: int | None,
    modules_to_import: Sequence[str],
    metadata: Mapping[str, Any],
) -> None:
    """Adds one task to the pipeline: seqio's cache_tasks_main.run_pipeline, step for step."""
    import apache_beam as beam  # noqa: PLC0415
    from seqio import beam_utils  # noqa: PLC0415

    # GetStats counts tokens with each feature's vocabulary: a plain SentencePiece vocabulary
    # of the same file, since a Beam worker does not share this process's configured one.
    stats_features = {
        key: dataclasses.replace(feature, vocabulary=stats_vocabulary)
        for key, feature in task.output_features.items()
    }
    completion = []
    for split in splits:
        label = f"{task.name}_{split}"
        preprocess = beam_utils.PreprocessTask(
            task,
            split,
            preprocessors_seed=preprocessors_seed,
            setup_fn=setup,
            modules_to_import=tuple(modules_to_import),
        )
        num_shards = max(len(preprocess.shards), min_shards)
        examples = (
            pipeline
            | f"{label}_pat" >> preprocess
            # seqio's job reshuffles globally here, spreading examples over the shards.
            | f"{label}_global_example_shuffle" >> beam.Reshuffle()
        )
        completion.append(
            examples
            | f"{label}_write_tfrecord"
            >> beam_utils.WriteExampleTfRecord(
                seqio.get_cached_tfrecord_prefix(out, split), num_shards=num_shards
            )
        )
        completion.append(
            examples
            | f"{label}_info" >> beam_utils.GetInfo(num_shards)
            | f"{label}_write_info" >> beam_utils.WriteJson(seqio.get_cached_info_path(out, split))
        )
        completion.append(
            examples
            | f"{label}_stats" >> beam_utils.GetStats(stats_features)
            | f"{label}_write_stats"
            >> beam_utils.WriteJson(seqio.get_cached_stats_path(out, split))
        )
    # COMPLETED comes last, once every split is written; its text is our metadata.
    _ = (
        completion
        | f"{task.name}_flatten_completion_values" >> beam.Flatten()
        | f"{task.name}_discard_completion_values" >> beam.Filter(lambda _: False)
        | f"{task.name}_write_completed_file"
        >> beam.io.textio.WriteToText(
            os.path.join(out, COMPLETED),
            append_trailing_newlines=False,
            num_shards=1,
            shard_name_template="",
            header=json.dumps(dict(metadata), sort_keys=True),
        )
    )


def cache_tasks(
    mixture_or_task: str,
    output_cache_dir: str,
    *,
    splits: Sequence[str] | None = None,
    vocabulary_path: str,
    data_dir: str | None = None,
    pipeline_options: Sequence[str] = ("--runner=DirectRunner",),
    min_shards: int = DEFAULT_MIN_SHARDS,
    overwrite: bool = False,
    preprocessors_seed: int | None = 0,
    modules_to_import: Sequence[str] = (TASK_MODULE,),
) -> CacheReport:
    """Runs seqio's Beam caching job for a task, or every task of a mixture.

    Args:
      mixture_or_task: a registered task or mixture.
      output_cache_dir: where the task directories go (local or gs://).
      splits: the splits to cache (default: every split of each task). A task split whose
        files are missing from the data directory is skipped with a message, as a mixture
        leaves out such tasks.
      vocabulary_path: the SentencePiece model to tokenize with (the run's vocabulary).
      data_dir: the raw data directory (None: only generated tasks can be cached).
      pipeline_options: Beam's command-line options (--runner, --project, --temp_location...).
      min_shards: at least this many TFRecord files per split (seqio's default: 64).
      overwrite: rebuild a task already cached in `output_cache_dir` (default: skip it).
      preprocessors_seed: base seed of stochastic preprocessors (seqio derives one seed per
        source shard from it and the task name); the FLAMe preprocessors are deterministic.
      modules_to_import: imported on each worker to register the tasks.
    """
    start = time.perf_counter()
    names = task_names(mixture_or_task)  # an unknown name fails before Beam is imported
    try:
        import apache_beam as beam  # noqa: PLC0415
    except ImportError as e:
        raise RuntimeError(
            "the cache job runs on Apache Beam, an optional dependency: "
            "pip install 'flame-jax[cache]'"
        ) from e
    import tensorflow as tf  # noqa: PLC0415

    # Local paths are made absolute: the workers may run elsewhere.
    root = sources.absolute_path(data_dir) if data_dir else None
    vocabulary_path = sources.absolute_path(vocabulary_path)
    vocabulary = vocabularies.load(vocabulary_path)
    if not is_remote(output_cache_dir):
        output_cache_dir = os.path.abspath(output_cache_dir)

    plan, skipped = _plan(names, output_cache_dir, splits, root, overwrite)
    if not plan:
        print(f"nothing to cache for {mixture_or_task}", flush=True)
        return CacheReport(output_cache_dir, [], skipped, time.perf_counter() - start)
    print(
        f"caching {len(plan)} task(s) of {mixture_or_task} into {output_cache_dir} "
        f"({' '.join(pipeline_options)}; vocabulary {vocabulary_path})",
        flush=True,
    )
    digest = vocabulary_sha256(vocabulary_path)
    options = beam.options.pipeline_options.PipelineOptions(list(pipeline_options))
    with (
        binding.process_default_restored(),
        binding.bound(vocabulary=vocabulary, data_dir=root),
        beam.Pipeline(options=options) as pipeline,
    ):
        tf.io.gfile.makedirs(output_cache_dir)
        for task, out, task_splits in plan:
            print(f"  {task.name}: splits {', '.join(task_splits)} -> {out}", flush=True)
            _write_task(
                pipeline,
                task,
                out,
                task_splits,
                setup=functools.partial(_configure_worker, root, vocabulary_path),
                stats_vocabulary=vocabulary,
                min_shards=min_shards,
                preprocessors_seed=preprocessors_seed,
                modules_to_import=modules_to_import,
                metadata={
                    "task": task.name,
                    "task_version": registry.get_task(task.name).version,
                    "splits": list(task_splits),
                    "vocabulary": vocabulary_path,
                    "vocabulary_sha256": digest,
                    "data_dir": root,
                    "preprocessors_seed": preprocessors_seed,
                    "seqio_version": seqio.__version__,
                },
            )
    cached = []
    for task, out, task_splits in plan:
        for split in task_splits:
            with tf.io.gfile.GFile(seqio.get_cached_stats_path(out, split)) as f:
                stats = json.load(f)
            tokens = {k: int(v) for k, v in stats.items() if k.endswith("_tokens")}
            cached.append(CachedSplit(task.name, split, int(stats["examples"]), tokens))
    return CacheReport(output_cache_dir, cached, skipped, time.perf_counter() - start)


def use_cache_dirs(cache_dirs: Sequence[str]) -> None:
    """Adds directories that seqio searches for cached tasks (t5x's
    --seqio_additional_cache_dirs); earlier directories win."""
    seqio.add_global_cache_dirs(list(cache_dirs))


def reading_options(
    use_cached: bool,
    cache_dirs: Sequence[str],
    reads: Sequence[tuple[str | None, str]],
    vocabulary_path: str,
) -> dict[str, bool]:
    """get_dataset's options for a run that reads `reads` ((mixture or task, split) pairs; a
    pair without a name is ignored): adds `cache_dirs`, and with `use_cached` checks now that
    every read is cached (a clear error at start-up, not at the first batch)."""
    use_cache_dirs(cache_dirs)
    if not use_cached:
        return {}  # opt-in: the option is only passed when set
    for name, split in reads:
        if name:
            check_cached(name, split, vocabulary_path=vocabulary_path)
    return {"use_cached": True}
