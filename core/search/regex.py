"""RE2 patterns (what DuckDB runs) translated to Python's `re`, so hits can be highlighted and re-checked.

RE2's `\\w \\d \\s \\b` are ASCII-only and its `$` (without `m`) matches only at the very end, while Python's
are Unicode-aware and match before a final newline; the translation spells the RE2 meaning out.
Constructs with no Python equivalent (`\\pL`, `\\Q..\\E`, POSIX classes) raise RegexError.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = "A-Za-z0-9_"
_SPACE = "\\t\\n\\f\\r "
_OUTSIDE = {
    "w": "(?a:\\w)",
    "W": "(?a:\\W)",
    "d": "[0-9]",
    "D": "[^0-9]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "b": "(?a:\\b)",
    "B": "(?a:\\B)",
    "z": "\\Z",
}
"""RE2 escapes outside a class and their Python spelling; `(?a:...)` scopes ASCII matching to one escape."""
_INSIDE = {"w": _WORD, "d": "0-9", "s": _SPACE}
_UNSUPPORTED = set("pPQEC")
_HEX = re.compile(r"\{([0-9A-Fa-f]{1,6})\}")
_INLINE_M = re.compile(r"\(\?[a-zA-Z]*m")


class RegexError(ValueError):
    """A pattern that cannot be translated to or compiled by Python's `re`."""


def re2_prefix(flags: str) -> str:
    """Return the inline flag group that gives an RE2 pattern the term's flags."""
    return f"(?{flags})" if flags else ""


def _hex_escape(pattern: str, index: int) -> tuple[str, int]:
    """Translate RE2's `\\x{HHHH}` at `index` (pointing at `x`) into a Python escape."""
    found = _HEX.match(pattern, index + 1)
    if not found:
        return "\\x", index + 1
    code = int(found.group(1), 16)
    escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return escape, found.end()


def to_python(pattern: str, flags: str = "") -> str:
    """Translate an RE2 pattern into a Python pattern with the same matches."""
    multiline = "m" in flags or bool(_INLINE_M.search(pattern))
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            nxt = pattern[index + 1]
            if nxt == "x":
                escape, index = _hex_escape(pattern, index + 1)
                out.append(escape)
                continue
            if in_class:
                if nxt in _INSIDE:
                    out.append(_INSIDE[nxt])
                elif nxt in _UNSUPPORTED or nxt in "WDSbB":
                    raise RegexError(f"\\{nxt} inside a class has no Python equivalent")
                else:
                    out.append(char + nxt)
            elif nxt in _OUTSIDE:
                out.append(_OUTSIDE[nxt])
            elif nxt in _UNSUPPORTED:
                raise RegexError(f"\\{nxt} has no Python equivalent")
            else:
                out.append(char + nxt)
            index += 2
            continue
        if in_class:
            if char == "[" and pattern.startswith("[:", index):
                raise RegexError("POSIX classes like [:alpha:] have no Python equivalent")
            if char == "]":
                in_class = False
            out.append(char)
        elif char == "[":
            in_class = True
            start = index + 1 + (pattern.startswith("^", index + 1))
            out.append(pattern[index:start])
            index = start
            if pattern.startswith("]", index):
                out.append("\\]")
                index += 1
            continue
        elif char == "$" and not multiline:
            out.append("\\Z")
        elif pattern.startswith("(?<", index) and not pattern.startswith(("(?<=", "(?<!"), index):
            out.append("(?P<")
            index += 3
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_python(pattern: str, flags: str = "") -> re.Pattern[str]:
    """Compile an RE2 pattern with term flags as a Python regex, raising RegexError if impossible."""
    py_flags = 0
    for flag, value in (("i", re.IGNORECASE), ("s", re.DOTALL), ("m", re.MULTILINE)):
        if flag in flags:
            py_flags |= value
    try:
        return re.compile(to_python(pattern, flags), py_flags)
    except re.error as error:
        raise RegexError(f"Python cannot compile /{pattern}/: {error}") from None
