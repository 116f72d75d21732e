"""Generate mode: prompts as the trainer saw them, decoding, parsing, parse-failure rate."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flame_jax.data import registry
from flame_jax.judge import generation, passes
from flame_jax.models import Generation, Transformer, TransformerConfig
from flame_jax.models.testing import random_params as _params

TINY = TransformerConfig(
    vocab_size=1024,  # the demo vocabulary has ~950 pieces
    embed_dim=64,
    num_layers=2,
    num_heads=4,
    num_kv_heads=2,
    head_dim=16,
    mlp_dim=128,
    tie_embeddings=False,  # random tied embeddings just repeat the last token
    scale_embeddings=False,
)


def _records(task, n):
    return registry.first_records(registry.get_task(task), "validation", n)


def test_scripted_outputs_are_decoded_parsed_and_failures_counted(demo_codec, monkeypatch):
    vocabulary = demo_codec.vocabulary
    records = _records("demo_support", 4)
    records[1] = dataclasses.replace(records[1], context=(("facts", "x " * 300), ("claim", "y")))
    outputs = [
        ("EVALUATION:\nanswer: No", True),  # parses
        ("EVALUATION:\nanswer: Maybe", True),  # not an option
        (records[2].inputs[-40:], False),  # an echo of the prompt, cut off: nothing to read
        ("some thoughts\nEVALUATION:\nanswer: yes.", True),  # read from the end, case forgiven
    ]
    prompts = [(0, *vocabulary.encode(r.inputs)) for r in records]
    calls = []

    def scripted(model, params, tokens, lengths, *, max_new_tokens, rng, temperature, eos_id):
        """Answers each prompt with its record's scripted output, wherever its row is."""
        del model, params, rng, temperature
        tokens, lengths = np.asarray(tokens), np.asarray(lengths)
        calls.append(tokens.shape)
        out = np.zeros((tokens.shape[0], max_new_tokens), np.int32)
        n = np.ones(tokens.shape[0], np.int32)
        for row, length in enumerate(lengths):
            prompt = tuple(tokens[row, :length].tolist())
            assert not tokens[row, length:].any()  # right-padded with 0
            if prompt == (0,):
                continue  # a padding row: the start token alone
            text, finished = outputs[prompts.index(prompt)]
            ids = [*vocabulary.encode(text), *([eos_id] if finished else [])][:max_new_tokens]
            out[row, : len(ids)] = ids
            n[row] = len(ids)
        return Generation(tokens=jnp.asarray(out), lengths=jnp.asarray(n))

    monkeypatch.setattr(generation, "generate", scripted)
    results = generation.generate_evaluations(
        None, None, demo_codec, records, max_new_tokens=64, batch_size=6, token_budget=1024
    )

    # Prompts are seqio's leading 0 and the inputs (no EOS), padded to their length bucket;
    # the long one gets a pass of its own, the three short ones share one of 4 rows.
    assert sorted(calls) == sorted(
        [(4, passes.bucket_length(len(prompts[0]))), (1, passes.bucket_length(len(prompts[1])))]
    )
    assert [r.text for r in results] == [text for text, _ in outputs]  # input order
    assert [r.finished for r in results] == [True, True, False, True]
    assert results[0].num_tokens == len(vocabulary.encode(outputs[0][0])) + 1
    assert [r.fields for r in results] == [{"answer": "No"}, None, None, {"answer": "Yes"}]
    assert [r.answer for r in results] == ["No", None, None, "Yes"]
    assert generation.parse_failure_rate(results) == 0.5
    assert math.isnan(generation.parse_failure_rate([]))


def test_greedy_generation_is_deterministic_and_batch_independent(demo_codec):
    model, params = Transformer(TINY), _params(TINY)
    records = [*_records("demo_support", 2), *_records("demo_sorting", 1)]
    together = generation.generate_evaluations(model, params, demo_codec, records, max_new_tokens=8)
    assert (
        generation.generate_evaluations(model, params, demo_codec, records, max_new_tokens=8)
        == together
    )
    alone = [
        generation.generate_evaluations(
            model, params, demo_codec, [r], max_new_tokens=8, batch_size=1
        )[0]
        for r in records
    ]
    assert alone == together
    assert all(0 < r.num_tokens <= 8 for r in together)
    assert generation.parse_failure_rate(together) == 1.0  # random weights write no verdict


def test_sampling_needs_a_key_and_is_reproducible(demo_codec):
    model, params = Transformer(TINY), _params(TINY)
    records = _records("demo_support", 2)
    with pytest.raises(ValueError, match="rng"):
        generation.generate_evaluations(model, params, demo_codec, records, temperature=1.0)

    def sample(seed):
        out = generation.generate_evaluations(
            model,
            params,
            demo_codec,
            records,
            max_new_tokens=8,
            temperature=5.0,
            rng=jax.random.key(seed),
        )
        return [r.text for r in out]

    assert sample(0) == sample(0)
    assert sample(0) != sample(1)


def test_overlong_prompts_raise(demo_codec):
    records = _records("demo_support", 2)
    n = len(demo_codec.vocabulary.encode(records[1].inputs))
    short = registry.first_records(registry.get_task("demo_correction"), "validation", 1)[0]
    with pytest.raises(ValueError, match=r"record 1 .*never truncates"):
        generation.generate_evaluations(
            Transformer(TINY),
            _params(TINY),
            demo_codec,
            [short, records[1]],
            max_new_tokens=16,
            max_length=n + 15,
        )
    assert generation.generate_evaluations(Transformer(TINY), _params(TINY), demo_codec, []) == []
