"""Pilot tests of the search view: live hits as you type, the library overview, bulk reject and undo."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from core.search.library import LIBRARY
from store.search_saved import saved_queries
from tests.test_search_data import fresh_store, ids
from tests.test_tui_support import screen_text, settle, status_of
from tui.app import ThresherApp
from tui.views.search import SearchView, marked


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 20.0) -> None:
    """Pause the pilot until a condition holds (search results arrive from plain threads)."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause()
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_marked_highlights_spans() -> None:
    text = marked("say As an AI here", [(4, 12)])
    assert text.plain == "say As an AI here"
    assert [text.plain[s.start:s.end] for s in text.spans] == ["As an AI"]


async def test_typing_searches_and_bulk_reject_undoes(tmp_path: Path) -> None:
    store = fresh_store(tmp_path)
    app = ThresherApp(store)
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        await app.switch_mode("search")
        await settle(app, pilot)
        view = app.screen
        assert isinstance(view, SearchView)
        await pilot.press(*"cafe")
        await wait_for(pilot, lambda: view.counts is not None and view._text == "cafe")
        assert [r.id for r in view.hits] == ids("cafe", "cafe_nfd")
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: view.counts is not None and view.counts.total == 3)
        assert "3 hits" in screen_text(app) and "cafeteria" in screen_text(app)
        await pilot.press("enter", "X")
        await wait_for(pilot, lambda: len(app.screen_stack) > 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Reject 3 hits?" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.writer.idle and status_of(store, ids("cafeteria")[0])[0] == "rejected")
        assert status_of(store, ids("cafe")[0]) == ("rejected", "search: cafe*")
        await wait_for(pilot, lambda: view.counts is not None and view.counts.by_status == {"rejected": 3})
        await pilot.press("u")
        await wait_for(pilot, lambda: app.writer.idle and status_of(store, ids("cafe")[0])[0] == "pending")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.screen_stack) > 1)
        await pilot.press(*"coffee", "enter")
        await wait_for(pilot, lambda: [q.name for q in saved_queries(store.cursor())] == ["coffee"])


async def test_library_overview_and_errors(tmp_path: Path) -> None:
    store = fresh_store(tmp_path)
    app = ThresherApp(store)
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        await app.switch_mode("search")
        view = app.screen
        assert isinstance(view, SearchView)
        await pilot.press(*"status:maybe")
        await wait_for(pilot, lambda: view.error is not None)
        assert "status: must be one of" in screen_text(app)
        view.query_one("#search-hits").focus()
        await pilot.press("l")
        await wait_for(pilot, lambda: len(view.library) == len(LIBRARY))
        assert view.library["math-mismatch"].counts.total == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: view._text.startswith("lib:") and view.counts is not None)
        assert view.counts is not None and view.counts.total >= 1


def test_match_column_keeps_spaces_between_matched_words() -> None:
    from tui.views.search import marked

    text = "Sure. As an AI language model, I cannot."
    spans = [(6, 8), (9, 11), (12, 14)]
    assert marked(text, spans, start=0, width=60).plain == text
