"""Hugging Face (tokenizer.json) vocabularies: transformers' ids, exact decoding, tf.data and a
seqio task end to end, the chat-markup helpers for both kinds of vocabulary."""

import os
import shutil

import numpy as np
import pytest
import seqio
import tensorflow as tf

from flame_jax.data import hf_vocabulary, registry, testing, vocabularies
from flame_jax.data.hf_vocabulary import HuggingFaceVocabulary

CORPUS = [
    "INSTRUCTIONS:\nWhich response is better? Answer A or B.\n\n",
    "CONTEXT:\nResponse A: The capital of France is Paris.\nResponse B: It is Lyon.\n\n",
    "EVALUATION:\nanswer: A\nexplanation: Response A is correct, B is not.\n",
    "  indented code:\n\tdef f(x):\n\t\treturn x * 2  # doubles 12345\n",
    "unicode: café naïve Straße 東京 日本語 Ελληνικά",
] * 20
SAMPLES = [
    "INSTRUCTIONS:\nWhich response is better?\n\nEVALUATION:\nanswer: B\n",
    "x  y   z\n\n\n  w\t\ttab\r\nwindows",
    "東京 café, naïve — “quoted” 🙂 𝔘𝔫𝔦 ℵ₀",  # characters unseen in training: byte tokens
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
    "<|im_start|>user\nhello<|im_end|>\n",
    "trailing space ",
    " leading space, numbers 1234567 and 3.14159",
    "",
]


@pytest.fixture(scope="module", params=["llama3", "qwen2"])
def bpe_dir(request, tmp_path_factory) -> str:
    directory = str(tmp_path_factory.mktemp(request.param))
    testing.train_byte_level_bpe(CORPUS, directory, style=request.param, vocab_size=600)
    return directory


@pytest.fixture(scope="module")
def hf_tokenizer(bpe_dir):
    import transformers

    transformers.logging.set_verbosity_error()
    return transformers.AutoTokenizer.from_pretrained(bpe_dir)


def test_ids_are_transformers_and_decoding_gives_the_text_back(bpe_dir, hf_tokenizer):
    vocabulary = HuggingFaceVocabulary(bpe_dir)
    specials = [t.content for t in vocabulary.tokenizer.get_added_tokens_decoder().values()]
    rendered = [  # FLAMe-formatted examples, as the tasks render them
        record.inputs + record.targets
        for name in ("demo_sorting", "demo_support")
        for record in registry.first_records(registry.get_task(name), "train", 3)
    ]
    for text in SAMPLES + rendered:
        ids = list(vocabulary.encode(text))
        assert ids == hf_tokenizer(text, add_special_tokens=False)["input_ids"], text
        # Special tokens are matched in the text and dropped when decoding; decode stops at EOS.
        eos = vocabulary.tokenizer.id_to_token(vocabulary.eos_id)
        plain = text[: text.index(eos) + len(eos)] if eos in text else text
        for special in specials:
            plain = plain.replace(special, "")
        assert vocabulary.decode(ids) == plain, text
        through_eos = ids[: ids.index(vocabulary.eos_id) + 1] if eos in text else ids
        assert hf_tokenizer.decode(through_eos, skip_special_tokens=True) == plain
    # Nothing is added: transformers' default call adds Llama 3's BOS, the vocabulary does not.
    added = hf_tokenizer("hi")["input_ids"]
    assert added[len(added) - len(vocabulary.encode("hi")) :] == vocabulary.encode("hi")
    assert vocabulary.bos_id is None or added[0] == vocabulary.bos_id != vocabulary.encode("hi")[0]


def test_multibyte_characters_split_across_tokens_decode_exactly(bpe_dir):
    vocabulary = HuggingFaceVocabulary(bpe_dir)
    text = "before 🙂𝔘 after\n"
    ids = list(vocabulary.encode(text))
    alone = [vocabulary.decode([i]) for i in ids]
    assert any("\ufffd" in piece for piece in alone)  # some tokens hold part of a character
    assert vocabulary.decode(ids) == text


def test_special_ids_follow_the_model_card(bpe_dir):
    vocabulary = HuggingFaceVocabulary(bpe_dir)
    tokenizer = vocabulary.tokenizer
    assert tokenizer.id_to_token(0) == "!"  # a real token where seqio pads
    assert vocabulary.pad_id == 0 and vocabulary.unk_id is None
    if "llama3" in bpe_dir:
        assert vocabulary.eos_id == tokenizer.token_to_id("<|eot_id|>")
        assert vocabulary.bos_id == tokenizer.token_to_id("<|begin_of_text|>")
    else:
        assert vocabulary.eos_id == tokenizer.token_to_id("<|im_end|>")
        assert vocabulary.bos_id is None
    assert vocabulary.vocab_size == tokenizer.get_vocab_size(with_added_tokens=True)

    # Decoding stops at EOS, skips special tokens and ids the tokenizer lacks, keeps id 0.
    ids = [*vocabulary.encode("A!"), 0, vocabulary.vocab_size + 5, vocabulary.eos_id, 7, 8]
    assert vocabulary.decode(ids) == "A!!"


def test_eos_comes_from_tokenizer_config_or_is_a_clear_error(bpe_dir, tmp_path):
    bare = str(tmp_path / "bare")
    os.makedirs(bare)
    shutil.copyfile(os.path.join(bpe_dir, "tokenizer.json"), os.path.join(bare, "tokenizer.json"))
    with pytest.raises(ValueError, match=r"no EOS token for .*bare/tokenizer.json"):
        HuggingFaceVocabulary(bare)
    eos = "<|im_end|>" if "qwen" in bpe_dir else "<|end_of_text|>"
    named = HuggingFaceVocabulary(bare, eos_token=eos)
    assert named.eos_id == named.tokenizer.token_to_id(eos) and named.bos_id is None
    with pytest.raises(ValueError, match=r"eos_token '<nope>' is not a token of"):
        HuggingFaceVocabulary(bare, eos_token="<nope>")
    broken = tmp_path / "broken.json"
    broken.write_text('{"model": {"type": "BPE"}}')
    with pytest.raises(ValueError, match=r"broken.json is not a Hugging Face tokenizer.json"):
        HuggingFaceVocabulary(str(broken), eos_token="x")
    with pytest.raises(FileNotFoundError, match=r"no tokenizer file at"):
        HuggingFaceVocabulary(str(tmp_path / "missing.json"))


def test_equal_by_content(bpe_dir, tmp_path):
    vocabulary = HuggingFaceVocabulary(bpe_dir)
    copy = str(tmp_path / "copy")
    shutil.copytree(bpe_dir, copy)
    assert HuggingFaceVocabulary(copy) == vocabulary
    assert hash(HuggingFaceVocabulary(copy)) == hash(vocabulary)
    other_eos = HuggingFaceVocabulary(
        copy, eos_token="<|endoftext|>" if "qwen" in bpe_dir else "<|end_of_text|>"
    )
    assert other_eos != vocabulary
    other = str(tmp_path / "other")
    testing.train_byte_level_bpe(CORPUS[:5], other, vocab_size=400)
    assert HuggingFaceVocabulary(other) != HuggingFaceVocabulary(
        os.path.join(str(tmp_path), "copy", "tokenizer.json")
    )


def test_encode_tf_and_decode_tf(bpe_dir):
    vocabulary = HuggingFaceVocabulary(bpe_dir)
    expected = [list(vocabulary.encode(t)) for t in SAMPLES]

    scalar = tf.function(vocabulary.encode_tf)  # graph mode: the shapes are static ones
    for text, ids in zip(SAMPLES, expected, strict=True):
        out = scalar(tf.constant(text))
        assert out.dtype == tf.int32 and out.shape.rank == 1
        assert out.numpy().tolist() == ids
    ragged = vocabulary.encode_tf(tf.constant(SAMPLES))
    assert isinstance(ragged, tf.RaggedTensor) and ragged.to_list() == expected
    nested = vocabulary.encode_tf(tf.constant([SAMPLES[:2], SAMPLES[2:4]]))
    assert nested.to_list() == [expected[:2], expected[2:4]]

    eos = vocabulary.eos_id
    row = [*expected[0], eos, 0, 0]  # padding after EOS: id 0 is "!" but is dropped
    assert vocabulary.decode_tf(tf.constant(row)).numpy().decode() == SAMPLES[0]
    width = max(len(ids) for ids in expected[:3]) + 1
    batch = np.zeros((3, width), np.int32)
    for i, ids in enumerate(expected[:3]):
        batch[i, : len(ids) + 1] = [*ids, eos]
    texts = tf.function(vocabulary.decode_tf)(tf.constant(batch)).numpy()
    assert [t.decode() for t in texts] == SAMPLES[:3]
    assert vocabulary.decode_tf(tf.zeros([0], tf.int32)).numpy() == b""


def test_a_seqio_task_tokenizes_as_transformers(bpe_dir, hf_tokenizer):
    vocabulary = HuggingFaceVocabulary(bpe_dir)
    texts = SAMPLES[:4]
    name = f"hf_vocabulary_test_{os.path.basename(bpe_dir)}"

    def source(split, shuffle_files, seed=None):
        del split, shuffle_files, seed
        return tf.data.Dataset.from_tensor_slices({"inputs": texts, "targets": texts[::-1]})

    seqio.TaskRegistry.remove(name)
    seqio.TaskRegistry.add(
        name,
        source=seqio.FunctionDataSource(source, splits=["train"]),
        preprocessors=[seqio.preprocessors.tokenize, seqio.preprocessors.append_eos],
        output_features={
            "inputs": seqio.Feature(vocabulary, add_eos=False),
            "targets": seqio.Feature(vocabulary, add_eos=True),
        },
    )
    try:
        dataset = seqio.get_dataset(
            name,
            task_feature_lengths={"inputs": 512, "targets": 512},
            dataset_split="train",
            shuffle=False,
            feature_converter=seqio.PassThroughFeatureConverter(),
        )
        examples = list(dataset.as_numpy_iterator())
    finally:
        seqio.TaskRegistry.remove(name)
    assert len(examples) == len(texts)
    for example, inputs, targets in zip(examples, texts, texts[::-1], strict=True):
        want = hf_tokenizer(inputs, add_special_tokens=False)["input_ids"]
        assert example["inputs"].tolist() == want
        want = hf_tokenizer(targets, add_special_tokens=False)["input_ids"]
        assert example["targets"].tolist() == [*want, vocabulary.eos_id]


def test_markup_helpers_for_byte_level_bpe(bpe_dir):
    vocabulary = HuggingFaceVocabulary(bpe_dir)
    tokenizer = vocabulary.tokenizer
    for text in ("<|im_start|>", "<|begin_of_text|>", "<|eot_id|>"):
        expected = tokenizer.token_to_id(text)  # present in one style, absent in the other
        assert vocabularies.special_token_id(vocabulary, text) == expected
    assert vocabularies.special_token_id(vocabulary, "<start_of_turn>") is None
    assert vocabularies.special_token_id(vocabulary, "!") is None  # a plain token

    # Whitespace-only tokens: exactly those whose decoded text is whitespace.
    specials = set(tokenizer.get_added_tokens_decoder())
    decoded = {i: tokenizer.decode([i]) for i in range(vocabulary.vocab_size) if i not in specials}
    expected = {i for i, text in decoded.items() if text and not text.strip()}
    blank = vocabularies.whitespace_ids(vocabulary)
    assert blank == expected
    for text in ("\n", " ", "\t"):
        assert tokenizer.token_to_id("".join(_BYTE_LEVEL[ord(c)] for c in text)) in blank


_BYTE_LEVEL = {b: c for c, b in hf_vocabulary._byte_decoder().items()}


def test_markup_helpers_for_sentencepiece(tmp_path, demo_vocab):
    from flame_jax.data import vocabularies

    path = testing.train_gemma_style_sentencepiece(
        CORPUS, str(tmp_path / "gemma_style"), vocab_size=500
    )
    sp = vocabularies.load(path)
    assert isinstance(sp, seqio.SentencePieceVocabulary)
    assert vocabularies.special_token_id(sp, "<start_of_turn>") == sp.tokenizer.piece_to_id(
        "<start_of_turn>"
    )
    assert vocabularies.special_token_id(sp, "<bos>") == 3
    assert vocabularies.special_token_id(sp, "<unk>") == 2
    assert vocabularies.special_token_id(sp, "<|im_start|>") is None
    # Whitespace ids: the newline and word-start pieces, and no piece with a visible character.
    demo = vocabularies.load(demo_vocab)
    blank = vocabularies.whitespace_ids(demo)
    processor = demo.tokenizer
    assert processor.piece_to_id("\n") in blank
    for i in blank:
        assert not processor.id_to_piece(i).replace("\u2581", " ").strip() or processor.is_byte(i)
    assert sp.tokenizer.piece_to_id("\n") in vocabularies.whitespace_ids(sp)


def test_load_vocabulary_by_file_type(bpe_dir, tmp_path, demo_vocab):
    assert isinstance(vocabularies.load(bpe_dir), HuggingFaceVocabulary)
    json_file = os.path.join(bpe_dir, "tokenizer.json")
    assert vocabularies.load(json_file) == HuggingFaceVocabulary(bpe_dir)
    sp = vocabularies.load(demo_vocab)
    assert isinstance(sp, seqio.SentencePieceVocabulary) and sp.eos_id == 1
    only_model = tmp_path / "sp"
    only_model.mkdir()
    shutil.copyfile(demo_vocab, only_model / "tokenizer.model")
    assert isinstance(vocabularies.load(str(only_model)), seqio.SentencePieceVocabulary)
    (tmp_path / "vocab.txt").write_text("a\nb\n")
    with pytest.raises(ValueError, match=r"vocab.txt: not a SentencePiece model"):
        vocabularies.load(str(tmp_path / "vocab.txt"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no tokenizer.json or tokenizer.model in"):
        vocabularies.load(str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match=r"no vocabulary file at"):
        vocabularies.load(str(tmp_path / "nothing.model"))
