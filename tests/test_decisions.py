"""The decision log: decisions, edits, bulk groups, undo and redo, persistent across reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.models import Action, DecisionSource
from store.connection import Store, StoreError, open_store
from store.decisions import decide, edit, history, last_action, redo, undo
from store.items import get_item
from store.stats import status_counts


def _status(store: Store, item_id: int) -> tuple[str, str | None]:
    item = get_item(store.cursor(), item_id)
    assert item is not None
    return item.status, item.status_reason


def test_decide_sets_status_and_logs_event(store: Store) -> None:
    decide(store, [3], Action.REJECT, reason="refusal")
    assert _status(store, 3) == ("rejected", "refusal")
    events = history(store.cursor(), 3)
    assert [(e[0], e[1], e[2]) for e in events] == [("reject", "rejected", "refusal")]
    assert last_action(store.cursor()) == "reject 1 item (refusal)"


def test_accept_drops_reason(store: Store) -> None:
    decide(store, [1], Action.ACCEPT, reason="ignored")
    assert _status(store, 1) == ("accepted", None)


def test_unknown_item_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="do not exist"):
        decide(store, [1, 9999], Action.ACCEPT)
    assert _status(store, 1) == ("pending", None)


def test_undo_restores_previous_status_and_reason(store: Store) -> None:
    decide(store, [2], Action.REJECT, reason="truncated")
    decide(store, [2], Action.ACCEPT)
    result = undo(store)
    assert result is not None and result.label == "accept 1 item"
    assert _status(store, 2) == ("rejected", "truncated")
    undo(store)
    assert _status(store, 2) == ("pending", None)
    assert undo(store) is None


def test_redo_reapplies_most_recent_undo(store: Store) -> None:
    decide(store, [1], Action.ACCEPT)
    decide(store, [2], Action.REJECT, reason="x")
    undo(store)
    undo(store)
    assert redo(store) is not None
    assert _status(store, 1) == ("accepted", None)
    assert _status(store, 2) == ("pending", None)
    redo(store)
    assert _status(store, 2) == ("rejected", "x")
    assert redo(store) is None


def test_new_action_clears_redo(store: Store) -> None:
    decide(store, [1], Action.ACCEPT)
    undo(store)
    decide(store, [2], Action.SKIP)
    assert redo(store) is None
    assert _status(store, 1) == ("pending", None)


def test_bulk_group_undoes_in_one_step(store: Store) -> None:
    decide(store, [1], Action.ACCEPT)
    decide(store, list(range(2, 9)), Action.REJECT, reason="duplicate", source=DecisionSource.BULK)
    assert status_counts(store.cursor())["rejected"] == 7
    undo(store)
    counts = status_counts(store.cursor())
    assert counts["rejected"] == 0 and counts["accepted"] == 1


def test_edit_keeps_original_and_undoes(store: Store) -> None:
    original = get_item(store.cursor(), 11)
    assert original is not None and original.conversation is not None
    edit(store, 11, "Hello there, improved.")
    changed = get_item(store.cursor(), 11)
    assert changed is not None and changed.response == "Hello there, improved."
    assert changed.conversation is not None and changed.conversation[-1].content == "Hello there, improved."
    logged = store.cursor().execute(
        "SELECT old_text, new_text FROM decisions WHERE action = 'edit' AND item_id = 11").fetchall()
    assert logged == [("Hello!", "Hello there, improved.")]
    undo(store)
    restored = get_item(store.cursor(), 11)
    assert restored is not None and restored.response == "Hello!"
    assert restored.conversation is not None and restored.conversation[-1].content == "Hello!"
    redo(store)
    again = get_item(store.cursor(), 11)
    assert again is not None and again.response == "Hello there, improved."


def test_edit_rejects_unknown_field(store: Store) -> None:
    with pytest.raises(StoreError, match="cannot be edited"):
        edit(store, 1, "x", field="status")


def test_undo_works_after_reopen(store: Store, store_path: Path) -> None:
    decide(store, [5], Action.REJECT, reason="unsafe")
    decide(store, [6], Action.ACCEPT)
    store.close()
    with open_store(store_path) as reopened:
        undo(reopened)
        assert _status(reopened, 6) == ("pending", None)
        assert _status(reopened, 5) == ("rejected", "unsafe")
    with open_store(store_path) as again:
        redo(again)
        assert _status(again, 6) == ("accepted", None)


def test_log_is_append_only(store: Store) -> None:
    decide(store, [1], Action.ACCEPT)
    undo(store)
    redo(store)
    actions = [r[0] for r in store.cursor().execute("SELECT action FROM decisions ORDER BY id").fetchall()]
    assert actions == ["accept", "undo", "redo"]
