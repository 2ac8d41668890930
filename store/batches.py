"""Batches: one row per import or generation run, with its provenance and counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """A batch with its provenance and live item counts."""

    id: int
    name: str
    kind: str
    source: str | None
    format: str | None
    status: str
    rows_total: int
    rows_ok: int
    rows_bad: int
    started_at: str
    finished_at: str | None
    params: dict[str, Any]


def create_batch(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    kind: str,
    *,
    source: str | None = None,
    fmt: str | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """Insert a running batch and return its id."""
    rows = cur.execute(
        "INSERT INTO batches (name, kind, source, format, params) VALUES (?, ?, ?, ?, ?::JSON) RETURNING id",
        [name, kind, source, fmt, json.dumps(params or {})],
    ).fetchall()
    return int(rows[0][0])


def finish_batch(
    cur: duckdb.DuckDBPyConnection,
    batch_id: int,
    *,
    status: str = "done",
    rows_total: int | None = None,
    rows_ok: int | None = None,
    rows_bad: int | None = None,
) -> None:
    """Mark a batch finished (or failed/cancelled) and record its row counts."""
    cur.execute(
        "UPDATE batches SET status = ?, finished_at = current_timestamp, "
        "rows_total = coalesce(?, rows_total), rows_ok = coalesce(?, rows_ok), "
        "rows_bad = coalesce(?, rows_bad) WHERE id = ?",
        [status, rows_total, rows_ok, rows_bad, batch_id],
    )


def list_batches(cur: duckdb.DuckDBPyConnection) -> list[BatchInfo]:
    """Return every batch, oldest first."""
    rows = cur.execute(
        "SELECT id, name, kind, source, format, status, rows_total, rows_ok, rows_bad, "
        "strftime(started_at, '%Y-%m-%d %H:%M:%S'), strftime(finished_at, '%Y-%m-%d %H:%M:%S'), params "
        "FROM batches ORDER BY id"
    ).fetchall()
    return [
        BatchInfo(
            id=r[0], name=r[1], kind=r[2], source=r[3], format=r[4], status=r[5],
            rows_total=r[6] or 0, rows_ok=r[7] or 0, rows_bad=r[8] or 0,
            started_at=r[9], finished_at=r[10], params=json.loads(r[11]) if r[11] else {},
        )
        for r in rows
    ]
