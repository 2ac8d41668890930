"""Reading quality flags (scores whose latest version says 'flag') for list rows and the detail pane."""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb

from store.listing import ListRow

_LATEST = (
    "SELECT * FROM scores WHERE item_id IN (SELECT unnest(?)) "
    "QUALIFY row_number() OVER (PARTITION BY item_id, scorer ORDER BY created_at DESC, scorer_version DESC) = 1"
)


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag on an item: the scorer, its reason and the matched span (field and character offsets), if any."""

    scorer: str
    reason: str | None
    span_field: str | None
    span_start: int | None
    span_end: int | None


def flag_names(cur: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Return the sorted names of the scorers flagging each of the given items, in one grouped query."""
    if not ids:
        return {}
    sql = f"SELECT item_id, list(scorer ORDER BY scorer) FROM ({_LATEST}) WHERE verdict = 'flag' GROUP BY 1"
    return {int(r[0]): tuple(r[1]) for r in cur.execute(sql, [ids]).fetchall()}


def with_flags(cur: duckdb.DuckDBPyConnection, rows: list[ListRow]) -> list[ListRow]:
    """Return the rows with their flag names filled in."""
    names = flag_names(cur, [row.id for row in rows])
    return [replace(row, flags=names[row.id]) if row.id in names else row for row in rows]


def item_flags(cur: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, tuple[Flag, ...]]:
    """Return the flags of the given items, by scorer name; items without flags are left out."""
    if not ids:
        return {}
    sql = (
        f"SELECT item_id, scorer, reason, span_field, span_start, span_end FROM ({_LATEST}) "
        "WHERE verdict = 'flag' ORDER BY item_id, scorer"
    )
    found: dict[int, tuple[Flag, ...]] = {}
    for r in cur.execute(sql, [ids]).fetchall():
        found[int(r[0])] = (*found.get(int(r[0]), ()), Flag(r[1], r[2], r[3], r[4], r[5]))
    return found
