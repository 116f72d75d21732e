"""Hugging Face export: import -> export -> import is the identity; exported folders load in
transformers with the same logits; a fine-tuned run exports through the CLI; the tokenizer
written for a SentencePiece vocabulary gives seqio's ids; tokenizer.json vocabularies (Llama 3,
Qwen2) come back as they were imported."""

import filecmp
import json
import os
import shutil

import jax
import numpy as np
import pytest
from hf_models import BPE_SAMPLES, build_bpe_model, build_hf_model, hf_logits, tokens_for
from test_importing import GEMMA_TEMPLATE

from flame_jax import cli
from flame_jax.convert import architectures, exporting, importing, safetensors_io
from flame_jax.data import testing
from flame_jax.models import Transformer, TransformerConfig
from flame_jax.models.testing import random_params
from flame_jax.training import checkpoints
from flame_jax.training.state import TrainState

TOLERANCE = 1e-4


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def _transformers_model(directory):
    import transformers

    return transformers.AutoModelForCausalLM.from_pretrained(
        directory, attn_implementation="eager"
    ).eval()


@pytest.mark.parametrize("family", ["gemma3_text", "qwen2"])
def test_import_export_import_is_the_identity(family, tmp_path, torch_threads):
    original = build_hf_model(family, str(tmp_path / "hf"))
    imported = importing.hf_to_flame(
        str(tmp_path / "hf"), str(tmp_path / "flame"), skip_vocabulary=True, progress=None
    )
    config = imported.config
    exported = str(tmp_path / "export")
    # The CLI reads the model config from the import's model.gin and its hf/ metadata.
    args = ["--checkpoint", imported.output, "--output", exported, "--dtype", "float32"]
    assert cli.main(["convert", "flame-to-hf", *args, "--max_shard_size", "40KB"]) == 0
    assert os.path.exists(os.path.join(exported, safetensors_io.INDEX_FILE))
    # Exactly the tensors transformers saved, in the same dtype and shape.
    before = safetensors_io.SafetensorsFolder(str(tmp_path / "hf"))
    after = safetensors_io.SafetensorsFolder(exported)
    assert after.names() == before.names()
    for name in before.names():
        np.testing.assert_array_equal(after.read(name), before.read(name))

    again = importing.load_hf_params(exported, config)
    first = checkpoints.restore_params(imported.output, again)
    for a, b in zip(_leaves(first), _leaves(again), strict=True):
        np.testing.assert_array_equal(a, b)

    tokens = tokens_for(2)
    reloaded = _transformers_model(exported)
    np.testing.assert_allclose(hf_logits(reloaded, tokens), hf_logits(original, tokens), atol=0)


def test_generated_config_loads_in_transformers(tmp_path, torch_threads):
    """A model with no Hugging Face origin (tiny.gin's shape): config.json from the family."""
    config = TransformerConfig(
        vocab_size=96,
        embed_dim=32,
        num_layers=2,
        num_heads=4,
        num_kv_heads=2,
        head_dim=8,
        mlp_dim=64,
        sliding_window=5,
        attention_pattern=("local", "global"),
        attn_logit_softcap=50.0,
        final_logit_softcap=30.0,
        post_attn_norm=True,
        post_mlp_norm=True,
    )
    params = random_params(config, seed=3)
    run = str(tmp_path / "run")
    with checkpoints.Checkpointer(run, async_save=False, params_only=True) as checkpointer:
        state = TrainState(step=np.int32(7), params=params, opt_state=None)
        checkpointer.save(state, data_position=0, force=True)
    exporting.flame_to_hf(
        str(tmp_path / "run"), config, str(tmp_path / "hf"), dtype="float32", progress=None
    )
    hf = json.load(open(tmp_path / "hf" / "config.json"))
    assert hf["architectures"] == ["Gemma2ForCausalLM"]
    tokens = tokens_for(4)
    expected = np.asarray(Transformer(config).apply({"params": params}, tokens))
    got = hf_logits(_transformers_model(str(tmp_path / "hf")), tokens)
    assert np.abs(got - expected).max() < TOLERANCE

    # A family that cannot express the model is refused, naming the fields.
    with pytest.raises(architectures.UnsupportedError, match="post_attn_norm"):
        architectures.hf_config(config, "llama")


def _fine_tune_two_steps(base: str, vocabulary: str, model_dir: str, *, inputs_length: int):
    """`flame-jax train` 2 steps of gin/runs/flame.gin on the demo mixture from an hf-to-flame
    output `base` (its model.gin first)."""
    from flame_jax import configurables

    result = configurables.train_main(
        [
            f"--gin_file={base}/model.gin",
            "--gin_file=gin/runs/flame.gin",
            f'--gin.MODEL_DIR="{model_dir}"',
            f'--gin.VOCABULARY="{vocabulary}"',
            f'--gin.INITIAL_CHECKPOINT_PATH="{base}"',
            '--gin.MIXTURE_OR_TASK_NAME="demo"',
            "--gin.TRAIN_STEPS=2",
            "--gin.BATCH_SIZE=2",
            f"--gin.TASK_FEATURE_LENGTHS={{'inputs': {inputs_length}, 'targets': 32}}",
            "--gin_bindings=train.eval_every=None",
        ]
    )
    assert result.step == 2


def test_fine_tuned_run_exports_through_the_cli(tmp_path, torch_threads, demo_vocab, capsys):
    """hf-to-flame -> `flame-jax train` 2 steps from it -> flame-to-hf of the run ->
    transformers loads model and tokenizer, and its logits are the fine-tuned model's."""
    import transformers

    from flame_jax import cli
    from flame_jax.data import chat
    from flame_jax.training import manifest

    hf_dir = str(tmp_path / "base")
    build_hf_model("gemma2", hf_dir, vocab_size=1024)
    shutil.copyfile(demo_vocab, os.path.join(hf_dir, "tokenizer.model"))
    with open(os.path.join(hf_dir, "tokenizer_config.json"), "w") as f:
        json.dump(
            {
                "tokenizer_class": "LlamaTokenizer",
                "eos_token": "</s>",
                "bos_token": "<bos>",
                "legacy": False,
                "chat_template": GEMMA_TEMPLATE,
            },
            f,
        )
    base = str(tmp_path / "flame_base")
    args = ["convert", "hf-to-flame", "--hf_dir", hf_dir, "--output", base]
    assert cli.main([*args, "--scan_layers", "false", "--dtype", "float32"]) == 0
    assert "fine-tune it: flame-jax train" in capsys.readouterr().out

    model_dir = str(tmp_path / "run")
    _fine_tune_two_steps(base, f"{base}/tokenizer.model", model_dir, inputs_length=224)

    out = str(tmp_path / "export")
    assert (
        cli.main(
            [
                "convert",
                "flame-to-hf",
                "--checkpoint",
                model_dir,
                "--output",
                out,
                "--dtype",
                "float32",
            ]
        )
        == 0
    )
    # The base's tokenizer files came along (the run's vocabulary is the imported one).
    assert json.load(open(os.path.join(out, "tokenizer_config.json")))["legacy"] is False
    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    assert tokenizer("EVALUATION")["input_ids"]
    run = manifest.read(model_dir)
    config = run.model_config
    assert run.chat_template == chat.TEMPLATES["gemma"]  # trained inside Gemma's chat markup
    trained = checkpoints.restore_params(model_dir, random_params(config))
    start = checkpoints.restore_params(base, random_params(config))
    assert any(
        not np.array_equal(a, b) for a, b in zip(_leaves(trained), _leaves(start), strict=True)
    )
    tokens = tokens_for(5) * 10
    expected = np.asarray(Transformer(config).apply({"params": trained}, tokens))
    got = hf_logits(_transformers_model(out), tokens)
    assert np.abs(got - expected).max() < TOLERANCE


def _train_gemma_style_vocabulary(path: str, *, dummy_prefix: bool) -> str:
    texts = [
        "Which response is better? Response A: the first.\nResponse B: the second.",
        "EVALUATION:\nA\n\nRATING: 4",
        "  indented text and\ttabs, unicode: café naïve 東京",
    ] * 40
    return testing.train_gemma_style_sentencepiece(
        texts, path, vocab_size=400, dummy_prefix=dummy_prefix
    )


SAMPLES = [
    "Which response is better?\nResponse A: yes.\nResponse B: no.\n",
    "EVALUATION:\nA",
    "x  y   z\n\n  w",
    "東京 café, naïve",
    "<start_of_turn>user\nhi<end_of_turn>\n",
    "trailing space ",
]


def test_written_tokenizer_gives_the_seqio_vocabularys_ids(tmp_path, torch_threads):
    """Gemma-style SentencePiece models (no dummy prefix, as Gemma's): identical ids and text."""
    import transformers

    from flame_jax.data import vocabularies

    path = _train_gemma_style_vocabulary(str(tmp_path / "gemma_style"), dummy_prefix=False)
    out = str(tmp_path / "tokenizer")
    os.makedirs(out)
    exporting._write_tokenizer(path, out, "gemma2")
    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    assert type(tokenizer).__name__ == "GemmaTokenizer"
    vocabulary = vocabularies.load(path)
    for text in SAMPLES:
        ids = list(vocabulary.encode(text))
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == ids, text
        assert tokenizer.decode(ids) == vocabulary.decode(ids) == text


def test_written_tokenizer_for_dummy_prefix_vocabularies(tmp_path, torch_threads):
    """Models with SentencePiece's dummy prefix (train_sentencepiece's, Llama 2's) get
    LlamaTokenizer (non-legacy): equal ids on plain text, not before a leading special piece."""
    import sentencepiece as spm
    import transformers

    path = _train_gemma_style_vocabulary(str(tmp_path / "llama_style"), dummy_prefix=True)
    out = str(tmp_path / "tokenizer")
    os.makedirs(out)
    exporting._write_tokenizer(path, out, "llama")
    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    sp = spm.SentencePieceProcessor(model_file=path)
    same = [tokenizer(t, add_special_tokens=False)["input_ids"] == sp.encode(t) for t in SAMPLES]
    # Plain text is tokenized alike; a user-defined piece at the very start gets no word start
    # from SentencePiece, and one from transformers.
    assert same == [True, True, True, True, False, True]
    for text in SAMPLES:
        assert tokenizer.decode(sp.encode(text)) == text


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_tokenizer_json_vocabularies_export(family, tmp_path, torch_threads):
    """The imported tokenizer.json and tokenizer_config.json come back with the export; a
    tokenizer.json from elsewhere is copied with its config, and the generated config.json takes
    its EOS/BOS ids and no pad id (id 0 is a real token)."""
    import transformers

    from flame_jax.data.hf_vocabulary import HuggingFaceVocabulary

    hf_dir = str(tmp_path / "hf")
    build_bpe_model(family, hf_dir)
    imported = importing.hf_to_flame(hf_dir, str(tmp_path / "flame"), progress=None)
    out = str(tmp_path / "export")
    args = ["--checkpoint", imported.output, "--output", out, "--dtype", "float32"]
    assert cli.main(["convert", "flame-to-hf", *args]) == 0
    for name in ("tokenizer.json", "tokenizer_config.json"):
        assert filecmp.cmp(os.path.join(hf_dir, name), os.path.join(out, name), shallow=False)
    original = transformers.AutoTokenizer.from_pretrained(hf_dir)
    exported = transformers.AutoTokenizer.from_pretrained(out)
    for text in BPE_SAMPLES:
        assert exported(text)["input_ids"] == original(text)["input_ids"]

    elsewhere = tmp_path / "vocab"
    elsewhere.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(hf_dir, name), elsewhere / name)
    generated = str(tmp_path / "generated")
    exporting.flame_to_hf(
        imported.output,
        imported.config,
        generated,
        vocabulary=str(elsewhere / "tokenizer.json"),
        dtype="float32",
        progress=None,
    )
    hf = json.load(open(os.path.join(generated, "config.json")))
    vocabulary = HuggingFaceVocabulary(str(elsewhere))
    assert hf["eos_token_id"] == vocabulary.eos_id and hf["bos_token_id"] == vocabulary.bos_id
    assert hf["pad_token_id"] is None
    tokenizer = transformers.AutoTokenizer.from_pretrained(generated)
    for text in BPE_SAMPLES:
        assert tokenizer(text)["input_ids"] == original(text)["input_ids"]


def test_llama3_shaped_model_fine_tunes_on_its_tokenizer_json(tmp_path, torch_threads):
    """hf-to-flame of a Llama-3-shaped folder (tokenizer.json only) -> `flame-jax train` 2 steps
    with gin/runs/flame.gin on the written vocabulary inside Llama 3's chat markup -> flame-to-hf
    gives back the base's tokenizer files."""

    from flame_jax.data import chat
    from flame_jax.training import manifest

    hf_dir = str(tmp_path / "base")
    build_bpe_model("llama", hf_dir, vocab_size=512)
    base = str(tmp_path / "flame_base")
    imported = importing.hf_to_flame(
        hf_dir, base, scan_layers=False, dtype="float32", progress=None
    )
    assert imported.vocabulary == os.path.join(base, "tokenizer.json")
    assert imported.chat_template == "llama3"

    model_dir = str(tmp_path / "run")
    _fine_tune_two_steps(base, imported.vocabulary, model_dir, inputs_length=480)
    assert manifest.read(model_dir).chat_template == chat.TEMPLATES["llama3"]

    out = str(tmp_path / "export")
    args = ["--checkpoint", model_dir, "--output", out, "--dtype", "float32"]
    assert cli.main(["convert", "flame-to-hf", *args]) == 0
    for name in ("tokenizer.json", "tokenizer_config.json"):
        assert filecmp.cmp(os.path.join(hf_dir, name), os.path.join(out, name), shallow=False)
    trained = _transformers_model(out)
    assert trained.config.vocab_size == 512
