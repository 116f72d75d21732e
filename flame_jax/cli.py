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
    from flame_jax import demo  # noqa: PLC0415

    _collection()
    demo.run(args.workdir, train_steps=args.train_steps)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flame-jax", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="group", required=True)

    demo = commands.add_parser("demo", help="the main job on its embedded default")
    demo.add_argument("--workdir", default="flame_demo", help="MODEL_DIR of the demo run")
    demo.add_argument("--train_steps", type=int, default=None, help="default: demo.gin's")

    commands.add_parser(
        "train", help="t5x-style training: --gin_file, --gin_bindings, --gin.NAME=VALUE"
    )

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
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:  # t5x's flags (--gin.NAME=VALUE) are parsed by the trainer itself
        from flame_jax.training import train  # noqa: PLC0415

        train.main(argv[1:])
        return 0
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
