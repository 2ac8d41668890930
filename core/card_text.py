"""Markdown building blocks of the dataset card: escaped text and code blocks, tables, percentages and bars."""

from __future__ import annotations

import re

from core.safe_text import one_line, visible

_MD_INLINE = re.compile(r"([\\`*_\[\]|~#])")


def md_text(text: object, width: int = 200) -> str:
    """Return untrusted text as one escaped Markdown line: controls visible, no HTML, no markup."""
    flat = one_line(str(text), width).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_INLINE.sub(r"\\\1", flat)


def md_code(text: str, info: str = "") -> str:
    """Return untrusted text as a fenced code block longer than any backtick run inside it."""
    body = visible(text.replace("\r\n", "\n"))
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    """Return a Markdown table; cells must already be escaped."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def pct(value: float | None) -> str:
    """Format a proportion as a percentage, or a dash."""
    return "-" if value is None else f"{100 * value:.1f}%"


def block_bar(count: float, largest: float, width: int = 20) -> str:
    """Return a bar of block characters scaled to the largest value."""
    if largest <= 0 or count <= 0:
        return ""
    return "█" * max(1, round(width * count / largest))
