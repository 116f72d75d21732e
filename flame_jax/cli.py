"""The `flame-jax` command: thin subcommands over library functions.

flame-jax demo [--workdir W]                  the main job on its embedded default
flame-jax mixture list [--tasks] [--json]
flame-jax mixture describe NAME [--data_dir D] [--steps N --batch_size B] [--json]
flame-jax mixture show NAME [-n K] [--seed S] [--data_dir D] [--json]
flame-jax data download --data_dir D [--sources S ...] [--dry_run]
flame-jax data check --data_dir D [--sources S ...] [--json] [--strict] [--max_bad_share F]
flame-jax data card [--data_dir D] [--output CARD.md]   the collection card, from the registry
flame-jax data cache --mixture_or_task NAME --output_cache_dir D [--runner ...] [Beam options]
flame-jax train --gin_file=F [--gin.NAME=VALUE ...]   t5x-style training
flame-jax plan --gin_file=F ... --topology v5p-128    per-device memory before launch
flame-jax judge --checkpoint C --task T [--input rows.jsonl | --split S] --output out.jsonl
flame-jax eval --checkpoint C --benchmark NAME [--data_dir D] [--max_per_task N] --output DIR
flame-jax opt-rm tailpatch --base_checkpoint C --target rewardbench [--tasks T ...] --workdir W
flame-jax opt-rm weights --workdir W --output mixture.json
flame-jax convert hf-to-flame --hf_dir D --output C   Hugging Face model -> checkpoint, gin, vocab
flame-jax convert flame-to-hf --checkpoint C --output D   checkpoint -> Hugging Face model folder
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
    if args.command == "card":
        return _card(args)
    if args.command == "download" and args.dry_run:
        for source, file, where in datadir.download_plan(args.sources):
            print(f"{source}/{file} <- {where}")
        return 0
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
    from flame_jax.data import registry  # noqa: PLC0415

    budget = registry.Budget(share=args.max_bad_share, count=args.max_bad_rows, strict=args.strict)
    rows = datadir.check(args.data_dir, args.sources, budget)
    frame = pd.DataFrame([dataclasses.asdict(r) for r in rows])
    _print_frame(frame, args.json)
    errors = sum(r.status == "error" for r in rows)
    if not args.json:
        counts = frame["status"].value_counts().to_dict() if len(frame) else {}
        print(f"\n{len(rows)} task splits: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        print(f"bad rows per split: {budget}")
        for state, names in datadir.source_summary(rows).items():
            if names:
                print(f"{len(names)} source(s) {state}: {', '.join(names)}")
    return 1 if errors else 0


def _card(args: argparse.Namespace) -> int:
    from flame_tasks import table7  # noqa: PLC0415

    from flame_jax.data import card  # noqa: PLC0415
    from flame_jax.evaluation import report  # noqa: PLC0415

    text = card.card(
        data_dir=args.data_dir,
        table=table7.TABLE_7,
        paper_type_shares=table7.PAPER_TYPE_SHARES,
        paper_capability_shares=table7.PAPER_CAPABILITY_SHARES,
        progress=bool(args.output),
    )
    if args.output:
        report.write_atomically(args.output, text)
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from flame_jax import demo  # noqa: PLC0415

    _collection()
    demo.run(args.workdir, train_steps=args.train_steps)
    return 0


def _judge(args: argparse.Namespace) -> int:
    from flame_jax import configurables  # noqa: PLC0415
    from flame_jax import judge as judge_lib  # noqa: PLC0415
    from flame_jax.data import registry  # noqa: PLC0415
    from flame_jax.data.readers import read_rows  # noqa: PLC0415
    from flame_jax.evaluation import report, suite  # noqa: PLC0415

    _collection()
    task = registry.get_task(args.task)
    if args.input:
        records = list(task.render_rows(read_rows(args.input, source=task.source.name)))
    else:
        records, _ = suite.sample_records(
            args.task,
            args.split,
            max_per_task=args.max_items,
            seed=args.seed,
            data_dir=args.data_dir,
        )
    judge = configurables.load_autorater(args.checkpoint, **_judge_options(args))
    judgments = judge.judge(records)
    rows = [suite.prediction_row(args.task, j) for j in judgments]
    report.write_jsonl(args.output, rows)
    scored = [row["score"] for row in rows if "score" in row]
    line = f"{len(rows)} records judged ({args.task}, {args.mode} mode) -> {args.output}"
    if scored:
        line += f"; accuracy {sum(scored) / len(scored):.1%}"
    outputs = [j.output for j in judgments if j.output is not None]
    if outputs:
        line += f"; parse failures {judge_lib.parse_failure_rate(outputs):.1%}"
    print(line)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from flame_jax import configurables  # noqa: PLC0415
    from flame_jax.evaluation import benchmarks, report  # noqa: PLC0415

    _collection()
    judge = configurables.load_autorater(args.checkpoint, **_judge_options(args))
    result = benchmarks.run_benchmark(
        args.benchmark,
        judge,
        data_dir=args.data_dir,
        max_per_task=args.max_per_task,
        seed=args.seed,
        inputs=args.input,
    )
    paths = report.write(result, args.output, model_name=args.checkpoint)
    print(result.markdown(model_name=args.checkpoint))
    print("written: " + ", ".join(paths.values()))
    return 0


def _opt_rm(args: argparse.Namespace) -> int:
    from flame_jax.data import mixtures  # noqa: PLC0415
    from flame_jax.recipes import opt_rm, tailpatch  # noqa: PLC0415

    _collection()
    if args.command == "weights":
        target = tailpatch.TARGETS[tailpatch.target_of(args.workdir)]
        weights = opt_rm.search(
            args.workdir,
            args.output,
            thresholds=target.thresholds,
            scheme=opt_rm.WeightScheme(fixed_categories=target.fixed_categories),
            allow_incomplete=args.allow_incomplete,
        )
        total = sum(weights.values())
        for task, weight in sorted(weights.items(), key=lambda kv: -kv[1]):
            print(f"{task:<40} {weight:>8,} {weight / total:7.2%}")
        print(f"weights of {len(weights)} tasks -> {args.output}; report in {args.workdir}/opt_rm")
        return 0
    tasks = args.tasks or [t.name for t in mixtures.get("flame").tasks]
    if args.print_commands:
        extra = [*(f"--gin_file={f}" for f in args.gin_file)]
        extra += [*(f"--gin_bindings={b}" for b in args.gin_bindings)]
        if args.max_per_task is not None:
            extra += ["--max_per_task", str(args.max_per_task)]
        if args.data_dir:
            extra += ["--data_dir", args.data_dir]
        for line in tailpatch.commands(
            args.base_checkpoint,
            tasks,
            workdir=args.workdir,
            target=args.target,
            steps=args.steps,
            eval_every=args.eval_every,
            extra=extra,
        ):
            print(line)
        return 0
    tailpatch.run(
        args.base_checkpoint,
        tasks,
        workdir=args.workdir,
        target=args.target,
        steps=args.steps,
        eval_every=args.eval_every,
        gin_files=args.gin_file,
        gin_bindings=args.gin_bindings,
        data_dir=args.data_dir,
        max_per_task=args.max_per_task,
        seed=args.seed,
    )
    print(f"curves in {args.workdir}/tailpatch; next: flame-jax opt-rm weights --workdir ...")
    return 0


def _size(text: str) -> int:
    """Bytes from "5GB", "500MB", "2GiB" or a plain number."""
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
    upper = text.strip().upper()
    for unit, factor in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if upper.endswith(unit):
            return int(float(upper[: -len(unit)]) * factor)
    return int(upper)


def _convert(args: argparse.Namespace) -> int:
    from flame_jax import convert  # noqa: PLC0415

    try:
        if args.command == "hf-to-flame":
            mesh = dict(kv.split("=") for kv in args.mesh.split(",")) if args.mesh else None
            result = convert.hf_to_flame(
                args.hf_dir,
                args.output,
                scan_layers=args.scan_layers == "true",
                param_dtype=args.param_dtype,
                dtype=args.dtype,
                mesh_shape={k: int(v) for k, v in mesh.items()} if mesh else None,
                skip_vocabulary=args.skip_vocabulary,
            )
            vocab = f' --gin.VOCABULARY=\\"{result.vocabulary}\\"' if result.vocabulary else ""
            print(
                f"fine-tune it: flame-jax train --gin_file={result.gin_file} "
                f"--gin_file=gin/runs/flame.gin{vocab} "
                f'--gin.INITIAL_CHECKPOINT_PATH=\\"{result.output}\\" --gin.MODEL_DIR=...'
            )
            return 0
        import gin  # noqa: PLC0415

        from flame_jax import configurables  # noqa: PLC0415

        located = convert.locate(args.checkpoint)
        vocabulary = args.vocabulary
        if located.run:  # a training run: its config.gin names the vocabulary
            vocabulary = vocabulary or configurables.run_vocabulary(located.directory)
        else:  # an hf-to-flame output: its model.gin and tokenizer.model
            gin.clear_config()
            gin.parse_config_file(located.gin_file, skip_unknown=True)
            own = os.path.join(located.directory, "tokenizer.model")
            vocabulary = vocabulary or (own if os.path.exists(own) else None)
        hf_metadata = args.hf_metadata
        if hf_metadata is None and not located.run:  # an hf-to-flame output keeps it in hf/
            own = os.path.join(located.directory, "hf")
            hf_metadata = own if os.path.isdir(own) else None
        convert.flame_to_hf(
            located.checkpoint,
            configurables.model_config_from_gin(),
            args.output,
            vocabulary=vocabulary,
            hf_metadata=hf_metadata,
            family=args.family,
            dtype=args.dtype,
            max_shard_bytes=_size(args.max_shard_size),
        )
        return 0
    except (FileNotFoundError, FileExistsError) as e:
        raise ValueError(str(e)) from e


def _add_convert_parser(commands) -> None:
    conv = commands.add_parser("convert", help="Hugging Face import and export")
    sub = conv.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("hf-to-flame", help="a Hugging Face model folder -> a checkpoint")
    imp.add_argument("--hf_dir", required=True, help="a local model folder, or a hub id")
    imp.add_argument("--output", required=True, help="the folder to write (checkpoints, gin)")
    imp.add_argument("--scan_layers", choices=("true", "false"), default="true")
    imp.add_argument("--param_dtype", default="float32", help="of the stored parameters")
    imp.add_argument("--dtype", default="bfloat16", help="compute dtype written to model.gin")
    imp.add_argument("--mesh", default=None, help="e.g. fsdp=-1,model=2 (default all fsdp)")
    imp.add_argument(
        "--skip_vocabulary", action="store_true", help="no tokenizer.model: weights only"
    )
    exp = sub.add_parser("flame-to-hf", help="a checkpoint -> a Hugging Face model folder")
    exp.add_argument("--checkpoint", required=True, help="a MODEL_DIR, a step, or an import")
    exp.add_argument("--output", required=True, help="the Hugging Face folder to write")
    exp.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float32", "float16"))
    exp.add_argument("--max_shard_size", default="5GB", help="e.g. 5GB, 500MB")
    exp.add_argument("--vocabulary", default=None, help="default: the run's or the import's")
    exp.add_argument("--hf_metadata", default=None, help="the imported model's hf/ folder")
    exp.add_argument("--family", default=None, help="gemma, gemma2, gemma3_text, llama, ...")


def _judge_options(args: argparse.Namespace) -> dict:
    return {
        "vocabulary": args.vocabulary,
        "mode": args.mode,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "max_new_tokens": args.max_new_tokens,
    }


def _add_judge_flags(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--checkpoint", required=True, help="a MODEL_DIR or one of its checkpoints")
    cmd.add_argument("--vocabulary", default=None, help="default: the run's config.gin")
    cmd.add_argument("--mode", choices=("score", "generate"), default="score")
    cmd.add_argument("--batch_size", type=int, default=16)
    cmd.add_argument("--max_length", type=int, default=2048)
    cmd.add_argument("--max_new_tokens", type=int, default=128, help="generate mode")
    cmd.add_argument("--data_dir", default=None, help="default: $FLAME_DATA_DIR")
    cmd.add_argument("--seed", type=int, default=0, help="for samples of items")


def _add_opt_rm_parser(commands) -> None:
    opt = commands.add_parser("opt-rm", help="the Opt-RM tail-patch mixture search")
    sub = opt.add_subparsers(dest="command", required=True)
    patch = sub.add_parser("tailpatch", help="one short fine-tuning run per task, with curves")
    patch.add_argument("--base_checkpoint", required=True, help="a partially trained run")
    patch.add_argument("--target", default="rewardbench", help="rewardbench or demo")
    patch.add_argument("--tasks", nargs="*", default=None, help="default: the flame mixture's")
    patch.add_argument("--workdir", required=True)
    patch.add_argument("--steps", type=int, default=3000)
    patch.add_argument("--eval_every", type=int, default=500)
    patch.add_argument("--gin_file", action="append", default=[], help="after tailpatch.gin")
    patch.add_argument("--gin_bindings", action="append", default=[])
    patch.add_argument("--data_dir", default=None, help="default: $FLAME_DATA_DIR")
    patch.add_argument("--max_per_task", type=int, default=None, help="items per eval task")
    patch.add_argument("--seed", type=int, default=0)
    patch.add_argument(
        "--print_commands", action="store_true", help="print one command per task instead"
    )
    weights = sub.add_parser("weights", help="ratings, bundles, weights file and report")
    weights.add_argument("--workdir", required=True)
    weights.add_argument("--output", required=True, help="the weights file (json)")
    weights.add_argument("--allow_incomplete", action="store_true")


def _parser() -> argparse.ArgumentParser:  # noqa: PLR0915  (one flat table of subcommands)
    parser = argparse.ArgumentParser(prog="flame-jax", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="group", required=True)

    demo = commands.add_parser("demo", help="the main job on its embedded default")
    demo.add_argument("--workdir", default="flame_demo", help="MODEL_DIR of the demo run")
    demo.add_argument("--train_steps", type=int, default=None, help="default: demo.gin's")

    commands.add_parser(
        "train", help="t5x-style training: --gin_file, --gin_bindings, --gin.NAME=VALUE"
    )
    commands.add_parser(
        "plan", help="compile the train step for a TPU topology: per-device memory, FLOPs"
    )

    judge = commands.add_parser("judge", help="judge a task's rows with a trained checkpoint")
    _add_judge_flags(judge)
    judge.add_argument("--task", required=True, help="a registered task (its template)")
    judge.add_argument("--input", default=None, help="rows in the task's upstream schema")
    judge.add_argument("--split", default="test", help="without --input: the task's split")
    judge.add_argument("--max_items", type=int, default=None, help="without --input")
    judge.add_argument("--output", required=True, help="predictions (jsonl)")

    evaluate = commands.add_parser("eval", help="run one benchmark of the evaluation suite")
    _add_judge_flags(evaluate)
    evaluate.add_argument("--benchmark", required=True, help="rewardbench, aggrefact, hhh, ...")
    evaluate.add_argument(
        "--max_per_task", type=int, default=None, help="default: the benchmark's (paper: 256)"
    )
    evaluate.add_argument("--input", default=None, help="candidates file (humaneval_rerank)")
    evaluate.add_argument("--output", required=True, help="directory for the results")

    _add_opt_rm_parser(commands)
    _add_convert_parser(commands)

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

    data = commands.add_parser("data", help="download and check a data directory; the card")
    sub = data.add_subparsers(dest="command", required=True)
    sub.add_parser("cache", help="cache tasks with seqio's Beam job (flame-jax data cache --help)")
    card = sub.add_parser("card", help="the collection card (Markdown), from the registry")
    card.add_argument("--data_dir", default=os.environ.get("FLAME_DATA_DIR"), help="for counts")
    card.add_argument("--output", default=None, help="a file (default: print)")
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
            cmd.add_argument(
                "--strict", action="store_true", help="any bad row is an error (for converters)"
            )
            cmd.add_argument(
                "--max_bad_share", type=float, default=0.01, help="bad rows a split may hold"
            )
            cmd.add_argument("--max_bad_rows", type=int, default=None, help="likewise, a count")
        else:
            cmd.add_argument(
                "--dry_run", action="store_true", help="print each file's URL; fetch nothing"
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:  # t5x's flags (--gin.NAME=VALUE) are parsed by the trainer itself
        from flame_jax.training import train  # noqa: PLC0415

        train.main(argv[1:])
        return 0
    if argv[:2] == ["data", "cache"]:  # Beam's pipeline options pass through to the job
        from flame_jax.data import cache  # noqa: PLC0415

        return cache.main(argv[2:])
    if argv[:1] == ["plan"]:  # the same t5x flags, parsed by the planner
        from flame_jax import plan  # noqa: PLC0415

        try:
            return plan.main(argv[1:])
        except ValueError as e:
            print(f"flame-jax: error: {e}", file=sys.stderr)
            return 2
    args = _parser().parse_args(argv)
    handler = {
        "mixture": _mixture,
        "data": _data,
        "demo": _demo,
        "judge": _judge,
        "eval": _eval,
        "opt-rm": _opt_rm,
        "convert": _convert,
    }[args.group]
    try:
        return handler(args)
    except (KeyError, ValueError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"flame-jax: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
