"""Chat templates: the registry, the markup ids, and the one rule that training features, the
judge and Hugging Face's apply_chat_template agree on."""

import numpy as np
import pytest
import tensorflow as tf

from flame_jax.data import chat, features, testing, vocabularies
from flame_jax.data.registry import get_task
from flame_jax.judge import generation, scoring


@pytest.fixture
def gemma_vocab(tmp_path_factory, monkeypatch):
    """A Gemma-style SentencePiece model (no dummy prefix; <bos>, <start_of_turn> pieces),
    set as the vocabulary for one test, with no chat template in force afterwards."""
    prefix = str(tmp_path_factory.mktemp("gemma_vocab") / "gemma")
    record = next(get_task("demo_sorting").records("train"))
    model = testing.train_gemma_style_sentencepiece(
        [record.inputs + record.targets] * 20 + ["café 東京 x  y"] * 5, prefix, vocab_size=500
    )
    monkeypatch.setattr(vocabularies, "_vocabulary_path", model)
    monkeypatch.setattr(chat, "_active", None)
    return model


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


def test_markup_special_pieces_are_ids_and_inputs_are_trimmed(gemma_vocab):
    vocabulary = vocabularies.VOCABULARY
    start, end, bos = (
        vocabulary.tokenizer.piece_to_id(p) for p in ("<start_of_turn>", "<end_of_turn>", "<bos>")
    )
    template = chat.TEMPLATES["gemma"]
    prefix = chat.markup_ids(template.prefix)
    assert prefix[:2] == [bos, start]
    assert vocabulary.decode(prefix[2:]) == "user\n"
    ids = list(vocabulary.encode("\nanswer: B\n\n"))
    wrapped = chat.wrap_ids(ids, template)
    assert wrapped[len(prefix) : len(wrapped) - len(chat.markup_ids(template.suffix))] == list(
        vocabulary.encode("answer: B")
    )
    assert end in wrapped
    assert chat.wrap_ids(ids) == ids  # no template in force: as is
    untrimmed = chat.ChatTemplate("[", "]")
    assert chat.wrap_ids(ids, untrimmed)[1:-1] == ids


@pytest.mark.parametrize("text", ["a\n\n", "\n\n", "", "x  y ", "\n x\n"])
def test_tensor_twin_equals_the_python_wrapping(gemma_vocab, text):
    ids = list(vocabularies.VOCABULARY.encode(text))
    for template in (chat.TEMPLATES["gemma"], chat.ChatTemplate("<bos>", "\n")):
        tensor = chat.wrap_tensor(tf.constant(ids, tf.int32), template)
        assert tensor.numpy().tolist() == chat.wrap_ids(ids, template)


def test_training_features_and_judge_inputs_agree(gemma_vocab, monkeypatch):
    """The packed-row features of an example equal the judge's score-mode features, and the
    judge's generate-mode prompt is their prefix: one wrapping for both."""
    chat.set_chat_template("gemma")
    record = next(get_task("demo_sorting").records("train"))
    (row,) = list(
        features.get_dataset(
            "demo_sorting",
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
    judged = scoring.prefix_lm_features([(record.inputs, record.targets)])
    length = judged["decoder_input_tokens"].shape[1]
    for key, value in judged.items():
        np.testing.assert_array_equal(row[key][:, :length], value, err_msg=key)
        assert not row[key][:, length:].any(), key
    wrapped = chat.wrap_ids(list(vocabularies.VOCABULARY.encode(record.inputs)))
    assert row["decoder_causal_attention"].sum() == len(wrapped) + 1  # inputs + the start 0

    prompts = []

    def fake_generate(model, params, tokens, lengths, **kwargs):
        prompts.append(np.asarray(tokens)[0, : lengths[0]].tolist())
        raise StopIteration

    monkeypatch.setattr(generation, "generate", fake_generate)
    with pytest.raises(StopIteration):
        generation.generate_evaluations(None, None, [record], max_new_tokens=8, batch_size=1)
    assert prompts[0] == row["decoder_input_tokens"][0, : len(wrapped) + 1].tolist()


def test_wrapping_equals_hugging_faces_chat_template(gemma_vocab, tmp_path):
    """Gemma's Jinja template through transformers' apply_chat_template gives the same ids as
    wrap_ids on a FLAMe record (whose inputs end with a blank line, which | trim removes)."""
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
        ours = chat.wrap_ids(
            list(vocabularies.VOCABULARY.encode(record.inputs)), chat.TEMPLATES["gemma"]
        )
        assert ours == theirs
