"""Parse the query language into a tree: terms joined by AND (or nothing), OR and NOT, with parentheses.

    refusal AND field:response re:/as an ai/i NOT status:rejected
    "as an ai" OR response:(sorry apologi*) len:response<20 batch:3 model:gpt-4*
"""

from __future__ import annotations

import re
from dataclasses import replace

from core.search.ast import (
    COMPARISONS,
    LEN_FIELDS,
    TEXT_FIELDS,
    And,
    Check,
    Filter,
    Keyword,
    Like,
    Node,
    Not,
    Or,
    Phrase,
    QueryError,
    Ref,
    Regex,
    Sql,
    canonical_field,
)
from core.search.checks import CHECKS
from core.search.lexer import Token, tokenize

_CMP = re.compile(r"^(?P<name>[A-Za-z_][\w.-]*)?\s*(?P<op><=|>=|!=|<|>|=)\s*(?P<num>-?\d+(?:\.\d+)?)$")
_LIKE = re.compile(r"^(?P<target>\d+)(?:~(?P<k>\d+))?$")
_VALUES = {
    "status": ("pending", "accepted", "rejected", "skipped"),
    "origin": ("synthetic", "real"),
    "split": ("train", "heldout"),
}
REGEX_FLAGS = "ims"
MAX_LIKE_K = 10_000


def scoped(node: Node, field: str) -> Node:
    """Give every unscoped text term under `node` the field `field`."""
    if isinstance(node, Keyword | Phrase | Regex):
        return node if node.field else replace(node, field=field)
    if isinstance(node, And):
        return And(tuple(scoped(c, field) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(scoped(c, field) for c in node.children))
    if isinstance(node, Not):
        return Not(scoped(node.child, field))
    return node


def _comparison(text: str, what: str) -> tuple[str, str, float]:
    """Split `name>=3` into (name, op, 3.0)."""
    found = _CMP.match(text)
    if not found:
        raise QueryError(f"'{what}:{text}' should look like {what}:NAME>=N (operators {' '.join(COMPARISONS)})")
    return found.group("name") or "", found.group("op"), float(found.group("num"))


def _like(token: Token) -> Like:
    """Build a semantic term from `like:ID`, `like:ID~K` or `like:"text"~K`."""
    if token.kind == "quoted":
        k = int(token.suffix[1:]) if token.suffix[1:] else 50
        if not token.value.strip():
            raise QueryError("like: needs an item id or a description")
        return Like(token.value, _check_k(k))
    found = _LIKE.match(token.value)
    if not found:
        raise QueryError(f"'like:{token.value}' should be like:ITEM_ID, like:ITEM_ID~K or like:\"description\"")
    return Like(int(found.group("target")), _check_k(int(found.group("k") or 50)))


def _check_k(k: int) -> int:
    """Validate the neighbour count of a semantic term."""
    if not 1 <= k <= MAX_LIKE_K:
        raise QueryError(f"like: neighbour count must be 1..{MAX_LIKE_K}")
    return k


def _text_term(token: Token, field: str | None) -> Node:
    """Build a keyword or phrase term."""
    if token.kind == "quoted":
        if not token.value.strip():
            raise QueryError("empty phrase")
        return Phrase(token.value, field)
    word = token.value
    prefix = word.endswith("*") and len(word) > 1
    return Keyword(word[:-1] if prefix else word, field, prefix)


def _filter(key: str, value: str) -> Node:
    """Build a structured filter from `key:value`."""
    if key in _VALUES:
        if value.lower() not in _VALUES[key]:
            raise QueryError(f"{key}: must be one of {', '.join(_VALUES[key])}")
        return Filter(key, value.lower())
    if key == "batch":
        return Filter("batch", value)
    if key in ("kind", "model"):
        return Filter(key, value)
    if key == "len":
        field, op, number = _comparison(value, "len")
        field = canonical_field(field) if field and field != "turns" else (field or "response")
        if field not in LEN_FIELDS:
            raise QueryError(f"len: measures {', '.join(LEN_FIELDS)}")
        return Filter("len", number, op, field)
    if key == "score":
        scorer, op, number = _comparison(value, "score")
        if not scorer:
            raise QueryError("score: needs a scorer name, e.g. score:refusal>=0.5")
        return Filter("score", number, op, scorer)
    if key == "flag":
        return Filter("flag", value)
    if key == "check":
        if value not in CHECKS:
            raise QueryError(f"unknown check '{value}' (checks: {', '.join(CHECKS)})")
        return Check(value)
    raise QueryError(f"unknown prefix '{key}:'; put the text in quotes to search for it")


def term(token: Token) -> Node:
    """Build the node for one term token."""
    if token.kind == "regex":
        if not token.value:
            raise QueryError("empty regex")
        bad = set(token.flags) - set(REGEX_FLAGS)
        if bad:
            raise QueryError(f"unknown regex flag(s) {''.join(sorted(bad))}; use {REGEX_FLAGS}")
        field = canonical_field(token.key) if token.key else None
        return Regex(token.value, "".join(sorted(set(token.flags))), field)
    key = token.key
    if key is None:
        return _text_term(token, None)
    if key in TEXT_FIELDS or key in ("turn", "turns", "meta", "prompt"):
        return _text_term(token, canonical_field(key))
    if key == "sql":
        if not token.value.strip():
            raise QueryError("sql: needs a WHERE expression")
        return Sql(token.value)
    if key == "like":
        return _like(token)
    if key in ("lib", "saved"):
        return Ref(key, token.value)
    return _filter(key, token.value)


class _Parser:
    """Recursive descent over the token list."""

    def __init__(self, tokens: list[Token]) -> None:
        """Start at the first token."""
        self.tokens = tokens
        self.index = 0

    def peek(self) -> Token | None:
        """Return the next token without consuming it."""
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        """Consume and return the next token."""
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse_or(self) -> Node:
        """or := and ('OR' and)*"""
        parts = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Or(tuple(_flatten(parts, Or)))

    def parse_and(self) -> Node:
        """and := unary (['AND'] unary)*"""
        parts = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.take()
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else And(tuple(_flatten(parts, And)))

    def parse_unary(self) -> Node:
        """unary := 'NOT' unary | atom"""
        token = self.peek()
        if token is None:
            raise QueryError("query ends where a term was expected")
        if token.kind == "NOT":
            self.take()
            return Not(self.parse_unary())
        return self.parse_atom()

    def parse_atom(self) -> Node:
        """atom := '(' or ')' | scope atom | term"""
        token = self.take()
        if token.kind == "(":
            inner = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise QueryError(f"unclosed parenthesis at column {token.pos + 1}")
            self.take()
            return inner
        if token.kind in ("AND", "OR", ")"):
            raise QueryError(f"unexpected '{token.kind}' at column {token.pos + 1}")
        if token.kind == "scope" or (token.kind == "word" and token.key == "field"):
            field = canonical_field(token.value if token.key == "field" else str(token.key))
            if self.peek() is None:
                raise QueryError(f"field scope at column {token.pos + 1} needs a term after it")
            return scoped(self.parse_unary(), field)
        return term(token)


def _flatten(parts: list[Node], kind: type[And] | type[Or]) -> list[Node]:
    """Merge nested nodes of the same combinator into one list of children."""
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.children if isinstance(part, kind) else [part])
    return flat


def parse(text: str) -> Node:
    """Parse query text into a tree, raising QueryError with the reason and column."""
    tokens = tokenize(text)
    if not tokens:
        raise QueryError("empty query")
    parser = _Parser(tokens)
    node = parser.parse_or()
    if parser.peek() is not None:
        stray = parser.take()
        raise QueryError(f"unexpected '{stray.kind}' at column {stray.pos + 1}")
    return node
