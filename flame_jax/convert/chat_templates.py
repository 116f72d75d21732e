"""Which chat template (flame_jax.data.chat) a Hugging Face model folder expects.

Hugging Face ships a Jinja template (tokenizer_config.json "chat_template", or
chat_template.jinja) that renders a conversation. It is rendered here, as transformers'
apply_chat_template does, for one user message holding a placeholder, with the generation
prompt; the text before and after the placeholder is the markup. A registered template with
the same rendering is bound by name; any other markup is bound as {"prefix", "suffix"} with a
note to check it. Rendering needs jinja2 (installed with transformers); without it, or without
a template (base models), the switch is left None with a note saying why.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flame_jax.data import chat

_PLACEHOLDER = "FLAMEINPUTSPLACEHOLDER"


def _token_text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("content", ""))
    return "" if value is None else str(value)


def read_template(hf_dir: str) -> tuple[str | None, dict[str, Any]]:
    """(The Jinja chat template or None, tokenizer_config.json's contents)."""
    config: dict[str, Any] = {}
    path = os.path.join(hf_dir, "tokenizer_config.json")
    if os.path.exists(path):
        with open(path) as f:
            config = json.load(f)
    template = config.get("chat_template")
    if isinstance(template, list):  # named templates: the default one
        named = {t.get("name"): t.get("template") for t in template}
        template = named.get("default") or next(iter(named.values()), None)
    jinja_file = os.path.join(hf_dir, "chat_template.jinja")
    if template is None and os.path.exists(jinja_file):
        with open(jinja_file) as f:
            template = f.read()
    json_file = os.path.join(hf_dir, "chat_template.json")
    if template is None and os.path.exists(json_file):
        with open(json_file) as f:
            template = json.load(f).get("chat_template")
    return template, config


def render_markup(template: str, tokenizer_config: dict[str, Any]) -> tuple[str, str]:
    """(prefix, suffix) around one user message, as apply_chat_template renders it."""
    import jinja2  # noqa: PLC0415
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: PLC0415

    def raise_exception(message: str):
        raise jinja2.exceptions.TemplateError(message)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: "01 Jan 2025"
    specials = {
        name: _token_text(tokenizer_config.get(name))
        for name in ("bos_token", "eos_token", "unk_token", "pad_token")
    }
    text = env.from_string(template).render(
        messages=[{"role": "user", "content": _PLACEHOLDER}],
        add_generation_prompt=True,
        **specials,
    )
    if text.count(_PLACEHOLDER) != 1:
        raise ValueError("the template does not render the user message exactly once")
    prefix, suffix = text.split(_PLACEHOLDER)
    return prefix, suffix


def detect(hf_dir: str) -> tuple[str | dict[str, str] | None, str]:
    """(The chat template switch for a model folder, a note for the gin file)."""
    template, tokenizer_config = read_template(hf_dir)
    if template is None:
        return None, "The Hugging Face folder has no chat template (a base model)."
    try:
        prefix, suffix = render_markup(template, tokenizer_config)
    except ImportError:
        return None, (
            "The Hugging Face folder has a chat template, but jinja2 is not installed to render "
            "it: set CHAT_TEMPLATE by hand (see flame_jax/data/chat.py)."
        )
    except Exception as e:  # any template error: leave the choice to the user
        return None, f"The Hugging Face chat template could not be rendered ({e}): set it by hand."
    name = chat.name_of(prefix, suffix)
    if name is not None:
        return name, f"Detected from the Hugging Face chat template (renders as {name!r})."
    return {"prefix": prefix, "suffix": suffix}, (
        "The Hugging Face chat template matches no registered template; its markup is bound\n"
        "as rendered. Check the spaces next to the inputs (SentencePiece's word start stands\n"
        "for a leading space) or bind a registered name (flame_jax/data/chat.py)."
    )
