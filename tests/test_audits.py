"""Audits draw a seeded sample, track review progress from the decision log, and survive reopening."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.models import Action
from store.audits import audit_progress, create_audit, first_unreviewed_position, get_audit, latest_audit
from store.connection import StoreError, open_store
from store.decisions import decide, undo
from store.settings import DEFAULT_REJECT_REASONS, get_setting, reject_reasons, set_reject_reasons, set_setting
from tests.test_tui_support import fill_store, rows


def test_sample_is_seeded_scoped_and_positioned(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 300, batches=3)
    first = create_audit(store, size=50, seed=7)
    again = create_audit(store, size=50, seed=7)
    sql = "SELECT item_id FROM audit_items WHERE audit_id = ? ORDER BY position"
    ids = [r[0] for r in rows(store, sql, [first.id])]
    same = [r[0] for r in rows(store, sql, [again.id])]
    assert len(ids) == 50 and ids == same and ids == sorted(ids)
    scoped = create_audit(store, size=500, batch_id=2)
    batch_rows = rows(store, "SELECT DISTINCT i.batch_id FROM audit_items a JOIN items i ON i.id = a.item_id "
                             "WHERE a.audit_id = ?", [scoped.id])
    assert batch_rows == [(2,)] and scoped.size == 100
    assert latest_audit(store.cursor()) == scoped
    store.close()


def test_progress_counts_decisions_since_start_and_undo_takes_them_back(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 40)
    decide(store, [1, 2, 3], Action.ACCEPT)
    audit = create_audit(store, size=40, seed=1)
    assert audit_progress(store.cursor(), audit) == (0, 40)
    decide(store, [1], Action.REJECT, reason="refusal")
    decide(store, [2], Action.ACCEPT)
    assert audit_progress(store.cursor(), audit) == (2, 40)
    assert first_unreviewed_position(store.cursor(), audit) == 3
    undo(store)
    assert audit_progress(store.cursor(), audit) == (1, 40)
    assert first_unreviewed_position(store.cursor(), audit) == 2
    store.close()


def test_audit_resumes_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = fill_store(path, 30)
    audit = create_audit(store, size=10, seed=3)
    first_item = rows(store, "SELECT item_id FROM audit_items WHERE audit_id = ? AND position = 1", [audit.id])[0][0]
    decide(store, [int(str(first_item))], Action.SKIP)
    store.close()
    reopened = open_store(path)
    found = get_audit(reopened.cursor(), audit.id)
    assert found == audit
    assert audit_progress(reopened.cursor(), found) == (1, 10)
    assert first_unreviewed_position(reopened.cursor(), found) == 2
    reopened.close()


def test_empty_scope_is_refused(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 5)
    with pytest.raises(StoreError):
        create_audit(store, batch_id=99)
    store.close()


def test_reject_reasons_default_and_per_store(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 1)
    assert reject_reasons(store.cursor()) == list(DEFAULT_REJECT_REASONS)
    assert set_reject_reasons(store, ["too short", " ", "wrong"]) == ["too short", "wrong"]
    assert reject_reasons(store.cursor()) == ["too short", "wrong"]
    with pytest.raises(StoreError):
        set_reject_reasons(store, [str(n) for n in range(10)])
    set_setting(store, "other", {"a": [1, 2]})
    set_setting(store, "other", {"a": [3]})
    assert get_setting(store.cursor(), "other") == {"a": [3]}
    assert get_setting(store.cursor(), "missing", 5) == 5
    store.close()
