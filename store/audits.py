"""Audits: a fixed random sample of items reviewed one by one, with progress that survives restarts."""

from __future__ import annotations

import random
from dataclasses import dataclass

import duckdb

from store.connection import Store, StoreError
from store.settings import get_setting, put_setting

DEFAULT_AUDIT_SIZE = 500
_REVIEW_ACTIONS = ("accept", "reject", "skip", "redo")


@dataclass(frozen=True, slots=True)
class AuditInfo:
    """One audit: its sample size, scope (a batch or the whole store) and the decision log mark it started at."""

    id: int
    name: str
    batch_id: int | None
    size: int
    seed: int
    created_at: str
    start_group: int


def _state_key(audit_id: int) -> str:
    """Return the settings key holding an audit's start mark."""
    return f"audit:{audit_id}"


def create_audit(
    store: Store,
    *,
    size: int = DEFAULT_AUDIT_SIZE,
    batch_id: int | None = None,
    name: str | None = None,
    seed: int | None = None,
) -> AuditInfo:
    """Draw a seeded random sample of items (from one batch or all) and record it as a new audit."""
    if size < 1:
        raise StoreError("an audit needs at least one item")
    seed = seed if seed is not None else random.randrange(1, 2**31)
    with store.transaction() as cur:
        audit_id = int(cur.execute("SELECT coalesce(max(id), 0) + 1 FROM audits").fetchall()[0][0])
        start_group = int(cur.execute("SELECT coalesce(max(id), 0) FROM decisions").fetchall()[0][0])
        rows = cur.execute(
            "SELECT id FROM items WHERE (? IS NULL OR batch_id = ?) ORDER BY hash(id + ?), id LIMIT ?",
            [batch_id, batch_id, seed, size],
        ).fetchall()
        ids = sorted(int(r[0]) for r in rows)
        if not ids:
            raise StoreError("there are no items to audit" + (f" in batch {batch_id}" if batch_id else ""))
        label = name or (f"audit {audit_id} of batch {batch_id}" if batch_id else f"audit {audit_id}")
        cur.execute(
            "INSERT INTO audits (id, name, batch_id, size, seed) VALUES (?, ?, ?, ?, ?)",
            [audit_id, label, batch_id, len(ids), seed],
        )
        cur.execute(
            "INSERT INTO audit_items (audit_id, position, item_id) "
            "SELECT ?, CAST(row_number() OVER (ORDER BY x) AS INTEGER), x FROM (SELECT unnest(?) AS x)",
            [audit_id, ids],
        )
        put_setting(cur, _state_key(audit_id), {"start_group": start_group})
    info = get_audit(store.cursor(), audit_id)
    assert info is not None
    return info


def _audits(cur: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> list[AuditInfo]:
    """Return audits matching a condition, newest first."""
    rows = cur.execute(
        "SELECT id, name, batch_id, size, seed, strftime(created_at, '%Y-%m-%d %H:%M:%S') "
        f"FROM audits WHERE {where} ORDER BY id DESC",
        params,
    ).fetchall()
    audits = []
    for r in rows:
        state = get_setting(cur, _state_key(int(r[0])), {})
        start = int(state.get("start_group", 0)) if isinstance(state, dict) else 0
        audits.append(AuditInfo(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), r[5], start))
    return audits


def get_audit(cur: duckdb.DuckDBPyConnection, audit_id: int) -> AuditInfo | None:
    """Return one audit, or None."""
    found = _audits(cur, "id = ?", [audit_id])
    return found[0] if found else None


def latest_audit(cur: duckdb.DuckDBPyConnection) -> AuditInfo | None:
    """Return the most recently created audit, or None."""
    found = _audits(cur, "id = (SELECT max(id) FROM audits)", [])
    return found[0] if found else None


def reviewed_item_ids(cur: duckdb.DuckDBPyConnection, audit: AuditInfo) -> set[int]:
    """Return the audit's items whose current status was set by a decision made since the audit began."""
    rows = cur.execute(
        "SELECT i.id FROM audit_items ai JOIN items i ON i.id = ai.item_id "
        "WHERE ai.audit_id = ? AND i.status_group > ? AND EXISTS (SELECT 1 FROM decisions d "
        "WHERE d.group_id = i.status_group AND d.item_id = i.id AND d.action IN (SELECT unnest(?)))",
        [audit.id, audit.start_group, list(_REVIEW_ACTIONS)],
    ).fetchall()
    return {int(r[0]) for r in rows}


def audit_progress(cur: duckdb.DuckDBPyConnection, audit: AuditInfo) -> tuple[int, int]:
    """Return (reviewed, size) for an audit."""
    return len(reviewed_item_ids(cur, audit)), audit.size


def first_unreviewed_position(cur: duckdb.DuckDBPyConnection, audit: AuditInfo) -> int | None:
    """Return the 1-based position of the first item not yet reviewed, or None when the audit is done."""
    reviewed = reviewed_item_ids(cur, audit)
    rows = cur.execute(
        "SELECT position, item_id FROM audit_items WHERE audit_id = ? ORDER BY position", [audit.id]
    ).fetchall()
    for position, item_id in rows:
        if int(item_id) not in reviewed:
            return int(position)
    return None
