"""Per-store settings in the `settings` table, such as the named reject reasons behind keys 1-9."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from store.connection import Store, StoreError

REJECT_REASONS_KEY = "reject_reasons"
DEFAULT_REJECT_REASONS: tuple[str, ...] = (
    "refusal",
    "factual error",
    "truncated",
    "repetitive",
    "unsafe",
    "off-topic",
    "low quality",
    "formatting",
    "duplicate",
)
MAX_REJECT_REASONS = 9


def get_setting(cur: duckdb.DuckDBPyConnection, key: str, default: Any = None) -> Any:
    """Return the decoded JSON value stored under `key`, or `default` when unset."""
    rows = cur.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchall()
    return json.loads(rows[0][0]) if rows else default


def put_setting(cur: duckdb.DuckDBPyConnection, key: str, value: Any) -> None:
    """Store a JSON-serialisable value under `key` inside the caller's transaction."""
    cur.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?::JSON) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value, ensure_ascii=False)],
    )


def set_setting(store: Store, key: str, value: Any) -> None:
    """Store a JSON-serialisable value under `key` in its own committed transaction."""
    with store.transaction() as cur:
        put_setting(cur, key, value)


def reject_reasons(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the store's named reject reasons (index 0 is key 1), or the defaults."""
    value = get_setting(cur, REJECT_REASONS_KEY)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return list(DEFAULT_REJECT_REASONS)
    return value[:MAX_REJECT_REASONS]


def set_reject_reasons(store: Store, reasons: list[str]) -> list[str]:
    """Replace the store's reject reasons (at most nine, blank ones dropped) and return them."""
    cleaned = [r.strip() for r in reasons if r.strip()]
    if not cleaned:
        raise StoreError("at least one reject reason is needed")
    if len(cleaned) > MAX_REJECT_REASONS:
        raise StoreError(f"at most {MAX_REJECT_REASONS} reject reasons fit on keys 1-9")
    set_setting(store, REJECT_REASONS_KEY, cleaned)
    return cleaned
