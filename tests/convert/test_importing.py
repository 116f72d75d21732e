"""Hugging Face import: logits and greedy decoding equal transformers', per family and feature;
the hf-to-flame output; bad inputs get errors naming the tensor, option or file."""

import json
import os

import numpy as np
import pytest
from hf_models import (
    BPE_CORPUS,
    BPE_SAMPLES,
    COMMON,
    FAMILY_CONFIGS,
    build_bpe_model,
    build_hf_model,
    hf_greedy,
    hf_logits,
    tokens_for,
)

from flame_jax.convert import architectures, importing, safetensors_io
from flame_jax.data import chat, vocabularies
from flame_jax.models import Transformer, generate
from flame_jax.training import manifest

TOLERANCE = 1e-4
MEASURED: dict[str, float] = {}  # family -> max |logit difference| (printed with -s)


@pytest.mark.parametrize("family", list(FAMILY_CONFIGS))
def test_logits_and_greedy_decoding_match_transformers(family, tmp_path, torch_threads):
    model = build_hf_model(family, str(tmp_path / family))
    hf = importing.read_hf_config(str(tmp_path / family))
    config = architectures.config_from_hf(hf, scan_layers=family == "gemma2")
    params = importing.load_hf_params(str(tmp_path / family), config)

    tokens = tokens_for(1)
    expected = hf_logits(model, tokens)
    got = np.asarray(Transformer(config).apply({"params": params}, tokens))
    difference = float(np.abs(got - expected).max())
    MEASURED[family] = difference
    print(
        f"{family}: max |logit diff| {difference:.2e} (logits up to {np.abs(expected).max():.1f})"
    )
    assert np.abs(expected).max() > 1.0  # the comparison is not between near-zero numbers
    assert difference < TOLERANCE

    # Greedy decoding past the sliding window (prompt 6 + 12 new tokens), with the KV cache.
    prompt = tokens[:1, :6]
    ours = generate(Transformer(config), params, prompt, max_new_tokens=12, eos_id=-1)
    np.testing.assert_array_equal(np.asarray(ours.tokens[0]), hf_greedy(model, prompt, 12))


def test_features_of_each_family_are_read_from_config():
    """What the parity models above exercise, by family (guards the test's coverage)."""

    def config(family):
        config_cls, _, extra = FAMILY_CONFIGS[family]
        import transformers

        return architectures.config_from_hf(
            getattr(transformers, config_cls)(**{**COMMON, **extra}).to_dict()
        )

    gemma2, gemma3 = config("gemma2"), config("gemma3_text")
    assert gemma2.attention_pattern == ("local", "global") and gemma2.attn_logit_softcap == 5.0
    assert gemma3.qk_norm and gemma3.layer_kinds() == ("local", "local", "global")
    assert gemma3.layer_rope_bases() == (10_000.0, 10_000.0, 1e6)
    assert gemma3.layer_rope_scales() == (1.0, 1.0, 4.0)
    assert config("llama").num_kv_heads == 2 and not config("llama").tie_embeddings
    assert config("mistral").attention_pattern == ("local",)
    assert config("qwen2").attention_bias and config("qwen2").tie_embeddings
    assert config("gemma").num_kv_heads == 1 and config("gemma").tie_embeddings


def test_bfloat16_checkpoints_import_exactly(tmp_path, torch_threads):
    import torch

    model = build_hf_model("llama", str(tmp_path / "bf16"), dtype=torch.bfloat16)
    folder = safetensors_io.SafetensorsFolder(str(tmp_path / "bf16"))
    assert folder.dtype("model.embed_tokens.weight").name == "bfloat16"
    config = architectures.config_from_hf(importing.read_hf_config(str(tmp_path / "bf16")))
    params = importing.load_hf_params(str(tmp_path / "bf16"), config)
    want = model.model.layers[1].self_attn.q_proj.weight.detach().float().numpy()  # [H*Dh, D]
    np.testing.assert_array_equal(
        np.asarray(params["layers_1"]["attn"]["q"]).reshape(32, 32).T, want
    )


def test_hf_to_flame_writes_checkpoint_gin_vocabulary_and_chat_template(
    tmp_path, torch_threads, demo_vocab
):
    import shutil

    import gin

    from flame_jax import configurables
    from flame_jax.training import checkpoints

    hf_dir = str(tmp_path / "hf")
    build_hf_model("gemma2", hf_dir)
    shutil.copyfile(demo_vocab, os.path.join(hf_dir, "tokenizer.model"))
    with open(os.path.join(hf_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": GEMMA_TEMPLATE, "bos_token": "<bos>"}, f)
    with pytest.raises(ValueError, match=r"more than the model's vocab_size"):
        importing.hf_to_flame(hf_dir, str(tmp_path / "small"), progress=None)  # vocab 96 < demo's

    build_hf_model("gemma2", hf_dir, vocab_size=1024)
    lines = []
    result = importing.hf_to_flame(hf_dir, str(tmp_path / "out"), progress=lines.append)
    assert any("layers/attn/q" in line for line in lines)  # progress per tensor group
    assert result.chat_template == "gemma"
    assert checkpoints.checkpoint_step(result.output) == 0
    assert open(result.vocabulary, "rb").read() == open(demo_vocab, "rb").read()
    assert sorted(os.listdir(os.path.join(result.output, "hf"))) == [
        "config.json",
        "generation_config.json",
        "tokenizer.model",
        "tokenizer_config.json",
    ]
    gin.clear_config()
    gin.parse_config_file(result.gin_file)
    assert configurables.model_config_from_gin() == result.config
    assert gin.query_parameter("%CHAT_TEMPLATE") == "gemma"
    run = manifest.read(result.output)  # what loading and export read: no gin parse
    assert run.model_config == result.config and run.vocabulary == result.vocabulary
    assert run.chat_template == chat.TEMPLATES["gemma"]
    assert result.config.scan_layers and result.config.dtype == "bfloat16"

    # The checkpoint restores into the config's abstract parameters (what INITIAL_CHECKPOINT_PATH
    # does) and holds the Hugging Face weights.
    abstract = _abstract(result.config)
    params = checkpoints.restore_params(result.output, abstract)
    direct = importing.load_hf_params(hf_dir, result.config)
    for a, b in zip(_leaves(params), _leaves(direct), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"exists and is not empty"):
        importing.hf_to_flame(hf_dir, result.output, progress=None)


def _abstract(config):
    import flax.linen as nn
    import jax

    from flame_jax.models import init_params

    return jax.eval_shape(lambda: nn.unbox(init_params(Transformer(config), jax.random.key(0))))


def _leaves(tree):
    import jax

    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


# Gemma's chat template (tokenizer_config.json of the instruction-tuned Gemma models).
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not "
    "supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}"
    "{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
)


# -- bad inputs -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_dir(tmp_path_factory, torch_threads):
    directory = str(tmp_path_factory.mktemp("llama"))
    build_hf_model("llama", directory)
    return directory


def _copy_with(source: str, target: str, *, config=None, tensors=None, drop=()):
    """A copy of a model folder with config.json fields changed and tensors added/dropped."""
    os.makedirs(target, exist_ok=True)
    hf = importing.read_hf_config(source)
    hf.update(config or {})
    with open(os.path.join(target, "config.json"), "w") as f:
        json.dump(hf, f)
    folder = safetensors_io.SafetensorsFolder(source)
    arrays = {n: folder.read(n) for n in folder.names() if n not in drop}
    arrays.update(tensors or {})
    specs = [(n, a.shape, a.dtype) for n, a in arrays.items()]
    safetensors_io.write_sharded(target, specs, arrays.items())
    return target


def test_unknown_architecture_and_unsupported_options(tmp_path, llama_dir):
    cases = {
        "FooForCausalLM": {"architectures": ["FooForCausalLM"]},
        "Gemma3ForConditionalGeneration": {"architectures": ["Gemma3ForConditionalGeneration"]},
        'rope_type "llama3"': {
            "rope_parameters": {"rope_type": "llama3", "factor": 8.0, "rope_theta": 5e5}
        },
        "attention_bias=True": {"attention_bias": True},
        "mlp_bias=True": {"mlp_bias": True},
        "hidden_act 'relu'": {"hidden_act": "relu"},
    }
    for message, change in cases.items():
        hf = {**importing.read_hf_config(llama_dir), **change}
        with pytest.raises(architectures.UnsupportedError, match=message):
            architectures.config_from_hf(hf)


def test_shape_mismatch_names_the_tensor(tmp_path, llama_dir):
    bad = _copy_with(llama_dir, str(tmp_path / "bad"), config={"intermediate_size": 48})
    config = architectures.config_from_hf(importing.read_hf_config(bad))
    with pytest.raises(
        ValueError, match=r"model.layers.0.mlp.gate_proj.weight has shape \(64, 32\)"
    ):
        importing.load_hf_params(bad, config)


def test_leftover_and_missing_tensors_are_errors(tmp_path, llama_dir):
    extra = _copy_with(
        llama_dir,
        str(tmp_path / "extra"),
        tensors={"model.layers.0.self_attn.rogue.weight": np.zeros((2,), np.float32)},
    )
    config = architectures.config_from_hf(importing.read_hf_config(extra))
    with pytest.raises(ValueError, match=r"model.layers.0.self_attn.rogue.weight"):
        importing.load_hf_params(extra, config)
    # A checkpoint with more layers than its config says: the extra layer is named.
    fewer = _copy_with(llama_dir, str(tmp_path / "fewer"), config={"num_hidden_layers": 1})
    config = architectures.config_from_hf(importing.read_hf_config(fewer))
    with pytest.raises(ValueError, match=r"model.layers.1.mlp.down_proj.weight"):
        importing.load_hf_params(fewer, config)
    missing = _copy_with(llama_dir, str(tmp_path / "missing"), drop=("model.norm.weight",))
    config = architectures.config_from_hf(importing.read_hf_config(missing))
    with pytest.raises(ValueError, match=r"missing tensor model.norm.weight"):
        importing.load_hf_params(missing, config)


def test_tied_checkpoints_may_store_an_equal_head_only(tmp_path, llama_dir):
    folder = safetensors_io.SafetensorsFolder(llama_dir)
    embed = folder.read("model.embed_tokens.weight")
    tied = _copy_with(
        llama_dir,
        str(tmp_path / "tied"),
        config={"tie_word_embeddings": True},
        tensors={"lm_head.weight": embed},
    )
    config = architectures.config_from_hf(importing.read_hf_config(tied))
    importing.load_hf_params(tied, config)  # the duplicate is checked, then accepted
    differs = _copy_with(
        llama_dir,
        str(tmp_path / "differs"),
        config={"tie_word_embeddings": True},
        tensors={"lm_head.weight": embed + 1},
    )
    with pytest.raises(ValueError, match=r"lm_head.weight differs"):
        importing.load_hf_params(differs, config)


def test_missing_files_are_named(tmp_path, llama_dir):
    with pytest.raises(FileNotFoundError, match=r"no config.json"):
        importing.read_hf_config(str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"no safetensors weights"):
        safetensors_io.SafetensorsFolder(str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"no Hugging Face model folder"):
        importing.resolve_hf_dir(str(tmp_path / "nowhere"))
    sharded = str(tmp_path / "sharded")
    folder = safetensors_io.SafetensorsFolder(llama_dir)
    specs = [(n, folder.shape(n), folder.dtype(n)) for n in folder.names()]
    safetensors_io.write_sharded(
        sharded, specs, ((n, folder.read(n)) for n in folder.names()), max_shard_bytes=20_000
    )
    with open(os.path.join(sharded, safetensors_io.INDEX_FILE)) as f:
        second = sorted(set(json.load(f)["weight_map"].values()))[1]
    os.remove(os.path.join(sharded, second))
    with pytest.raises(FileNotFoundError, match=rf"{second}, which is missing"):
        safetensors_io.SafetensorsFolder(sharded)


def test_cli_reports_errors(tmp_path, capsys):
    from flame_jax import cli

    code = cli.main(["convert", "hf-to-flame", "--hf_dir", str(tmp_path / "no"), "--output", "x"])
    assert code == 2
    assert "no Hugging Face model folder" in capsys.readouterr().err


def _convert_fails(capsys, hf_dir, output, *expected):
    """hf-to-flame refuses with one stderr line holding `expected`, and writes nothing."""
    from flame_jax import cli

    argv = ["convert", "hf-to-flame", "--hf_dir", hf_dir, "--output", output, "--skip_vocabulary"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for text in expected:
        assert text in err, err
    assert not os.path.exists(output)
    assert not [n for n in os.listdir(os.path.dirname(output)) if ".partial-" in n]


def _rewrite_header(path: str, change) -> None:
    """Rewrites a safetensors file's JSON header through `change(header)`."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header, data = json.loads(f.read(size)), f.read()
    change(header)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + data)


def test_bad_folders_are_refused_in_one_line_naming_file_and_tensor(tmp_path, llama_dir, capsys):
    out = str(tmp_path / "out")
    weights = "model.safetensors"
    q = "model.layers.0.self_attn.q_proj.weight"
    folder = safetensors_io.SafetensorsFolder(llama_dir)
    # int32 weights (a quantized or mislabelled checkpoint) and a tensor of NaN.
    bad = _copy_with(llama_dir, str(tmp_path / "int"), tensors={q: folder.read(q).astype(np.int32)})
    _convert_fails(capsys, bad, out, q, "int32")
    nan = _copy_with(
        llama_dir, str(tmp_path / "nan"), tensors={q: np.full(folder.shape(q), np.nan, np.float32)}
    )
    _convert_fails(capsys, nan, out, q, "NaN")
    # A truncated weights file, a header entry without its dtype, a config that is not JSON, a
    # config without a field the architecture needs.
    cut = _copy_with(llama_dir, str(tmp_path / "cut"))
    path = os.path.join(cut, weights)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    _convert_fails(capsys, cut, out, path, "truncated")
    nodtype = _copy_with(llama_dir, str(tmp_path / "nodtype"))
    _rewrite_header(os.path.join(nodtype, weights), lambda h: h[q].pop("dtype"))
    _convert_fails(capsys, nodtype, out, q, "lacks dtype")
    broken = _copy_with(llama_dir, str(tmp_path / "broken"))
    with open(os.path.join(broken, "config.json"), "w") as f:
        f.write('{"architectures": ')
    _convert_fails(capsys, broken, out, os.path.join(broken, "config.json"), "not valid JSON")
    short = _copy_with(llama_dir, str(tmp_path / "short"))
    hf = importing.read_hf_config(short)
    del hf["num_hidden_layers"]
    with open(os.path.join(short, "config.json"), "w") as f:
        json.dump(hf, f)
    _convert_fails(capsys, short, out, "config.json", "num_hidden_layers")


def test_an_interrupted_import_leaves_no_output_and_can_be_redone(
    tmp_path, llama_dir, monkeypatch, capsys
):
    from flame_jax import cli

    out = str(tmp_path / "out")
    argv = ["convert", "hf-to-flame", "--hf_dir", llama_dir, "--output", out, "--skip_vocabulary"]

    def killed(*args, **kwargs):  # after the checkpoint, before model.gin
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(importing, "model_gin", killed)
        with pytest.raises(KeyboardInterrupt):
            cli.main(argv)
    assert not os.path.exists(out)
    assert cli.main(argv) == 0
    assert sorted(os.listdir(out)) == ["checkpoints", "hf", "model.gin", "run.json"]
    capsys.readouterr()
    assert cli.main(argv) == 2  # a second import into it is refused, or replaces it:
    assert "exists and is not empty" in capsys.readouterr().err
    before = os.stat(os.path.join(out, "model.gin")).st_ino
    assert cli.main([*argv, "--overwrite"]) == 0
    assert os.stat(os.path.join(out, "model.gin")).st_ino != before
    assert manifest.read(out).vocabulary is None


# Wraps importing._block to record (tensor, elements) of every block a process reads.
COUNT_READS = """
reads = []
block = importing._block


def counting(folder, m, index, dtype):
    array = block(folder, m, index, dtype)
    reads.append([m.hf_name, int(array.size)])
    return array


importing._block = counting
"""

SHARDED_SCRIPT = (
    """
import json, sys
import jax, numpy as np
from flame_jax import partitioning
from flame_jax.convert import architectures, importing

assert jax.device_count() == 8, jax.devices()
directory, out = sys.argv[1], sys.argv[2]
config = architectures.config_from_hf(importing.read_hf_config(directory), scan_layers=True)
"""
    + COUNT_READS
    + """mesh = partitioning.make_mesh(data=1, fsdp=4, model=2)
with partitioning.activate(mesh):
    params = importing.load_hf_params(directory, config, mesh=mesh)
q, embed = params["layers"]["attn"]["q"], params["embedding"]
leaves = jax.tree_util.tree_leaves_with_path(params)
np.savez(out, **{jax.tree_util.keystr(k): np.asarray(v) for k, v in leaves})

# Export from a checkpoint of these sharded parameters: stacked layers restored split over
# the devices, fetched one layer at a time.
import jax.numpy as jnp
from flame_jax.convert import exporting
from flame_jax.training import checkpoints
from flame_jax.training.state import TrainState

with checkpoints.Checkpointer(out + ".ckpt", async_save=False, params_only=True) as saver:
    saver.save(TrainState(jnp.zeros((), jnp.int32), params, None), data_position=0, force=True)
exporting.export_params(out + ".ckpt", config, out + ".hf", family="gemma2", progress=None)
assert "torch" not in sys.modules and "transformers" not in sys.modules  # neither is needed
print(json.dumps({
    "q_spec": list(q.sharding.spec),
    "q_shard": list(q.addressable_shards[0].data.shape),
    "embed_spec": list(embed.sharding.spec),
    "embed_shard": list(embed.addressable_shards[0].data.shape),
    "reads": reads,
}))
"""
)


def test_sharded_import_reads_only_each_devices_block(tmp_path, torch_threads):
    """On 8 simulated devices (fsdp 4 x model 2), bf16 safetensors: every parameter comes out
    sharded by the logical rules, each device's block is read on its own (a q block is an
    eighth of a layer's q_proj), and the values equal the single-device import."""
    import subprocess
    import sys

    import torch

    directory = str(tmp_path / "hf")
    build_hf_model("gemma2", directory, dtype=torch.bfloat16)
    env = dict(
        os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu"
    )
    out = str(tmp_path / "params.npz")
    proc = subprocess.run(
        [sys.executable, "-c", SHARDED_SCRIPT, directory, out],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["q_spec"] == [None, "fsdp", "model", None]  # [N, D, H, Dh]
    assert report["q_shard"] == [2, 8, 2, 8]  # [N, D/4, H/2, Dh]
    assert report["embed_spec"] == ["model", "fsdp"]  # [V, D]
    assert report["embed_shard"] == [48, 8]  # [V/2, D/4]
    q_reads = [size for name, size in report["reads"] if name.endswith("q_proj.weight")]
    assert len(q_reads) == 2 * 8 and set(q_reads) == {32 * 32 // 8}  # 8 blocks per layer, once
    # Norm scales are replicated: read once, not once per device.
    assert sum(name == "model.norm.weight" for name, _ in report["reads"]) == 1

    config = architectures.config_from_hf(importing.read_hf_config(directory), scan_layers=True)
    import jax

    exported = safetensors_io.SafetensorsFolder(out + ".hf")
    original = safetensors_io.SafetensorsFolder(directory)
    assert exported.names() == original.names()
    for name in original.names():  # bf16 -> float32 -> bf16 is exact
        np.testing.assert_array_equal(exported.read(name), original.read(name))

    single = importing.load_hf_params(directory, config)
    sharded = np.load(out)
    for key, value in jax.tree_util.tree_leaves_with_path(single):
        np.testing.assert_array_equal(sharded[jax.tree_util.keystr(key)], np.asarray(value))


def test_hub_ids_download_with_huggingface_hub(tmp_path, monkeypatch):
    import sys
    import types

    calls = []

    def snapshot_download(repo_id, allow_patterns):
        calls.append((repo_id, allow_patterns))
        return str(tmp_path)

    monkeypatch.setitem(
        sys.modules, "huggingface_hub", types.SimpleNamespace(snapshot_download=snapshot_download)
    )
    assert importing.resolve_hf_dir("google/gemma-2-2b-it") == str(tmp_path)
    assert calls[0][0] == "google/gemma-2-2b-it" and "*.safetensors" in calls[0][1]
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # not installed
    with pytest.raises(FileNotFoundError, match=r"needs huggingface_hub"):
        importing.resolve_hf_dir("google/gemma-2-2b-it")


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_tokenizer_json_folders_write_a_bpe_vocabulary(family, tmp_path, torch_threads, capsys):
    """Llama 3 / Qwen2 ship tokenizer.json only: it becomes the vocabulary, with transformers'
    ids, and the printed command and model.gin point at it."""
    import gin
    import transformers

    from flame_jax import cli

    hf_dir = str(tmp_path / "hf")
    build_bpe_model(family, hf_dir)
    out = str(tmp_path / "out")
    args = ["convert", "hf-to-flame", "--hf_dir", hf_dir, "--output", out, "--dtype", "float32"]
    assert cli.main(args) == 0
    vocab = os.path.join(out, "tokenizer.json")
    assert f'--gin.VOCABULARY=\\"{vocab}\\"' in capsys.readouterr().out
    assert sorted(os.listdir(out)) == [
        "checkpoints",
        "hf",
        "model.gin",
        "run.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    with open(os.path.join(out, "model.gin")) as f:
        assert vocab in f.read()
    gin.clear_config()
    gin.parse_config_file(os.path.join(out, "model.gin"))
    template = {"llama": "llama3", "qwen2": "chatml"}[family]
    assert gin.query_parameter("%CHAT_TEMPLATE") == template
    assert manifest.read(out).chat_template == chat.TEMPLATES[template]

    vocabulary = vocabularies.load(vocab)
    tokenizer = transformers.AutoTokenizer.from_pretrained(hf_dir)
    assert vocabulary.eos_id == tokenizer.eos_token_id
    assert vocabulary.bos_id == tokenizer.bos_token_id  # Llama 3's <|begin_of_text|>, Qwen2 none
    for text in BPE_SAMPLES:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert list(vocabulary.encode(text)) == ids, text
        ids = [i for i in ids if i != vocabulary.eos_id]  # decode stops at EOS
        assert vocabulary.decode(ids) == tokenizer.decode(ids, skip_special_tokens=True)


def test_vocabulary_problems_are_named(tmp_path, llama_dir):
    from flame_jax.data import testing

    bare = _copy_with(llama_dir, str(tmp_path / "bare"))
    with pytest.raises(architectures.UnsupportedError, match=r"no tokenizer.*--skip_vocabulary"):
        importing.hf_to_flame(bare, str(tmp_path / "out"), progress=None)
    assert not os.path.exists(tmp_path / "out" / "checkpoints")  # refused before converting
    result = importing.hf_to_flame(
        bare, str(tmp_path / "weights"), skip_vocabulary=True, progress=None
    )
    assert result.vocabulary is None and importing.vocabulary_in(result.output) is None

    large = _copy_with(llama_dir, str(tmp_path / "large"))  # the model has 96 rows
    testing.train_byte_level_bpe(BPE_CORPUS, large, vocab_size=300)
    with pytest.raises(ValueError, match=r"tokenizer.json has \d+ tokens, more than the model's"):
        importing.hf_to_flame(large, str(tmp_path / "out"), progress=None)
    with open(os.path.join(large, "tokenizer.json"), "w") as f:
        json.dump({"model": {"type": "BPE"}}, f)
    with pytest.raises(ValueError, match=r"large/tokenizer.json is not a Hugging Face tokenizer"):
        importing.hf_to_flame(large, str(tmp_path / "out"), progress=None)


TWO_HOSTS_SCRIPT = (
    """
import json, sys
import jax
from flame_jax import partitioning
from flame_jax.convert import architectures, importing
from flame_jax.training import checkpoints
from flame_jax.training.state import TrainState

partitioning.initialize_distributed()  # JAX_COORDINATOR_ADDRESS / _NUM_PROCESSES / _PROCESS_ID
assert (jax.process_count(), jax.device_count()) == (2, 8), jax.devices()
directory, out = sys.argv[1], sys.argv[2]
config = architectures.config_from_hf(importing.read_hf_config(directory), scan_layers=True)
"""
    + COUNT_READS
    + """mesh = partitioning.make_mesh(data=1, fsdp=4, model=2)
with partitioning.activate(mesh):
    params = importing.load_hf_params(directory, config, mesh=mesh)
    with checkpoints.Checkpointer(out, async_save=False, params_only=True) as saver:
        state = TrainState(jax.numpy.zeros((), jax.numpy.int32), params, None)
        saver.save(state, data_position=0, force=True)
print("READS", json.dumps(reads))
"""
)


def test_two_hosts_each_read_only_their_devices_blocks(tmp_path, torch_threads):
    """jax.distributed on localhost, 2 processes x 4 devices (fsdp 4 x model 2 spans both):
    each host reads the blocks of its own devices only (half of every sharded tensor), and
    the checkpoint both write equals the single-process import."""
    import socket
    import subprocess
    import sys

    import jax
    from flax import linen as nn

    from flame_jax.models import init_params
    from flame_jax.training import checkpoints

    directory = str(tmp_path / "hf")
    build_hf_model("gemma2", directory)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = str(tmp_path / "ckpt")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TWO_HOSTS_SCRIPT, directory, out],
            env=dict(
                os.environ,
                XLA_FLAGS="--xla_force_host_platform_device_count=4",
                JAX_PLATFORMS="cpu",
                JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{port}",
                JAX_NUM_PROCESSES="2",
                JAX_PROCESS_ID=str(i),
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(e[-3000:] for _, e in outputs)
    for stdout, _ in outputs:
        reads = json.loads(stdout.rsplit("READS ", 1)[-1].splitlines()[0])
        q_reads = [size for name, size in reads if name.endswith("q_proj.weight")]
        assert len(q_reads) == 2 * 4 and set(q_reads) == {32 * 32 // 8}  # 4 of 8 blocks a layer

    config = architectures.config_from_hf(importing.read_hf_config(directory), scan_layers=True)
    boxed = jax.eval_shape(lambda r: init_params(Transformer(config), r), jax.random.PRNGKey(0))
    restored = checkpoints.restore_params(out, nn.unbox(boxed))
    single = importing.load_hf_params(directory, config)
    jax.tree.map(np.testing.assert_array_equal, restored, single)
