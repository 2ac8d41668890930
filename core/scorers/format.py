"""Format checks: required fields, JSON where a recipe expects it, code fences, template markers."""

from __future__ import annotations

import json
import re

from core.scorers.base import Scorable, Scorer, ScoreResult, span_of

_FENCE_LINE = re.compile(r"^\s*```", re.M)
_JSON_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.S | re.I)
_TEMPLATE_MARKER = re.compile(
    r"<\|(?:im_start|im_end|endoftext|eot_id|start_header_id|end_header_id|begin_of_text|assistant|user|"
    r"system|end)\|>|</s>|<s>|\[/?INST\]|<</?SYS>>|\{\{\s*[\w.]+\s*\}\}|\{%.*?%\}|\$\{\w+\}"
)


def expects_json(metadata: dict[str, object]) -> bool:
    """Return True when the item's recipe asked for a JSON response."""
    if metadata.get("expects_json"):
        return True
    return str(metadata.get("response_format", "")).lower() in ("json", "json_object")


def json_error(text: str) -> str | None:
    """Return why text (optionally inside a ```json fence) is not JSON, or None when it parses."""
    body = text.strip()
    fenced = _JSON_FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    try:
        json.loads(body)
    except ValueError as error:
        return str(error).split(":")[0]
    return None


class Format(Scorer):
    """Required fields present and non-empty, valid JSON when expected, balanced fences, no markers."""

    name = "format"
    version = "1"
    kind = "format"
    label = "format"
    description = "empty fields, invalid JSON where expected, unbalanced ``` fences, template markers"

    def score(self, item: Scorable) -> ScoreResult:
        """Check the item's fields and the response's form."""
        if not item.instruction.strip():
            return self.result(1.0, "empty instruction", span_of("instruction", 0, 0))
        response = item.response
        if not response.strip():
            return self.result(1.0, "empty response", span_of("response", 0, 0))
        if expects_json(item.metadata):
            error = json_error(response)
            if error:
                return self.result(1.0, f"invalid JSON: {error}", span_of("response", 0, len(response)))
        for field in ("response", "instruction"):
            marker = _TEMPLATE_MARKER.search(getattr(item, field))
            if marker:
                return self.result(
                    1.0,
                    f"template marker '{marker.group(0)[:30]}' in {field}",
                    span_of(field, marker.start(), marker.end()),
                )
        fences = list(_FENCE_LINE.finditer(response))
        if len(fences) % 2 == 1:
            last = fences[-1]
            return self.result(0.8, "unbalanced ``` code fence", span_of("response", last.start(), last.end()))
        return self.result(0.0)
