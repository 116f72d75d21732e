import asyncio
import concurrent.futures
import itertools
import json
import re
import threading
import time

import httpx
import numpy as np
import pytest

from flame_jax import cli, judge
from flame_jax.data import registry
from flame_jax.data.readers import Row
from flame_jax.judge import server, wire
from flame_jax.judge.batching import Batcher, QueueFull
from flame_jax.models import score


def _rows(n):
    """Rows in demo_support's upstream schema, as its source generates them."""
    task = registry.get_task("demo_support")
    return list(itertools.islice(task.source.host.generate("facts/test"), n))


def _records(task, n):
    return registry.first_records(registry.get_task(task), "test", n)


def _close(served, local):
    """A served judgment (JSON) equals the local Judgment within 1e-6."""
    assert served["answer"] == local.answer
    for option, p in local.probabilities.items():
        assert served["probabilities"][option] == pytest.approx(p, abs=1e-6)
    if local.expected_score is not None:
        assert served["expected_score"] == pytest.approx(local.expected_score, abs=1e-6)
    if local.pair is not None:
        assert served["p_a_better_by_order"] == pytest.approx(
            list(local.pair.p_a_better_by_order), abs=1e-6
        )
        assert served["consistent"] == local.pair.consistent


def test_judge_records_tasks_and_ad_hoc_requests(http, rater):
    records = [*_records("demo_support", 2), *_records("demo_sorting", 2)]
    records.append(_records("demo_sortedness", 1)[0])
    answer = http.post(
        "/v1/judge", json={"records": [wire.record_to_json(r) for r in records]}
    ).json()
    assert answer["judge"] == "demo" and answer["mode"] == "score"
    for served, local in zip(answer["judgments"], rater.judge(records), strict=True):
        _close(served, local)

    rows = _rows(2)
    served_rows = http.post("/v1/judge", json={"task": "demo_support", "rows": rows}).json()
    rows_in = [Row("demo", "rows", i, r) for i, r in enumerate(rows, start=1)]
    local = rater.judge(registry.get_task("demo_support").render_rows(rows_in))
    assert [j["gold"] for j in served_rows["judgments"]] == [j.record.answer for j in local]
    for served, j in zip(served_rows["judgments"], local, strict=True):
        _close(served, j)

    pair = {"prompt": "Sort: 3 1 2", "response_a": "1 2 3", "response_b": "3 2 1"}
    rating = {"prompt": "a list", "response": "1 2 3 5 4", "criteria": "How sorted is it?"}
    label = {
        "fields": {"facts": "Ana has 3 cats", "claim": "Ana has 3 cats"},
        "question": "Is the claim supported?",
        "labels": ["Yes", "No"],
    }
    for kind, item, local in [
        ("pairwise", pair, rater.pairwise(*pair.values())),
        ("pointwise", rating, rater.pointwise("a list", "1 2 3 5 4", criteria="How sorted is it?")),
        (
            "classify",
            label,
            rater.classify(label["fields"], question=label["question"], labels=("Yes", "No")),
        ),
    ]:
        served = http.post("/v1/judge", json={kind: [item]}).json()["judgments"][0]
        _close(served, local)


def test_generate_mode_per_request(http, rater, demo_checkpoint):
    records = _records("demo_correction", 1) + _records("demo_sorting", 1)
    served = http.post(
        "/v1/judge",
        json={"mode": "generate", "records": [wire.record_to_json(r) for r in records]},
    ).json()
    local = judge.load_autorater(demo_checkpoint, mode="generate", batch_size=4, progress=False)
    for s, j in zip(served["judgments"], local.judge(records), strict=True):
        assert s["output"] == j.output.text and s["answer"] == j.answer


def test_reward_in_openrlhf_and_item_shapes(http, rater):
    prompts = ["Sort: 3 1 2", "a list"]
    responses = ["1 2 3", "3 2 1"]
    answer = http.post(
        "/v1/reward",
        json={
            "query": [p + r for p, r in zip(prompts, responses, strict=True)],
            "prompts": prompts,
            "labels": ["", ""],
        },
    ).json()
    expected = [
        rater.pointwise(p, r, criteria=server.REWARD_CRITERIA).expected_score
        for p, r in zip(prompts, responses, strict=True)
    ]
    assert answer["rewards"] == pytest.approx(expected, abs=1e-6)
    items = [{"prompt": "Sort: 3 1 2", "response_a": "1 2 3", "response_b": "3 2 1"}]
    items.append({"prompt": "a list", "response": "1 2"})
    rewards = http.post(
        "/v1/reward", json={"items": items, "criteria": "Is it sorted?", "scale": ["1", "2", "3"]}
    ).json()["rewards"]
    assert rewards[0] == pytest.approx(rater.pairwise(*items[0].values()).pair.p_a_better, abs=1e-6)
    rating = rater.pointwise("a list", "1 2", criteria="Is it sorted?", scale=("1", "2", "3"))
    assert rewards[1] == pytest.approx(rating.expected_score, abs=1e-6)


def test_bad_input_gets_a_status_and_a_message(http):
    cases = [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (json.dumps({"task": "demo_suport", "rows": _rows(1)}), 404, "demo_support"),
        (
            json.dumps({"pairwise": [{"prompt": "p", "response_a": "a"}]}),
            400,
            "pairwise[0]: missing field 'response_b'",
        ),
        (json.dumps({"judge": "other", "pairwise": []}), 404, "no judge 'other'"),
        (json.dumps({"mode": "sample", "pairwise": []}), 400, "mode"),
        (json.dumps({"records": [{"task_type": "x"}]}), 400, "records[0]"),
        (json.dumps({"pairwise": []}), 400, "empty"),
        (json.dumps({}), 400, "exactly one of"),
        (b"x" * (server.Limits().max_body_bytes + 1), 413, "limit"),
    ]
    for body, status, message in cases:
        response = http.post("/v1/judge", content=body)
        assert response.status_code == status, body[:80]
        assert message in response.json()["error"]
    too_many = [{"prompt": "p", "response": "r"}] * (server.Limits().max_items + 1)
    assert http.post("/v1/reward", json={"items": too_many}).status_code == 413
    assert http.post("/v1/reward", json={"query": ["ab"], "prompts": ["x"]}).status_code == 400
    assert http.post("/v1/completions", json={"prompt": [5], "echo": False}).status_code == 400
    assert (
        http.post(
            "/v1/completions", json={"prompt": [10**9], "echo": True, "max_tokens": 0}
        ).status_code
        == 400
    )
    long = {"records": [wire.record_to_json(_records("demo_support", 1)[0])]}
    long["records"][0]["context"][0][1] = "word " * 3000
    response = http.post("/v1/judge", json=long)
    assert response.status_code == 400 and "max_length" in response.json()["error"]
    assert http.get("/healthz").json()["status"] == "ok"


def _gate(app):
    """Holds the worker in its next model call until the returned event is set."""
    view = app.state.server.views[("demo", "score")]
    release, entered, judge_fn = threading.Event(), threading.Event(), view.judge

    def gated(records):
        entered.set()
        release.wait(30)
        return judge_fn(records)

    view.judge = gated
    return release, entered


def _wait_depth(app, depth):
    deadline = time.monotonic() + 10
    while app.state.server.batcher.depth < depth and time.monotonic() < deadline:
        time.sleep(0.005)
    assert app.state.server.batcher.depth == depth


def test_concurrent_requests_merge_in_order_and_a_full_queue_answers_429(rater):
    app = server.create_app({"demo": rater}, server.Limits(max_queue=4))
    release, entered = _gate(app)
    records = _records("demo_support", 5)
    with server.running(app) as (_, url), concurrent.futures.ThreadPoolExecutor(8) as pool:

        def post(record):
            body = {"records": [wire.record_to_json(record)]}
            return httpx.post(f"{url}/v1/judge", json=body, timeout=60)

        first = pool.submit(post, records[0])
        assert entered.wait(30)  # the worker holds request 0
        waiting = []
        for i, record in enumerate(records[1:]):
            waiting.append(pool.submit(post, record))
            _wait_depth(app, i + 1)
        full = httpx.post(f"{url}/v1/judge", json={"records": [wire.record_to_json(records[0])]})
        assert full.status_code == 429 and "queue is full" in full.json()["error"]
        assert full.headers["retry-after"] == "1"
        release.set()
        answers = [f.result().json()["judgments"][0] for f in [first, *waiting]]
        metrics = httpx.get(f"{url}/metrics").text
    for served, record in zip(answers, records, strict=True):
        _close(served, rater.judge([record])[0])  # batched == alone
    # Request 0 ran alone, the four that waited ran as one call.
    assert 'flame_batch_requests_bucket{le="1"} 1' in metrics
    assert "flame_batch_requests_sum 5.0" in metrics and "flame_batch_requests_count 2" in metrics
    assert 'flame_requests_total{endpoint="/v1/judge",code="429"} 1' in metrics
    assert re.search(r'flame_request_latency_seconds_count\{endpoint="/v1/judge"\} 6', metrics)
    assert "flame_queue_depth 0" in metrics


def test_shutdown_answers_accepted_requests(rater):
    app = server.create_app({"demo": rater})
    release, entered = _gate(app)
    records = _records("demo_support", 3)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        with server.running(app) as (instance, url):
            body = {"records": [wire.record_to_json(r) for r in records]}
            futures = [pool.submit(httpx.post, f"{url}/v1/judge", json=body, timeout=60)]
            assert entered.wait(30)
            futures += [pool.submit(httpx.post, f"{url}/v1/judge", json=body, timeout=60)]
            _wait_depth(app, 1)
            instance.should_exit = True  # SIGTERM's effect
            time.sleep(0.2)
            release.set()
        assert [f.result().status_code for f in futures] == [200, 200]
    assert not app.state.server.batcher._thread.is_alive()


def test_batcher_queue_bound_and_errors_stay_with_their_request():
    batcher = Batcher(max_queue=2, max_wait_s=0.05)

    def run(items):
        if "bad" in items:
            raise ValueError("bad item" if len(items) == 1 else "merged call fails")
        return [x.upper() for x in items]

    async def main():
        first = batcher.submit("k", ["a", "b"], run, len)
        second = batcher.submit("k", ["c"], run, len)
        with pytest.raises(QueueFull):
            batcher.submit("k", ["d"], run, len)
        batcher.start()
        merged = await asyncio.gather(first, second)
        futures = [batcher.submit("k", [x], run, len) for x in ("e", "bad")]
        return merged, await asyncio.gather(*futures, return_exceptions=True)

    merged, (e, bad) = asyncio.run(main())
    batcher.close()
    assert merged == [["A", "B"], ["C"]] and e == ["E"] and str(bad) == "bad item"


def test_batcher_splits_calls_by_token_budget_and_key_in_order():
    calls = []
    batcher = Batcher(max_wait_s=0.05, token_budget=4, on_batch=lambda j, i, s: calls.append(i))
    jobs = [("a", ["x", "y"]), ("a", ["z", "w"]), ("a", ["v"]), ("b", ["u"]), ("a", ["t"])]

    async def main():
        futures = [
            batcher.submit(k, items, lambda xs: [x.upper() for x in xs], len) for k, items in jobs
        ]
        batcher.start()
        return await asyncio.gather(*futures)

    results = asyncio.run(main())
    batcher.close()
    assert results == [[x.upper() for x in items] for _, items in jobs]
    assert calls == [4, 1, 1, 1]  # 2 + 2 fill the budget; "b" is another key: v, u, t alone


def test_cli_serve_errors_are_one_line(demo_checkpoint, capsys):
    assert cli.main(["serve", "--checkpoint", "demo="]) == 2
    assert "--checkpoint 'demo='" in capsys.readouterr().err
    sock = server.bind("127.0.0.1", 0)
    port = str(sock.getsockname()[1])
    try:
        assert cli.main(["serve", "--checkpoint", demo_checkpoint, "--port", port]) == 2
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    finally:
        sock.close()
    assert cli.main(["serve", "--checkpoint", "demo=/nonexistent/run", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flame-jax: error:") and len(err.strip().splitlines()) == 1


def test_prompt_logprobs_are_score_modes(rater):
    """Prompt [0, inputs, targets]: the target tokens' log-probabilities sum to score mode's."""
    record = _records("demo_support", 1)[0]
    (targets, eos), _ = judge.option_targets(record)
    inputs, target_ids = judge.encode_example(rater.codec, record.inputs, targets, eos=eos)
    prompt = [0, *inputs, *target_ids]
    (values,) = server.prompt_logprobs(rater, [prompt])
    features = judge.features_from_tokens([(inputs, target_ids)])
    (expected,) = np.asarray(score(rater.model, rater.params, features).sequence_logprobs)
    assert values[0] is None and len(values) == len(prompt)
    assert np.sum(values[1 + len(inputs) :]) == pytest.approx(float(expected), abs=1e-4)
    # A single-token prompt has nothing to score; a longer one scores every later token.
    assert server.prompt_logprobs(rater, [[5], prompt[:3]]) == [[None], values[:3]]
