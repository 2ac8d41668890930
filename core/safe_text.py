"""Make untrusted text safe for a terminal: control and invisible characters become visible escapes."""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0 controls except tab and newline, DEL and C1 controls, lone surrogates, and every Unicode format
# (Cf) or line/paragraph separator (Zl/Zp) character except ZWNJ/ZWJ, which join emoji and scripts.
# Bidi overrides, zero-width spaces and invisible "tag" characters are all in here.
_UNSAFE_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_UNSAFE_ONE_LINE = re.compile(f"[{_UNSAFE_CLASS}\t\n]")
TAB_SPACES = "    "
NEWLINE_MARK = "⏎"


def escape_char(char: str) -> str:
    """Return the visible escape for one unsafe character, e.g. `\\x1b`, `\\u202e` or `\\U000e0041`."""
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape(match: re.Match[str]) -> str:
    """Render one matched character: newline as ⏎, tab as a space, anything else as an escape."""
    char = match.group(0)
    if char == "\n":
        return NEWLINE_MARK
    if char == "\t":
        return " "
    return escape_char(char)


def is_safe(text: str) -> bool:
    """Return True when the text holds no character that needs escaping (tabs and newlines are fine)."""
    return _UNSAFE.search(text) is None


def visible(text: str) -> str:
    """Return text with every control or invisible character shown as a literal escape; newlines and tabs kept."""
    return _UNSAFE.sub(_escape, text)


def flat_segment(text: str) -> str:
    """Return text escaped onto one line with whitespace runs collapsed, keeping its edge spaces."""
    return re.sub(r"\s+", " ", _UNSAFE_ONE_LINE.sub(_escape, text))


def one_line(text: str, width: int) -> str:
    """Return a single-line, escaped preview of at most `width` characters."""
    flat = flat_segment(text[: width * 4]).strip()
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"


def json_safe(dumped: str) -> str:
    """Escape DEL, C1 controls and bidi overrides that json.dumps leaves raw in its output."""
    return re.sub("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]", lambda m: f"\\u{ord(m.group(0)):04x}", dumped)


@dataclass(frozen=True, slots=True)
class Span:
    """A run of display text; `escape` marks a visible escape standing for one unsafe character."""

    text: str
    escape: bool = False


def safe_spans(text: str) -> list[Span]:
    """Split multi-line text into literal runs and visible escapes (tabs become spaces), ready to style."""
    text = text.replace("\r\n", "\n").replace("\t", TAB_SPACES)
    spans: list[Span] = []
    position = 0
    for match in _UNSAFE.finditer(text):
        if match.start() > position:
            spans.append(Span(text[position : match.start()]))
        spans.append(Span(escape_char(match.group(0)), True))
        position = match.end()
    if position < len(text):
        spans.append(Span(text[position:]))
    return spans


def clip(text: str, limit: int) -> tuple[str, int]:
    """Return at most `limit` characters of text and how many were left out."""
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit
