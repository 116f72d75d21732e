"""Serving load: N concurrent clients for T seconds against `flame-jax serve`'s app, then a burst
over the queue bound.

    python benchmarks/serve_load.py [--checkpoint MODEL_DIR] [--clients 8] [--seconds 10]
        [--records 32] [--burst 64] [--burst_queue 8] [--seed 0] [--json]

The judge is the demo judge: a `flame-jax demo` run given with --checkpoint, else the demo
run's model (gin/runs/demo.gin) with random parameters (same cost) and the demo vocabulary.
Records are --records of demo_sorting (pairwise, both orders) and demo_support
(classification). The server (flame_jax.judge.server.create_app on uvicorn) listens on
127.0.0.1 only, in this process; clients are threads with their own httpx connection, each
posting one record per request, chosen with a seeded generator.

Measured, with baselines from the same run:
- offline sequential: one `Autorater.judge([record])` call per record, as a loop would make
  them (the baseline of the ratios), and offline batched: all records in one call;
- served: requests/s, p50/p99 latency, the mean requests per model call (the server's
  metrics), and lost (not 200) and mismatched answers: each answer is compared with the
  offline judgment of the same record alone (probabilities within 1e-6);
- burst: --burst requests at once against a server whose queue holds --burst_queue: how many
  were answered 200 (all checked) and 429, none otherwise, and /healthz after.
Timing excludes compilation: each path is warmed on every record first.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import tempfile
import threading
import time

import flame_tasks  # noqa: F401  (registers the demo tasks)
import gin
import httpx
import numpy as np
from flame_tasks import demo as demo_tasks

from flame_jax import configurables
from flame_jax.data import registry
from flame_jax.data.codec import Codec
from flame_jax.judge import load_autorater, server, wire
from flame_jax.judge.autorater import Autorater
from flame_jax.models import Transformer
from flame_jax.models.testing import random_params


def _demo_judge(checkpoint: str | None, workdir: str) -> Autorater:
    if checkpoint:
        return load_autorater(checkpoint, progress=False)
    vocabulary = demo_tasks.build_vocabulary(os.path.join(workdir, "demo.model"))
    gin.clear_config()
    gin.add_config_file_search_path(configurables.REPO_ROOT)
    gin.parse_config_file("gin/runs/demo.gin")
    config = configurables.model_config_from_gin()
    gin.clear_config()
    model = Transformer(config)
    return Autorater(model, random_params(config, seed=0), Codec.load(vocabulary), progress=False)


def _matches(served: dict, local) -> bool:
    if served["answer"] != local.answer:
        return False
    close = all(abs(served["probabilities"][o] - p) <= 1e-6 for o, p in local.probabilities.items())
    if local.pair is not None:
        close &= served["consistent"] == local.pair.consistent
    return close


def _batches(app) -> tuple[float, int]:
    histogram = app.state.server.metrics.batch_requests
    return histogram.sums.get((), 0.0), histogram.counts.get((), [0])[-1]


def _post(http: httpx.Client, body: dict) -> tuple[int, dict | None, float]:
    start = time.perf_counter()
    try:
        response = http.post("/v1/judge", json=body)
    except httpx.HTTPError:
        return -1, None, time.perf_counter() - start
    seconds = time.perf_counter() - start
    return response.status_code, response.json() if response.status_code == 200 else None, seconds


def load(app, url, bodies, reference, *, clients: int, seconds: float, seed: int) -> dict:
    """Clients post random records until `seconds` pass; every answer is checked."""
    stop = time.monotonic() + seconds
    before = _batches(app)

    def client(index: int) -> list[tuple[int, bool, float]]:
        rng = np.random.default_rng([seed, index])
        out = []
        with httpx.Client(base_url=url, timeout=60) as http:
            while time.monotonic() < stop:
                i = int(rng.integers(len(bodies)))
                status, answer, latency = _post(http, bodies[i])
                ok = status == 200 and _matches(answer["judgments"][0], reference[i])
                out.append((status, ok, latency))
        return out

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = [r for rs in pool.map(client, range(clients)) for r in rs]
    elapsed = time.perf_counter() - start
    after = _batches(app)
    latencies = np.asarray([latency for _, _, latency in results])
    return {
        "requests": len(results),
        "requests_per_s": len(results) / elapsed,
        "p50_ms": float(np.percentile(latencies, 50) * 1000),
        "p99_ms": float(np.percentile(latencies, 99) * 1000),
        "mean_batch_requests": (after[0] - before[0]) / max(after[1] - before[1], 1),
        "lost": sum(status != 200 for status, _, _ in results),
        "mismatched": sum(status == 200 and not ok for status, ok, _ in results),
    }


def burst(rater, bodies, reference, count: int, queue: int) -> dict:
    """`count` requests at once against a queue of `queue`: 200s (checked) and 429s only."""
    app = server.create_app({"demo": rater}, server.Limits(max_queue=queue))
    with server.running(app) as (_, url), concurrent.futures.ThreadPoolExecutor(count) as pool:
        barrier = threading.Barrier(count)

        def one(i: int):
            with httpx.Client(base_url=url, timeout=60) as http:
                barrier.wait()
                return i, *_post(http, bodies[i % len(bodies)])

        results = list(pool.map(one, range(count)))
        healthy = httpx.get(f"{url}/healthz").status_code == 200
    return {
        "requests": count,
        "queue": queue,
        "ok": sum(status == 200 for _, status, _, _ in results),
        "rejected_429": sum(status == 429 for _, status, _, _ in results),
        "other": sum(status not in (200, 429) for _, status, _, _ in results),
        "mismatched": sum(
            status == 200 and not _matches(a["judgments"][0], reference[i % len(bodies)])
            for i, status, a, _ in results
        ),
        "healthy_after": healthy,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=None, help="a demo run (default: random params)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--records", type=int, default=32)
    parser.add_argument("--burst", type=int, default=64)
    parser.add_argument("--burst_queue", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:  # the vocabulary is read lazily: keep it
        _run(args, _demo_judge(args.checkpoint, workdir))


def _run(args: argparse.Namespace, rater: Autorater) -> None:
    half = args.records // 2
    records = [
        *registry.first_records(registry.get_task("demo_sorting"), "test", half),
        *registry.first_records(registry.get_task("demo_support"), "test", args.records - half),
    ]
    bodies = [{"records": [wire.record_to_json(r)]} for r in records]

    rater.judge(records)  # compiles the batched shapes
    reference = [rater.judge([r])[0] for r in records]  # compiles the single-record shapes
    start = time.perf_counter()
    reference = [rater.judge([r])[0] for r in records]
    sequential = len(records) / (time.perf_counter() - start)
    start = time.perf_counter()
    rater.judge(records)
    batched = len(records) / (time.perf_counter() - start)

    app = server.create_app({"demo": rater})
    with server.running(app) as (_, url):
        load(
            app, url, bodies, reference, clients=args.clients, seconds=2.0, seed=args.seed + 1
        )  # warm-up
        served = load(
            app, url, bodies, reference, clients=args.clients, seconds=args.seconds, seed=args.seed
        )
    bursted = burst(rater, bodies, reference, args.burst, args.burst_queue)
    result = {
        "offline_sequential_per_s": sequential,
        "offline_batched_per_s": batched,
        "served": served,
        "burst": bursted,
        "served_vs_sequential": served["requests_per_s"] / sequential,
        "served_vs_batched": served["requests_per_s"] / batched,
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return
    judge = f"checkpoint {args.checkpoint}" if args.checkpoint else "demo model, random params"
    print(f"judge: {judge}; {len(records)} records")
    print(f"offline, one record per call:  {sequential:8.1f} records/s   (baseline)")
    print(f"offline, all in one call:      {batched:8.1f} records/s   {batched / sequential:5.2f}x")
    print(
        f"served, {args.clients} clients x {args.seconds:.0f}s:   {served['requests_per_s']:8.1f} "
        f"requests/s  {result['served_vs_sequential']:5.2f}x | p50 {served['p50_ms']:.0f} ms, "
        f"p99 {served['p99_ms']:.0f} ms | {served['mean_batch_requests']:.1f} requests per "
        f"model call | {served['requests']} requests, {served['lost']} lost, "
        f"{served['mismatched']} mismatched"
    )
    print(
        f"burst of {bursted['requests']} on a queue of {bursted['queue']}: "
        f"{bursted['ok']} answered ({bursted['mismatched']} mismatched), "
        f"{bursted['rejected_429']} refused with 429, "
        f"{bursted['other']} other; healthy after: {bursted['healthy_after']}"
    )


if __name__ == "__main__":
    main()
