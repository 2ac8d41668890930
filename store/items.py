"""Writing items in bulk and reading them back by id or by keyset-paginated pages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from core.models import Item, StoredItem, Turn
from core.normalize import content_hash

ITEM_COLUMNS = (
    "id, ext_id, kind, origin, split, batch_id, instruction, input, response, "
    "conversation, metadata, status, status_reason, content_hash"
)


def item_hash(item: Item) -> str:
    """Return the content hash of an item: its conversation, or its instruction/input/response."""
    if item.conversation:
        return content_hash(*(f"{t.role}:{t.content}" for t in item.conversation))
    return content_hash(item.instruction, item.input, item.response)


def conversation_json(turns: list[Turn] | None) -> str | None:
    """Serialise conversation turns for the JSON column."""
    if not turns:
        return None
    return json.dumps([{"role": t.role, "content": t.content} for t in turns], ensure_ascii=False)


def insert_items(cur: duckdb.DuckDBPyConnection, batch_id: int | None, items: Sequence[Item]) -> list[int]:
    """Insert items with consecutive ids inside the caller's transaction and return the ids."""
    if not items:
        return []
    rows = cur.execute("SELECT coalesce(max(id), 0) FROM items").fetchall()
    first_id = int(rows[0][0]) + 1
    ids = list(range(first_id, first_id + len(items)))
    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "ext_id": [it.ext_id for it in items],
            "kind": [it.kind for it in items],
            "origin": [it.origin for it in items],
            "split": [it.split for it in items],
            "batch_id": pa.array([batch_id] * len(items), pa.int32()),
            "instruction": [it.instruction for it in items],
            "input": [it.input for it in items],
            "response": [it.response for it in items],
            "conversation": [conversation_json(it.conversation) for it in items],
            "content_hash": [item_hash(it) for it in items],
            "metadata": [json.dumps(it.metadata, ensure_ascii=False) if it.metadata else None for it in items],
        }
    )
    cur.register("_new_items", table)
    try:
        cur.execute(
            "INSERT INTO items (id, ext_id, kind, origin, split, batch_id, instruction, input, "
            "response, conversation, content_hash, metadata) "
            "SELECT id, ext_id, kind, origin, split, batch_id, instruction, input, response, "
            "conversation::JSON, content_hash, metadata::JSON FROM _new_items"
        )
    finally:
        cur.unregister("_new_items")
    return ids


def _row_to_item(row: tuple[Any, ...]) -> StoredItem:
    """Build a StoredItem from a row selected with ITEM_COLUMNS."""
    turns = None
    if row[9]:
        turns = [Turn(str(t.get("role", "")), str(t.get("content", ""))) for t in json.loads(row[9])]
    return StoredItem(
        id=int(row[0]),
        ext_id=row[1],
        kind=row[2],
        origin=row[3],
        split=row[4],
        batch_id=row[5],
        instruction=row[6],
        input=row[7],
        response=row[8],
        conversation=turns,
        metadata=json.loads(row[10]) if row[10] else {},
        status=row[11],
        status_reason=row[12],
        content_hash=row[13],
    )


def get_item(cur: duckdb.DuckDBPyConnection, item_id: int) -> StoredItem | None:
    """Return one item with its current status, or None."""
    row = cur.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", [item_id]).fetchone()
    return _row_to_item(row) if row else None


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """Which items a list shows; every field narrows the set, None means any."""

    status: str | None = None
    batch_id: int | None = None
    origin: str | None = None
    split: str | None = None
    kind: str | None = None
    text: str | None = None
    ids: tuple[int, ...] | None = None

    def where(self) -> tuple[str, list[Any]]:
        """Return a SQL condition and its parameters for this filter."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.ids is not None:
            clauses.append("id IN (SELECT unnest(?::BIGINT[]))")
            params.append(list(self.ids))
        for column in ("status", "batch_id", "origin", "split", "kind"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.text:
            clauses.append(
                "(instruction ILIKE ? ESCAPE '\\' OR input ILIKE ? ESCAPE '\\' OR response ILIKE ? ESCAPE '\\')"
            )
            pattern = "%" + self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params.extend([pattern] * 3)
        return (" AND ".join(clauses) or "TRUE"), params

    def describe(self) -> str:
        """Return a short human description such as `status=pending batch=2`."""
        parts = [f"{k}={getattr(self, k)}" for k in ("status", "batch_id", "origin", "split", "kind", "text")]
        if self.ids is not None:
            parts.append(f"{len(self.ids)} chosen items")
        return " ".join(p for p in parts if not p.endswith("=None")) or "all items"


def list_items(
    cur: duckdb.DuckDBPyConnection,
    flt: ItemFilter,
    *,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[StoredItem]:
    """Return one keyset page of items in id order, after or before a given id."""
    where, params = flt.where()
    if before_id is not None:
        sql = (
            f"SELECT * FROM (SELECT {ITEM_COLUMNS} FROM items WHERE {where} AND id < ? "
            "ORDER BY id DESC LIMIT ?) ORDER BY id"
        )
        rows = cur.execute(sql, [*params, before_id, limit]).fetchall()
    else:
        start = after_id if after_id is not None else 0
        sql = f"SELECT {ITEM_COLUMNS} FROM items WHERE {where} AND id > ? ORDER BY id LIMIT ?"
        rows = cur.execute(sql, [*params, start, limit]).fetchall()
    return [_row_to_item(r) for r in rows]


def count_items(cur: duckdb.DuckDBPyConnection, flt: ItemFilter) -> int:
    """Return how many items match a filter."""
    where, params = flt.where()
    row = cur.execute(f"SELECT count(*) FROM items WHERE {where}", params).fetchone()
    return int(row[0]) if row else 0
