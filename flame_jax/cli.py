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
    [--own_model M] [--cobbler_protocol upstream|both_orders]
    [--input samples.jsonl --timeout S --memory_limit MIB]   (humaneval_rerank)
    judge and eval: [--mode score|generate] [--max_length N] [--token_budget N]
    [--on_too_long skip|error] (records longer than max_length: skipped and listed, or an error)
flame-jax opt-rm tailpatch --base_checkpoint C --target rewardbench [--tasks T ...] --workdir W
flame-jax opt-rm weights --workdir W --output mixture.json
flame-jax convert hf-to-flame --hf_dir D --output C   Hugging Face model -> checkpoint, gin, vocab
flame-jax convert flame-to-hf --checkpoint C --output D   checkpoint -> Hugging Face model folder
flame-jax serve --checkpoint [NAME=]C ... [--host H] [--port P]   judges over HTTP (/v1/judge)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence

import pandas as pd


class _Parser(argparse.ArgumentParser):
    """argparse with a bad flag reported as one line (where to look for the usage included)
    instead of the usage block; subcommands' parsers are of this class too."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_TF_START_UP_NOTICE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called|I\d{4} )"
)


def _import_tensorflow_quietly() -> None:
    """Imports TensorFlow (seqio's data pipeline) without its C++ start-up notices on the
    console: since TF 2.19 they go to file descriptor 2 before absl logging is set up, where
    TF_CPP_MIN_LOG_LEVEL does not reach ("oneDNN custom operations are on", "Could not find
    cuda drivers"). Descriptor 2 goes to a temporary file during the import; every line
    but those INFO notices is passed on."""
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import tensorflow  # noqa: F401,PLC0415
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            for line in caught.read().decode(errors="replace").splitlines():
                if not _TF_START_UP_NOTICE.match(line):
                    print(line, file=sys.stderr)


def _collection():
    import flame_tasks  # noqa: F401,PLC0415  (registers the tasks and mixtures)


def _data_dir(flag: str | None) -> str | None:
    """--data_dir, else the FLAME_DATA_DIR environment variable (read here, at the door); a
    local path that is there but not a directory is an error."""
    path = flag or os.environ.get("FLAME_DATA_DIR") or None
    if path:
        from flame_jax.data.sources import absolute_path  # noqa: PLC0415

        path = absolute_path(path)
        if "://" not in path and os.path.exists(path) and not os.path.isdir(path):
            raise NotADirectoryError(f"data dir {path} is a file, not a directory")
        return path
    return None


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
            data_dir=_data_dir(args.data_dir),
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
            args.name, n=args.n, split=args.split, seed=args.seed, data_dir=_data_dir(args.data_dir)
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
        for report in datadir.download_sources(_data_dir(args.data_dir), args.sources):
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

    root = _data_dir(args.data_dir)
    if "://" not in root and not os.path.isdir(root):
        raise FileNotFoundError(f"no data dir at {root}")
    budget = registry.Budget(share=args.max_bad_share, count=args.max_bad_rows, strict=args.strict)
    rows = datadir.check(root, args.sources, budget)
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
    from flame_jax.files import write_atomically  # noqa: PLC0415

    text = card.card(
        data_dir=_data_dir(args.data_dir),
        table=table7.TABLE_7,
        paper_type_shares=table7.PAPER_TYPE_SHARES,
        paper_capability_shares=table7.PAPER_CAPABILITY_SHARES,
        progress=bool(args.output),
    )
    if args.output:
        write_atomically(args.output, text)
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import gin  # noqa: PLC0415
    from flame_tasks import demo as demo_tasks  # noqa: PLC0415

    from flame_jax import configurables, demo  # noqa: PLC0415

    _collection()
    workdir = os.path.abspath(args.workdir)
    vocabulary = demo_tasks.build_vocabulary(os.path.join(workdir, "vocab", "demo.model"))
    print(f"== vocabulary: {vocabulary}", flush=True)
    steps = [f"TRAIN_STEPS = {args.train_steps}"] if args.train_steps else []
    configurables.parse_gin(
        [demo.RUN_GIN], [f'MODEL_DIR = "{workdir}"', f'VOCABULARY = "{vocabulary}"', *steps]
    )
    demo.run(configurables.train_arguments(), operative_config=gin.config_str())
    return 0


def _judge(args: argparse.Namespace) -> int:
    from flame_jax import judge as judge_lib  # noqa: PLC0415
    from flame_jax.data import registry  # noqa: PLC0415
    from flame_jax.data.readers import read_rows  # noqa: PLC0415
    from flame_jax.evaluation import report, suite  # noqa: PLC0415
    from flame_jax.files import check_writable  # noqa: PLC0415

    _collection()
    task = registry.get_task(args.task)
    check_writable(args.output)  # before any judging
    if args.input:
        _check_input(args.input)
        records = list(task.render_rows(read_rows(args.input, source=task.source.name)))
    else:
        records, _ = suite.sample_records(
            args.task,
            args.split,
            max_per_task=args.max_items,
            seed=args.seed,
            data_dir=_data_dir(args.data_dir),
        )
    judge = judge_lib.load_autorater(args.checkpoint, **_judge_options(args))
    kept, too_long = list(range(len(records))), []
    if args.on_too_long == "skip":
        kept, too_long = suite.split_too_long(judge, args.task, records)
    judgments = judge.judge([records[i] for i in kept])
    # One row per record, in input order: a skipped record's row says why instead.
    rows: list[dict] = [{} for _ in records]
    for row in too_long:
        rows[row["item"]] = {**row, "skipped": "longer than max_length"}
    for index, judgment in zip(kept, judgments, strict=True):
        rows[index] = suite.prediction_row(args.task, judgment)
    report.write_jsonl(args.output, rows)
    scored = [row["score"] for row in rows if "score" in row]
    line = f"{len(judgments)} records judged ({args.task}, {args.mode} mode) -> {args.output}"
    if too_long:
        line += f"; {len(too_long)} skipped, longer than max_length {args.max_length} (in the file)"
    if scored:
        line += f"; accuracy {sum(scored) / len(scored):.1%}"
    outputs = [j.output for j in judgments if j.output is not None]
    if outputs:
        line += f"; parse failures {judge_lib.parse_failure_rate(outputs):.1%}"
    print(line)
    return 0


def _check_input(path: str) -> None:
    if "://" not in path and not os.path.isfile(path):
        what = "a directory" if os.path.isdir(path) else "missing"
        raise FileNotFoundError(f"--input {path} is {what}: give a rows file (.jsonl, .csv, ...)")


def _eval(args: argparse.Namespace) -> int:
    from flame_jax.evaluation import benchmarks, report  # noqa: PLC0415
    from flame_jax.judge import load_autorater  # noqa: PLC0415

    _collection()
    report.check_output(args.output)  # before any judging
    if args.input:
        _check_input(args.input)
    judge = load_autorater(args.checkpoint, **_judge_options(args))
    result = benchmarks.run_benchmark(
        args.benchmark,
        judge,
        data_dir=_data_dir(args.data_dir),
        max_per_task=args.max_per_task,
        seed=args.seed,
        inputs=args.input,
        own_model=args.own_model,
        cobbler_protocol=args.cobbler_protocol,
        timeout_s=args.timeout,
        memory_mb=args.memory_limit,
        on_too_long=args.on_too_long,
    )
    paths = report.write(result, args.output, model_name=args.checkpoint)
    print(result.markdown(model_name=args.checkpoint))
    print("written: " + ", ".join(paths.values()))
    return 0


def _checkpoints(values: Sequence[str]) -> dict[str, str]:
    """--checkpoint NAME=PATH (or PATH: named by its folder) -> {name: path}."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep:
            name, path = os.path.basename(os.path.normpath(value)), value
        if not name or not path or not name.replace("-", "_").replace(".", "_").isidentifier():
            raise ValueError(f"--checkpoint {value!r}: expected NAME=PATH or PATH")
        if name in out:
            raise ValueError(f"--checkpoint {value!r}: the name {name!r} is given twice")
        out[name] = path
    return out


def _serve(args: argparse.Namespace) -> int:
    from flame_jax.judge import load_autorater, server  # noqa: PLC0415

    _collection()
    checkpoints = _checkpoints(args.checkpoint)
    server.bind(args.host, args.port).close()  # a taken port fails before the judges load
    options = {**_judge_options(args), "progress": False}
    judges = {name: load_autorater(path, **options) for name, path in checkpoints.items()}
    names = ("max_body_bytes", "max_items", "max_queue", "max_wait_ms", "token_budget")
    limits = server.Limits(**{k: getattr(args, k) for k in names if getattr(args, k) is not None})
    server.serve(judges, host=args.host, port=args.port, limits=limits, log_level=args.log_level)
    return 0


def _add_serve_parser(commands) -> None:
    cmd = commands.add_parser("serve", help="judges behind an HTTP API (/v1/judge, /v1/reward)")
    _add_judge_flags(cmd, many=True)
    cmd.add_argument("--host", default="127.0.0.1")
    cmd.add_argument("--port", type=int, default=8000)
    # Limits: unset flags keep flame_jax.judge.server.Limits' defaults; --token_budget (a judge
    # flag) bounds both a merged call's requests and each forward pass.
    cmd.add_argument("--max_body_bytes", type=int, default=None, help="413 above (1 MiB)")
    cmd.add_argument("--max_items", type=int, default=None, help="per request, 413 above (512)")
    cmd.add_argument("--max_queue", type=int, default=None, help="waiting requests, 429 above (64)")
    cmd.add_argument("--max_wait_ms", type=float, default=None, help="to merge requests (5)")
    cmd.add_argument(
        "--log_level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )


def _opt_rm(args: argparse.Namespace) -> int:
    from flame_jax import configurables  # noqa: PLC0415
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
        train_arguments=configurables.tailpatch_train_arguments(args.gin_file, args.gin_bindings),
        data_dir=_data_dir(args.data_dir),
        max_per_task=args.max_per_task,
        seed=args.seed,
    )
    print(f"curves in {args.workdir}/tailpatch; next: flame-jax opt-rm weights --workdir ...")
    return 0


def _size(text: str) -> int:
    """Bytes from "5GB", "500MB", "2GiB" or a plain number."""
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
    upper = text.strip().upper()
    try:
        for unit, factor in sorted(units.items(), key=lambda kv: -len(kv[0])):
            if upper.endswith(unit):
                size = int(float(upper[: -len(unit)]) * factor)
                break
        else:
            size = int(upper)
    except ValueError:
        size = 0
    if size <= 0:
        raise ValueError(f"--max_shard_size takes a size such as 5GB or 500MB, got {text!r}")
    return size


def _convert(args: argparse.Namespace) -> int:
    from flame_jax import convert  # noqa: PLC0415

    if args.command == "hf-to-flame":
        result = convert.hf_to_flame(
            args.hf_dir,
            args.output,
            scan_layers=args.scan_layers == "true",
            param_dtype=args.param_dtype,
            dtype=args.dtype,
            mesh_shape=_mesh_flag(args.mesh) if args.mesh else None,
            skip_vocabulary=args.skip_vocabulary,
            overwrite=args.overwrite,
        )
        vocab = f' --gin.VOCABULARY=\\"{result.vocabulary}\\"' if result.vocabulary else ""
        print(
            f"fine-tune it: flame-jax train --gin_file={result.gin_file} "
            f"--gin_file=gin/runs/flame.gin{vocab} "
            f'--gin.INITIAL_CHECKPOINT_PATH=\\"{result.output}\\" --gin.MODEL_DIR=...'
        )
        return 0
    from flame_jax.training import manifest  # noqa: PLC0415

    if not os.path.exists(args.checkpoint):
        raise FileNotFoundError(f"checkpoint path {args.checkpoint} does not exist")
    model_dir = manifest.find_model_dir(args.checkpoint)
    run = manifest.read(model_dir)  # a training run's or an hf-to-flame output's
    hf_metadata = args.hf_metadata
    if hf_metadata is None:  # an hf-to-flame output keeps the original's in hf/
        own = os.path.join(model_dir, "hf")
        hf_metadata = own if os.path.isdir(own) else None
    convert.flame_to_hf(
        os.path.abspath(args.checkpoint),
        run.model_config,
        args.output,
        vocabulary=args.vocabulary or run.vocabulary,
        hf_metadata=hf_metadata,
        family=args.family,
        dtype=args.dtype,
        max_shard_bytes=_size(args.max_shard_size),
        overwrite=args.overwrite,
    )
    return 0


def _add_convert_parser(commands) -> None:
    conv = commands.add_parser("convert", help="Hugging Face import and export")
    sub = conv.add_subparsers(dest="command", metavar="COMMAND", required=True)
    imp = sub.add_parser("hf-to-flame", help="a Hugging Face model folder -> a checkpoint")
    imp.add_argument("--hf_dir", required=True, help="a local model folder, or a hub id")
    imp.add_argument("--output", required=True, help="the folder to write (checkpoints, gin)")
    imp.add_argument("--scan_layers", choices=("true", "false"), default="true")
    imp.add_argument("--param_dtype", default="float32", help="of the stored parameters")
    imp.add_argument("--dtype", default="bfloat16", help="compute dtype written to model.gin")
    imp.add_argument("--mesh", default=None, help="e.g. fsdp=-1,model=2 (default all fsdp)")
    imp.add_argument(
        "--skip_vocabulary", action="store_true", help="weights only: write no vocabulary"
    )
    imp.add_argument("--overwrite", action="store_true", help="replace a non-empty --output")
    exp = sub.add_parser("flame-to-hf", help="a checkpoint -> a Hugging Face model folder")
    exp.add_argument("--checkpoint", required=True, help="a MODEL_DIR, a step, or an import")
    exp.add_argument("--output", required=True, help="the Hugging Face folder to write")
    exp.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float32", "float16"))
    exp.add_argument("--max_shard_size", default="5GB", help="e.g. 5GB, 500MB")
    exp.add_argument("--vocabulary", default=None, help="default: the run's or the import's")
    exp.add_argument("--hf_metadata", default=None, help="the imported model's hf/ folder")
    exp.add_argument("--family", default=None, help="gemma, gemma2, gemma3_text, llama, ...")
    exp.add_argument("--overwrite", action="store_true", help="replace a non-empty --output")


def _judge_options(args: argparse.Namespace) -> dict:
    options = {
        "vocabulary": args.vocabulary,
        "mode": args.mode,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "max_new_tokens": args.max_new_tokens,
    }
    if args.token_budget is not None:
        options["token_budget"] = args.token_budget
    return options


def _add_judge_flags(cmd: argparse.ArgumentParser, *, many: bool = False) -> None:
    if many:
        cmd.add_argument(
            "--checkpoint",
            required=True,
            action="append",
            help="NAME=PATH or PATH, repeatable: a MODEL_DIR or one of its checkpoints",
        )
    else:
        cmd.add_argument(
            "--checkpoint", required=True, help="a MODEL_DIR or one of its checkpoints"
        )
    cmd.add_argument("--vocabulary", default=None, help="default: the run's config.gin")
    cmd.add_argument("--mode", choices=("score", "generate"), default="score")
    cmd.add_argument("--batch_size", type=int, default=16, help="the most rows per pass")
    cmd.add_argument("--max_length", type=int, default=2048, help="longest record, in tokens")
    cmd.add_argument(
        "--token_budget",
        type=int,
        default=None,
        help="the most rows x padded tokens per forward pass, bounding memory (default the "
        "Autorater's, 16 x 2048)",
    )
    cmd.add_argument(
        "--on_too_long",
        choices=("skip", "error"),
        default="skip",
        help="a record longer than max_length: skip it and list it, or stop with an error",
    )
    cmd.add_argument("--max_new_tokens", type=int, default=128, help="generate mode")
    cmd.add_argument("--data_dir", default=None, help="default: $FLAME_DATA_DIR")
    cmd.add_argument("--seed", type=int, default=0, help="for samples of items")


def _add_opt_rm_parser(commands) -> None:
    opt = commands.add_parser("opt-rm", help="the Opt-RM tail-patch mixture search")
    sub = opt.add_subparsers(dest="command", metavar="COMMAND", required=True)
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
    parser = _Parser(prog="flame-jax", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)

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
    evaluate.add_argument(
        "--own_model", default=None, help="cobbler: which of its 15 models the judge is"
    )
    evaluate.add_argument(
        "--cobbler_protocol",
        choices=("upstream", "both_orders"),
        default="upstream",
        help="cobbler: upstream's code (default) or the both-order variant",
    )
    evaluate.add_argument(
        "--timeout", type=float, default=None, help="humaneval_rerank: s per program (3.0)"
    )
    evaluate.add_argument(
        "--memory_limit", type=int, default=None, help="humaneval_rerank: MiB per program (1024)"
    )
    evaluate.add_argument("--output", required=True, help="directory for the results")

    _add_opt_rm_parser(commands)
    _add_serve_parser(commands)
    _add_convert_parser(commands)

    mixture = commands.add_parser("mixture", help="list, describe and show tasks and mixtures")
    sub = mixture.add_subparsers(dest="command", metavar="COMMAND", required=True)
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
    sub = data.add_subparsers(dest="command", metavar="COMMAND", required=True)
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


def _mesh_flag(text: str) -> dict[str, int]:
    """--mesh AXIS=SIZE,... as make_mesh's arguments; ValueError naming the flag."""
    try:
        pairs = [part.split("=") for part in text.split(",") if part]
        mesh = {k.strip(): int(v) for k, v in pairs}
    except ValueError:
        mesh = {}
    if not mesh or set(mesh) - {"data", "fsdp", "model"}:
        raise ValueError(
            f"--mesh takes AXIS=SIZE pairs of data, fsdp and model, e.g. data=1,fsdp=32,model=8; "
            f"got {text!r}"
        )
    return mesh


def _parse_mesh(text: str) -> dict[str, int]:
    try:
        return _mesh_flag(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _plan(argv: Sequence[str]) -> int:
    """`flame-jax plan`: prints the plan (or its JSON); 0 when it fits, 1 when it does not."""
    from flame_jax import configurables  # noqa: PLC0415
    from flame_jax.training import chips, optimizers, planning  # noqa: PLC0415

    parser = _Parser(prog="flame-jax plan", description=planning.__doc__.split("\n\n")[0])
    parser.add_argument("--topology", help="a TPU slice, e.g. v5p-512 (256 chips), v4-256")
    parser.add_argument("--devices", type=int, help="device count, instead of --topology")
    parser.add_argument("--chip", choices=sorted(chips.CHIPS), help="with --devices: the HBM")
    parser.add_argument("--hbm_gib", type=float, help="HBM per chip (overrides the chip's)")
    parser.add_argument("--mesh", type=_parse_mesh, help="data=..,fsdp=..,model=.. (-1 once)")
    parser.add_argument("--batch_size", type=int, help="default: the gin's train.batch_size")
    parser.add_argument("--sequence_length", type=int, help="default: TASK_FEATURE_LENGTHS")
    parser.add_argument("--num_microbatches", type=int)
    parser.add_argument("--optimizer", choices=optimizers.OPTIMIZERS)
    parser.add_argument("--remat", choices=("none", "minimal", "full"))
    parser.add_argument("--param_dtype", choices=("float32", "bfloat16"))
    parser.add_argument("--dtype", choices=("float32", "bfloat16"))
    parser.add_argument("--analytic", action="store_true", help="formula only, no XLA")
    parser.add_argument("--timeout", type=float, default=1800.0, help="compile limit, s")
    parser.add_argument("--json", action="store_true")
    args, bindings, paths = configurables.parse_flags(argv, parser)
    config, train, optimizer = configurables.plan_spec_from_gin(args.gin_file, bindings, paths)
    if train["dropout_rate"] is not None:  # as train() applies it
        config = dataclasses.replace(config, dropout_rate=train["dropout_rate"])
    batch_size = args.batch_size or train["batch_size"]
    length = args.sequence_length or train["task_feature_lengths"]
    if not batch_size or not length:
        raise ValueError(
            "the gin files bind no train.batch_size / task_feature_lengths (add a run gin) "
            "and --batch_size / --sequence_length are not given"
        )
    if not args.topology and not args.devices:
        raise ValueError("give --topology (e.g. v5p-512) or --devices N")
    if not args.topology and args.chip:  # the slice of that many chips, by its name
        chip = chips.CHIPS[args.chip]
        prefix = "v5litepod" if chip.name == "v5e" else chip.name
        args.topology = f"{prefix}-{args.devices * chip.cores_per_chip}"
    if not args.topology and not args.hbm_gib:
        raise ValueError("with --devices, give --chip or --hbm_gib")
    num_devices = args.devices or chips.parse_topology(args.topology).num_chips
    hbm = (
        args.hbm_gib * chips.GIB
        if args.hbm_gib
        else chips.parse_topology(args.topology).chip.hbm_bytes
    )
    models = [f for f in args.gin_file if "models" in f.replace("\\", "/").split("/")]
    spec = {
        "batch_size": batch_size,
        "sequence_length": length,
        "topology": args.topology,
        "mesh_shape": args.mesh or train["mesh_shape"],
        "hbm_bytes": int(hbm),
        "optimizer": args.optimizer or optimizer.get("name", "adam"),
        "optimizer_options": {k: v for k, v in optimizer.items() if k != "name"},
        "num_microbatches": args.num_microbatches or train["num_microbatches"] or 1,
        "remat_policy": args.remat,
        "param_dtype": args.param_dtype,
        "dtype": args.dtype,
        "z_loss": train["z_loss"] or 0.0,
        "name": os.path.splitext(os.path.basename((models or args.gin_file)[0]))[0],
    }
    # The formula first: it checks the arguments in a second, before any child starts, and
    # stands in (labelled) if compiling takes longer than --timeout.
    result = planning.plan(config, num_devices=num_devices, **{**spec, "compile": False})
    if not args.analytic:
        try:
            result = planning.run_in_subprocess(
                {**spec, "model_config": dataclasses.asdict(config)},
                num_devices,
                timeout=args.timeout,
            )
        except TimeoutError as e:
            result = dataclasses.replace(result, notes=[*result.notes, str(e)])
    print(json.dumps(result.to_dict(), indent=1) if args.json else result.report())
    return 0 if result.fits else 1


def _data_cache(argv: Sequence[str]) -> int:
    """`flame-jax data cache`: options it does not know go to Beam as pipeline options."""
    import importlib  # noqa: PLC0415
    import logging  # noqa: PLC0415

    from flame_jax.data import cache  # noqa: PLC0415

    parser = _Parser(
        prog="flame-jax data cache",
        description="Cache a task or a mixture's tasks with seqio's Apache Beam job.",
        epilog="Other options go to Beam, e.g. --project P --region R --temp_location gs://B/tmp "
        "--setup_file ./setup.py --num_workers N for --runner DataflowRunner.",
    )
    parser.add_argument("--mixture_or_task", required=True)
    parser.add_argument("--output_cache_dir", required=True, help="local directory or gs://")
    parser.add_argument("--data_dir", default=None, help="default: $FLAME_DATA_DIR")
    parser.add_argument(
        "--vocabulary",
        default=os.environ.get("FLAME_VOCAB"),
        help="the SentencePiece model to tokenize with (default: $FLAME_VOCAB)",
    )
    parser.add_argument("--splits", nargs="*", default=None, help="default: every split")
    parser.add_argument("--runner", default="DirectRunner", help="DirectRunner, DataflowRunner")
    parser.add_argument("--min_shards", type=int, default=cache.DEFAULT_MIN_SHARDS)
    parser.add_argument("--overwrite", action="store_true", help="rebuild cached tasks")
    parser.add_argument(
        "--module_import",
        action="append",
        default=None,
        help=f"module registering the tasks (repeatable; default {cache.TASK_MODULE})",
    )
    args, beam_options = parser.parse_known_args(list(argv))
    modules = args.module_import or [cache.TASK_MODULE]
    for module in modules:
        importlib.import_module(module)
    cache.task_names(args.mixture_or_task)  # an unknown name fails first, with suggestions
    if not args.vocabulary:
        raise ValueError(
            "--vocabulary is required (or set FLAME_VOCAB): the tokenizer to cache with"
        )
    logging.getLogger("apache_beam").setLevel(logging.WARNING)
    report = cache.cache_tasks(
        args.mixture_or_task,
        args.output_cache_dir,
        vocabulary_path=args.vocabulary,
        splits=args.splits,
        data_dir=_data_dir(args.data_dir),
        pipeline_options=[f"--runner={args.runner}", *beam_options],
        min_shards=args.min_shards,
        overwrite=args.overwrite,
        modules_to_import=modules,
    )
    for split in report.cached:
        tokens = ", ".join(f"{k} {v:,}" for k, v in sorted(split.tokens.items()))
        print(f"{split.task} {split.split}: {split.examples:,} examples ({tokens})")
    for task, why in report.skipped.items():
        print(f"{task}: not cached: {why}")
    print(
        f"cached {len({s.task for s in report.cached})} task(s), {len(report.cached)} split(s) in "
        f"{report.seconds:.1f}s into {report.output_cache_dir}; train on it with "
        "--gin.USE_CACHED_TASKS=True "
        f"--seqio_additional_cache_dirs={report.output_cache_dir}"
    )
    return 0


def _train(argv: Sequence[str]) -> int:
    from flame_jax import configurables  # noqa: PLC0415

    configurables.train_main(argv)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # train and plan take t5x's flags (--gin.NAME=VALUE); the cache job passes Beam's through.
    passthrough = {("train",): _train, ("plan",): _plan, ("data", "cache"): _data_cache}
    for prefix, command in passthrough.items():
        if tuple(argv[: len(prefix)]) == prefix:
            return _run(command, argv[len(prefix) :])
    args = _parser().parse_args(argv)
    handler = {
        "mixture": _mixture,
        "data": _data,
        "demo": _demo,
        "judge": _judge,
        "eval": _eval,
        "opt-rm": _opt_rm,
        "convert": _convert,
        "serve": _serve,
    }[args.group]
    return _run(handler, args)


def _one_line(text: str) -> str:
    """A message as one line: its lines joined (a list after a colon stays readable)."""
    out = ""
    for line in (part.strip() for part in text.splitlines()):
        if line:
            out += line if not out else (" " if out.endswith(":") else "; ") + line
    return out


def error_message(error: BaseException) -> str:
    """The one line a user error is reported as: an OSError names its path."""
    if isinstance(error, KeyError) and error.args:
        return _one_line(str(error.args[0]))
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return _one_line(str(error))


def _run(handler, args) -> int:
    """Runs a subcommand; a user error (bad input, flag, file or path) is one line on stderr
    and exit status 2, never a traceback."""
    _import_tensorflow_quietly()
    try:
        return handler(args)
    except (KeyError, ValueError, RuntimeError, OSError) as e:
        print(f"flame-jax: error: {error_message(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
