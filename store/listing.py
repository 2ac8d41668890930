"""Windowed reading for list views: light rows keyset-paginated over a filter, a sticky queue or an audit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import duckdb

from store.items import ItemFilter

PREVIEW_CHARS = 240
_PREVIEW = (
    f"left(CASE WHEN i.instruction <> '' THEN i.instruction "
    f"ELSE coalesce(json_extract_string(i.conversation, '$[0].content'), i.response) END, {PREVIEW_CHARS})"
)


@dataclass(frozen=True, slots=True)
class ListRow:
    """One list line: its sort key, the item's identity, status and a short preview (no full text)."""

    key: int
    id: int
    status: str
    status_reason: str | None
    kind: str
    origin: str
    split: str
    batch_id: int | None
    preview: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListSpec:
    """What a list shows: filtered items (sticky since a log mark) or the items of one audit in order."""

    flt: ItemFilter = ItemFilter()
    since_group: int | None = None
    audit_id: int | None = None

    def describe(self) -> str:
        """Return a short human description of the list."""
        return f"audit {self.audit_id}" if self.audit_id is not None else self.flt.describe()


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """The values a filter can choose from in this store."""

    batches: list[tuple[int, str]]
    kinds: list[str]
    origins: list[str]
    splits: list[str]


def _parts(spec: ListSpec) -> tuple[str, str, str, list[Any]]:
    """Return the key expression, FROM clause, WHERE clause and parameters for a list."""
    if spec.audit_id is not None:
        return "ai.position", "audit_items ai JOIN items i ON i.id = ai.item_id", "ai.audit_id = ?", [spec.audit_id]
    where, params = replace(spec.flt, status=None).where()
    if spec.flt.status is not None:
        if spec.since_group is not None:
            where += " AND (status = ? OR status_group > ?)"
            params = [*params, spec.flt.status, spec.since_group]
        else:
            where += " AND status = ?"
            params = [*params, spec.flt.status]
    return "i.id", "items i", where, params


def _rows(raw: list[tuple[Any, ...]]) -> list[ListRow]:
    """Build ListRows from selected tuples."""
    return [ListRow(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8] or "") for r in raw]


def _select(key: str, source: str) -> str:
    """Return the SELECT list and FROM clause shared by page queries."""
    return (
        f"SELECT {key} AS k, i.id, i.status, i.status_reason, i.kind, i.origin, i.split, i.batch_id, "
        f"{_PREVIEW} FROM {source}"
    )


def page(
    cur: duckdb.DuckDBPyConnection,
    spec: ListSpec,
    *,
    after: int | None = None,
    before: int | None = None,
    from_end: bool = False,
    limit: int = 100,
) -> list[ListRow]:
    """Return one page in key order: after a key, before a key, from the start, or the last page."""
    key, source, where, params = _parts(spec)
    head = _select(key, source)
    if before is not None or from_end:
        bound = f" AND {key} < ?" if before is not None else ""
        sql = f"SELECT * FROM ({head} WHERE {where}{bound} ORDER BY k DESC LIMIT ?) ORDER BY k"
        args = [*params, *([before] if before is not None else []), limit]
    else:
        sql = f"{head} WHERE {where} AND {key} > ? ORDER BY k LIMIT ?"
        args = [*params, after if after is not None else -1, limit]
    return _rows(cur.execute(sql, args).fetchall())


def page_at(cur: duckdb.DuckDBPyConnection, spec: ListSpec, offset: int, limit: int = 100) -> list[ListRow]:
    """Return the page starting at a row offset (a scan; used only for far jumps)."""
    key, source, where, params = _parts(spec)
    sql = f"{_select(key, source)} WHERE {where} ORDER BY k LIMIT ? OFFSET ?"
    return _rows(cur.execute(sql, [*params, limit, max(offset, 0)]).fetchall())


def count(cur: duckdb.DuckDBPyConnection, spec: ListSpec) -> int:
    """Return how many rows the list has."""
    _key, source, where, params = _parts(spec)
    return int(cur.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchall()[0][0])


def index_of(cur: duckdb.DuckDBPyConnection, spec: ListSpec, key_value: int) -> int:
    """Return the 0-based position of a key in the list (how many rows sort before it)."""
    key, source, where, params = _parts(spec)
    sql = f"SELECT count(*) FROM {source} WHERE {where} AND {key} < ?"
    return int(cur.execute(sql, [*params, key_value]).fetchall()[0][0])


def like_pattern(text: str) -> str:
    """Return an ILIKE pattern (escape character backslash) matching `text` anywhere."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def find(
    cur: duckdb.DuckDBPyConnection,
    spec: ListSpec,
    text: str,
    *,
    after: int | None = None,
    before: int | None = None,
) -> int | None:
    """Return the key of the nearest row after (or before) a key whose text contains `text`, any case."""
    key, source, where, params = _parts(spec)
    match = " OR ".join(
        f"{col} ILIKE ? ESCAPE '\\'"
        for col in ("i.instruction", "i.input", "i.response", "CAST(i.conversation AS VARCHAR)")
    )
    pattern = like_pattern(text)
    if before is not None:
        bound, order, edge = f"{key} < ?", "DESC", before
    else:
        bound, order, edge = f"{key} > ?", "ASC", after if after is not None else -1
    sql = f"SELECT {key} FROM {source} WHERE {where} AND {bound} AND ({match}) ORDER BY {key} {order} LIMIT 1"
    rows = cur.execute(sql, [*params, edge, *([pattern] * 4)]).fetchall()
    return int(rows[0][0]) if rows else None


def statuses(cur: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Return the current (status, reason) of the given items."""
    if not ids:
        return {}
    rows = cur.execute(
        "SELECT id, status, status_reason FROM items WHERE id IN (SELECT unnest(?))", [ids]
    ).fetchall()
    return {int(r[0]): (r[1], r[2]) for r in rows}


def log_mark(cur: duckdb.DuckDBPyConnection) -> int:
    """Return the newest decision-log id: rows decided after it stay in a sticky list."""
    return int(cur.execute("SELECT coalesce(max(id), 0) FROM decisions").fetchall()[0][0])


def filter_options(cur: duckdb.DuckDBPyConnection) -> FilterOptions:
    """Return the batches, kinds, origins and splits present in the store."""

    def distinct(column: str) -> list[str]:
        """Return the distinct values of one items column, sorted."""
        return [str(r[0]) for r in cur.execute(f"SELECT DISTINCT {column} FROM items ORDER BY 1").fetchall()]

    batches = [(int(r[0]), str(r[1])) for r in cur.execute("SELECT id, name FROM batches ORDER BY id").fetchall()]
    return FilterOptions(batches, distinct("kind"), distinct("origin"), distinct("split"))
