"""Reading one row's fields: checked text, optional text, metadata extras and conversation turns."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.formats import Shape
from core.formats_read import describe
from core.models import Turn

ROLE_MAP = {
    "user": "user", "human": "user", "prompter": "user",
    "assistant": "assistant", "gpt": "assistant", "chatgpt": "assistant", "bing": "assistant",
    "bard": "assistant", "model": "assistant", "bot": "assistant",
    "system": "system", "developer": "system",
    "tool": "tool", "function": "tool", "observation": "tool", "ipython": "tool",
}
"""Role names of ShareGPT, OpenAI and friends, mapped to user/assistant/system/tool."""


class RowProblem(Exception):
    """One row cannot become an item; the message says why."""


def check_unicode(text: str, what: str) -> str:
    """Return text unchanged, or fail if it holds lone surrogates that UTF-8 cannot store."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise RowProblem(f"{what} is not valid Unicode (a lone surrogate escape)") from None
    return text


def text_field(row: Mapping[str, Any], key: str, *, required: bool, nonempty: bool = False) -> str:
    """Return a text field of a row, enforcing presence and type."""
    value = row.get(key)
    if type(value) is str:
        if nonempty and not value.strip():
            raise RowProblem(f"field '{key}' is empty")
        return check_unicode(value, f"field '{key}'")
    if value is None:
        if required:
            raise RowProblem(f"field '{key}' is null" if key in row else f"missing field '{key}'")
        return ""
    if type(value) is int:
        return str(value)
    raise RowProblem(f"field '{key}' is {describe(value)}, expected text")


def optional_text(row: Mapping[str, Any], key: str | None) -> str | None:
    """Return an optional text field (ext_id, kind) or None when absent, null or empty."""
    if key is None:
        return None
    value = row.get(key)
    if value is None or value == "":
        return None
    if type(value) is str:
        return check_unicode(value, f"field '{key}'")
    if type(value) is int:
        return str(value)
    raise RowProblem(f"field '{key}' is {describe(value)}, expected text")


def check_meta(value: Any, key: str) -> None:
    """Fail if a metadata value holds text that UTF-8 cannot store."""
    if isinstance(value, str):
        check_unicode(value, f"field '{key}'")
    elif isinstance(value, list):
        for element in value:
            check_meta(element, key)
    elif isinstance(value, dict):
        for inner_key, inner in value.items():
            check_meta(inner_key, key)
            check_meta(inner, key)


def extra_fields(row: Mapping[str, Any], shape: Shape, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Return the fields the shape does not use, for the item's metadata."""
    consumed = shape.consumed
    extras = {k: v for k, v in row.items() if k not in consumed and k not in skip}
    for key, value in extras.items():
        if not (type(value) is str and value.isascii()):
            check_meta(key, key)
            check_meta(value, key)
    return extras


def turn_text(content: Any, number: int) -> str:
    """Return the text of one turn's content: a string, null, or a list of text parts."""
    if type(content) is str:
        return check_unicode(content, f"turn {number}")
    if content is None:
        return ""
    if isinstance(content, list):
        texts = []
        for part in content:
            text = part.get("text") if isinstance(part, dict) else part if isinstance(part, str) else None
            if not isinstance(text, str):
                kind = part.get("type", "?") if isinstance(part, dict) else describe(part)
                raise RowProblem(f"turn {number} has a non-text part ({kind})")
            texts.append(check_unicode(text, f"turn {number}"))
        return "\n".join(texts)
    raise RowProblem(f"turn {number} content is {describe(content)}, expected text")


def parse_turns(value: Any, key: str) -> list[Turn]:
    """Return the turns of a ShareGPT (from/value) or OpenAI (role/content) conversation."""
    if isinstance(value, str) and key == "conversation":
        try:
            value = json.loads(value)
        except ValueError:
            raise RowProblem(f"field '{key}' is not a JSON list of turns") from None
    if not isinstance(value, list):
        raise RowProblem(f"missing field '{key}'" if value is None else
                         f"field '{key}' is {describe(value)}, expected a list of turns")
    if not value:
        raise RowProblem(f"field '{key}' has no turns")
    turns = []
    for number, turn in enumerate(value, 1):
        if not isinstance(turn, dict):
            raise RowProblem(f"turn {number} is {describe(turn)}, expected an object")
        raw_role = turn["from"] if "from" in turn else turn.get("role")
        if not isinstance(raw_role, str):
            raise RowProblem(f"turn {number} has no role")
        role = ROLE_MAP.get(raw_role.strip().lower())
        if role is None:
            raise RowProblem(f"turn {number} has an unknown role '{raw_role[:40]}'")
        content = turn["value"] if "value" in turn else turn.get("content")
        turns.append(Turn(role, turn_text(content, number)))
    return turns
