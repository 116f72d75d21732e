"""Data pipeline throughput: render -> tokenize -> pack, for a mixture on a data directory.

    python benchmarks/data_pipeline.py --data_dir ../shared/data [--mixture flame]

Measures, in one run on this machine:
  0. the cost of counting: records per second (of CPU time) of stage 1 against the same
     reading, converting and rendering with no tally, no bad-row handling and no budget, on
     the tasks without bad rows (best of --repeats each, interleaved);
  1. render:            FLAMe records per second (Python: read upstream rows, convert, render);
  2. render + tokenize: examples per second through the seqio tasks (no packing);
  3. full pipeline:     examples per second through mixing, prefix-LM conversion and packing
                        into batches of --batch_size x --sequence_length;
and the packing efficiency (share of non-pad tokens) with and without packing. Ratios are
against stage 1, measured in the same run. The vocabulary is a SentencePiece model trained
on the mixture's own rendered text (--vocab_size), as the tests and the demo do.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
import zlib

import flame_tasks  # noqa: F401  (registers the collection)
import numpy as np

from flame_jax.data import binding, features, inspect, mixtures, readers, registry, vocabularies
from flame_jax.data.codec import Codec


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_dir", default=os.environ.get("FLAME_DATA_DIR"))
    parser.add_argument("--mixture", default="flame")
    parser.add_argument("--split", default="train")
    parser.add_argument("--sequence_length", type=int, default=2048)
    parser.add_argument("--targets_length", type=int, default=512)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--vocab_size", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=3, help="of the counting comparison")
    parser.add_argument("--counting_only", action="store_true", help="stop after stage 0")
    return parser.parse_args()


def main() -> None:
    args = _args()

    frame = inspect.describe(args.mixture, split=args.split, data_dir=args.data_dir)
    present = frame[frame["num_examples"] > 0]
    print(f"{args.mixture}: {len(present)} of {len(frame)} tasks have data in {args.split}")

    _counting_cost([registry.get_task(t) for t in present["task"]], args, args.data_dir)
    if args.counting_only:
        return

    # 1. Render (pure Python).
    start, records, texts = time.perf_counter(), 0, []
    for task in present["task"]:
        for record in registry.get_task(task).records(args.split, args.data_dir):
            records += 1
            if len(texts) < 20_000:
                texts.append(record.inputs + record.targets)
    render_rate = records / (time.perf_counter() - start)

    vocab_path = os.path.join(tempfile.mkdtemp(), "bench.model")
    codec = Codec.load(
        vocabularies.train_sentencepiece(texts, vocab_path, vocab_size=args.vocab_size)
    )
    codec.vocabulary.encode("warm up")

    # 2. Render + tokenize through the seqio tasks, one epoch of each (pipeline set-up untimed).
    with binding.bound(vocabulary=codec.vocabulary, data_dir=args.data_dir):
        datasets = [
            mixtures.get(task).get_dataset(
                sequence_length=None, split=args.split, shuffle=False, num_epochs=1
            )
            for task in present["task"]
        ]
    elapsed, tokenized = 0.0, 0
    for dataset in datasets:
        iterator = dataset.as_numpy_iterator()
        start = time.perf_counter()
        tokenized += sum(1 for _ in iterator)
        elapsed += time.perf_counter() - start
    tokenize_rate = tokenized / elapsed

    # 3. The full pipeline, packed and unpacked.
    results = {}
    for pack in (True, False):
        dataset = features.get_dataset(
            args.mixture,
            codec=codec,
            data_dir=args.data_dir,
            split=args.split,
            sequence_length=args.sequence_length,
            targets_length=args.targets_length,
            batch_size=args.batch_size,
            pack=pack,
            seed=0,
        )
        iterator = dataset.as_numpy_iterator()
        for _ in range(10):  # build the pipeline and fill the shuffle buffer before timing
            next(iterator)
        start, examples, non_pad, total = time.perf_counter(), 0, 0, 0
        for batch in itertools.islice(iterator, args.batches):
            if pack:
                segments = batch["decoder_segment_ids"]
                examples += int(sum(len(np.unique(row[row > 0])) for row in segments))
            else:  # unpacked rows hold one example each and carry no segment ids
                examples += int((batch["decoder_target_tokens"] != 0).any(axis=1).sum())
            non_pad += int((batch["decoder_target_tokens"] != 0).sum())
            total += batch["decoder_target_tokens"].size
        results[pack] = (examples / (time.perf_counter() - start), non_pad / total, examples)

    dropped = sum(features.DROPPED.values())
    print(f"\n{'stage':<34}{'examples/s':>12}{'vs render':>11}")
    print(f"{'1. render':<34}{render_rate:>12.0f}{1.0:>10.2f}x")
    print(
        f"{'2. render + tokenize':<34}{tokenize_rate:>12.0f}{tokenize_rate / render_rate:>10.2f}x"
    )
    for pack, label in ((True, "3. full pipeline, packed"), (False, "3. full pipeline, unpacked")):
        rate, _, _ = results[pack]
        print(f"{label:<34}{rate:>12.0f}{rate / render_rate:>10.2f}x")
    print(
        f"\npacking efficiency at {args.sequence_length} (non-pad token share): "
        f"packed {results[True][1]:.1%}, unpacked {results[False][1]:.1%} "
        f"({results[True][1] / results[False][1]:.1f}x); "
        f"{results[True][2] / (args.batches * args.batch_size):.1f} examples per packed row; "
        f"{dropped} over-length examples dropped"
    )


def _counting_cost(tasks: list[registry.FlameTask], args: argparse.Namespace, root: str) -> None:
    """Stage 0 over the tasks that the uncounted loop can read (no bad row: without counting,
    a bad row fails its split)."""
    readable = []
    for task in tasks:
        try:
            _uncounted(task, args.split, root)
            readable.append(task)
        except readers.DataError:
            print(f"counting: {task.name} has bad rows, left out of the comparison")
    counted, uncounted = [], []
    for _ in range(args.repeats):
        uncounted.append(
            _rate(lambda: sum(_uncounted(task, args.split, root) for task in readable))
        )
        counted.append(
            _rate(lambda: sum(sum(1 for _ in task.records(args.split, root)) for task in readable))
        )
    plain, tallied = max(uncounted), max(counted)
    print(
        f"counting: {tallied:.0f} records/s against {plain:.0f} without it "
        f"({1 - tallied / plain:+.1%} cost; {len(readable)} tasks, best of {args.repeats})"
    )


def _rate(run) -> float:
    """Records per second of this process's CPU time (the machine may be shared)."""
    start = time.process_time()
    n = run()
    return n / (time.process_time() - start)


def _uncounted(task: registry.FlameTask, split: str, root: str) -> int:
    """Stage 1 as it would be with no counting: read, convert, render; markers dropped."""
    n = 0
    seed = zlib.crc32(task.name.encode())
    rows = itertools.chain.from_iterable(task.source.read(f, root) for f in task.files(split))
    for item in task.convert(readers.keyed_rows(rows, task.keyed) if task.keyed else rows):
        if not isinstance(item, (readers.Skip, readers.Repaired, readers.Bad)):
            task.template.render(item, index=n, seed=seed)
            n += 1
    return n


if __name__ == "__main__":
    main()
