"""Run searches: prepare a query against the store, then fetch keyset pages of hits, counts and breakdowns.

Every statement runs on the caller's cursor inside a READ ONLY transaction that is rolled back, over the
`search_items` view (see store/search_guard.py).  Pages scan growing id ranges so the first hits of a
common query come back after reading only the first row groups.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import duckdb

from core.search.ast import And, Like, Node, Not, Or, QueryError, walk
from core.search.library import expand
from core.search.parser import parse
from core.search.record import Record
from core.search.serialize import to_text
from store.search_guard import VIEW_NAME, VIEW_SQL, validate_fragment
from store.search_saved import saved_lookup
from store.search_semantic import EmbedderFactory, resolve_like
from store.search_sql import Params, compile_node

FIRST_SPAN = 32_768
"""Ids covered by the first range a page scans (a quarter of a DuckDB row group); each next range is 4x wider."""
HIT_COLUMNS = ("id, status, batch_id, model, kind, origin, split, instruction, input, response, "
               "conversation, metadata")


class SearchCancelled(Exception):
    """The search was interrupted because a newer one replaced it."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A query ready to run: its resolved tree, the SQL condition and the condition's parameters."""

    node: Node
    text: str
    where: str
    params: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Hit counts of one query: the total and per (batch, model, status) group."""

    total: int
    rows: tuple[tuple[int | None, str | None, str, int], ...] = ()
    by_status: dict[str, int] = field(default_factory=dict)
    by_batch: dict[str, int] = field(default_factory=dict)
    by_model: dict[str, int] = field(default_factory=dict)


@contextmanager
def read_only(cur: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run a block in a READ ONLY transaction that is always rolled back."""
    cur.execute("BEGIN TRANSACTION READ ONLY")
    try:
        yield cur
    finally:
        with suppress(duckdb.Error):
            cur.execute("ROLLBACK")


def _run(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any],
         cancel: threading.Event | None = None) -> list[tuple[Any, ...]]:
    """Execute one statement, mapping interrupts to SearchCancelled and DuckDB errors to QueryError."""
    if cancel is not None and cancel.is_set():
        raise SearchCancelled()
    try:
        return cur.execute(sql, params).fetchall()
    except duckdb.InterruptException:
        raise SearchCancelled() from None
    except duckdb.Error as error:
        if cancel is not None and cancel.is_set():
            raise SearchCancelled() from None
        raise QueryError(str(error).splitlines()[0]) from None


def _select(columns: str, where: str, tail: str = "") -> str:
    """Build a statement over the view."""
    return f"WITH {VIEW_SQL} SELECT {columns} FROM {VIEW_NAME} WHERE {where} {tail}"


def prepare(cur: duckdb.DuckDBPyConnection, query: str | Node, *,
            embedders: EmbedderFactory | None = None) -> Prepared:
    """Parse, expand `lib:`/`saved:` references, resolve semantic terms, vet SQL fragments and compile."""
    node = parse(query) if isinstance(query, str) else query
    text = query if isinstance(query, str) else to_text(query)
    with read_only(cur):
        node = expand(node, saved_lookup(cur))
        if any(isinstance(n, Like) for n in walk(node)):
            node = _resolve(node, cur, embedders)
        params = Params()
        where = compile_node(node, params, lambda fragment: validate_fragment(cur, fragment))
        _run(cur, f"WITH {VIEW_SQL} SELECT count(*) FROM (SELECT * FROM {VIEW_NAME} LIMIT 0) {VIEW_NAME} "
                  f"WHERE {where}", params.values)
    return Prepared(node, text, where, tuple(params.values))


def _resolve(node: Node, cur: duckdb.DuckDBPyConnection, embedders: EmbedderFactory | None) -> Node:
    """Replace semantic terms with the id sets of their nearest neighbours."""
    if isinstance(node, Like):
        return resolve_like(cur, node, embedders)
    if isinstance(node, And | Or):
        return type(node)(tuple(_resolve(c, cur, embedders) for c in node.children))
    if isinstance(node, Not):
        return Not(_resolve(node.child, cur, embedders))
    return node


def _record(row: tuple[Any, ...]) -> Record:
    """Build a Record from a row of HIT_COLUMNS."""
    turns = None
    if row[10]:
        turns = tuple(str(t.get("content", "")) for t in json.loads(row[10]) if isinstance(t, dict))
    return Record(instruction=row[7], input=row[8], response=row[9], turns=turns, metadata=row[11],
                  status=row[1], origin=row[5], split=row[6], kind=row[4], batch_id=row[2], model=row[3],
                  id=int(row[0]))


def _id_bounds(cur: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Return the smallest and largest item id (0, 0 for an empty store)."""
    rows = cur.execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM items").fetchall()
    return int(rows[0][0]), int(rows[0][1])


def page(cur: duckdb.DuckDBPyConnection, prepared: Prepared, *, after_id: int = 0, limit: int = 50,
         cancel: threading.Event | None = None) -> list[Record]:
    """Return up to `limit` hits with id > after_id in id order, scanning ever wider id ranges."""
    hits: list[Record] = []
    params = list(prepared.params)
    n = len(params)
    tail = f"AND id > ${n + 1} AND id <= ${n + 2} ORDER BY id LIMIT ${n + 3}"
    sql = _select(HIT_COLUMNS, prepared.where, tail)
    with read_only(cur):
        low_id, high_id = _id_bounds(cur)
        low, span = max(after_id, low_id - 1), FIRST_SPAN
        while low < high_id and len(hits) < limit:
            high = min(low + span, high_id)
            hits.extend(_record(r) for r in _run(cur, sql, [*params, low, high, limit - len(hits)], cancel))
            low, span = high, span * 4
    return hits


def page_before(cur: duckdb.DuckDBPyConnection, prepared: Prepared, *, before_id: int, limit: int = 50,
                cancel: threading.Event | None = None) -> list[Record]:
    """Return up to `limit` hits with id < before_id, in id order, scanning ever wider ranges backwards."""
    hits: list[Record] = []
    params = list(prepared.params)
    n = len(params)
    tail = f"AND id >= ${n + 1} AND id < ${n + 2} ORDER BY id DESC LIMIT ${n + 3}"
    sql = _select(HIT_COLUMNS, prepared.where, tail)
    with read_only(cur):
        low_id, _ = _id_bounds(cur)
        high, span = before_id, FIRST_SPAN
        while high > low_id and len(hits) < limit:
            low = max(high - span, low_id)
            hits.extend(_record(r) for r in _run(cur, sql, [*params, low, high, limit - len(hits)], cancel))
            high, span = low, span * 4
    return sorted(hits, key=lambda r: r.id)


def count(cur: duckdb.DuckDBPyConnection, prepared: Prepared, *, cancel: threading.Event | None = None) -> int:
    """Return the number of hits in the whole store."""
    with read_only(cur):
        rows = _run(cur, _select("count(*)", prepared.where), list(prepared.params), cancel)
    return int(rows[0][0])


def breakdown(cur: duckdb.DuckDBPyConnection, prepared: Prepared, *,
              cancel: threading.Event | None = None) -> Breakdown:
    """Return hit counts in total and per batch, model and status."""
    with read_only(cur):
        rows = _run(cur, _select("batch_id, model, status, count(*)", prepared.where, "GROUP BY ALL ORDER BY ALL"),
                    list(prepared.params), cancel)
    return summarise([(r[0], r[1], str(r[2]), int(r[3])) for r in rows])


def summarise(rows: list[tuple[int | None, str | None, str, int]]) -> Breakdown:
    """Fold (batch, model, status, n) groups into totals per status, batch and model."""
    by_status: dict[str, int] = {}
    by_batch: dict[str, int] = {}
    by_model: dict[str, int] = {}
    for batch, model, status, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        by_batch[str(batch) if batch is not None else "-"] = by_batch.get(str(batch) if batch is not None else "-",
                                                                            0) + n
        by_model[model or "-"] = by_model.get(model or "-", 0) + n
    return Breakdown(sum(r[3] for r in rows), tuple(rows), by_status, by_batch, by_model)


def iter_records(cur: duckdb.DuckDBPyConnection, *, chunk: int = 50_000) -> Iterator[list[Record]]:
    """Yield every item as Records in id order, a keyset chunk at a time (for the Python reference)."""
    after = 0
    while True:
        rows = cur.execute(_select(HIT_COLUMNS, "id > $1", "ORDER BY id LIMIT $2"), [after, chunk]).fetchall()
        if not rows:
            return
        yield [_record(r) for r in rows]
        after = int(rows[-1][0])


def hit_ids(cur: duckdb.DuckDBPyConnection, prepared: Prepared, *, limit: int | None = None,
            cancel: threading.Event | None = None) -> list[int]:
    """Return the ids of every hit (or the first `limit`) in id order, for bulk actions."""
    tail = "ORDER BY id" + (f" LIMIT {int(limit)}" if limit is not None else "")
    with read_only(cur):
        rows = _run(cur, _select("id", prepared.where, tail), list(prepared.params), cancel)
    return [int(r[0]) for r in rows]
