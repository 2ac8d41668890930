"""Keyword and phrase terms as regular expressions that ignore case and accents, for RE2 and for Python.

A needle is folded (accents stripped, lower-cased); each folded character then becomes a class of every
character that folds to it, so `cafe` matches `Café`, `CAFÉ` and a decomposed `cafe\u0301` alike, and
no per-row normalisation of the stored text is needed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_LATIN_RANGES = ((0x00C0, 0x0250), (0x1E00, 0x1F00), (0x2C60, 0x2C80), (0xA720, 0xA800))
_PUNCT_VARIANTS = {"'": "'\u2018\u2019\u02bc", '"': '"\u201c\u201d', "-": "-\u2010\u2011"}
_PUNCT_FOLD = {v: k for k, vs in _PUNCT_VARIANTS.items() for v in vs}
_RE_SPECIAL = set("\\.^$|?*+()[]{}/-#&~ \t\n\r\f\v")
WHITESPACE = " \t\n\r\f\v\u00a0"


def fold(text: str) -> str:
    """Strip accents and lower-case: `Crème Brûlée` becomes `creme brulee`."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return "".join(_PUNCT_FOLD.get(c, c) for c in unicodedata.normalize("NFC", stripped))


@lru_cache(maxsize=1)
def _variants() -> dict[str, frozenset[str]]:
    """Map each folded character to every Latin character that folds to it."""
    table: dict[str, set[str]] = {}
    for low, high in _LATIN_RANGES:
        for code in range(low, high):
            char = chr(code)
            folded = fold(char)
            if len(folded) == 1 and folded != char:
                table.setdefault(folded, set()).add(char)
    return {k: frozenset(v) for k, v in table.items()}


def char_class(char: str) -> frozenset[str]:
    """Return every character that matches one folded needle character."""
    members = {char}
    if char in _PUNCT_VARIANTS:
        members.update(_PUNCT_VARIANTS[char])
    upper = char.upper()
    if len(upper) == 1:
        members.add(upper)
    members.update(_variants().get(char, ()))
    return frozenset(members)


def _literal(char: str, dialect: str) -> str:
    """Escape one character for use inside or outside a character class."""
    if char in _RE_SPECIAL or not char.isprintable():
        code = ord(char)
        if code < 0x100:
            return f"\\x{code:02x}"
        if dialect == "re2":
            return f"\\x{{{code:x}}}"
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def _class_regex(members: frozenset[str], dialect: str) -> str:
    """Render a set of characters as a regex class, or a single literal."""
    if len(members) == 1:
        return _literal(next(iter(members)), dialect)
    return "[" + "".join(_literal(c, dialect) for c in sorted(members)) + "]"


def _is_word(char: str) -> bool:
    """Return True for letters, digits and underscore (the characters that make up words)."""
    return char.isalnum() or char == "_"


@dataclass(frozen=True, slots=True)
class TextPattern:
    """A compiled keyword or phrase: regexes per dialect plus an ASCII substring every ASCII hit contains."""

    re2: str
    python: str
    ascii_hint: str | None
    ascii_possible: bool


def _boundaries(dialect: str) -> tuple[str, str]:
    """Return the (before, after) word-boundary guards for a dialect."""
    if dialect == "re2":
        return r"(?:^|[^\pL\pN_])", r"(?:$|[^\pL\pN_])"
    return r"(?<!\w)", r"(?!\w)"


def _render(words: list[str], prefix: bool, dialect: str) -> str:
    """Render folded words as one regex with flexible whitespace and whole-word guards."""
    marks = r"[\x{300}-\x{36f}]*" if dialect == "re2" else "[\u0300-\u036f]*"
    space = "[" + "".join(_literal(c, dialect) for c in WHITESPACE) + "]+"
    parts = []
    for word in words:
        rendered = []
        for char in word:
            rendered.append(_class_regex(char_class(char), dialect))
            if char.isalpha():
                rendered.append(marks)
        parts.append("".join(rendered))
    body = space.join(parts)
    before, after = _boundaries(dialect)
    first, last = words[0][0], words[-1][-1]
    return (before if _is_word(first) else "") + body + (after if _is_word(last) and not prefix else "")


def _ascii_hint(words: list[str]) -> tuple[str | None, bool]:
    """Return the longest ASCII run that every ASCII-only hit must contain, and whether such a hit can exist."""
    best = ""
    for word in words:
        for char in word:
            if not any(m.isascii() for m in char_class(char)):
                return None, False
        for piece in word.replace("%", " ").replace("_", " ").split():
            if piece.isascii() and len(piece) > len(best):
                best = piece
    return best or None, True


@lru_cache(maxsize=512)
def text_pattern(text: str, *, phrase: bool = False, prefix: bool = False) -> TextPattern:
    """Compile a keyword (one token) or a phrase (whitespace-separated words) into a TextPattern."""
    folded = fold(text)
    words = folded.split() if phrase else ["".join(folded.split())]
    words = [w for w in words if w]
    if not words:
        raise ValueError("empty search text")
    hint, possible = _ascii_hint(words)
    return TextPattern(_render(words, prefix, "re2"), _render(words, prefix, "python"), hint, possible)
