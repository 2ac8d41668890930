"""The append-only decision log: decide, edit, undo and redo, each one committed transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from core.models import STATUS_OF_ACTION, Action, DecisionSource
from store.connection import Store, StoreError
from store.journal import mark_committed

EDITABLE_FIELDS = ("instruction", "input", "response")


@dataclass(frozen=True, slots=True)
class GroupResult:
    """What one logged action did: its group id, label and how many items it touched."""

    group_id: int
    label: str
    size: int
    item_ids: tuple[int, ...] = ()


def _id_condition(ids: list[int]) -> tuple[str, list[object]]:
    """Return a WHERE condition on items.id for the ids; a single id uses the index directly."""
    if len(ids) == 1:
        return "id = ?", [ids[0]]
    return "id IN (SELECT unnest(?))", [ids]


def _new_group_id(cur: duckdb.DuckDBPyConnection) -> int:
    """Draw a fresh id from the decision sequence for a group."""
    row = cur.execute("SELECT nextval('decision_id_seq')").fetchone()
    assert row is not None
    return int(row[0])


def _open_group(
    cur: duckdb.DuckDBPyConnection, group_id: int, label: str, size: int, source: str
) -> None:
    """Record a new undoable group; anything undone before it can no longer be redone."""
    cur.execute("UPDATE action_groups SET state = 'dead' WHERE state = 'undone'")
    cur.execute(
        "INSERT INTO action_groups (group_id, label, size, source, state) VALUES (?, ?, ?, ?, 'done')",
        [group_id, label, size, source],
    )


def decide(
    store: Store,
    item_ids: Sequence[int],
    action: Action,
    *,
    reason: str | None = None,
    source: DecisionSource = DecisionSource.MANUAL,
    actor: str = "curator",
    journal_seq: int | None = None,
) -> GroupResult:
    """Accept, reject, skip or reset items as one undoable group, durable on return."""
    if action not in STATUS_OF_ACTION:
        raise StoreError(f"'{action}' is not a status decision")
    ids = sorted({int(i) for i in item_ids})
    if not ids:
        raise StoreError("no items to decide on")
    new_status = STATUS_OF_ACTION[action].value
    reason = reason if action is Action.REJECT else None
    condition, id_params = _id_condition(ids)
    with store.transaction() as cur:
        found = cur.execute(f"SELECT count(*) FROM items WHERE {condition}", id_params).fetchall()[0][0]
        if found != len(ids):
            raise StoreError(f"{len(ids) - found} of {len(ids)} item ids do not exist in {store.path}")
        group_id = _new_group_id(cur)
        cur.execute(
            "INSERT INTO decisions (id, group_id, item_id, action, reason, prev_status, prev_reason, "
            "new_status, source, actor) "
            "SELECT nextval('decision_id_seq'), ?, id, ?, ?, status, status_reason, ?, ?, ? "
            f"FROM items WHERE {condition} ORDER BY id",
            [group_id, action.value, reason, new_status, source.value, actor, *id_params],
        )
        cur.execute(
            f"UPDATE items SET status = ?, status_reason = ?, status_group = ? WHERE {condition}",
            [new_status, reason, group_id, *id_params],
        )
        label = f"{action.value} {len(ids)} item{'s' if len(ids) != 1 else ''}"
        if reason:
            label += f" ({reason})"
        _open_group(cur, group_id, label, len(ids), source.value)
        mark_committed(cur, journal_seq)
    return GroupResult(group_id, label, len(ids), tuple(ids))


def _set_field(cur: duckdb.DuckDBPyConnection, item_id: int, field: str, text: str) -> None:
    """Write one text field, keeping a conversation's last assistant turn in step with `response`."""
    if field not in EDITABLE_FIELDS:
        raise StoreError(f"field '{field}' cannot be edited")
    cur.execute(f"UPDATE items SET {field} = ? WHERE id = ?", [text, item_id])
    if field != "response":
        return
    row = cur.execute("SELECT conversation FROM items WHERE id = ?", [item_id]).fetchone()
    if not row or not row[0]:
        return
    turns = json.loads(row[0])
    for turn in reversed(turns):
        if turn.get("role") == "assistant":
            turn["content"] = text
            break
    cur.execute("UPDATE items SET conversation = ?::JSON WHERE id = ?", [json.dumps(turns), item_id])


def edit(
    store: Store,
    item_id: int,
    new_text: str,
    *,
    field: str = "response",
    actor: str = "curator",
    journal_seq: int | None = None,
) -> GroupResult:
    """Replace an item's text field, logging the original so it can be restored."""
    with store.transaction() as cur:
        if field not in EDITABLE_FIELDS:
            raise StoreError(f"field '{field}' cannot be edited")
        row = cur.execute(f"SELECT {field}, status FROM items WHERE id = ?", [item_id]).fetchone()
        if row is None:
            raise StoreError(f"item {item_id} does not exist")
        group_id = _new_group_id(cur)
        cur.execute(
            "INSERT INTO decisions (id, group_id, item_id, action, prev_status, new_status, field, "
            "old_text, new_text, source, actor) "
            "VALUES (nextval('decision_id_seq'), ?, ?, 'edit', ?, ?, ?, ?, ?, 'manual', ?)",
            [group_id, item_id, row[1], row[1], field, row[0], new_text, actor],
        )
        _set_field(cur, item_id, field, new_text)
        label = f"edit {field} of item {item_id}"
        _open_group(cur, group_id, label, 1, DecisionSource.MANUAL.value)
        mark_committed(cur, journal_seq)
    return GroupResult(group_id, label, 1, (item_id,))


def _replay(cur: duckdb.DuckDBPyConnection, target: int, step: Action, actor: str) -> GroupResult:
    """Log undo or redo events for every event of a group and apply them to the items."""
    group_id = _new_group_id(cur)
    backwards = step is Action.UNDO
    events = cur.execute(
        "SELECT item_id, action, prev_status, prev_reason, new_status, reason, field, old_text, new_text "
        "FROM decisions WHERE group_id = ? ORDER BY id " + ("DESC" if backwards else "ASC"),
        [target],
    ).fetchall()
    for item_id, action, *_statuses, field, old_text, new_text in events:
        if action == Action.EDIT.value:
            _set_field(cur, item_id, field, old_text if backwards else new_text)
    status_events = [e for e in events if e[1] != Action.EDIT.value]
    if status_events:
        to_status = "prev_status" if backwards else "new_status"
        to_reason = "prev_reason" if backwards else "reason"
        cur.execute(
            "INSERT INTO decisions (id, group_id, item_id, action, reason, prev_status, prev_reason, "
            f"new_status, target_group, source, actor) "
            f"SELECT nextval('decision_id_seq'), ?, d.item_id, ?, d.{to_reason}, i.status, i.status_reason, "
            f"d.{to_status}, ?, 'manual', ? FROM decisions d JOIN items i ON i.id = d.item_id "
            "WHERE d.group_id = ? AND d.action <> 'edit' ORDER BY d.item_id",
            [group_id, step.value, target, actor, target],
        )
        cur.execute(
            f"UPDATE items SET status = d.{to_status}, status_reason = d.{to_reason}, status_group = ? "
            "FROM decisions d WHERE d.group_id = ? AND d.item_id = items.id AND d.action <> 'edit'",
            [group_id, target],
        )
    for item_id, action, *_rest in events:
        if action == Action.EDIT.value:
            cur.execute(
                "INSERT INTO decisions (id, group_id, item_id, action, target_group, source, actor) "
                "VALUES (nextval('decision_id_seq'), ?, ?, ?, ?, 'manual', ?)",
                [group_id, item_id, step.value, target, actor],
            )
    label_row = cur.execute("SELECT label FROM action_groups WHERE group_id = ?", [target]).fetchone()
    label = label_row[0] if label_row else f"group {target}"
    return GroupResult(group_id, label, len(events), tuple(sorted({e[0] for e in events})))


def undo(store: Store, *, actor: str = "curator", journal_seq: int | None = None) -> GroupResult | None:
    """Undo the most recent action group still in effect; None when there is nothing to undo."""
    with store.transaction() as cur:
        mark_committed(cur, journal_seq)
        row = cur.execute(
            "SELECT group_id FROM action_groups WHERE state = 'done' ORDER BY group_id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        result = _replay(cur, int(row[0]), Action.UNDO, actor)
        cur.execute(
            "UPDATE action_groups SET state = 'undone', undone_seq = ? WHERE group_id = ?",
            [result.group_id, row[0]],
        )
    return result


def redo(store: Store, *, actor: str = "curator", journal_seq: int | None = None) -> GroupResult | None:
    """Re-apply the most recently undone group; None when there is nothing to redo."""
    with store.transaction() as cur:
        mark_committed(cur, journal_seq)
        row = cur.execute(
            "SELECT group_id FROM action_groups WHERE state = 'undone' ORDER BY undone_seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        result = _replay(cur, int(row[0]), Action.REDO, actor)
        cur.execute("UPDATE action_groups SET state = 'done', undone_seq = NULL WHERE group_id = ?", [row[0]])
    return result


def last_action(cur: duckdb.DuckDBPyConnection) -> str | None:
    """Return the label of the most recent action group still in effect, for the status bar."""
    row = cur.execute(
        "SELECT label FROM action_groups WHERE state = 'done' ORDER BY group_id DESC LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


def history(cur: duckdb.DuckDBPyConnection, item_id: int) -> list[tuple[str, str | None, str | None, str]]:
    """Return (action, new_status, reason, time) for every event that touched an item, oldest first."""
    rows = cur.execute(
        "SELECT action, new_status, reason, strftime(created_at, '%Y-%m-%d %H:%M:%S') FROM decisions "
        "WHERE item_id = ? ORDER BY id",
        [item_id],
    ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]
