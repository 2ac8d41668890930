"""Make untrusted text safe for a terminal: control characters become visible escapes."""

from __future__ import annotations

import re

# C0 controls except tab/newline, DEL, C1 controls, and bidi overrides/isolates that reorder text.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    """Render one unsafe character as a visible escape such as `\\x1b` or `\\u202e`."""
    code = ord(match.group(0))
    if code == 0x0A:
        return "⏎"
    if code == 0x09:
        return " "
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """Return text with every control character shown as a literal escape; newlines and tabs kept."""
    return _UNSAFE.sub(_escape, text)


def one_line(text: str, width: int) -> str:
    """Return a single-line, escaped preview of at most `width` characters."""
    flat = _UNSAFE_ONE_LINE.sub(_escape, text[: width * 4])
    flat = re.sub(r"\s+", " ", flat).strip()
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"


def json_safe(dumped: str) -> str:
    """Escape DEL, C1 controls and bidi overrides that json.dumps leaves raw in its output."""
    return re.sub("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]", lambda m: f"\\u{ord(m.group(0)):04x}", dumped)
