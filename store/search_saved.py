"""Curators' saved queries in the `saved_searches` table, stored in the structured JSON form."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from core.search.ast import Node, QueryError
from core.search.library import LIBRARY
from core.search.parser import parse
from core.search.serialize import dumps, loads
from store.connection import Store


@dataclass(frozen=True, slots=True)
class SavedQuery:
    """A saved query: its name, its text and when it was saved."""

    name: str
    text: str
    node: Node
    created_at: str


def _valid_name(name: str) -> str:
    """Check a saved-query name: non-empty, no spaces, not a library name."""
    if not name or any(c.isspace() for c in name) or len(name) > 100:
        raise QueryError("a saved query name needs 1-100 characters and no spaces")
    if name in LIBRARY:
        raise QueryError(f"'{name}' is a library query; pick another name")
    return name


def save_query(store: Store, name: str, query: str | Node) -> SavedQuery:
    """Save (or replace) a named query; text is parsed first so only valid queries are stored."""
    node = parse(query) if isinstance(query, str) else query
    document = dumps(node, query if isinstance(query, str) else None)
    with store.transaction() as cur:
        cur.execute("DELETE FROM saved_searches WHERE name = $1", [_valid_name(name)])
        cur.execute("INSERT INTO saved_searches (name, query) VALUES ($1, $2::JSON)", [name, document])
    found = saved_queries(store.cursor(), name)
    return found[0]


def saved_queries(cur: duckdb.DuckDBPyConnection, name: str | None = None) -> list[SavedQuery]:
    """Return every saved query (or the one named), by name."""
    rows = cur.execute(
        "SELECT name, CAST(query AS VARCHAR), strftime(created_at, '%Y-%m-%d %H:%M:%S') FROM saved_searches "
        "WHERE $1::VARCHAR IS NULL OR name = $1 ORDER BY name",
        [name],
    ).fetchall()
    out = []
    for row_name, document, created in rows:
        data = json.loads(document)
        out.append(SavedQuery(str(row_name), str(data.get("text", "")), loads(document), str(created)))
    return out


def delete_saved(store: Store, name: str) -> bool:
    """Delete a saved query; return whether it existed."""
    with store.transaction() as cur:
        rows = cur.execute("DELETE FROM saved_searches WHERE name = $1 RETURNING name", [name]).fetchall()
    return bool(rows)


def saved_lookup(cur: duckdb.DuckDBPyConnection) -> Callable[[str], Node]:
    """Return a function that loads a saved query's tree by name, raising QueryError when missing."""

    def lookup(name: str) -> Node:
        found = saved_queries(cur, name)
        if not found:
            raise QueryError(f"no saved query '{name}'")
        return found[0].node

    return lookup
