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
