"""Score mode: seqio-exact features, option probabilities (prefix shared through the KV cache,
equal to full sequences), expected score, both orders."""

import dataclasses
import functools

import jax
import numpy as np
import optax
import pytest
import seqio
import tensorflow as tf

from flame_jax.data import registry
from flame_jax.format import Instructions, Pair, Pairwise, Record, TaskType
from flame_jax.judge import generation, scoring
from flame_jax.models import Transformer, TransformerConfig, score
from flame_jax.models.loss import compute_loss
from flame_jax.models.testing import random_params as _params

TINY = TransformerConfig(
    vocab_size=1024,  # the demo vocabulary has ~950 pieces
    embed_dim=64,
    num_layers=2,
    num_heads=4,
    num_kv_heads=2,
    head_dim=16,
    mlp_dim=128,
)
# Every path of the model that the shared prefix must reproduce: local windows shorter than a
# prefill chunk, soft-caps, post-norms, an untied output layer, scanned layers, and the
# bidirectional prefix (written in one piece, not in chunks).
CONFIGS = {
    "tiny": TINY,
    "gemma2": dataclasses.replace(
        TINY,
        sliding_window=16,
        attention_pattern=("local", "global"),
        attn_logit_softcap=50.0,
        final_logit_softcap=30.0,
        post_attn_norm=True,
        post_mlp_norm=True,
    ),
    "untied_scanned": dataclasses.replace(
        TINY,
        tie_embeddings=False,
        scan_layers=True,
        sliding_window=16,
        attention_pattern=("local", "global"),
    ),
    "bidirectional_prefix": dataclasses.replace(TINY, bidirectional_prefix=True),
}


def _records(task, n, split="validation"):
    return registry.first_records(registry.get_task(task), split, n)


def _long(record: Record, times: int) -> Record:
    """The record with every context value repeated `times` times (a long prompt)."""
    context = tuple((name, " ".join([value] * times)) for name, value in record.context)
    return dataclasses.replace(record, context=context)


def _explained(record: Record, explanation: str = "Because.") -> Record:
    """The record with an explanation field after its answer (a multi-field record)."""
    fields = (*record.instructions.output_fields, "explanation")
    return dataclasses.replace(
        record,
        instructions=dataclasses.replace(record.instructions, output_fields=fields),
        evaluation=(*record.evaluation, ("explanation", explanation)),
    )


def _seqio_features(demo_codec, examples, length, *, add_eos=True):
    """seqio's own pipeline: tokenize, append EOS, PrefixLMFeatureConverter(pack=False)."""
    features = {
        "inputs": seqio.Feature(demo_codec.vocabulary, add_eos=False),
        "targets": seqio.Feature(demo_codec.vocabulary, add_eos=add_eos),
    }
    spec = tf.TensorSpec((), tf.string)
    ds = tf.data.Dataset.from_generator(
        lambda: ({"inputs": i, "targets": t} for i, t in examples),
        output_signature={"inputs": spec, "targets": spec},
    )
    ds = seqio.preprocessors.tokenize(ds, features)
    ds = seqio.preprocessors.append_eos_after_trim(ds, output_features=features)
    converter = seqio.PrefixLMFeatureConverter(pack=False, loss_on_targets_only=True)
    inputs_length = max(len(demo_codec.vocabulary.encode(i)) for i, _ in examples)
    ds = converter(ds, {"inputs": inputs_length, "targets": length - inputs_length})
    rows = list(ds.as_numpy_iterator())
    return {key: np.stack([row[key] for row in rows]) for key in rows[0]}


@pytest.mark.parametrize("add_eos", [True, False], ids=["eos", "no-eos"])
def test_features_equal_seqio_prefix_lm_converter(demo_codec, add_eos):
    records = [
        *_records("demo_sorting", 1),
        *_records("demo_sortedness", 1),
        _explained(_records("demo_support", 1)[0]),
        *_records("demo_correction", 1),
    ]
    examples = [(r.inputs, r.targets) for r in records]
    ours = scoring.prefix_lm_features(demo_codec, examples, eos=add_eos)
    length = ours["decoder_target_tokens"].shape[1]
    assert length % 64 == 0 and length < 2048
    theirs = _seqio_features(demo_codec, examples, length, add_eos=add_eos)
    assert sorted(theirs) == sorted(ours)
    for key, value in theirs.items():
        assert ours[key].dtype == value.dtype, key
        np.testing.assert_array_equal(ours[key], value, err_msg=key)


def test_overlong_examples_raise_naming_the_index(demo_codec):
    records = _records("demo_support", 2)
    long = dataclasses.replace(records[1], context=(("facts", "x " * 200), ("claim", "y")))
    with pytest.raises(ValueError, match=r"example 1 .*max_length 256"):
        scoring.prefix_lm_features(
            demo_codec, [(r.inputs, r.targets) for r in (records[0], long)], max_length=256
        )
    with pytest.raises(ValueError, match=r"record 1: option 0 .*never truncates"):
        scoring.option_probabilities(
            Transformer(TINY), _params(TINY), demo_codec, [records[0], long], max_length=256
        )


def test_option_targets():
    record = _records("demo_sortedness", 1)[0]
    targets = scoring.option_targets(record)
    assert targets[record.options.index(record.answer)] == (record.targets, True)
    assert targets[0] == ("EVALUATION:\nscore: 1", True)
    explained = scoring.option_targets(_explained(record))
    assert explained == [(f"EVALUATION:\nscore: {k}\n", False) for k in record.options]


def _reference_logprobs(model, params, codec, record) -> np.ndarray:
    """The straightforward computation: each option as one full sequence (inputs + targets_k,
    the trainer's features) through the model's forward pass, its target log-probs summed."""
    targets = scoring.option_targets(record)
    features = scoring.prefix_lm_features(
        codec,
        [(record.inputs, text) for text, _ in targets],
        eos=[eos for _, eos in targets],
        max_length=8192,
    )
    return np.asarray(score(model, params, features).sequence_logprobs, np.float64)


def _reference_probabilities(model, params, codec, record) -> dict[str, float]:
    logprobs = _reference_logprobs(model, params, codec, record)
    p = np.exp(logprobs - logprobs.max())
    return dict(zip(record.options, p / p.sum(), strict=True))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_shared_prefix_probabilities_equal_full_sequences(demo_codec, name):
    """One prefill per prompt, the options scored from its cache: the probabilities of
    scoring every option as a full sequence, within 1e-5 (float32), for short prompts and a
    prompt of over 1,000 tokens (several prefill chunks)."""
    config = CONFIGS[name]
    model, params = Transformer(config), _params(config)
    records = [
        *_records("demo_sortedness", 2),
        *_records("demo_sorting", 2),
        _explained(_records("demo_support", 1)[0]),
        _long(_records("demo_sorting", 3)[2], 60),
    ]
    assert len(demo_codec.encode_inputs(records[-1].inputs)) > 1024
    ours = scoring.option_probabilities(model, params, demo_codec, records, max_length=8192)
    for record, p in zip(records, ours, strict=True):
        reference = _reference_probabilities(model, params, demo_codec, record)
        assert list(p) == list(record.options)
        np.testing.assert_allclose(list(p.values()), list(reference.values()), atol=1e-5)


def test_prefill_chunks_and_passes_do_not_change_the_log_probabilities(demo_codec):
    config = CONFIGS["gemma2"]  # 16-token windows: chunk boundaries cut through them
    model, params = Transformer(config), _params(config)
    records = [
        *_records("demo_sorting", 2),
        _long(_records("demo_sortedness", 1)[0], 4),
        _long(_records("demo_support", 1)[0], 3),
    ]
    examples = [scoring.encode_options(demo_codec, r) for r in records]
    whole = scoring.option_logprobs(model, params, examples)
    chunked = scoring.option_logprobs(model, params, examples, prefill_chunk=64, batch_size=1)
    tight = scoring.option_logprobs(model, params, examples, token_budget=256)
    for record, a, b, c in zip(records, whole, chunked, tight, strict=True):
        reference = _reference_logprobs(model, params, demo_codec, record)
        np.testing.assert_allclose(a, reference, rtol=1e-6, atol=1e-4)
        np.testing.assert_allclose(b, reference, rtol=1e-6, atol=1e-4)
        np.testing.assert_allclose(c, reference, rtol=1e-6, atol=1e-4)


def test_probabilities_sum_to_one_deterministic_and_in_input_order(demo_codec):
    model, params = Transformer(TINY), _params(TINY)
    records = [
        _long(_records("demo_sortedness", 1)[0], 3),
        *_records("demo_sortedness", 2),
        *_records("demo_sorting", 2),
        _explained(_records("demo_support", 1)[0]),
    ]
    probs = scoring.option_probabilities(model, params, demo_codec, records, batch_size=2)
    for record, p in zip(records, probs, strict=True):
        assert list(p) == list(record.options)
        assert sum(p.values()) == pytest.approx(1.0, abs=1e-6)
        assert all(0.0 < v < 1.0 for v in p.values())
    assert scoring.option_probabilities(model, params, demo_codec, records, batch_size=2) == probs
    alone = [scoring.option_probabilities(model, params, demo_codec, [r])[0] for r in records]
    for a, b in zip(alone, probs, strict=True):
        np.testing.assert_allclose(list(a.values()), list(b.values()), atol=1e-6)

    # The option log-prob of the true answer is the (negated) training loss on that example.
    record = records[1]
    features = scoring.prefix_lm_features(demo_codec, [(record.inputs, record.targets)])
    _, out = jax.jit(functools.partial(compute_loss, model))(params, features)
    (logprobs,) = scoring.option_logprobs(
        model, params, [scoring.encode_options(demo_codec, record)]
    )
    np.testing.assert_allclose(
        logprobs[record.options.index(record.answer)], -out.loss_sum, rtol=1e-5
    )


def test_sequence_length_is_the_longest_option(demo_codec):
    record = _records("demo_sortedness", 1)[0]
    input_ids, options = scoring.encode_options(demo_codec, record)
    assert scoring.sequence_length(demo_codec, record) == len(input_ids) + max(map(len, options))
    assert len(options) == len(record.options) and all(ids[-1] == 1 for ids in options)


def test_open_ended_records_raise(demo_codec):
    record = _records("demo_correction", 1)[0]
    with pytest.raises(ValueError, match=r"record 0 .*no options.*generate mode"):
        scoring.option_probabilities(Transformer(TINY), _params(TINY), demo_codec, [record])


def test_expected_score_by_hand():
    probs = {"1": 0.1, "2": 0.2, "3": 0.3, "4": 0.2, "5": 0.2}
    assert scoring.expected_score(probs) == pytest.approx(0.1 + 0.4 + 0.9 + 0.8 + 1.0)
    assert scoring.expected_score({"1": 0.0, "7": 1.0}) == 7.0
    with pytest.raises(ValueError, match="not numeric"):
        scoring.expected_score({"Yes": 0.5, "No": 0.5})
    assert scoring.verdict({"A": 0.5, "B": 0.5}) == "A"  # ties go to the earlier option


def test_trained_judge_gets_the_option_it_learned(demo_codec):
    """A few Adam steps on records all answered 'No' make 'No' overwhelmingly likely on
    held-out records in score mode, and generate mode reproduces the memorised evaluations
    (greedy decoding from seqio's prompt convention gives exactly the training targets)."""
    model = Transformer(TINY)
    train = [r for r in _records("demo_support", 40, "train") if r.answer == "No"][:8]
    held_out = [r for r in _records("demo_support", 20) if r.answer == "Yes"][:3]
    features = scoring.prefix_lm_features(demo_codec, [(r.inputs, r.targets) for r in train])
    optimizer = optax.adam(1e-2)

    @jax.jit
    def step(params, opt_state):
        grads, _ = jax.grad(functools.partial(compute_loss, model), has_aux=True)(params, features)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    params = _params(TINY)
    opt_state = optimizer.init(params)
    for _ in range(30):
        params, opt_state = step(params, opt_state)

    probs = scoring.option_probabilities(model, params, demo_codec, held_out)
    assert all(p["No"] > 0.95 for p in probs), probs
    generated = generation.generate_evaluations(
        model, params, demo_codec, train[:3], max_new_tokens=24
    )
    assert [g.text for g in generated] == [r.targets for r in train[:3]], generated
    assert [g.answer for g in generated] == ["No"] * 3
    assert all(g.finished for g in generated)
    assert generation.parse_failure_rate(generated) == 0.0


# --- Both orders, with a fake per-sequence scorer -------------------------------------------


ARITHMETIC = Pairwise(
    title="Which response answers the addition correctly?",
    description="Choose the response that agrees with the reference.",
    context_fields=("question", "reference_answer"),
)


def _pair(better: str, worse: str, index: int):
    return ARITHMETIC.render(
        Pair({"question": "1 + 1 = ?", "reference_answer": "2"}, better=better, worse=worse),
        index=index,
        seed=0,
    )


def _fake_scorer(demo_codec, judge):
    """An option_logprobs stand-in: judge(inputs_text, targets_text) -> log-prob per option."""
    calls = []

    def fake(model, params, examples, **options):
        del model, params, options
        calls.append(len(examples))
        decode = demo_codec.vocabulary.decode
        return [
            np.asarray(
                [judge(decode(list(inputs)), decode([t for t in ids if t > 1])) for ids in targets]
            )
            for inputs, targets in examples
        ]

    return fake, calls


def test_swap_responses(demo_codec):
    record = _pair("2", "3", index=0)
    assert dict(record.context)["response_a"] == "2" and record.answer == "A"
    swapped = scoring.swap_responses(record)
    assert dict(swapped.context)["response_a"] == "3"
    assert dict(swapped.context)["response_b"] == "2"
    assert swapped.answer == "B"
    assert [n for n, _ in swapped.context] == [n for n, _ in record.context]
    assert scoring.swap_responses(swapped) == record
    with pytest.raises(ValueError, match="only pairwise"):
        scoring.swap_responses(_records("demo_support", 1)[0])
    no_pair = Record(
        task_type=TaskType.PAIRWISE,
        instructions=Instructions("t", "d", ("answer",)),
        context=(("first", "x"), ("second", "y")),
        evaluation=(("answer", "A"),),
        options=("A", "B"),
    )
    with pytest.raises(ValueError, match="no <x>_a"):
        scoring.swap_responses(no_pair)


def test_always_first_judge_is_inconsistent(demo_codec, monkeypatch):
    fake, calls = _fake_scorer(
        demo_codec, lambda inputs, targets: 0.0 if "answer: A" in targets else -5.0
    )
    monkeypatch.setattr(scoring, "option_logprobs", fake)
    records = [_pair("2", "3", index=0), _pair("2", "3", index=1)]
    verdicts = scoring.pairwise_both_orders(None, None, demo_codec, records)
    assert calls == [4]  # both orders of both records, scored together
    for v in verdicts:
        assert v.verdicts == ("A", "A")
        assert not v.consistent
        assert v.p_a_better == pytest.approx(0.5)
        assert v.p_a_better_by_order[0] == pytest.approx(1 / (1 + np.exp(-5.0)))


def test_content_judge_is_consistent(demo_codec, monkeypatch):
    def prefers_two(inputs, targets):
        slot = "A" if "response_a: 2\n" in inputs else "B"
        return 0.0 if f"answer: {slot}" in targets else -3.0

    fake, _ = _fake_scorer(demo_codec, prefers_two)
    monkeypatch.setattr(scoring, "option_logprobs", fake)
    records = [_pair("2", "3", index=0), _pair("2", "3", index=1)]  # "2" first, then second
    first, second = scoring.pairwise_both_orders(None, None, demo_codec, records, batch_size=1)
    p = 1 / (1 + np.exp(-3.0))
    assert first.consistent and first.verdicts == ("A", "B")
    assert first.p_a_better == pytest.approx(p)
    assert second.consistent and second.verdicts == ("B", "A")
    assert second.p_a_better == pytest.approx(1 - p)
