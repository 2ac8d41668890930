"""Helpers shared by the TUI tests: real stores in tmp_path, waiting for workers, reading the screen."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot

from core.models import Item, Turn
from store.batches import create_batch
from store.connection import Store, open_store
from store.items import insert_items
from tui.app import ThresherApp


def fill_store(path: Path, count: int, *, batches: int = 1, texts: dict[int, str] | None = None) -> Store:
    """Open a store at `path` with `count` items spread over batches; `texts` overrides some responses."""
    store = open_store(path)
    texts = texts or {}
    per_batch = -(-count // batches)
    with store.transaction() as cur:
        made = 0
        for number in range(batches):
            batch_id = create_batch(cur, f"batch-{number + 1}", "import")
            items = []
            for i in range(made, min(count, made + per_batch)):
                kind = "chat" if i % 7 == 3 else "instruction"
                conversation = [Turn("user", f"Question number {i}?"), Turn("assistant", f"Answer number {i}.")]
                items.append(Item(instruction=f"Question number {i}?", response=texts.get(i, f"Answer number {i}."),
                                  kind=kind, conversation=conversation if kind == "chat" else None,
                                  origin="real" if i % 5 == 0 else "synthetic"))
            insert_items(cur, batch_id, items)
            made += len(items)
    return store


def rows(store: Store, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    """Run a query on a fresh cursor and return every row."""
    with store.cursor() as cur:
        return cur.execute(sql, params or []).fetchall()


def status_of(store: Store, item_id: int) -> tuple[object, ...]:
    """Return (status, reason) of an item."""
    return rows(store, "SELECT status, status_reason FROM items WHERE id = ?", [item_id])[0]


async def settle(app: ThresherApp, pilot: Pilot[None], rounds: int = 400) -> None:
    """Wait until every worker but the writer is done, every write committed and the messages handled."""
    quiet = 0
    for _ in range(rounds):
        await pilot.pause()
        busy = [w for w in app.workers if w.is_running and w.group != "writer"]
        if not busy and app.writer.idle:
            quiet += 1
            if quiet >= 3:
                return
        else:
            quiet = 0
            await asyncio.sleep(0.005)
    raise AssertionError("the app did not settle")


def screen_text(app: ThresherApp) -> str:
    """Return what the terminal would show, as plain text without styles."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def terminal_bytes(app: ThresherApp) -> str:
    """Return the escape-coded output the terminal would receive for a full repaint."""
    width, height = app.size
    buffer = io.StringIO()
    console = Console(width=width, height=height, file=buffer, force_terminal=True,
                      color_system="truecolor", legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return buffer.getvalue()
