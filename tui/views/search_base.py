"""The search view's state and live search: each keystroke runs a fresh search, and hits and counts flow in."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Input, Static

from core.safe_text import one_line
from core.search.evaluate import highlights
from core.search.record import Record
from store.search import Breakdown, Prepared, breakdown, page, prepare
from store.search_library import QueryCount
from store.search_runner import Outcome, SearchRunner
from tui.commands.search import embedder_for
from tui.views.base import View
from tui.views.search_parts import SearchUpdate, marked

PAGE = 200
WINDOW_CAP = 5000


class SearchBase(View):
    """The query box, the status line and the hits with the match highlighted; SearchView adds the keys."""

    def __init__(self) -> None:
        """Start with no query."""
        super().__init__()
        self.prepared: Prepared | None = None
        self.hits: list[Record] = []
        self.counts: Breakdown | None = None
        self.error: str | None = None
        self.library: dict[str, QueryCount] = {}
        self.showing_library = False
        self._runner: SearchRunner | None = None
        self._more: SearchRunner | None = None
        self._text = ""

    def compose(self) -> ComposeResult:
        """Lay out the query box, the status line, hits beside the detail pane, and the footer."""
        yield Input(placeholder='query, e.g. lib:refusals -status:rejected or "as an ai"', id="search-input")
        yield Static("", id="search-status", markup=False)
        with Horizontal(id="search-panes"):
            yield DataTable(id="search-hits", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="search-library", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="search-detail"):
                yield Static("", id="search-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Create the runners and the table columns."""
        self._runner = SearchRunner(self.store, lambda o: self._relay(o, "main"))
        self._more = SearchRunner(self.store, lambda o: self._relay(o, "more"))
        self.query_one("#search-hits", DataTable).add_columns("id", "status", "batch", "model", "match")
        self.query_one("#search-library", DataTable).add_columns("query", "hits", "pending", "rejected", "about")
        self.query_one("#search-library", DataTable).display = False
        self.query_one("#search-input", Input).focus()
        self._status()

    def on_unmount(self) -> None:
        """Stop any running search."""
        for runner in (self._runner, self._more):
            if runner is not None:
                runner.cancel()

    def _relay(self, outcome: Outcome, which: str) -> None:
        """Turn a runner outcome (on its worker thread) into a message for the UI thread."""
        if outcome.error is not None:
            self.post_message(SearchUpdate(outcome.generation, f"{which}:error", outcome.error))
        elif outcome.value is not None:
            kind, value = outcome.value
            self.post_message(SearchUpdate(outcome.generation, f"{which}:{kind}", value))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Search again on every keystroke; the runner interrupts the stale search."""
        if event.input.id == "search-input":
            self.run_search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the hits."""
        if event.input.id == "search-input":
            self.query_one("#search-hits", DataTable).focus()

    def run_search(self, text: str) -> None:
        """Submit a search for `text` (an empty query clears the hits)."""
        assert self._runner is not None and self._more is not None
        self._text = text.strip()
        self._more.cancel()
        self.prepared, self.hits, self.counts, self.error = None, [], None, None
        self.query_one("#search-hits", DataTable).clear()
        if not self._text:
            self._runner.cancel()
            self._status()
            return
        query = self._text

        def job(cur: Any, cancel: Any, emit: Any) -> None:
            prepared = prepare(cur, query, embedders=embedder_for)
            emit(("prepared", prepared))
            emit(("hits", page(cur, prepared, limit=PAGE, cancel=cancel)))
            emit(("counts", breakdown(cur, prepared, cancel=cancel)))

        self._runner.submit(job)
        self._status("searching…")

    def on_search_update(self, message: SearchUpdate) -> None:
        """Apply a result if it belongs to the newest search."""
        which, kind = message.kind.split(":")
        runner = self._runner if which == "main" else self._more
        if runner is None or message.generation != runner.generation:
            return
        if kind == "error":
            self.error = str(message.value)
        elif kind == "prepared":
            self.prepared = message.value
        elif kind == "hits":
            self._add_hits(message.value)
        elif kind == "counts":
            self.counts = message.value
        elif kind == "ids":
            self.confirm_reject(message.value)
        self._status()

    def _add_hits(self, records: list[Record]) -> None:
        """Append a page of hits to the table."""
        table = self.query_one("#search-hits", DataTable)
        for rec in records:
            field = next((f for f in ("response", "instruction", "input") if self._spans(rec, f)), "response")
            spans = self._spans(rec, field)
            text = str(getattr(rec, field))
            start = max(0, spans[0][0] - 20) if spans else 0
            table.add_row(Text(str(rec.id)), Text(rec.status), Text("-" if rec.batch_id is None else str(rec.batch_id)),
                          Text(one_line(rec.model or "-", 16)), marked(text, spans, start, 70), key=str(rec.id))
        self.hits.extend(records)
        if len(self.hits) == len(records):
            self._detail()

    def _spans(self, rec: Record, field: str) -> list[tuple[int, int]]:
        """Return the match spans of the current query in a field."""
        return highlights(self.prepared.node, rec, field) if self.prepared else []

    def _status(self, note: str = "") -> None:
        """Show the query state, the hit count and its breakdown by status."""
        if self.error:
            text = Text(f"⚠ {one_line(self.error, 150)}", style="bold red")
        elif not self._text:
            text = Text("Type a query · l: library · / query · X reject hits · t triage · ctrl+s save · u undo")
        elif self.counts is None:
            text = Text(f"{len(self.hits):,}+ hits so far {note}".strip())
        else:
            by = " ".join(f"{k}={v:,}" for k, v in sorted(self.counts.by_status.items()))
            text = Text(f"{self.counts.total:,} hits ({by}) · showing {len(self.hits):,}")
        self.query_one("#search-status", Static).update(text)

    def _current(self) -> Record | None:
        """Return the highlighted hit."""
        table = self.query_one("#search-hits", DataTable)
        if not self.hits or table.row_count == 0:
            return None
        return self.hits[min(table.cursor_row, len(self.hits) - 1)]

    def _detail(self) -> None:
        """Show the highlighted hit's instruction and response with matches marked."""
        rec = self._current()
        pane = self.query_one("#search-text", Static)
        if rec is None:
            pane.update(Text(""))
            return
        parts = [Text(f"Item {rec.id} · {rec.status} · batch {rec.batch_id} · {rec.model or '-'}\n", style="bold")]
        for field in ("instruction", "input", "response"):
            value = str(getattr(rec, field))
            if value:
                parts += [Text(f"\n{field}\n", style="bold underline"), marked(value, self._spans(rec, field))]
        pane.update(Text.assemble(*parts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the hit under the cursor and read more hits near the end of the window."""
        if event.data_table.id != "search-hits":
            return
        self._detail()
        total = self.counts.total if self.counts else None
        near_end = event.cursor_row >= len(self.hits) - 20
        if near_end and self.prepared and len(self.hits) < WINDOW_CAP and (total is None or len(self.hits) < total):
            self._load_more(self.prepared, self.hits[-1].id)

    def _load_more(self, prepared: Prepared, after: int) -> None:
        """Read the next page of hits without disturbing the count."""
        assert self._more is not None
        self._more.submit(lambda cur, cancel, emit: emit(("hits", page(cur, prepared, after_id=after, limit=PAGE,
                                                                         cancel=cancel))))


    def confirm_reject(self, ids: list[int]) -> None:
        """Ask before rejecting every hit; implemented by the view."""
        raise NotImplementedError
