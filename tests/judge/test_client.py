import json

import pytest

from flame_jax import judge
from flame_jax.data import registry
from flame_jax.judge.client import CompletionsJudge, RemoteError, ServerJudge

PAIR = ("Sort: 3 1 2", "1 2 3", "3 2 1")
LABEL = {"facts": "Ana has 3 cats", "claim": "Ana has 3 cats"}


def _records():
    return [
        *registry.first_records(registry.get_task("demo_sorting"), "test", 3),
        *registry.first_records(registry.get_task("demo_support"), "test", 2),
        *registry.first_records(registry.get_task("demo_sortedness"), "test", 2),
    ]


def _same(remote, local, tol):
    assert remote.record == local.record and remote.answer == local.answer
    assert remote.probabilities == pytest.approx(local.probabilities, abs=tol)
    if local.expected_score is None:
        assert remote.expected_score is None
    else:
        assert remote.expected_score == pytest.approx(local.expected_score, abs=tol)
    if local.pair is not None:
        assert remote.pair.p_a_better_by_order == pytest.approx(
            local.pair.p_a_better_by_order, abs=tol
        )
        assert remote.pair.verdicts == local.pair.verdicts
        assert remote.pair.consistent == local.pair.consistent


def _ad_hoc(j):
    return [
        j.pairwise(*PAIR),
        j.pointwise("a list", "1 2 3 5 4", criteria="How sorted is it?"),
        j.classify(LABEL, question="Is the claim supported?", labels=("Yes", "No")),
    ]


@pytest.mark.parametrize("backend", ["server", "completions"])
def test_a_remote_judge_answers_as_the_local_one(backend, http, rater):
    if backend == "server":
        remote, tol = ServerJudge(judge="demo", http=http), 1e-6
    else:  # summed per-token log-probabilities: float32 rounding apart from one sum
        remote, tol = (
            CompletionsJudge(codec=rater.codec, model="demo", batch_size=5, http=http),
            1e-5,
        )
    records = _records()
    for r, j in zip(remote.judge(records), rater.judge(records), strict=True):
        _same(r, j, tol)
    pairs = remote.judge_pairs(records[:3])
    assert [p.p_a_better for p in pairs] == pytest.approx(
        [p.p_a_better for p in rater.judge_pairs(records[:3])], abs=tol
    )
    for r, j in zip(_ad_hoc(remote), _ad_hoc(rater), strict=True):
        _same(r, j, tol)


def test_generate_mode_through_the_server(http, demo_checkpoint):
    local = judge.load_autorater(demo_checkpoint, mode="generate", batch_size=4, progress=False)
    remote = ServerJudge(mode="generate", http=http)
    records = _records()[:2]
    for r, j in zip(remote.judge(records), local.judge(records), strict=True):
        assert r.output == j.output and r.pair == j.pair and r.answer == j.answer


def test_refusals_raise_with_the_servers_message(http, rater):
    with pytest.raises(RemoteError, match="404: no judge 'nope'"):
        ServerJudge(judge="nope", http=http).pairwise(*PAIR)
    with pytest.raises(ValueError, match="not pairwise"):
        ServerJudge(http=http).judge_pairs(_records()[3:4])
    with pytest.raises(RemoteError, match="400: this server only scores prompts"):
        CompletionsJudge(codec=rater.codec, max_tokens=1, http=http).pairwise(*PAIR)


def test_completions_on_the_hugging_face_export_equal_score_mode(rater, demo_checkpoint, tmp_path):
    """What vLLM would answer for the judge's HF export, computed by transformers behind an
    OpenAI-style /v1/completions handler: the client's numbers equal the local judge's."""
    import httpx
    import torch
    import transformers

    from flame_jax import cli

    torch.set_num_threads(1)
    out = str(tmp_path / "hf")
    argv = ["convert", "flame-to-hf", "--checkpoint", demo_checkpoint, "--output", out]
    assert cli.main([*argv, "--dtype", "float32"]) == 0
    model = transformers.AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()

    def completions(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["echo"] is True and body["max_tokens"] == 0
        choices = []
        for i, prompt in enumerate(body["prompt"]):
            with torch.no_grad():
                logits = model(torch.tensor([prompt])).logits[0]
            logprobs = torch.log_softmax(logits.float(), -1)
            values = [None] + [float(logprobs[j - 1, t]) for j, t in enumerate(prompt) if j]
            choices.append({"index": i, "logprobs": {"token_logprobs": values}})
        return httpx.Response(200, json={"choices": choices})

    http = httpx.Client(base_url="http://vllm", transport=httpx.MockTransport(completions))
    remote = CompletionsJudge(codec=rater.codec, http=http)
    records = _records()[:4]
    for r, j in zip(remote.judge(records), rater.judge(records), strict=True):
        _same(r, j, 1e-5)
