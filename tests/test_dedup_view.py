"""Pilot tests of the clusters view: browse, decide by key, undo, re-cut live, and store keeper changes and splits."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from core.dedup.spec import DedupSpec
from core.models import Item
from store.connection import Store, open_store
from store.dedup import run_dedup
from store.items import insert_items
from tests.test_tui_support import rows, screen_text, settle, status_of
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


def _dedup_store(path: Path) -> tuple[Store, int]:
    """Open a store with the items above and one lexical run at 0.9; return it and the run id."""
    store = open_store(path)
    with store.transaction() as cur:
        insert_items(cur, None, _items())
    return store, run_dedup(store, DedupSpec("lexical", "response", threshold=0.9)).run_id


async def _open_clusters(app: ThresherApp, pilot: Pilot[None]) -> ClustersView:
    """Switch to the clusters view and wait until it shows the latest run."""
    await settle(app, pilot)
    await app.switch_mode("clusters")
    await settle(app, pilot)
    view = app.screen
    assert isinstance(view, ClustersView)
    return view


async def _written(app: ThresherApp, pilot: Pilot[None]) -> None:
    """Wait until the writer thread has committed every queued write and its messages are handled."""
    for _ in range(200):
        if app.writer.idle:
            break
        await pilot.pause(0.05)
    else:
        raise AssertionError("the writer did not finish")
    await settle(app, pilot)


def _stored(store: Store, run_id: int) -> set[tuple[object, ...]]:
    """Return the run's stored (item, is_keeper) rows, as `thresher dedup` recorded and the view edited them."""
    return set(rows(store, "SELECT item_id, is_keeper FROM clusters WHERE run_id = ?", [run_id]))


async def test_keeper_change_and_split_are_stored(tmp_path: Path) -> None:
    store, run_id = _dedup_store(tmp_path / "v.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        view = await _open_clusters(app, pilot)
        [cluster] = view.clusters
        old = cluster.keeper
        new, other = (item for item, _ in cluster.members)
        await pilot.press("K")
        await _written(app, pilot)
        assert _stored(store, run_id) == {(new, True), (old, False), (other, False)}
        assert view.clusters[0].keeper == new and view.clusters[0].members[0][0] == old
        await pilot.press("n", "s")
        await _written(app, pilot)
        assert _stored(store, run_id) == {(new, True), (old, False)}
        assert status_of(store, other)[0] == "pending"
        await app.switch_mode("triage")
        await settle(app, pilot)
        await app.switch_mode("clusters")
        await settle(app, pilot)
        assert app.screen is view and view.clusters[0].keeper == new
        assert [item for item, _ in view.clusters[0].members] == [old]
    store.close()

    store = open_store(tmp_path / "v.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        view = await _open_clusters(app, pilot)
        [cluster] = view.clusters
        assert cluster.keeper == new and [item for item, _ in cluster.members] == [old]
        text = screen_text(app)
        assert f"Keeper {new}" in text and f"Member {old}" in text and "(stored)" in text
        await pilot.press("s")
        await _written(app, pilot)
        assert _stored(store, run_id) == set()
        assert "only the keeper is left" in screen_text(app)
    store.close()

    store = open_store(tmp_path / "v.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        view = await _open_clusters(app, pilot)
        assert view.clusters == [] and "No clusters" in screen_text(app)
    store.close()


async def test_rejected_members_stay_hidden_and_undo_brings_them_back(tmp_path: Path) -> None:
    store, run_id = _dedup_store(tmp_path / "v.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        view = await _open_clusters(app, pilot)
        member = view.clusters[0].members[0][0]
        await pilot.press("x")
        await _written(app, pilot)
    store.close()
    store = open_store(tmp_path / "v.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        view = await _open_clusters(app, pilot)
        assert member not in view.clusters[0].item_ids and len(view.clusters[0]) == 2
        await pilot.press("u")
        await _written(app, pilot)
        assert member in view.clusters[0].item_ids and len(view.clusters[0]) == 3
    assert (member, False) in _stored(store, run_id)
    store.close()


async def test_edits_of_a_live_recut_are_not_stored(tmp_path: Path) -> None:
    store, run_id = _dedup_store(tmp_path / "v.duckdb")
    before = _stored(store, run_id)
    app = ThresherApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        view = await _open_clusters(app, pilot)
        keeper = view.clusters[0].keeper
        await pilot.press("plus")
        await settle(app, pilot)
        assert view.live and view.threshold == 0.91 and "live re-cut, not stored" in screen_text(app)
        await pilot.press("K", "s")
        await _written(app, pilot)
        assert view.clusters[0].keeper != keeper and _stored(store, run_id) == before
        await pilot.press("minus")
        await settle(app, pilot)
        assert not view.live and view.clusters[0].keeper == keeper and len(view.clusters[0]) == 3
    store.close()


async def test_a_failed_split_shows_the_stored_clusters_again(tmp_path: Path) -> None:
    store, run_id = _dedup_store(tmp_path / "v.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        view = await _open_clusters(app, pilot)
        with store.transaction() as cur:
            cur.execute("DELETE FROM clusters WHERE run_id = ?", [run_id])
        await pilot.press("s")
        await _written(app, pilot)
        assert view.clusters == [] and "No clusters" in screen_text(app)
    store.close()
