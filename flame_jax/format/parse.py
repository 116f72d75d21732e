"""Parsing a generated EVALUATION block back into its fields.

The parser reads from the end of the text: it takes the last `EVALUATION:` header, and when a
prompt is given it first cuts everything up to the end of the last echo of that prompt, so text
copied from the CONTEXT (which may itself contain an `EVALUATION:` header or `answer:` lines)
can never be read as the verdict. Field labels are matched only for the expected output fields,
in order, at the start of a line or after whitespace (vocabularies such as T5's turn newlines
into spaces).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flame_jax.format.record import EVALUATION_HEADER


class ParseError(ValueError):
    """Nothing in the text parses as the expected EVALUATION fields."""


def _strip_echo(text: str, prompt: str | None) -> str:
    if not prompt:
        return text
    for echo in (prompt, prompt.strip()):
        at = text.rfind(echo) if echo else -1
        if at >= 0:
            return text[at + len(echo) :]
    return text


def parse_evaluation(
    text: str,
    output_fields: Sequence[str],
    *,
    prompt: str | None = None,
    options: Sequence[str] = (),
) -> dict[str, str]:
    """Returns {field: value} for the output fields found in a generated evaluation.

    Args:
      text: the generated text (with or without the `EVALUATION:` header).
      output_fields: the fields the task asks for, in order; the first must be present.
      prompt: the model input; an echo of it in `text` is ignored.
      options: allowed values of the first field; when given, the value must be one of them
        (surrounding punctuation and case are forgiven).

    Raises:
      ParseError: when the first field is missing or its value is not an allowed option.
    """
    if not output_fields:
        raise ValueError("output_fields is empty")
    body = _strip_echo(text, prompt)
    header = body.rfind(EVALUATION_HEADER)
    if header >= 0:
        body = body[header + len(EVALUATION_HEADER) :]
    fields = _last_fields(body, list(output_fields))
    first = output_fields[0]
    if first not in fields:
        raise ParseError(f"no '{first}:' field in the generated evaluation: {_preview(text)!r}")
    if options:
        fields[first] = _match_option(fields[first], options, text)
    return {name: fields[name] for name in output_fields if name in fields}


def _last_fields(body: str, output_fields: list[str]) -> dict[str, str]:
    """The fields of the last well-formed run of labels in `body`.

    Candidates start at each `<first field>:` label, from the last to the first; the first
    candidate followed by all the fields in order wins, so a label quoted inside a free-text
    field (an explanation that says "answer: B") cannot displace the real verdict. When no
    candidate has every field, the last one with the longest prefix of the fields is taken.
    """
    starts = [
        m.start(1) for m in re.finditer(rf"(?:^|(?<=\s))({re.escape(output_fields[0])}):", body)
    ]
    for count in range(len(output_fields), 0, -1):
        names = output_fields[:count]
        pattern = re.compile(
            r"\s+".join(rf"{re.escape(name)}:[ \t]*(.*?)" for name in names) + r"\s*$",
            re.DOTALL,
        )
        for at in reversed(starts):
            match = pattern.match(body, at)
            if match:
                return {
                    name: value.strip() for name, value in zip(names, match.groups(), strict=True)
                }
    return {}


def _match_option(value: str, options: Sequence[str], text: str) -> str:
    first_line = value.splitlines()[0] if value else ""
    cleaned = first_line.strip().strip(".,;:!\"'()[]*").strip()
    for option in options:
        if cleaned == option:
            return option
    lowered = {option.lower(): option for option in options}
    if cleaned.lower() in lowered:
        return lowered[cleaned.lower()]
    raise ParseError(f"answer {cleaned!r} is not one of {list(options)} in: {_preview(text)!r}")


def _preview(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]
