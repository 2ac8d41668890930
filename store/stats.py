"""Totals by status, origin, split, kind and batch: the stable `thresher stats --json` shape."""

from __future__ import annotations

from typing import Any

import duckdb

from core.models import Status
from store.batches import list_batches


def _counts(cur: duckdb.DuckDBPyConnection, column: str) -> dict[str, int]:
    """Return item counts grouped by one column, largest first."""
    rows = cur.execute(f"SELECT {column}, count(*) FROM items GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    return {str(k): int(v) for k, v in rows}


def status_counts(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Return counts for every status, including those with no items."""
    counts = {s.value: 0 for s in Status}
    counts.update(_counts(cur, "status"))
    return counts


def store_stats(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Return the documented stats object: totals by status, origin, split, kind and batch."""
    total_rows = cur.execute("SELECT count(*) FROM items").fetchall()
    per_batch = dict(
        ((int(b), s), int(n))
        for b, s, n in cur.execute(
            "SELECT batch_id, status, count(*) FROM items WHERE batch_id IS NOT NULL GROUP BY 1, 2"
        ).fetchall()
    )
    batches = []
    for b in list_batches(cur):
        by_status = {s.value: per_batch.get((b.id, s.value), 0) for s in Status}
        batches.append(
            {
                "id": b.id,
                "name": b.name,
                "kind": b.kind,
                "source": b.source,
                "format": b.format,
                "status": b.status,
                "rows_ok": b.rows_ok,
                "rows_bad": b.rows_bad,
                "items": sum(by_status.values()),
                "by_status": by_status,
            }
        )
    return {
        "total": int(total_rows[0][0]),
        "by_status": status_counts(cur),
        "by_origin": _counts(cur, "origin"),
        "by_split": _counts(cur, "split"),
        "by_kind": _counts(cur, "kind"),
        "batches": batches,
    }
