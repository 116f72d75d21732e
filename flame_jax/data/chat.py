"""Chat templates: the base model's chat-turn markup around the FLAMe inputs.

An instruction-tuned base was trained on its chat format, and a judge fine-tuned or queried
in another format is a known cause of broken judges. A run's template is part of its codec
(`flame_jax.data.Codec`, which applies it: `Codec.encode_inputs` for the judge, its tf.data
twin `Codec.wrap_tensor` for the training features), set from gin (`train.chat_template`;
`flame-jax convert hf-to-flame` writes it into the model gin it generates) and recorded in the
run's manifest, so the judge reads the inputs the model was trained on:

    wrapped inputs = markup(prefix) + trim(vocabulary.encode(inputs)) + markup(suffix)

The targets (the EVALUATION text + EOS) are never wrapped.

`trim` (Gemma's, Llama 2's and Llama 3's templates trim the message, `| trim`): whitespace-only
tokens at both ends of the inputs are dropped, so the FLAMe inputs' closing blank line does not
end up inside the user turn.

Tokenization: the inputs are tokenized exactly as without a template (seqio tokenizes the
inputs feature on its own); in the markup, special tokens written `<...>` (<bos>, <s>,
<start_of_turn>, <|eot_id|>) become their ids when the vocabulary has such a piece, and the
text between them is tokenized by the vocabulary. This is the Hugging Face tokenization of the
rendered template up to merges across the boundary between markup and inputs (the reason the
"llama2" markup carries no spaces next to the inputs: SentencePiece's word-start marker of the
separately tokenized inputs stands for the space).

A template is a registered name (`TEMPLATES`) or a mapping {"prefix": ..., "suffix": ...};
None (the default) leaves the inputs as they are, the FLAMe paper's format.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class ChatTemplate:
    """The markup before and after the inputs.

    `rendered` is the (prefix, suffix) that Hugging Face's Jinja template renders around a
    user message with a generation prompt; it identifies the template of a converted
    checkpoint and defaults to (prefix, suffix).
    """

    prefix: str
    suffix: str
    trim: bool = False
    rendered: tuple[str, str] | None = None

    @property
    def hf_rendered(self) -> tuple[str, str]:
        return self.rendered or (self.prefix, self.suffix)


TEMPLATES: dict[str, ChatTemplate] = {
    # Gemma 1/2/3 instruction-tuned models.
    "gemma": ChatTemplate(
        "<bos><start_of_turn>user\n", "<end_of_turn>\n<start_of_turn>model\n", trim=True
    ),
    # Llama 2 chat and Mistral 7B Instruct v0.1/v0.2 (one user turn, no system prompt).
    "llama2": ChatTemplate("<s>[INST]", "[/INST]", trim=True, rendered=("<s>[INST] ", " [/INST]")),
    # Llama 3 instruct (one user turn, no system prompt).
    "llama3": ChatTemplate(
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n",
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        trim=True,
    ),
    # ChatML (Qwen2 without its default system prompt).
    "chatml": ChatTemplate("<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n"),
}


def resolve(template: str | Mapping[str, str] | ChatTemplate | None) -> ChatTemplate | None:
    """A ChatTemplate from a registered name, a {"prefix", "suffix"} mapping, or None."""
    if template is None or isinstance(template, ChatTemplate):
        return template
    if isinstance(template, str):
        if template.lower() == "none":
            return None
        if template not in TEMPLATES:
            close = difflib.get_close_matches(template, TEMPLATES, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(
                f"unknown chat template {template!r}{hint} (registered: {', '.join(TEMPLATES)}; "
                'or give {"prefix": ..., "suffix": ...})'
            )
        return TEMPLATES[template]
    unknown = set(template) - {"prefix", "suffix", "trim"}
    if unknown or "prefix" not in template or "suffix" not in template:
        raise ValueError(
            f'a chat template mapping has "prefix", "suffix" and optionally "trim"; got {template}'
        )
    return ChatTemplate(
        str(template["prefix"]), str(template["suffix"]), trim=bool(template.get("trim", False))
    )


def name_of(prefix: str, suffix: str) -> str | None:
    """The registered template whose Hugging Face rendering is (prefix, suffix), if any."""
    for name, template in TEMPLATES.items():
        if template.hf_rendered == (prefix, suffix):
            return name
    return None
