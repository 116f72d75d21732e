"""Remote judges with the Autorater's methods: code written against a local judge runs against
a server.

    judge = ServerJudge("http://127.0.0.1:8000", judge="demo")     # flame-jax serve
    judge = CompletionsJudge("http://gpu:8000", codec, model="flame-rm")   # vLLM, SGLang
    judge.pairwise(prompt, response_a, response_b)   # judge, judge_pairs, pointwise, classify

ServerJudge sends records to `flame-jax serve` (POST /v1/judge) and rebuilds the Judgments it
answers: the same numbers as the served Autorater, in score or generate mode.

CompletionsJudge is score mode over any OpenAI-compatible completions endpoint that echoes
prompt log-probabilities (POST /v1/completions with `echo: true, logprobs: 0, max_tokens: 0`
gives choices[i].logprobs.token_logprobs for the prompt), e.g. a judge exported with
`flame-jax convert flame-to-hf` and served by vLLM. It follows flame_jax.judge.scoring's
protocol with its functions: each option's targets (`option_targets`) are tokenized after the
inputs exactly as in training (`encode_example`, the judge's codec) and sent as token ids
after the decoder's start token 0 (the trainer's shifted-right inputs begin with it), and
the option's score is the sum of its target tokens' log-probabilities; options are softmaxed
(`verdict`, `expected_score`); pairwise records are also judged with the responses swapped
(`swap_responses`) and both orders are combined as `pairwise_both_orders` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import httpx
import numpy as np

from flame_jax.data.codec import Codec
from flame_jax.format import Record, TaskType
from flame_jax.judge import wire
from flame_jax.judge.autorater import Autorater, Judgment
from flame_jax.judge.scoring import (
    PairwiseVerdict,
    encode_example,
    expected_score,
    option_targets,
    swap_responses,
    verdict,
)

# The first token the decoder reads: seqio shifts the features right with 0, so score mode's
# log p(targets | inputs) is the model's on [0, inputs, targets] (a Hugging Face export too).
DECODER_START = 0


class RemoteError(RuntimeError):
    """The server refused a request: its status and one-line message."""


def _post(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, json=body)
    if response.status_code != 200:
        try:
            message = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        if isinstance(message, dict):  # OpenAI's {"error": {"message": ...}}
            message = message.get("message", message)
        raise RemoteError(f"{response.request.url} answered {response.status_code}: {message}")
    return response.json()


class _RemoteJudge:
    """The ad-hoc methods of Autorater, built on `judge` (the same records, the same text)."""

    pairwise = Autorater.pairwise
    pointwise = Autorater.pointwise
    classify = Autorater.classify

    def judge(self, records: Iterable[Record]) -> list[Judgment]:
        raise NotImplementedError

    def judge_pairs(self, records: Sequence[Record]) -> list[PairwiseVerdict]:
        """Each pairwise record in both orders (the PairwiseJudge protocol)."""
        judgments = self.judge(records)
        for index, j in enumerate(judgments):
            if j.pair is None:
                raise ValueError(f"record {index} is {j.record.task_type.value}, not pairwise")
        return [j.pair for j in judgments]  # type: ignore[misc]

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ServerJudge(_RemoteJudge):
    """A judge served by `flame-jax serve` at `url`.

    Args:
      url: the server's base URL.
      judge: which of its judges (needed when it serves several).
      mode: "score" or "generate" (default: the judge's).
      timeout: seconds per request.
      http: an httpx.Client to use instead (tests pass Starlette's TestClient).
    """

    def __init__(
        self,
        url: str = "",
        *,
        judge: str | None = None,
        mode: str | None = None,
        timeout: float = 300.0,
        http: httpx.Client | None = None,
    ):
        self.http = http or httpx.Client(base_url=url, timeout=timeout)
        self.options = {k: v for k, v in (("judge", judge), ("mode", mode)) if v is not None}

    def judge(self, records: Iterable[Record]) -> list[Judgment]:
        """Judges records of any task types; the result is in the input order."""
        records = list(records)
        if not records:
            return []
        answer = _post(
            self.http,
            "/v1/judge",
            {**self.options, "records": [wire.record_to_json(r) for r in records]},
        )
        return [
            wire.judgment_from_json(record, row)
            for record, row in zip(records, answer["judgments"], strict=True)
        ]


class CompletionsJudge(_RemoteJudge):
    """Score mode over an OpenAI-compatible /v1/completions endpoint (see module docstring).

    Args:
      url: the endpoint's base URL (".../v1/completions" is appended).
      codec: the judge's codec (its vocabulary and chat template, as in training).
      model: the served model's name.
      batch_size: prompts per request.
      max_tokens: 0, or 1 for servers that refuse 0 (the extra token is ignored).
      timeout: seconds per request.
      http: an httpx.Client to use instead.
    """

    def __init__(
        self,
        url: str = "",
        codec: Codec | None = None,
        *,
        model: str | None = None,
        batch_size: int = 16,
        max_tokens: int = 0,
        timeout: float = 300.0,
        http: httpx.Client | None = None,
    ):
        if codec is None:
            raise ValueError("CompletionsJudge needs the judge's codec to tokenize")
        self.http = http or httpx.Client(base_url=url, timeout=timeout)
        self.codec, self.model = codec, model
        self.batch_size, self.max_tokens = batch_size, max_tokens

    def _logprobs(self, prompts: list[list[int]]) -> list[list[float | None]]:
        out = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start : start + self.batch_size]
            body = {
                "prompt": chunk,
                "echo": True,
                "logprobs": 0,
                "max_tokens": self.max_tokens,
                "temperature": 0.0,
            }
            if self.model is not None:
                body["model"] = self.model
            choices = sorted(
                _post(self.http, "/v1/completions", body)["choices"], key=lambda c: c["index"]
            )
            if len(choices) != len(chunk):
                raise RemoteError(f"{len(chunk)} prompts got {len(choices)} choices")
            out += [c["logprobs"]["token_logprobs"] for c in choices]
        return out

    def probabilities(self, records: Sequence[Record]) -> list[dict[str, float]]:
        """{option: probability} of each record's first output field (score mode)."""
        prompts, spans = [], []
        for index, record in enumerate(records):
            if not record.options:
                raise ValueError(f"record {index} has no options: score mode only")
            for targets, eos in option_targets(record):
                inputs, target_ids = encode_example(self.codec, record.inputs, targets, eos=eos)
                prompts.append([DECODER_START, *inputs, *target_ids])
                spans.append((1 + len(inputs), 1 + len(inputs) + len(target_ids)))
        logprobs = self._logprobs(prompts)
        scores = [
            float(np.sum(np.asarray(values[a:b], np.float64)))
            for values, (a, b) in zip(logprobs, spans, strict=True)
        ]
        out, offset = [], 0
        for record in records:
            s = np.asarray(scores[offset : offset + len(record.options)])
            offset += len(record.options)
            p = np.exp(s - s.max())
            p /= p.sum()
            out.append({o: float(v) for o, v in zip(record.options, p, strict=True)})
        return out

    def judge(self, records: Iterable[Record]) -> list[Judgment]:
        """Judges records in score mode; pairwise ones in both orders. Input order."""
        records = list(records)
        expanded = []
        for index, record in enumerate(records):
            if record.task_type == TaskType.PAIRWISE:
                try:
                    expanded += [record, swap_responses(record)]
                except ValueError as e:
                    raise ValueError(f"record {index}: {e}") from None
            else:
                expanded.append(record)
        probabilities = iter(self.probabilities(expanded))
        out = []
        for record in records:
            p = next(probabilities)
            if record.task_type == TaskType.PAIRWISE:
                out.append(_pairwise_judgment(record, p, next(probabilities)))
            else:
                expected = expected_score(p) if record.task_type == TaskType.POINTWISE else None
                out.append(Judgment(record, verdict(p), p, expected_score=expected))
        return out


def _pairwise_judgment(
    record: Record, original: dict[str, float], swapped: dict[str, float]
) -> Judgment:
    """Both orders combined as scoring.pairwise_both_orders and Autorater do."""
    by_order = (original["A"], swapped["B"])
    verdicts = (verdict(original), verdict(swapped))
    pair = PairwiseVerdict(
        p_a_better=(by_order[0] + by_order[1]) / 2,
        p_a_better_by_order=by_order,
        verdicts=verdicts,
        consistent=verdicts[0] != verdicts[1],
    )
    answer = None if pair.p_a_better == 0.5 else "A" if pair.p_a_better > 0.5 else "B"
    return Judgment(record, answer, {"A": pair.p_a_better, "B": 1 - pair.p_a_better}, pair=pair)
