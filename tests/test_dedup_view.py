"""Pilot tests of the clusters view: browse, decide by key, undo and re-cut the threshold live."""

from __future__ import annotations

from pathlib import Path

from core.dedup.spec import DedupSpec
from core.models import Item
from store.connection import open_store
from store.dedup import run_dedup
from store.items import insert_items
from tests.test_tui_support import screen_text, settle, status_of
from tui.app import ThresherApp
from tui.views.clusters import ClustersView, diff_texts

BASE = "the river stone garden signal copper planet cloud alpha beta gamma delta winter summer harbor valley"


def _items() -> list[Item]:
    """Return a cluster of three (one a looser copy) and an unrelated pair."""
    return [
        Item("Describe the valley", BASE),
        Item("Describe the valley", BASE.replace("winter", "autumn")),
        Item("Describe the valley", BASE.replace("winter", "autumn").replace("harbor", "bridge")),
        Item("Unrelated question here", "A completely different answer about tax law in Peru and Chile."),
        Item("Another topic", "Cooking rice needs water, salt and a pot with a lid."),
    ]


def test_diff_highlights_only_changed_words() -> None:
    left, right = diff_texts("a b c d", "a x c d")
    assert left.plain.split() == ["a", "b", "c", "d"] and right.plain.split() == ["a", "x", "c", "d"]
    changed = [right.plain[s.start:s.end].strip() for s in right.spans if s.style]
    assert changed == ["x"]


async def test_clusters_view_decides_by_key_and_recuts(tmp_path: Path) -> None:
    store = open_store(tmp_path / "v.duckdb")
    with store.transaction() as cur:
        insert_items(cur, None, _items())
    run_dedup(store, DedupSpec("lexical", "response", threshold=0.9))
    app = ThresherApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await app.switch_mode("clusters")
        await settle(app, pilot)
        view = app.screen
        assert isinstance(view, ClustersView)
        assert len(view.clusters) == 1 and len(view.clusters[0]) == 3
        text = screen_text(app)
        assert "Keeper" in text and "autumn" in text
        keeper = view.clusters[0].keeper
        member = view.clusters[0].members[0][0]
        await pilot.press("x")
        await settle(app, pilot)
        assert status_of(store, member)[0] == "rejected"
        assert f"duplicate of {keeper}" in str(status_of(store, member)[1])
        await pilot.press("u")
        await settle(app, pilot)
        assert status_of(store, member)[0] == "pending"
        for _ in range(6):
            await pilot.press("plus")
            await settle(app, pilot)
        assert view.threshold == 0.96 and sum(len(c.members) for c in view.clusters) == 1
        await pilot.press("plus")
        await settle(app, pilot)
        assert view.clusters == [] and "No clusters" in screen_text(app)
        for _ in range(7):
            await pilot.press("minus")
            await settle(app, pilot)
        assert len(view.clusters) == 1
        await pilot.press("X")
        await settle(app, pilot)
        statuses = [status_of(store, i)[0] for i in (1, 2, 3)]
        assert statuses.count("rejected") == 2
    store.close()
