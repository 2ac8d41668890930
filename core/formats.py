"""Row shapes of common dataset formats: their field names, and detecting which one a file uses.

Each shape maps item fields (instruction, input, response, conversation, ext_id, kind) to a
file's field names; `core.formats_rows` turns rows into items through a shape.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from core.formats_read import FormatError

FORMATS: tuple[str, ...] = (
    "alpaca", "sharegpt", "openai", "qa", "prompt_response", "self_instruct", "alpaca_eval", "thresher",
)
"""Names accepted as an explicit format; `thresher` reads back this tool's own Parquet export."""

FLAT_FORMATS = frozenset({"alpaca", "alpaca_eval", "qa", "prompt_response"})
"""Formats whose rows map one-to-one onto instruction/input/response columns."""

_BASE: dict[str, dict[str, str]] = {
    "alpaca": {"instruction": "instruction", "input": "input", "response": "output", "ext_id": "id"},
    "alpaca_eval": {"instruction": "instruction", "input": "input", "response": "output", "ext_id": "id"},
    "qa": {"instruction": "question", "input": "input", "response": "answer", "ext_id": "id"},
    "prompt_response": {"instruction": "prompt", "input": "input", "response": "response", "ext_id": "id"},
    "self_instruct": {"instruction": "instruction", "instances": "instances", "ext_id": "id"},
    "sharegpt": {"conversation": "conversations", "ext_id": "id"},
    "openai": {"conversation": "messages", "ext_id": "id"},
    "thresher": {
        "instruction": "instruction", "input": "input", "response": "response", "conversation": "conversation",
        "metadata": "metadata", "ext_id": "ext_id", "kind": "kind",
    },
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "self_instruct": ("instruction", "instances"), "sharegpt": ("conversation",), "openai": ("conversation",),
}
_DEFAULT_KIND = {"qa": "qa", "sharegpt": "chat", "openai": "chat"}
_RESPONSE_ALIASES = ("response", "completion", "prediction", "output", "answer")
@dataclass(frozen=True)
class Shape:
    """How one file's rows map onto items: the format, target -> source field, and the item kind."""

    fmt: str
    fields: dict[str, str]
    kind: str
    consumed: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        """Record which source fields the shape uses, so the rest can go to metadata."""
        object.__setattr__(self, "consumed", frozenset(self.fields.values()))


def detect_format(keys: Collection[str]) -> str | None:
    """Return the format whose fields these are, or None when nothing fits."""
    if {"instruction", "response", "conversation", "content_hash"} <= set(keys):
        return "thresher"
    if "conversations" in keys:
        return "sharegpt"
    if "messages" in keys:
        return "openai"
    if "instruction" in keys and "instances" in keys:  # a predictions file answers the task as a whole
        return "prompt_response" if any(k in keys for k in _RESPONSE_ALIASES[:3]) else "self_instruct"
    if "instruction" in keys and "output" in keys:
        return "alpaca_eval" if "generator" in keys else "alpaca"
    if "question" in keys and "answer" in keys:
        return "qa"
    if ("prompt" in keys or "instruction" in keys) and any(k in keys for k in _RESPONSE_ALIASES):
        return "prompt_response"
    return None


def _preview(keys: Collection[str]) -> str:
    """List a few field names for a message."""
    names = list(keys)
    return ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "none"


def resolve_shape(
    fmt: str | None, keys: Collection[str], *, mapping: Mapping[str, str] | None = None, kind: str | None = None
) -> Shape:
    """Pick the shape for a file from its sample fields, an explicit format and a field mapping."""
    chosen = fmt or detect_format(keys)
    if chosen is None and mapping:
        chosen = "openai" if "conversation" in mapping else "alpaca"
    if chosen is None and any(k in keys for k in ("instruction", "question", "prompt")):
        raise FormatError(f"has no response field (looked for {', '.join(_RESPONSE_ALIASES)}); "
                          f"fields: {_preview(keys)}; pass a field mapping")
    if chosen is None:
        raise FormatError(f"has fields ({_preview(keys)}) that match no known format; "
                          f"pass a format ({', '.join(FORMATS)}) or a field mapping")
    fields = dict(_BASE[chosen])
    if chosen == "prompt_response":
        fields["instruction"] = "instruction" if "instruction" in keys else "prompt"
        fields["response"] = next((k for k in _RESPONSE_ALIASES if k in keys), "response")
    for target, source in (mapping or {}).items():
        if target not in fields and target != "kind":
            raise FormatError(f"cannot map '{target}' in format {chosen}; "
                              f"mappable fields: {', '.join(sorted({*fields, 'kind'}))}")
        fields[target] = source
    required = _REQUIRED.get(chosen, ("instruction", "response"))
    for target in required:
        if fields[target] not in keys:
            raise FormatError(f"has no field '{fields[target]}' (the {target} of format {chosen}); "
                              f"fields: {_preview(keys)}")
    return Shape(chosen, fields, kind or _DEFAULT_KIND.get(chosen, "instruction"))
