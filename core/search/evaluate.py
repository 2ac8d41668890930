"""Evaluate a query tree in Python over Records: the reference the SQL is checked against, and highlighting."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from core.search.ast import (
    DEFAULT_FIELDS,
    And,
    Check,
    Filter,
    Ids,
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
    TextTerm,
)
from core.search.checks import CHECKS
from core.search.record import Record
from core.search.regex import RegexError, compile_python
from core.search.textmatch import text_pattern

Predicate = Callable[[Record], bool]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class Unsupported(QueryError):
    """A term the Python evaluator cannot decide without the store (scores, SQL, saved queries...)."""


def glob_regex(glob: str) -> re.Pattern[str]:
    """Compile a case-insensitive glob where `*` is any run and `?` any one character."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"{body}\\Z", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=512)
def term_regex(term: TextTerm) -> re.Pattern[str]:
    """Return the Python regex of a keyword, phrase or regex term."""
    if isinstance(term, Keyword):
        return re.compile(text_pattern(term.word, prefix=term.prefix).python)
    if isinstance(term, Phrase):
        return re.compile(text_pattern(term.text, phrase=True).python)
    try:
        return compile_python(term.pattern, term.flags)
    except RegexError as error:
        raise Unsupported(str(error)) from None


def field_texts(rec: Record, field: str | None) -> Iterator[tuple[str, int, str]]:
    """Yield (field, turn index, text) for each text a term scoped to `field` searches."""
    for name in (field,) if field else DEFAULT_FIELDS:
        if name == "conversation":
            for index, turn in enumerate(rec.turns or ()):
                yield name, index, turn
        else:
            text = rec.text(name)
            if text is not None:
                yield name, -1, text


def _text(term: TextTerm) -> Predicate:
    """Match a text term against its fields."""
    regex = term_regex(term)
    return lambda rec: any(regex.search(text) for _, _, text in field_texts(rec, term.field))


def _filter(node: Filter) -> Predicate:
    """Decide a structured filter from the record."""
    name, value = node.name, node.value
    if name in ("status", "origin", "split", "kind"):
        return lambda rec: getattr(rec, name) == value
    if name == "batch" and str(value).isdigit():
        return lambda rec: rec.batch_id == int(str(value))
    if name == "model":
        pattern = glob_regex(str(value))
        return lambda rec: rec.model is not None and pattern.match(rec.model) is not None
    if name == "len":
        compare, bound = _OPS[node.op], float(value)
        if node.field == "turns":
            return lambda rec: compare(len(rec.turns or ()), bound)
        field = str(node.field)
        return lambda rec: compare(len(str(getattr(rec, field))), bound)
    raise Unsupported(f"{name}: needs the store")


def predicate(node: Node) -> Predicate:
    """Compile a tree (library references already expanded) into a Python predicate over Records."""
    if isinstance(node, And):
        parts = [predicate(c) for c in node.children]
        return lambda rec: all(p(rec) for p in parts)
    if isinstance(node, Or):
        parts = [predicate(c) for c in node.children]
        return lambda rec: any(p(rec) for p in parts)
    if isinstance(node, Not):
        inner = predicate(node.child)
        return lambda rec: not inner(rec)
    if isinstance(node, Keyword | Phrase | Regex):
        return _text(node)
    if isinstance(node, Filter):
        return _filter(node)
    if isinstance(node, Check):
        return CHECKS[node.name].run
    if isinstance(node, Ids):
        ids = frozenset(node.ids)
        return lambda rec: rec.id in ids
    if isinstance(node, Sql | Like | Ref):
        raise Unsupported(f"{type(node).__name__.lower()} terms need the store")
    raise QueryError(f"unknown node {node!r}")


def positive_terms(node: Node, negated: bool = False) -> Iterator[TextTerm]:
    """Yield the text terms that are not under a NOT: the ones worth highlighting."""
    if isinstance(node, Keyword | Phrase | Regex):
        if not negated:
            yield node
    elif isinstance(node, Not):
        yield from positive_terms(node.child, not negated)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from positive_terms(child, negated)


def highlights(node: Node, rec: Record, field: str) -> list[tuple[int, int]]:
    """Return sorted, merged (start, end) spans in one scalar field that the query's text terms match."""
    text = rec.text(field)
    if not text:
        return []
    spans: list[tuple[int, int]] = []
    for term in positive_terms(node):
        if term.field not in (None, field):
            continue
        try:
            regex = term_regex(term)
        except Unsupported:
            continue
        spans.extend(m.span() for m in regex.finditer(text) if m.end() > m.start())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
