"""The app shell: help generated from bindings, the command palette, the view registry and latency log."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.command import CommandPalette

from store.settings import set_reject_reasons
from tests.test_tui_support import fill_store, screen_text, settle, status_of
from tui.app import ThresherApp
from tui.keymap import APP_BINDINGS, DETAIL_BINDINGS, LIST_BINDINGS, TRIAGE_BINDINGS
from tui.views.batches import BatchesView
from tui.views.help import HelpScreen
from tui.views.registry import VIEWS
from tui.views.triage import TriageView


def _bindings(bindings: list[object]) -> list[Binding]:
    return [b for b in bindings if isinstance(b, Binding)]


def test_every_binding_has_an_id_and_a_description() -> None:
    everything = _bindings([*APP_BINDINGS, *LIST_BINDINGS, *DETAIL_BINDINGS, *TRIAGE_BINDINGS])
    ids = [b.id for b in everything]
    assert all(ids) and len(ids) == len(set(ids))
    assert all(b.description for b in everything)
    shown = [b for b in _bindings(TRIAGE_BINDINGS + APP_BINDINGS) if b.show]
    assert 5 <= len(shown) <= 7


async def test_help_lists_every_binding_of_the_view(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 5)
    set_reject_reasons(store, ["refusal", "hallucination"])
    app = ThresherApp(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await settle(app, pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        listed = {(e.action, e.section) for e in help_screen.entries}
        actions = {e.action for e in help_screen.entries}
        for binding in _bindings([*TRIAGE_BINDINGS, *LIST_BINDINGS, *DETAIL_BINDINGS, *APP_BINDINGS]):
            assert binding.action in actions, binding.action
        assert ("cursor_down", "ItemList") in listed or any(a == "cursor_down" for a, _s in listed)
        descriptions = [e.description for e in help_screen.entries]
        assert "Reject: hallucination" in descriptions
        assert "Reject with reason 3 (not set for this store)" in descriptions
        keys = {e.action: e.keys for e in help_screen.entries}
        assert "j" in keys["cursor_down"] and "G" in keys["last"]
        await pilot.press("escape")
        assert isinstance(app.screen, TriageView)
    store.close()


async def test_command_palette_runs_view_actions(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 5)
    app = ThresherApp(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Accept", "Reject", "Undo", "Find", "Go to Batches", "Go to Triage", "New audit sample"):
            assert title in commands
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Accept")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TriageView)
        assert status_of(store, 1) == ("accepted", None)
    store.close()


async def test_views_switch_with_the_leader_key_and_batches_open_triage(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 60, batches=3)
    app = ThresherApp(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert [v.name for v in VIEWS][:2] == ["triage", "batches"]
        await pilot.press("v", "2")
        await settle(app, pilot)
        assert isinstance(app.screen, BatchesView)
        assert "batch-3" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        view = app.screen
        assert isinstance(view, TriageView)
        assert view.filter.batch_id == 2 and view.item_list.total == 20
        await pilot.press("v", "escape")
        assert app.screen is view
        await pilot.press("v", "2")
        await settle(app, pilot)
        await pilot.press("v", "1")
        await settle(app, pilot)
        assert app.screen is view
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    store.close()


async def test_latency_log_records_key_to_refresh(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 50)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "a", "x", "k")
        await settle(app, pilot)
        assert len(app.latency_log) == 4
        assert all(0 < ms < 1000 for ms in app.latency_log)
        assert 0 < app.timings["first_list_ms"] < 10_000
    store.close()
