"""Chat templates: the registry, the codec's markup ids, and the one rule that training features,
the judge and Hugging Face's apply_chat_template agree on."""

import numpy as np
import pytest
import tensorflow as tf

from flame_jax.data import chat, features, testing
from flame_jax.data.codec import Codec
from flame_jax.data.registry import get_task
from flame_jax.judge import generation, scoring


@pytest.fixture(scope="module")
def gemma_vocab(tmp_path_factory):
    """A Gemma-style SentencePiece model (no dummy prefix; <bos>, <start_of_turn> pieces)."""
    prefix = str(tmp_path_factory.mktemp("gemma_vocab") / "gemma")
    record = next(get_task("demo_sorting").records("train"))
    return testing.train_gemma_style_sentencepiece(
        [record.inputs + record.targets] * 20 + ["café 東京 x  y"] * 5, prefix, vocab_size=500
    )


@pytest.fixture(scope="module")
def gemma(gemma_vocab) -> Codec:
    """The Gemma-style vocabulary inside Gemma's chat template."""
    return Codec.load(gemma_vocab, "gemma")


def test_registry_and_mappings():
    assert chat.resolve(None) is None and chat.resolve("none") is None
    assert chat.resolve("gemma") is chat.TEMPLATES["gemma"]
    custom = chat.resolve({"prefix": "<s>", "suffix": "\n", "trim": True})
    assert custom == chat.ChatTemplate("<s>", "\n", trim=True)
    with pytest.raises(KeyError, match="did you mean gemma"):
        chat.resolve("gema")
    with pytest.raises(ValueError, match="prefix"):
        chat.resolve({"prefix": "x"})
    assert chat.name_of("<s>[INST] ", " [/INST]") == "llama2"
    assert chat.name_of("<x>", "") is None


def test_markup_special_pieces_are_ids_and_inputs_are_trimmed(gemma):
    vocabulary = gemma.vocabulary
    start, end, bos = (
        vocabulary.tokenizer.piece_to_id(p) for p in ("<start_of_turn>", "<end_of_turn>", "<bos>")
    )
    template = chat.TEMPLATES["gemma"]
    prefix = gemma.markup_ids(template.prefix)
    assert prefix[:2] == [bos, start]
    assert vocabulary.decode(prefix[2:]) == "user\n"
    ids = list(vocabulary.encode("\nanswer: B\n\n"))
    wrapped = gemma.wrap_ids(ids)
    assert wrapped[len(prefix) : len(wrapped) - len(gemma.markup_ids(template.suffix))] == list(
        vocabulary.encode("answer: B")
    )
    assert end in wrapped
    assert Codec(vocabulary).wrap_ids(ids) == ids  # no template: as is
    untrimmed = Codec(vocabulary, chat.ChatTemplate("[", "]"))
    assert untrimmed.wrap_ids(ids)[1:-1] == ids


@pytest.mark.parametrize("text", ["a\n\n", "\n\n", "", "x  y ", "\n x\n"])
def test_tensor_twin_equals_the_python_wrapping(gemma, text):
    ids = list(gemma.vocabulary.encode(text))
    for template in (chat.TEMPLATES["gemma"], chat.ChatTemplate("<bos>", "\n")):
        codec = Codec(gemma.vocabulary, template)
        tensor = codec.wrap_tensor(tf.constant(ids, tf.int32))
        assert tensor.numpy().tolist() == codec.wrap_ids(ids)


def test_training_features_and_judge_inputs_agree(gemma, monkeypatch):
    """The packed-row features of an example equal the judge's score-mode features, and the
    judge's generate-mode prompt is their prefix: one wrapping for both."""
    record = next(get_task("demo_sorting").records("train"))
    (row,) = list(
        features.get_dataset(
            "demo_sorting",
            codec=gemma,
            sequence_length=512,
            targets_length=64,
            batch_size=1,
            pack=False,
            shuffle=False,
            num_epochs=1,
        )
        .take(1)
        .as_numpy_iterator()
    )
    judged = scoring.prefix_lm_features(gemma, [(record.inputs, record.targets)])
    length = judged["decoder_input_tokens"].shape[1]
    for key, value in judged.items():
        np.testing.assert_array_equal(row[key][:, :length], value, err_msg=key)
        assert not row[key][:, length:].any(), key
    wrapped = gemma.encode_inputs(record.inputs)
    assert row["decoder_causal_attention"].sum() == len(wrapped) + 1  # inputs + the start 0

    prompts = []

    def fake_generate(model, params, tokens, lengths, **kwargs):
        prompts.append(np.asarray(tokens)[0, : lengths[0]].tolist())
        raise StopIteration

    monkeypatch.setattr(generation, "generate", fake_generate)
    with pytest.raises(StopIteration):
        generation.generate_evaluations(None, None, gemma, [record], max_new_tokens=8, batch_size=1)
    assert prompts[0] == row["decoder_input_tokens"][0, : len(wrapped) + 1].tolist()


def test_wrapping_equals_hugging_faces_chat_template(gemma_vocab, gemma, tmp_path):
    """Gemma's Jinja template through transformers' apply_chat_template gives the same ids as
    the codec on a FLAMe record (whose inputs end with a blank line, which | trim removes)."""
    transformers = pytest.importorskip("transformers")
    import json
    import shutil

    from flame_jax.convert import chat_templates

    template = (
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'assistant') %}"
        "{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
        "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
    )
    shutil.copyfile(gemma_vocab, tmp_path / "tokenizer.model")
    config = {
        "tokenizer_class": "GemmaTokenizer",
        "bos_token": "<bos>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "chat_template": template,
    }
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    assert chat_templates.detect(str(tmp_path))[0] == "gemma"
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    for record in list(get_task("demo_sorting").records("train"))[:3]:
        theirs = tokenizer.apply_chat_template(
            [{"role": "user", "content": record.inputs}], add_generation_prompt=True, tokenize=True
        )
        theirs = list(theirs["input_ids"] if hasattr(theirs, "keys") else theirs)
        assert gemma.encode_inputs(record.inputs) == theirs


def test_two_codecs_with_different_vocabularies_live_side_by_side(gemma, demo_codec):
    """Nothing about tokenization is process-wide: datasets built with two codecs, one after the
    other in one process, each tokenize with their own vocabulary."""
    record = next(get_task("demo_sorting").records("train"))
    rows = {}
    for name, codec in (("gemma", gemma), ("demo", demo_codec)):
        dataset = features.get_dataset(
            "demo_sorting",
            codec=codec,
            sequence_length=512,
            targets_length=64,
            batch_size=1,
            pack=False,
            shuffle=False,
            num_epochs=1,
        )
        rows[name] = next(dataset.as_numpy_iterator())
    for name, codec in (("gemma", gemma), ("demo", demo_codec)):
        inputs = codec.encode_inputs(record.inputs)
        got = rows[name]["decoder_target_tokens"][0, : len(inputs)].tolist()
        assert got == inputs, name
    assert gemma.encode_inputs(record.inputs) != demo_codec.encode_inputs(record.inputs)
