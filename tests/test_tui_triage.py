"""Pilot tests of the triage view over a real store: every review key, persistence and ordering."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import pytest

from store.connection import open_store
from store.settings import set_reject_reasons
from tests.test_tui_support import fill_store, rows, screen_text, settle, status_of
from tui.app import ThresherApp
from tui.views.modals import ConfirmScreen, EditScreen
from tui.views.triage import TriageView
from tui.widgets.detail import DetailPane
from tui.widgets.item_list import ItemList


def triage(app: ThresherApp) -> TriageView:
    screen = app.screen
    assert isinstance(screen, TriageView)
    return screen


def cursor_id(app: ThresherApp) -> int:
    row = triage(app).item_list.current_row
    assert row is not None
    return row.id


async def test_moves_ends_and_pages(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 300)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert cursor_id(app) == 1
        await pilot.press("j", "j", "down")
        assert cursor_id(app) == 4
        await pilot.press("k", "up")
        assert cursor_id(app) == 2
        await pilot.press("G")
        await settle(app, pilot)
        assert cursor_id(app) == 300
        await pilot.press("g")
        await settle(app, pilot)
        assert cursor_id(app) == 1
        await pilot.press("pagedown")
        await settle(app, pilot)
        page = cursor_id(app) - 1
        assert page >= 5
        await pilot.press("pageup")
        assert cursor_id(app) == 1
        await pilot.press("end", "home")
        await settle(app, pilot)
        assert cursor_id(app) == 1
        assert "Question number 0?" in screen_text(app)
        assert "1 / 300" in screen_text(app)
    store.close()


async def test_accept_reject_skip_advance_and_reason_keys(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 20)
    set_reject_reasons(store, ["refusal", "made up facts"])
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "x", "s", "2", "1")
        assert cursor_id(app) == 6
        await settle(app, pilot)
        assert status_of(store, 1) == ("accepted", None)
        assert status_of(store, 2) == ("rejected", None)
        assert status_of(store, 3) == ("skipped", None)
        assert status_of(store, 4) == ("rejected", "made up facts")
        assert status_of(store, 5) == ("rejected", "refusal")
        await pilot.press("9")
        await settle(app, pilot)
        assert status_of(store, 6) == ("pending", None)
        assert triage(app).counts == {"pending": 15, "accepted": 1, "rejected": 3, "skipped": 1}
        assert "P 15 A 1 R 3 S 1" in screen_text(app)
    store.close()


async def test_held_key_writes_every_decision_in_key_order(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 120)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*(["a"] * 60))
        assert cursor_id(app) == 61
        await settle(app, pilot)
    decided = [r[0] for r in rows(store, "SELECT item_id FROM decisions WHERE action = 'accept' ORDER BY id")]
    assert decided == list(range(1, 61))
    assert app.latency_log and len(app.latency_log) >= 60
    store.close()


async def test_undo_and_redo(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 10)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "x")
        await pilot.press("u")
        await settle(app, pilot)
        assert status_of(store, 2) == ("pending", None) and status_of(store, 1) == ("accepted", None)
        assert cursor_id(app) == 2
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert status_of(store, 2) == ("rejected", None)
        assert triage(app).item_list.status_of(triage(app).item_list.window.rows[1])[0] == "rejected"
    store.close()


async def test_undo_works_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = fill_store(path, 10)
    first = ThresherApp(store)
    async with first.run_test(size=(80, 24)) as pilot:
        await settle(first, pilot)
        await pilot.press("j", "j", "a")
    store.close()
    assert status_of(reopened := open_store(path), 3) == ("accepted", None)
    second = ThresherApp(reopened)
    async with second.run_test(size=(80, 24)) as pilot:
        await settle(second, pilot)
        assert "accept 1 item" in screen_text(second)
        await pilot.press("u")
        await settle(second, pilot)
        assert status_of(reopened, 3) == ("pending", None)
        assert cursor_id(second) == 3
    reopened.close()


async def test_bulk_mark_confirm_and_one_step_undo(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 10)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("X")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("space", "space", "j", "space")
        assert sorted(triage(app).item_list.marks) == [1, 2, 4]
        await pilot.press("A")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(app, pilot)
        assert status_of(store, 1) == ("pending", None)
        await pilot.press("A")
        await pilot.press("y")
        await settle(app, pilot)
        assert [status_of(store, i)[0] for i in (1, 2, 3, 4)] == ["accepted", "accepted", "pending", "accepted"]
        assert rows(store, "SELECT label, source FROM action_groups ORDER BY group_id DESC LIMIT 1") == [
            ("accept 3 items", "bulk")]
        assert not triage(app).item_list.marks
        await pilot.press("u")
        await settle(app, pilot)
        assert [status_of(store, i)[0] for i in (1, 2, 4)] == ["pending"] * 3
        assert triage(app).counts["pending"] == 10
    store.close()


async def test_inline_edit_is_stored_as_an_edit_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDITOR", raising=False)
    store = fill_store(tmp_path / "s.duckdb", 5)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, EditScreen)
        editor.query_one("TextArea").text = "A better answer."  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert rows(store, "SELECT response FROM items WHERE id = 1") == [("A better answer.",)]
        assert rows(store, "SELECT action, old_text, new_text FROM decisions WHERE item_id = 1") == [
            ("edit", "Answer number 0.", "A better answer.")]
        assert "A better answer." in screen_text(app)
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, EditScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, TriageView)
    store.close()


async def test_external_editor_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "fake_editor.py"
    script.write_text("import sys\nopen(sys.argv[1], 'w').write('Edited outside.\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    store = fill_store(tmp_path / "s.duckdb", 5)
    app = ThresherApp(store)
    monkeypatch.setattr(app, "suspend", nullcontext)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "e")
        await settle(app, pilot)
        assert rows(store, "SELECT response FROM items WHERE id = 2") == [("Edited outside.",)]
    store.close()


async def test_filter_dialog_narrows_the_queue(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 90, batches=3)
    app = ThresherApp(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        app.screen.query_one("#filter-batch_id").value = "2"  # type: ignore[attr-defined]
        app.screen.query_one("#filter-origin").value = "real"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        view = triage(app)
        assert view.filter.batch_id == 2 and view.filter.origin == "real" and view.filter.status == "pending"
        sql = "SELECT id FROM items WHERE batch_id = 2 AND origin = 'real' ORDER BY id"
        expected = [r[0] for r in rows(store, sql)]
        assert view.item_list.total == len(expected) and cursor_id(app) == expected[0]
        assert "batch_id=2" in screen_text(app)
        await pilot.press("f")
        await settle(app, pilot)
        await pilot.click("#filter-clear")
        await settle(app, pilot)
        assert triage(app).item_list.total == 90
    store.close()


async def test_find_next_and_previous(tmp_path: Path) -> None:
    texts = {20: "the Needle here", 50: "another NEEDLE", 80: "last needle"}
    store = fill_store(tmp_path / "s.duckdb", 100, texts=texts)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"needle")
        await pilot.press("enter")
        await settle(app, pilot)
        assert cursor_id(app) == 21
        await pilot.press("n")
        await settle(app, pilot)
        assert cursor_id(app) == 51
        await pilot.press("n")
        await settle(app, pilot)
        assert cursor_id(app) == 81
        await pilot.press("n")
        await settle(app, pilot)
        assert cursor_id(app) == 21
        await pilot.press("N")
        await settle(app, pilot)
        assert cursor_id(app) == 81
        assert "/needle" in screen_text(app)
    store.close()


async def test_tab_moves_focus_between_list_and_detail(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 5)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.focused, ItemList)
        await pilot.press("tab")
        assert isinstance(app.focused, DetailPane)
        await pilot.press("a")
        await settle(app, pilot)
        assert status_of(store, 1) == ("accepted", None)
        await pilot.press("tab")
        assert isinstance(app.focused, ItemList)
    store.close()


async def test_audit_mode_progress_and_resume(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = fill_store(path, 800)
    app = ThresherApp(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        view = triage(app)
        assert view.mode == "audit" and view.item_list.total == 500
        await pilot.press("a", "x", "s")
        await settle(app, pilot)
        assert "Audit 1 3/500" in screen_text(app)
        third = view.item_list.window.row(2)
        assert third is not None
        await pilot.press("m")
        await settle(app, pilot)
        assert triage(app).mode == "queue"
    store.close()
    reopened = open_store(path)
    again = ThresherApp(reopened)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(again, pilot)
        await pilot.press("m")
        await settle(again, pilot)
        view = triage(again)
        assert view.item_list.cursor == 3 and view.item_list.current_row is not None
        assert view.item_list.current_row.key == 4
        assert "Audit 1 3/500" in screen_text(again)
    reopened.close()


async def test_list_holds_only_a_window_of_a_large_store(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 5000)
    app = ThresherApp(store)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(app, pilot)
        item_list = triage(app).item_list
        biggest = item_list.cached_row_count
        for _ in range(27):
            await pilot.press("pagedown", "pagedown", "pagedown")
            await settle(app, pilot)
            biggest = max(biggest, item_list.cached_row_count)
        assert cursor_id(app) > 1500
        for key in ("G", "k", "k", "g", "G"):
            await pilot.press(key)
            await settle(app, pilot)
            biggest = max(biggest, item_list.cached_row_count)
        assert cursor_id(app) == 5000
        for _ in range(20):
            await pilot.press("pageup", "pageup")
            await settle(app, pilot)
            biggest = max(biggest, item_list.cached_row_count)
        assert biggest <= item_list.window.capacity < 5000
        assert item_list.total == 5000
        row = item_list.current_row
        assert row is not None and row.id == 5000 - 40 * (item_list.scrollable_content_region.height - 1)
    store.close()


async def test_large_terminal_shows_wide_layout(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 200)
    app = ThresherApp(store)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "pending 200" in text and "1 / 200" in text
        assert "instru" in text and "syn" in text and "b1" in text
        assert "Answer number 0." in text
        assert app.screen.has_class("-wide")
    store.close()


async def test_reload_drops_decided_items_from_the_queue(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 30)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "a", "x")
        await settle(app, pilot)
        view = triage(app)
        assert view.item_list.total == 30 and cursor_id(app) == 4
        assert view.item_list.status_of(view.item_list.window.rows[0])[0] == "accepted"
        await pilot.press("r")
        await settle(app, pilot)
        assert view.item_list.total == 27 and cursor_id(app) == 4 and view.item_list.cursor == 0
    store.close()


async def test_audit_undo_and_new_sample_from_the_palette(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 600)
    app = ThresherApp(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        await pilot.press("a", "a")
        await settle(app, pilot)
        assert "Audit 1 2/500" in screen_text(app)
        await pilot.press("u")
        await settle(app, pilot)
        view = triage(app)
        assert len(view.reviewed) == 1 and "Audit 1 1/500" in screen_text(app)
        commands = {c.title: c for c in app.get_system_commands(view)}
        commands["New audit sample"].callback()
        await settle(app, pilot)
        assert view.audit is not None and view.audit.id == 2 and "Audit 2 0/500" in screen_text(app)
    store.close()
