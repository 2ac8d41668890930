"""F-keys switch views from anywhere, even while a text field has focus."""

from __future__ import annotations

from pathlib import Path

from tests.test_tui_support import fill_store, settle
from tui.app import ThresherApp
from tui.views.registry import VIEWS


async def test_f_keys_reach_every_view_even_from_the_search_box(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 5)
    app = ThresherApp(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f4")
        await settle(app, pilot)
        assert app.current_mode == "search"
        await pilot.press("a", "b")
        await pilot.press("f1")
        await settle(app, pilot)
        assert app.current_mode == "triage"
        for spec in VIEWS:
            await pilot.press(f"f{spec.key}")
            await settle(app, pilot)
            assert app.current_mode == spec.name
        await pilot.press("f1")
        await settle(app, pilot)
    store.close()
