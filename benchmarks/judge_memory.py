"""Judge memory: peak resident memory (RSS) of `Autorater.judge` against the record length.

    python benchmarks/judge_memory.py [--configs demo small] [--lengths 1024 2048 4096 8192 16384]
        [--mode score] [--pairs 1] [--rss_cap_gb 6] [--json]

One subprocess per (config, length) point, so every peak is its own: the child builds the model
with random parameters (flame_jax.models.testing.random_params: the memory of a checkpoint of
that shape), records its peak RSS so far (imports, parameters: "base"), judges --pairs pairwise
records of about `length` tokens each in both orders with max_length = length and the
Autorater's default token budget, and reports its peak RSS after (resource.getrusage). The
judge's own memory is the difference. Records are demo_sorting pairs (tasks/demo.py) whose
context is repeated until judging the record takes just under `length` tokens with the demo
vocabulary (inputs + the longest option, or + max_new_tokens in generate mode). The parent
watches each child's RSS and stops it above --rss_cap_gb (the row then says "stopped"), so a
judge that grows quadratically cannot take the machine down.

Configs: `demo` (gin/runs/demo.gin's model: what `flame-jax demo` trains) and `small`
(gin/models/small.gin, 128.5M parameters). The last columns compare each point with the
first length's: judge memory per record token should stay about constant (linear growth).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1024 * 1024


def _config(name: str):
    import gin  # noqa: PLC0415

    from flame_jax import configurables  # noqa: PLC0415

    gin.clear_config()
    gin.add_config_file_search_path(configurables.REPO_ROOT)
    path = "gin/runs/demo.gin" if name == "demo" else f"gin/models/{name}.gin"
    gin.parse_config_file(path)
    return configurables.model_config_from_gin()


def _record_of_length(rater, record, length: int):
    """`record` with its context repeated so that the judge takes just under `length` tokens
    for it (Autorater.sequence_length: both orders; + max_new_tokens when generating)."""
    import dataclasses  # noqa: PLC0415

    def repeated(times: int):
        context = tuple((name, " ".join([value] * times)) for name, value in record.context)
        return dataclasses.replace(record, context=context)

    def size(times: int) -> int:
        return rater.sequence_length(repeated(times))

    low, high = 1, 2
    while size(high) <= length:
        low, high = high, 2 * high
    while high - low > 1:  # the most repetitions that fit
        middle = (low + high) // 2
        low, high = (middle, high) if size(middle) <= length else (low, middle)
    return repeated(low), size(low)


def _point(config_name: str, length: int, mode: str, pairs: int, vocab: str) -> dict:
    """The child: judge `pairs` records of ~length tokens; peak RSS before and after."""
    import flame_tasks  # noqa: F401,PLC0415  (registers the demo tasks)
    import jax  # noqa: PLC0415

    from flame_jax.data import registry  # noqa: PLC0415
    from flame_jax.data.codec import Codec  # noqa: PLC0415
    from flame_jax.judge import Autorater  # noqa: PLC0415
    from flame_jax.models import Transformer  # noqa: PLC0415
    from flame_jax.models.testing import random_params  # noqa: PLC0415

    codec = Codec.load(vocab)
    config = _config(config_name)
    model, params = Transformer(config), random_params(config, seed=0)
    jax.block_until_ready(params)
    rater = Autorater(model, params, codec, mode=mode, max_length=length, progress=False)
    base = registry.first_records(registry.get_task("demo_sorting"), "test", pairs)
    records, tokens = [], 0
    for record in base:
        long, size = _record_of_length(rater, record, length)
        records.append(long)
        tokens = max(tokens, size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    rater.judge(records)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "config": config_name,
        "params": config.num_params(),
        "mode": mode,
        "length": length,
        "tokens": tokens,
        "pairs": pairs,
        "base_mib": before / MIB,
        "peak_mib": after / MIB,
        "judge_mib": (after - before) / MIB,
        "seconds": seconds,
    }


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return 0


def _run_point(argv: list[str], cap_bytes: int) -> dict | None:
    """Runs one child; None when it went over the cap (and was stopped)."""
    child = subprocess.Popen(
        [sys.executable, __file__, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    over = threading.Event()

    def watch() -> None:
        while child.poll() is None:
            if _rss(child.pid) > cap_bytes:
                over.set()
                child.kill()
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = child.communicate()
    watcher.join()
    if over.is_set():
        return None
    if child.returncode:
        raise RuntimeError(f"point {argv} failed:\n{err.decode()[-2000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="*", default=["demo", "small"])
    parser.add_argument("--lengths", nargs="*", type=int, default=[1024, 2048, 4096, 8192, 16384])
    parser.add_argument("--mode", choices=("score", "generate"), default="score")
    parser.add_argument("--pairs", type=int, default=1, help="records per point (both orders)")
    parser.add_argument("--rss_cap_gb", type=float, default=6.0, help="stop a child above this")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON lines")
    parser.add_argument("--point", nargs=2, metavar=("CONFIG", "LENGTH"), help=argparse.SUPPRESS)
    parser.add_argument("--vocab", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.point:  # the child
        row = _point(args.point[0], int(args.point[1]), args.mode, args.pairs, args.vocab)
        print(json.dumps(row))
        return

    from flame_tasks import demo  # noqa: PLC0415

    vocab = demo.build_vocabulary(os.path.join(tempfile.mkdtemp(), "demo.model"))
    cap = int(args.rss_cap_gb * 1024 * MIB)
    rows = []
    for name in args.configs:
        first = None
        for length in args.lengths:
            argv = ["--point", name, str(length), "--vocab", vocab]
            argv += ["--mode", args.mode, "--pairs", str(args.pairs)]
            row = _run_point(argv, cap) or {"config": name, "length": length, "over_cap": True}
            if "judge_mib" in row:
                first = first or row
                row["x_length"] = row["tokens"] / first["tokens"]
                row["x_judge_memory"] = row["judge_mib"] / max(first["judge_mib"], 1e-9)
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
    if args.json:
        return
    print(
        f"Autorater.judge ({args.mode} mode), {args.pairs} pair(s) in both orders per point, "
        f"default token budget; one process per point; cap {args.rss_cap_gb} GB\n"
    )
    print(
        f"{'config':<7}{'length':>8}{'tokens':>8}{'base MiB':>10}{'peak MiB':>10}"
        f"{'judge MiB':>11}{'seconds':>9}{'x length':>10}{'x judge mem':>13}"
    )
    for r in rows:
        if r.get("over_cap"):
            print(f"{r['config']:<7}{r['length']:>8}   stopped: RSS > {args.rss_cap_gb} GB")
            continue
        print(
            f"{r['config']:<7}{r['length']:>8}{r['tokens']:>8}{r['base_mib']:>10.0f}"
            f"{r['peak_mib']:>10.0f}{r['judge_mib']:>11.0f}{r['seconds']:>9.1f}"
            f"{r['x_length']:>9.1f}x{r['x_judge_memory']:>12.1f}x"
        )


if __name__ == "__main__":
    main()
