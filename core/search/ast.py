"""The query tree: immutable nodes for text terms, filters, checks and the AND / OR / NOT combinators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

TEXT_FIELDS = ("instruction", "input", "response", "conversation", "metadata")
"""Fields a text term can be scoped to; `conversation` means any turn of a conversation."""

DEFAULT_FIELDS = ("instruction", "input", "response", "conversation")
"""Fields an unscoped text term searches."""

FIELD_ALIASES = {"turn": "conversation", "turns": "conversation", "meta": "metadata", "prompt": "instruction"}

LEN_FIELDS = ("instruction", "input", "response", "turns")
"""Things `len:` can measure: characters of a field, or the number of conversation turns."""

EQ_FILTERS = ("status", "origin", "split", "kind", "batch", "model")
"""Filters that compare one column with a value."""

COMPARISONS = ("<=", ">=", "!=", "<", ">", "=")


class QueryError(ValueError):
    """A query that cannot be parsed, compiled or run, with a one-line reason."""


@dataclass(frozen=True, slots=True)
class Keyword:
    """A whole word (or a word prefix when `prefix`), case- and accent-insensitive."""

    word: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words in sequence separated by any whitespace, case- and accent-insensitive."""

    text: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Regex:
    """An RE2 regular expression with optional flags `i` (ignore case), `s` (dot matches newline), `m`."""

    pattern: str
    flags: str = ""
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Filter:
    """A structured condition: status, origin, split, kind, batch, model, len, score or flag."""

    name: str
    value: str | float
    op: str = "="
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """A named computed check such as `repetition` or `math_mismatch`."""

    name: str


@dataclass(frozen=True, slots=True)
class Sql:
    """A read-only SQL WHERE fragment over the `search_items` view."""

    fragment: str


@dataclass(frozen=True, slots=True)
class Like:
    """Semantic "more like this": the `k` nearest neighbours of an item id or of a free-text description."""

    target: int | str
    k: int = 50


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a library query (`lib`) or a saved query (`saved`) by name."""

    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class And:
    """Every child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not match."""

    child: Node


@dataclass(frozen=True, slots=True)
class Ids:
    """A fixed set of item ids, produced when a semantic term is resolved against the store."""

    ids: tuple[int, ...]


Node = Union[Keyword, Phrase, Regex, Filter, Check, Sql, Like, Ref, And, Or, Not, Ids]  # noqa: UP007
TextTerm = Union[Keyword, Phrase, Regex]  # noqa: UP007


def canonical_field(name: str) -> str:
    """Return the canonical text field for a name or alias, or raise QueryError."""
    field = FIELD_ALIASES.get(name.lower(), name.lower())
    if field not in TEXT_FIELDS:
        raise QueryError(f"unknown field '{name}' (fields: {', '.join(TEXT_FIELDS)})")
    return field


def children(node: Node) -> tuple[Node, ...]:
    """Return the direct children of a node (empty for terms)."""
    if isinstance(node, And | Or):
        return node.children
    if isinstance(node, Not):
        return (node.child,)
    return ()


def walk(node: Node) -> list[Node]:
    """Return the node and all its descendants, depth first."""
    found = [node]
    for child in children(node):
        found.extend(walk(child))
    return found
