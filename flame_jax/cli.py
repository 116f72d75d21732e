"""The `flame-jax` command: thin subcommands over library functions.

flame-jax demo [--workdir W]                  the main job on its embedded default
flame-jax mixture list [--tasks] [--json]
flame-jax mixture describe NAME [--data_dir D] [--steps N --batch_size B] [--json]
flame-jax mixture show NAME [-n K] [--seed S] [--data_dir D] [--json]
flame-jax data download --data_dir D [--sources S ...]
flame-jax data check --data_dir D [--sources S ...] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Sequence

import pandas as pd


def _collection():
    import flame_tasks  # noqa: F401,PLC0415  (registers the tasks and mixtures)


def _print_frame(frame: pd.DataFrame, as_json: bool) -> None:
    if as_json:
        print(frame.to_json(orient="records", indent=1))
    else:
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(frame.to_string(index=False))


def _mixture(args: argparse.Namespace) -> int:
    from flame_jax.data import inspect  # noqa: PLC0415

    _collection()
    if args.command == "list":
        _print_frame(inspect.list_tasks() if args.tasks else inspect.list_mixtures(), args.json)
    elif args.command == "describe":
        frame = inspect.describe(
            args.name,
            split=args.split,
            steps=args.steps,
            batch_size=args.batch_size,
            data_dir=args.data_dir,
        )
        _print_frame(frame, args.json)
        if not args.json:
            missing = frame[frame["missing"]]["task"].tolist()
            if missing:
                print(
                    f"\n{len(missing)} task(s) have no data in this data dir: {', '.join(missing)}"
                )
    else:
        frame = inspect.show(
            args.name, n=args.n, split=args.split, seed=args.seed, data_dir=args.data_dir
        )
        if args.json:
            _print_frame(frame, True)
        else:
            for row in frame.itertuples():
                print(f"===== {row.task}\n{row.inputs}{row.targets}\n")
    return 0


def _data(args: argparse.Namespace) -> int:
    from flame_jax.data import datadir  # noqa: PLC0415

    _collection()
    if args.command == "download":
        failed = 0
        for report in datadir.download_sources(args.data_dir, args.sources):
            line = f"{report.source}: {len(report.fetched)} fetched, {len(report.present)} present"
            if report.failed:
                failed += len(report.failed)
                line += f", {len(report.failed)} failed: " + "; ".join(
                    f"{file} ({why})" for file, why in report.failed
                )
            if report.manual:
                line += f"; manual step: {report.manual}"
            print(line, flush=True)
        return 1 if failed else 0
    rows = datadir.check(args.data_dir, args.sources)
    frame = pd.DataFrame([dataclasses.asdict(r) for r in rows])
    _print_frame(frame, args.json)
    errors = sum(r.status == "error" for r in rows)
    if not args.json:
        counts = frame["status"].value_counts().to_dict() if len(frame) else {}
        print(f"\n{len(rows)} task splits: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 1 if errors else 0


def _demo(args: argparse.Namespace) -> int:
    """Until the trainer lands: inspect the demo collection and run its feature pipeline."""
    import numpy as np  # noqa: PLC0415

    from flame_jax.data import features, inspect, vocabularies  # noqa: PLC0415

    _collection()
    from flame_tasks import demo  # noqa: PLC0415

    start = time.time()
    print("== The demo collection (generated in code: no data download)", flush=True)
    _print_frame(inspect.describe("demo", steps=args.steps, batch_size=args.batch_size), False)
    print("\n== One rendered example per draw", flush=True)
    for row in inspect.show("demo", n=2, seed=args.seed).itertuples():
        print(f"----- {row.task}\n{row.inputs}{row.targets}\n")
    vocab = demo.build_vocabulary(os.path.join(args.workdir, "vocab", "demo.model"))
    vocabularies.set_vocabulary_path(vocab)
    print(f"== SentencePiece vocabulary: {vocab} ({vocabularies.VOCABULARY.vocab_size} pieces)")
    dataset = features.get_dataset(
        "demo",
        sequence_length=args.sequence_length,
        targets_length=args.targets_length,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    batches = list(dataset.take(args.batches).as_numpy_iterator())
    tokens = np.stack([b["decoder_target_tokens"] for b in batches])
    segments = np.stack([b["decoder_segment_ids"] for b in batches])
    loss = np.stack([b["decoder_loss_weights"] for b in batches])
    print(
        f"== {args.batches} packed batches of {args.batch_size} x {args.sequence_length}: "
        f"{(tokens != 0).mean():.1%} non-pad tokens, {segments.max(axis=-1).mean():.1f} examples "
        f"per row, {loss.sum() / (tokens != 0).sum():.1%} of tokens carry loss (targets)"
    )
    print(f"done in {time.time() - start:.1f}s")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flame-jax", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="group", required=True)

    demo = commands.add_parser("demo", help="the main job on its embedded default")
    demo.add_argument("--workdir", default="flame_demo", help="where the demo writes its files")
    demo.add_argument("--sequence_length", type=int, default=512)
    demo.add_argument("--targets_length", type=int, default=64)
    demo.add_argument("--batch_size", type=int, default=8)
    demo.add_argument("--steps", type=int, default=1000)
    demo.add_argument("--batches", type=int, default=4)
    demo.add_argument("--seed", type=int, default=0)

    mixture = commands.add_parser("mixture", help="list, describe and show tasks and mixtures")
    sub = mixture.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="registered mixtures (or tasks with --tasks)")
    listing.add_argument("--tasks", action="store_true")
    listing.add_argument("--json", action="store_true")
    for name in ("describe", "show"):
        cmd = sub.add_parser(name, help=f"{name} a mixture or task")
        cmd.add_argument("name")
        cmd.add_argument("--split", default="train")
        cmd.add_argument("--data_dir", default=None, help="default: $FLAME_DATA_DIR")
        cmd.add_argument("--json", action="store_true")
        if name == "describe":
            cmd.add_argument("--steps", type=int, default=None, help="for the epochs column")
            cmd.add_argument("--batch_size", type=int, default=None, help="for the epochs column")
        else:
            cmd.add_argument("-n", type=int, default=3, help="number of examples")
            cmd.add_argument("--seed", type=int, default=0)

    data = commands.add_parser("data", help="download and check a data directory")
    sub = data.add_subparsers(dest="command", required=True)
    for name in ("download", "check"):
        cmd = sub.add_parser(name)
        cmd.add_argument(
            "--data_dir",
            default=os.environ.get("FLAME_DATA_DIR"),
            required=not os.environ.get("FLAME_DATA_DIR"),
        )
        cmd.add_argument("--sources", nargs="*", default=None, help="default: every source")
        if name == "check":
            cmd.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"mixture": _mixture, "data": _data, "demo": _demo}[args.group]
    try:
        return handler(args)
    except (KeyError, ValueError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"flame-jax: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
