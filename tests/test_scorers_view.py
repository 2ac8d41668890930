"""Pilot test of the filters view: hit counts, the histogram, and a threshold moved and saved by key."""

from __future__ import annotations

from pathlib import Path

from core.models import Item
from core.scorers import build_scorers
from store.connection import open_store
from store.items import insert_items
from store.scores import load_thresholds, run_scorers
from tests.test_tui_support import screen_text, settle
from tui.app import ThresherApp
from tui.views.filters import FiltersView


async def test_filters_view_moves_and_saves_a_threshold(tmp_path: Path) -> None:
    store = open_store(tmp_path / "f.duckdb")
    items = [Item(f"Question {i}?", f"Dear [Your Name], here is answer {i}.") for i in range(3)]
    items += [Item(f"Question {i}?", f"A complete answer number {i}.") for i in range(5)]
    with store.transaction() as cur:
        insert_items(cur, None, items)
    run_scorers(store, build_scorers(), workers=1)
    app = ThresherApp(store)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(app, pilot)
        await app.switch_mode("filters")
        await settle(app, pilot)
        view = app.screen
        assert isinstance(view, FiltersView)
        names = [f.scorer.name for f in view.filters]
        assert names[0] == "format" and "placeholder" in names
        placeholder = names.index("placeholder")
        for _ in range(placeholder):
            await pilot.press("down")
        await settle(app, pilot)
        entry = view.current()
        assert entry is not None and entry.scorer.name == "placeholder" and entry.flagged() == 3
        assert "flagged at 0.5: 3 of 8" in screen_text(app)
        for _ in range(12):
            await pilot.press("right")
        await settle(app, pilot)
        assert entry.threshold > 1.0 and entry.flagged() == 0
        await pilot.press("s")
        await settle(app, pilot)
        for _ in range(20):
            if load_thresholds(store.cursor()).get("placeholder"):
                break
            await pilot.pause(0.05)
        assert load_thresholds(store.cursor())["placeholder"] > 1.0
        await pilot.press("d")
        await settle(app, pilot)
        assert view.current() is not None and view.current().threshold == 0.5  # type: ignore[union-attr]
    store.close()
