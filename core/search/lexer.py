"""Split query text into tokens: parentheses, operators, quoted phrases, regexes and `key:value` terms."""

from __future__ import annotations

from dataclasses import dataclass

from core.search.ast import QueryError

OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical unit; `kind` is `(`, `)`, `AND`, `OR`, `NOT`, `word`, `quoted`, `regex` or `scope`."""

    kind: str
    value: str = ""
    key: str | None = None
    flags: str = ""
    suffix: str = ""
    pos: int = 0


class _Lexer:
    """A single pass over the query text."""

    def __init__(self, text: str) -> None:
        """Start at the beginning of `text`."""
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []

    def peek(self, offset: int = 0) -> str:
        """Return the character at the cursor plus offset, or '' past the end."""
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def run(self) -> list[Token]:
        """Tokenise the whole text."""
        while self.pos < len(self.text):
            char = self.peek()
            if char.isspace():
                self.pos += 1
            elif char in "()":
                self.tokens.append(Token(char, pos=self.pos))
                self.pos += 1
            elif char == "-" and self.peek(1) not in ("", " ", "\t", "\n", ")") and not self._prev_is_term_char():
                self.tokens.append(Token("NOT", pos=self.pos))
                self.pos += 1
            else:
                self.term()
        return self.tokens

    def _prev_is_term_char(self) -> bool:
        """Return True when the character before the cursor belongs to a term (so `-` is literal)."""
        return self.pos > 0 and not self.text[self.pos - 1].isspace() and self.text[self.pos - 1] not in "()"

    def quoted(self) -> str:
        """Read a double-quoted string at the cursor; `\\"` and `\\\\` are escapes."""
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\" and self.peek(1) in ('"', "\\"):
                out.append(self.peek(1))
                self.pos += 2
            elif char == '"':
                self.pos += 1
                return "".join(out)
            else:
                out.append(char)
                self.pos += 1
        raise QueryError(f"unclosed quote starting at column {start + 1}")

    def regex(self) -> tuple[str, str]:
        """Read `/pattern/flags` at the cursor; `\\/` stands for a slash inside the pattern."""
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\" and self.peek(1):
                out.append("/" if self.peek(1) == "/" else char + self.peek(1))
                self.pos += 2
            elif char == "/":
                self.pos += 1
                flags_start = self.pos
                while self.peek().isalpha():
                    self.pos += 1
                return "".join(out), self.text[flags_start : self.pos]
            else:
                out.append(char)
                self.pos += 1
        raise QueryError(f"unclosed regex starting at column {start + 1}")

    def suffix(self) -> str:
        """Read an optional `~N` suffix after a quoted value."""
        if self.peek() != "~":
            return ""
        start = self.pos
        self.pos += 1
        while self.peek().isdigit():
            self.pos += 1
        return self.text[start : self.pos]

    def bare(self) -> str:
        """Read characters up to whitespace or a parenthesis."""
        start = self.pos
        while self.pos < len(self.text) and not self.peek().isspace() and self.peek() not in "()":
            self.pos += 1
        return self.text[start : self.pos]

    def key(self) -> str | None:
        """Consume and return `key` when the cursor is at `key:` (letters and underscores), else None."""
        end = self.pos
        while end < len(self.text) and (self.text[end].isalpha() or self.text[end] == "_"):
            end += 1
        if end > self.pos and end < len(self.text) and self.text[end] == ":":
            key = self.text[self.pos : end].lower()
            self.pos = end + 1
            return key
        return None

    def term(self) -> None:
        """Read one term, with up to two `key:` prefixes such as `response:re:/x/`."""
        start = self.pos
        keys: list[str] = []
        while len(keys) < 2:
            key = self.key()
            if key is None:
                break
            keys.append(key)
            if key == "re":
                break
        if keys and keys[-1] == "re":
            field = keys[0] if len(keys) == 2 else None
            if self.peek() == "/":
                pattern, flags = self.regex()
            elif self.peek() == '"':
                pattern, flags = self.quoted(), ""
            else:
                pattern, flags = self.bare(), ""
            self.tokens.append(Token("regex", pattern, field, flags, pos=start))
            return
        if len(keys) == 2:
            raise QueryError(f"unexpected '{keys[1]}:' after '{keys[0]}:' at column {start + 1}")
        key = keys[0] if keys else None
        if key is not None and self.peek() == "(":
            self.tokens.append(Token("scope", key=key, pos=start))
            return
        if self.peek() == '"':
            value = self.quoted()
            self.tokens.append(Token("quoted", value, key, suffix=self.suffix(), pos=start))
            return
        value = self.bare()
        if key is None and value.upper() in OPERATORS and value.isupper():
            self.tokens.append(Token(value, pos=start))
            return
        if key is not None and not value:
            raise QueryError(f"'{key}:' needs a value at column {start + 1}")
        self.tokens.append(Token("word", value, key, pos=start))


def tokenize(text: str) -> list[Token]:
    """Split query text into tokens, raising QueryError for unclosed quotes or regexes."""
    return _Lexer(text).run()
