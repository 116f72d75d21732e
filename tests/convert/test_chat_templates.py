"""Which chat template a Hugging Face folder expects, from its Jinja template."""

import json

from flame_jax.convert import chat_templates

LLAMA2_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'user' %}"
    "{{ bos_token + '[INST] ' + message['content'].strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}"
    "{% endif %}{% endfor %}"
)
QWEN2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _folder(tmp_path, **config):
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    return str(tmp_path)


def test_registered_templates_are_bound_by_name(tmp_path):
    folder = _folder(tmp_path, chat_template=LLAMA2_TEMPLATE, bos_token={"content": "<s>"})
    assert chat_templates.detect(folder)[0] == "llama2"


def test_other_templates_are_bound_as_rendered(tmp_path):
    template, note = chat_templates.detect(_folder(tmp_path, chat_template=QWEN2_TEMPLATE))
    assert template == {
        "prefix": "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n",
        "suffix": "<|im_end|>\n<|im_start|>assistant\n",
    }
    assert "matches no registered template" in note


def test_no_template_or_a_broken_one_leaves_the_switch_off(tmp_path):
    assert chat_templates.detect(str(tmp_path))[0] is None  # a base model
    broken = _folder(tmp_path, chat_template="{{ raise_exception('no') }}")
    template, note = chat_templates.detect(broken)
    assert template is None and "could not be rendered" in note
    (tmp_path / "tokenizer_config.json").unlink()
    (tmp_path / "chat_template.jinja").write_text(LLAMA2_TEMPLATE)
    assert "bos" not in chat_templates.detect(str(tmp_path))[1]  # read from the .jinja file
