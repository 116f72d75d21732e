"""The judge behind an HTTP API (Starlette on uvicorn): `flame-jax serve`.

    app = create_app({"demo": load_autorater("flame_demo")})   # an ASGI app
    serve({"demo": rater}, host="127.0.0.1", port=8000)          # runs it until SIGINT/SIGTERM

Endpoints (JSON in and out; errors are {"error": message} with a 4xx/5xx status):
- POST /v1/judge {"judge"?, "mode"?: "score"|"generate", and one of: "records": [record
  objects (flame_jax.judge.wire)], "task": NAME with "rows": [rows in the task's upstream
  schema], "pairwise" | "pointwise" | "classify": [request objects in Autorater's shapes]}
  -> {"judge", "mode", "judgments": [wire.judgment_to_json ...]} in the request's order: the
  verdict, option probabilities, the pointwise expected score, both-order preference and
  consistency, generated text.
- POST /v1/reward: one number per item for RL loops, in score mode. OpenRLHF's remote reward
  model shape {"query": [prompt + response], "prompts": [prompt], "labels"?: ignored} ->
  {"rewards": [...]} (openrlhf/utils/remote_rm_utils.py posts it, reads "rewards"), or
  {"items": [{"prompt", "response"} | {"prompt", "response_a", "response_b"}], "criteria"?,
  "scale"?}. A response's reward is the judge's expected pointwise score on `scale` (default
  1-5) under `criteria` (default REWARD_CRITERIA); a pair's is the both-order probability that
  response_a is better.
- POST /v1/completions: the subset of OpenAI's completions API that scores prompts (vLLM's
  `echo: true, logprobs: 0|1, max_tokens: 0`): "prompt" is token ids (a list, or a list of
  lists), and each choice's logprobs.token_logprobs[i] = log p(token i | tokens before it)
  under the causal model, the prompt read as it is (None for the first token, as OpenAI and
  vLLM answer): what vLLM computes on the judge's Hugging Face export. It lets
  flame_jax.judge.client.CompletionsJudge be tested against this server.
- GET /healthz, GET /metrics (Prometheus text: requests by endpoint and code, latency, model
  calls' sizes in requests and items, queue depth).

The event loop only validates, queues and awaits; the model runs in one worker thread
(flame_jax.judge.batching) that merges requests arriving within `max_wait_ms` under a token
budget. Limits: a body over max_body_bytes is 413, more than max_items items is 413, a full
queue is 429 (Retry-After: 1), bad input is 400/404 naming the field. Shutdown (SIGINT or
SIGTERM) stops accepting connections and answers every accepted request before it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from flame_jax.data import registry
from flame_jax.data.readers import Row
from flame_jax.format import Record, TaskType
from flame_jax.judge import wire
from flame_jax.judge.autorater import MODES, Autorater
from flame_jax.judge.batching import Batcher, QueueFull
from flame_jax.judge.passes import bucket_length
from flame_jax.models import Transformer
from flame_jax.models.loss import token_log_likelihood

REWARD_CRITERIA = (
    "Rate how helpfully, accurately and safely the response follows the user's request."
)


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one server accepts.

    Attributes:
      max_body_bytes: largest request body (413 above).
      max_items: most records, items or prompts in one request (413 above).
      max_queue: requests that may wait for the model (429 above).
      max_wait_ms: how long the worker waits to merge more requests into a model call.
      token_budget: most tokens (rows x length) in one merged call.
    """

    max_body_bytes: int = 1 << 20
    max_items: int = 512
    max_queue: int = 64
    max_wait_ms: float = 5.0
    token_budget: int = 32768


class HTTPError(Exception):
    """An answer with a status and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# --- Metrics --------------------------------------------------------------------------------


class _Histogram:
    def __init__(self, buckets: Sequence[float]):
        self.buckets = tuple(buckets)
        self.counts: dict[tuple, list[int]] = {}
        self.sums: dict[tuple, float] = {}

    def observe(self, labels: tuple, value: float) -> None:
        counts = self.counts.setdefault(labels, [0] * (len(self.buckets) + 1))
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                counts[i] += 1
        counts[-1] += 1
        self.sums[labels] = self.sums.get(labels, 0.0) + value

    def lines(self, name: str, label_names: Sequence[str]) -> list[str]:
        out = []
        for labels, counts in sorted(self.counts.items()):
            pairs = [f'{k}="{v}"' for k, v in zip(label_names, labels, strict=True)]
            for bound, count in zip((*self.buckets, "+Inf"), counts, strict=True):
                out.append(
                    f"{name}_bucket{{{','.join([*pairs, f'le={json.dumps(str(bound))}'])}}} {count}"
                )
            tail = f"{{{','.join(pairs)}}}" if pairs else ""
            out.append(f"{name}_sum{tail} {self.sums[labels]}")
            out.append(f"{name}_count{tail} {counts[-1]}")
        return out


class Metrics:
    """The server's counters in Prometheus' text format (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = {}
        self.latency = _Histogram((0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.batch_requests = _Histogram((1, 2, 4, 8, 16, 32, 64))
        self.batch_items = _Histogram((1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
        self.batch_seconds = _Histogram((0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (endpoint, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            self.latency.observe((endpoint,), seconds)

    def batch(self, jobs: int, items: int, seconds: float) -> None:
        with self._lock:
            self.batch_requests.observe((), jobs)
            self.batch_items.observe((), items)
            self.batch_seconds.observe((), seconds)

    def text(self, queue_depth: int) -> str:
        with self._lock:
            lines = [
                "# HELP flame_requests_total Requests answered, by endpoint and status code.",
                "# TYPE flame_requests_total counter",
                *(
                    f'flame_requests_total{{endpoint="{e}",code="{c}"}} {n}'
                    for (e, c), n in sorted(self.requests.items())
                ),
                "# HELP flame_request_latency_seconds Time from request to answer.",
                "# TYPE flame_request_latency_seconds histogram",
                *self.latency.lines("flame_request_latency_seconds", ("endpoint",)),
                "# HELP flame_batch_requests Requests merged into one model call.",
                "# TYPE flame_batch_requests histogram",
                *self.batch_requests.lines("flame_batch_requests", ()),
                "# HELP flame_batch_items Records or prompts in one model call.",
                "# TYPE flame_batch_items histogram",
                *self.batch_items.lines("flame_batch_items", ()),
                "# HELP flame_batch_seconds Duration of one model call.",
                "# TYPE flame_batch_seconds histogram",
                *self.batch_seconds.lines("flame_batch_seconds", ()),
                "# HELP flame_queue_depth Requests waiting for the model.",
                "# TYPE flame_queue_depth gauge",
                f"flame_queue_depth {queue_depth}",
            ]
        return "\n".join(lines) + "\n"


# --- Work -----------------------------------------------------------------------------------


def _record_cost(rater: Autorater):
    """Tokens a list of records puts through the model: length x rows (options, orders)."""

    def cost(records: Sequence[Record]) -> int:
        total = 0
        for r in records:
            length = len(rater.codec.encode_inputs(r.inputs)) + len(
                rater.codec.encode_targets(r.targets)
            )
            rows = max(len(r.options), 1) * (2 if r.task_type == TaskType.PAIRWISE else 1)
            total += length * rows
        return total

    return cost


def _token_cost(prompts: Sequence[Sequence[int]]) -> int:
    return sum(len(p) for p in prompts)


@functools.partial(jax.jit, static_argnums=0)
def _next_token_logprobs(model: Transformer, params: Any, tokens: jax.Array) -> jax.Array:
    """float32 [B, L-1]: log p(tokens[:, j+1] | tokens[:, :j+1]) under the causal model."""
    logits = model.apply({"params": params}, tokens)
    return token_log_likelihood(logits[:, :-1], tokens[:, 1:])


def prompt_logprobs(rater: Autorater, prompts: Sequence[Sequence[int]]) -> list[list]:
    """For each token-id prompt, log p(token j | tokens before it); None for the first token.

    The model reads the prompt as it is (no start token added: a caller reproducing score
    mode sends the decoder's start token 0 first, as the trainer's shifted inputs have it),
    which is what a Hugging Face export of the judge computes for the same ids. Rows are
    right-padded (causal attention: padding never reaches a real token) to batch_size rows
    and a length bucket, so jit compiles once per bucket.
    """
    out: list[list] = []
    for start in range(0, len(prompts), rater.batch_size):
        chunk = prompts[start : start + rater.batch_size]
        longest = max(len(p) for p in chunk)
        if longest > rater.max_length:
            raise ValueError(f"length {longest} exceeds max_length {rater.max_length}")
        length = min(bucket_length(longest), rater.max_length)
        tokens = np.zeros((rater.batch_size, length), np.int32)
        for row, p in enumerate(chunk):
            tokens[row, : len(p)] = p
        values = np.asarray(_next_token_logprobs(rater.model, rater.params, tokens))
        out += [
            [None, *map(float, row[: len(p) - 1])]
            for row, p in zip(values[: len(chunk)], chunk, strict=True)
        ]
    return out


# --- The app --------------------------------------------------------------------------------


async def _body(request: Request, limit: int) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPError(413, f"the body is {declared} bytes, more than the limit of {limit}")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise HTTPError(413, f"the body is more than the limit of {limit} bytes")
    try:
        body = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HTTPError(400, f"the body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise HTTPError(400, "the body must be a JSON object")
    return body


def _strings(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise HTTPError(400, f"field {name!r} must be a list of strings")
    return value


class _Server:
    """The app's state: the judges (one Autorater per judge and mode), the batcher, metrics."""

    def __init__(self, judges: Mapping[str, Autorater], limits: Limits):
        if not judges:
            raise ValueError("no judges to serve")
        self.limits, self.metrics = limits, Metrics()
        self.default_modes = {name: rater.mode for name, rater in judges.items()}
        self.views = {
            (name, mode): Autorater(
                rater.model,
                rater.params,
                rater.codec,
                mode=mode,
                batch_size=rater.batch_size,
                max_length=rater.max_length,
                max_new_tokens=rater.max_new_tokens,
                progress=False,
            )
            for name, rater in judges.items()
            for mode in MODES
        }
        self.costs = {name: _record_cost(rater) for name, rater in judges.items()}
        self.batcher = Batcher(
            max_queue=limits.max_queue,
            max_wait_s=limits.max_wait_ms / 1000,
            token_budget=limits.token_budget,
            on_batch=self.metrics.batch,
        )

    def judge_name(self, name: Any) -> str:
        if name is None:
            if len(self.default_modes) > 1:
                raise HTTPError(400, f"name the judge: one of {sorted(self.default_modes)}")
            return next(iter(self.default_modes))
        if name not in self.default_modes:
            raise HTTPError(404, f"no judge {name!r}: one of {sorted(self.default_modes)}")
        return name

    def check_size(self, n: int) -> None:
        if n > self.limits.max_items:
            raise HTTPError(413, f"{n} items, more than the limit of {self.limits.max_items}")
        if n == 0:
            raise HTTPError(400, "nothing to judge: the list is empty")

    async def run(self, key, items: list, run, cost) -> list:
        try:
            future = self.batcher.submit(key, items, run, cost)
        except QueueFull:
            raise HTTPError(
                429, f"the queue is full ({self.limits.max_queue} requests wait); retry later"
            ) from None
        except RuntimeError as e:
            raise HTTPError(503, str(e)) from None
        try:
            return await future
        except ValueError as e:  # a record the judge refuses (too long, no options)
            raise HTTPError(400, str(e)) from None

    async def judge_records(self, name: str, mode: str, records: list[Record]) -> list:
        self.check_size(len(records))
        view = self.views[(name, mode)]
        return await self.run((name, mode), records, view.judge, self.costs[name])

    # --- Endpoints ---

    async def judge(self, request: Request) -> Response:
        body = await _body(request, self.limits.max_body_bytes)
        name = self.judge_name(body.get("judge"))
        mode = body.get("mode", self.default_modes[name])
        if mode not in MODES:
            raise HTTPError(400, f"field 'mode' must be one of {MODES}, not {mode!r}")
        kinds = [k for k in ("records", "task", *wire.AD_HOC) if k in body]
        if len(kinds) != 1:
            raise HTTPError(
                400, f"give exactly one of 'records', 'task' (with 'rows') or {wire.AD_HOC}"
            )
        kind = kinds[0]
        try:
            if kind == "records":
                items = body["records"]
                if not isinstance(items, list):
                    raise ValueError("field 'records' must be a list")
                self.check_size(len(items))
                records = [wire.record_from_json(r, f"records[{i}]") for i, r in enumerate(items)]
            elif kind == "task":
                records = self.task_records(body)
            else:
                if isinstance(body[kind], list):
                    self.check_size(len(body[kind]))
                records = wire.ad_hoc_records(kind, body[kind])
        except (ValueError, KeyError) as e:
            raise HTTPError(400, e.args[0] if e.args else str(e)) from None
        judgments = await self.judge_records(name, mode, records)
        return JSONResponse(
            {
                "judge": name,
                "mode": mode,
                "judgments": [wire.judgment_to_json(j) for j in judgments],
            }
        )

    def task_records(self, body: Mapping[str, Any]) -> list[Record]:
        if not isinstance(body["task"], str):
            raise ValueError("field 'task' must be a string")
        try:
            task = registry.get_task(body["task"])
        except KeyError as e:
            raise HTTPError(404, e.args[0]) from None
        rows = body.get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("field 'rows' must be a list of objects (the task's upstream rows)")
        self.check_size(len(rows))
        records = list(
            task.render_rows(
                Row(task.source.name, "the request's rows", i, data)
                for i, data in enumerate(rows, start=1)
            )
        )
        if len(records) != len(rows):
            raise ValueError(
                f"{len(rows)} rows gave {len(records)} records: the task {task.name} skips or "
                "splits rows; send records instead"
            )
        return records

    async def reward(self, request: Request) -> Response:
        body = await _body(request, self.limits.max_body_bytes)
        name = self.judge_name(body.get("judge"))
        try:
            items = self.reward_items(body)
            self.check_size(len(items))
            criteria = body.get("criteria", REWARD_CRITERIA)
            pointwise = {"criteria": criteria}
            if "scale" in body:
                pointwise["scale"] = body["scale"]
            records = [
                wire.ad_hoc_record(
                    "pairwise" if "response_a" in item else "pointwise",
                    {**pointwise, **item} if "response_a" not in item else {**item},
                    f"items[{i}]",
                )
                for i, item in enumerate(items)
            ]
        except ValueError as e:
            raise HTTPError(400, str(e)) from None
        judgments = await self.judge_records(name, "score", records)
        rewards = [j.pair.p_a_better if j.pair is not None else j.expected_score for j in judgments]
        return JSONResponse({"rewards": rewards})

    def reward_items(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        if "items" in body:
            items = body["items"]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ValueError("field 'items' must be a list of objects")
            return items
        if "query" not in body:
            raise ValueError("give 'items', or OpenRLHF's 'query' with 'prompts'")
        queries, prompts = _strings(body, "query"), _strings(body, "prompts")
        if len(queries) != len(prompts):
            raise ValueError(f"{len(queries)} queries but {len(prompts)} prompts")
        items = []
        for i, (query, prompt) in enumerate(zip(queries, prompts, strict=True)):
            if not query.startswith(prompt):
                raise ValueError(f"query[{i}] does not start with prompts[{i}]")
            items.append({"prompt": prompt, "response": query[len(prompt) :]})
        return items

    async def completions(self, request: Request) -> Response:
        body = await _body(request, self.limits.max_body_bytes)
        name = self.judge_name(body.get("model"))
        rater = self.views[(name, "score")]
        if body.get("echo") is not True or body.get("max_tokens", 16) != 0:
            raise HTTPError(
                400, "this server only scores prompts: send echo: true and max_tokens: 0"
            )
        if rater.model.config.bidirectional_prefix:
            raise HTTPError(400, f"judge {name!r} is a prefix LM; completions score causal models")
        prompt = body.get("prompt")
        prompts = (
            prompt
            if isinstance(prompt, list) and prompt and isinstance(prompt[0], list)
            else [prompt]
        )
        vocab = rater.model.config.vocab_size
        for i, p in enumerate(prompts):
            if (
                not isinstance(p, list)
                or not p
                or not all(isinstance(t, int) and 0 <= t < vocab for t in p)
            ):
                raise HTTPError(
                    400, f"prompt {i} must be a non-empty list of token ids in [0, {vocab})"
                )
            if len(p) > rater.max_length:
                raise HTTPError(400, f"prompt {i} is {len(p)} tokens, more than {rater.max_length}")
        self.check_size(len(prompts))
        logprobs = await self.run(
            (name, "logprobs"), prompts, functools.partial(prompt_logprobs, rater), _token_cost
        )
        choices = [
            {
                "index": i,
                "text": "",
                "logprobs": {"token_logprobs": values, "tokens": [str(t) for t in p]},
                "finish_reason": "length",
            }
            for i, (p, values) in enumerate(zip(prompts, logprobs, strict=True))
        ]
        return JSONResponse(
            {
                "object": "text_completion",
                "model": name,
                "created": int(time.time()),
                "choices": choices,
            }
        )

    async def healthz(self, request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "judges": self.default_modes, "queue_depth": self.batcher.depth}
        )

    async def metrics_text(self, request: Request) -> Response:
        return PlainTextResponse(
            self.metrics.text(self.batcher.depth), media_type="text/plain; version=0.0.4"
        )


def create_app(judges: Mapping[str, Autorater], limits: Limits = Limits()) -> Starlette:
    """The ASGI app serving `judges` by name (see module docstring)."""
    server = _Server(judges, limits)

    def endpoint(path: str, handler, methods: list[str]) -> Route:
        async def handle(request: Request) -> Response:
            start = time.perf_counter()
            try:
                response = await handler(request)
            except HTTPError as e:
                headers = {"Retry-After": "1"} if e.status == 429 else None
                response = JSONResponse({"error": e.message}, e.status, headers=headers)
            except Exception as e:  # one line to the client, never a hang
                response = JSONResponse({"error": f"{type(e).__name__}: {e}"}, 500)
            server.metrics.request(path, response.status_code, time.perf_counter() - start)
            return response

        return Route(path, handle, methods=methods)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        server.batcher.start()
        yield
        await asyncio.to_thread(server.batcher.close)

    app = Starlette(
        routes=[
            endpoint("/v1/judge", server.judge, ["POST"]),
            endpoint("/v1/reward", server.reward, ["POST"]),
            endpoint("/v1/completions", server.completions, ["POST"]),
            endpoint("/healthz", server.healthz, ["GET"]),
            endpoint("/metrics", server.metrics_text, ["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.server = server
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; RuntimeError (one line) when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise RuntimeError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(2048)
    return sock


@contextlib.contextmanager
def running(app: Starlette, host: str = "127.0.0.1", port: int = 0):
    """Runs `app` on uvicorn in a thread (tests, benchmarks): yields (uvicorn.Server, base URL);
    on exit, shuts it down as SIGTERM does. Port 0 takes a free port."""
    sock = bind(host, port)
    instance = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not instance.started and thread.is_alive():
        time.sleep(0.01)
    try:
        yield instance, f"http://{host}:{sock.getsockname()[1]}"
    finally:
        instance.should_exit = True
        thread.join()
        sock.close()


def serve(
    judges: Mapping[str, Autorater],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: Limits = Limits(),
    log_level: str = "warning",
) -> None:
    """Serves `judges` until SIGINT or SIGTERM, then answers the accepted requests and exits.

    Quiet unless `log_level` is "info" or "debug" (which also turn on the access log).
    """
    sock = bind(host, port)
    config = uvicorn.Config(
        create_app(judges, limits),
        log_level=log_level,
        access_log=log_level in ("info", "debug", "trace"),
        timeout_graceful_shutdown=None,
    )
    modes = ", ".join(f"{name} ({rater.mode})" for name, rater in judges.items())
    print(f"serving {modes} on http://{host}:{sock.getsockname()[1]}", file=sys.stderr, flush=True)
    uvicorn.Server(config).run(sockets=[sock])
