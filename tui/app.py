"""The Thresher app shell: named views, generated help, the command palette and the single store writer."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar

from rich.console import RenderableType
from textual import events, work
from textual.app import App, SystemCommand
from textual.screen import Screen

from store.connection import Store
from store.items import ItemFilter
from tui.keymap import APP_BINDINGS, view_bindings
from tui.messages import ListReady
from tui.views.base import View
from tui.views.help import HelpScreen, help_entries
from tui.views.modals import ViewPicker
from tui.views.registry import VIEWS
from tui.views.triage import TriageView
from tui.writer import WriteQueue

_clock = time.perf_counter if sys.platform == "win32" else time.monotonic
LATENCY_LOG_LIMIT = 100_000
NOT_IN_PALETTE = {"command_palette", "quit", "help"}


class ThresherApp(App[None]):
    """A keyboard-first curation app over one store; every view is a mode listed in the view registry."""

    CSS_PATH = "app.tcss"
    TITLE = "Thresher"
    BINDINGS = [*APP_BINDINGS, *view_bindings([(spec.name, spec.key, spec.title) for spec in VIEWS])]
    MODES: ClassVar = {spec.name: spec.factory for spec in VIEWS}
    DEFAULT_MODE = VIEWS[0].name
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, store: Store) -> None:
        """Open the app on a store; all writes go through one queue drained by one worker."""
        super().__init__()
        self.store = store
        self.writer = WriteQueue(store)
        self.latency_log: list[float] = []
        self._keys_waiting: list[float] = []
        self.timings: dict[str, float] = {}
        self._mounted_at = 0.0
        self._first_list_waiting = False

    def on_mount(self) -> None:
        """Start the writer."""
        self._mounted_at = _clock()
        self.run_writer()

    def on_list_ready(self, message: ListReady) -> None:
        """Time the first list: it is on screen once the next frame is drawn."""
        self._first_list_waiting = "first_list_ms" not in self.timings

    @work(thread=True, group="writer", exit_on_error=False, name="store-writer")
    def run_writer(self) -> None:
        """Leave a core to the UI, then commit queued writes one at a time, in order, until the app closes."""
        with self.store.cursor() as cur:
            cur.execute(f"SET threads = {max(1, (os.cpu_count() or 2) - 1)}")
        self.writer.run()

    def on_unmount(self) -> None:
        """Commit every queued write before the app goes away."""
        self.writer.close()

    async def on_event(self, event: events.Event) -> None:
        """Note each key that reached the bindings; its latency is taken when the next frame is drawn."""
        bubbled = isinstance(event, events.Key) and event.is_forwarded
        if isinstance(event, events.Key) and not bubbled:
            self.writer.key_pressed()
        await super().on_event(event)
        if bubbled:
            self._keys_waiting.append(event.time)

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Draw a frame, then log key-to-frame latency (ms) for keys handled before it, and the first-list time."""
        super()._display(screen, renderable)
        self.writer.frame_done()
        now = _clock()
        if renderable is not None and self._first_list_waiting:
            self._first_list_waiting = False
            self.timings["first_list_ms"] = (now - self._mounted_at) * 1000.0
            gc.freeze()
        if renderable is not None and self._keys_waiting:
            self.latency_log.extend((now - started) * 1000.0 for started in self._keys_waiting)
            self._keys_waiting.clear()
            if len(self.latency_log) > LATENCY_LOG_LIMIT:
                del self.latency_log[: LATENCY_LOG_LIMIT // 2]

    def action_help(self) -> None:
        """Show every key of the current view."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        title = getattr(screen, "VIEW_TITLE", type(screen).__name__)
        self.push_screen(HelpScreen(title, help_entries(screen)))

    def action_pick_view(self) -> None:
        """Ask which view to show (then press its number)."""
        choices = [(spec.name, spec.key, spec.title, spec.description) for spec in VIEWS]
        self.push_screen(ViewPicker(choices), self._go_to_view)

    def _go_to_view(self, name: str | None) -> None:
        """Switch to a view picked in the view picker."""
        if name:
            self.switch_mode(name)

    def action_show_view(self, name: str) -> None:
        """Switch to a named view."""
        self.switch_mode(name)

    def open_triage(self, flt: ItemFilter) -> None:
        """Show the triage view with a filter (used by other views)."""
        self.call_later(self._open_triage, flt)

    async def _open_triage(self, flt: ItemFilter) -> None:
        """Switch to triage, then apply the filter."""
        await self.switch_mode("triage")
        if isinstance(self.screen, TriageView):
            self.screen.apply_filter(flt)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Offer every view and every key of the current view by name in the command palette."""
        yield from super().get_system_commands(screen)
        for spec in VIEWS:
            yield SystemCommand(f"Go to {spec.title}", f"{spec.description} (v then {spec.key})",
                                partial(self.switch_mode, spec.name))
        if not isinstance(screen, View):
            return
        for title, help_text, callback in screen.palette_commands():
            yield SystemCommand(title, help_text, callback)
        for entry in help_entries(screen):
            if entry.node is None or entry.action in NOT_IN_PALETTE:
                continue
            keys = " ".join(entry.keys)
            yield SystemCommand(entry.description, f"{entry.section} · key {keys}",
                                partial(self.run_action, entry.action, entry.node))


def run_app(store: Store) -> None:
    """Run the app on an open store until the curator quits; queued writes are committed first."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        sys.stderr.write("thresher: the app needs an interactive terminal; see `thresher --help` for commands\n")
        return
    app = ThresherApp(store)
    try:
        app.run()
    finally:
        app.writer.close()
        _dump_timings(app)


def _dump_timings(app: ThresherApp) -> None:
    """Write the app's latency log and timings to $THRESHER_TIMINGS, when set (used by bench/)."""
    target = os.environ.get("THRESHER_TIMINGS")
    if target:
        import json

        with open(target, "w", encoding="utf-8") as handle:
            json.dump({"timings": app.timings, "latency_ms": app.latency_log}, handle)
