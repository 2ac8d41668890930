"""The search view: type a query (or pick a library query) and see hits and counts update as you type.

Each keystroke submits a new search to a SearchRunner, which interrupts the stale one at once; results
come back as messages, so the UI never waits on DuckDB.  Hits are read a keyset page at a time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Static

from core.models import Action, DecisionSource
from core.safe_text import flat_segment, one_line, visible
from core.search.evaluate import highlights
from core.search.record import Record
from store.items import ItemFilter
from store.search import Breakdown, Prepared, breakdown, hit_ids, page, prepare
from store.search_library import QueryCount, library_counts
from store.search_runner import Outcome, SearchRunner
from store.search_saved import save_query
from tui.commands.search import embedder_for
from tui.messages import DecisionRecorded, StepApplied, WriteFailed
from tui.views.base import View
from tui.views.modals import ConfirmScreen
from tui.writer import Decide, Step

PAGE = 200
WINDOW_CAP = 5000
MATCH_STYLE = "bold reverse"
SEARCH_BINDINGS: list[BindingType] = [
    Binding("slash", "focus_query", "Edit query", id="search.query"),
    Binding("escape", "focus_query", "Back to query", show=False, id="search.back"),
    Binding("X,shift+x", "reject_hits", "Reject all hits", id="search.reject"),
    Binding("t", "triage", "Triage hits", id="search.triage"),
    Binding("ctrl+s", "save", "Save query", id="search.save"),
    Binding("l", "library", "Library", id="search.library"),
    Binding("u", "undo", "Undo", id="search.undo"),
    Binding("r", "rerun", "Rerun", show=False, id="search.rerun"),
]


@dataclass
class SearchUpdate(Message):
    """A search job reported something: prepared query, a page of hits, counts, hit ids or an error."""

    generation: int
    kind: str
    value: Any = None


@dataclass
class LibraryRow(Message):
    """One library query was counted."""

    result: QueryCount


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; enter accepts, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, question: str, initial: str = "") -> None:
        """Prepare the question and a prefilled answer."""
        super().__init__()
        self._question, self._initial = question, initial

    def compose(self) -> ComposeResult:
        """Lay out the question and the input."""
        with Vertical(classes="dialog"):
            yield Label(Text(self._question))
            yield Input(value=self._initial, id="prompt-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Return the text, or None when blank."""
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)


def marked(text: str, spans: list[tuple[int, int]], start: int = 0, width: int | None = None) -> Text:
    """Return escaped text from `start` (one line when `width` is set) with the match spans highlighted."""
    out = Text()
    position = start
    end_at = len(text) if width is None else min(len(text), start + width * 2)
    for span_start, span_end in spans:
        if span_end <= position or span_start >= end_at:
            continue
        out.append(_show(text[position:span_start], width))
        out.append(_show(text[max(span_start, position):span_end], width), style=MATCH_STYLE)
        position = span_end
    out.append(_show(text[position:end_at], width))
    if width is not None:
        out.truncate(width, overflow="ellipsis")
    return out


def _show(text: str, width: int | None) -> str:
    """Escape text for the terminal, on one line when a width is given."""
    return flat_segment(text) if width is not None else visible(text)


class SearchView(View):
    """A query box, a live hit count and a list of hits with the match highlighted, plus the library."""

    VIEW_TITLE = "Search"
    BINDINGS = SEARCH_BINDINGS
    DEFAULT_CSS = """
    #search-panes { height: 1fr; }
    #search-hits, #search-library { width: 55%; height: 1fr; }
    #search-detail { width: 1fr; height: 1fr; padding: 0 1; }
    #search-status { height: 1; color: $text-muted; }
    """

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
            self._confirm_reject(message.value)
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

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a library row searches with that library query."""
        if event.data_table.id == "search-library" and event.row_key.value:
            self.action_library()
            self.query_one("#search-input", Input).value = f"lib:{event.row_key.value}"

    def action_focus_query(self) -> None:
        """Put the cursor in the query box."""
        self.query_one("#search-input", Input).focus()

    def action_reject_hits(self) -> None:
        """Read every hit id, then ask for a reason and a confirmation before rejecting them as one group."""
        if self.prepared is None or not self.counts or not self.counts.total:
            self.app.bell()
            return
        assert self._more is not None
        prepared = self.prepared
        self._more.submit(lambda cur, cancel, emit: emit(("ids", hit_ids(cur, prepared, cancel=cancel))))

    def _confirm_reject(self, ids: list[int]) -> None:
        """Ask for a reason, then for confirmation, then queue one bulk reject."""

        def got_reason(reason: str | None) -> None:
            if not reason:
                return
            detail = f"reason: {one_line(reason, 60)} — one undoable group (u undoes it)"
            self.app.push_screen(ConfirmScreen(f"Reject {len(ids):,} hits?", detail),
                                 lambda ok: self._reject(ids, reason) if ok else None)

        self.app.push_screen(PromptScreen(f"Reason for rejecting {len(ids):,} hits", f"search: {self._text}"),
                             got_reason)

    def _reject(self, ids: list[int], reason: str) -> None:
        """Queue the bulk reject of every hit as one undoable group."""
        self.writer.submit(Decide(tuple(ids), Action.REJECT, reason, DecisionSource.BULK), self)

    def action_triage(self) -> None:
        """Open triage over the hits, when the triage filter can hold an id set."""
        if "ids" not in {f.name for f in dataclasses.fields(ItemFilter)}:
            self.notify("triage over search hits needs ItemFilter.ids (not in this build)", markup=False)
            return
        if self.prepared is None:
            self.app.bell()
            return
        ids = tuple(r.id for r in self.hits)
        self.thresher.open_triage(ItemFilter(**{"ids": ids}))  # type: ignore[arg-type]

    def action_save(self) -> None:
        """Ask for a name and save the query."""
        if not self._text:
            self.app.bell()
            return
        self.app.push_screen(PromptScreen("Save this query as (use it later as saved:NAME)"), self._save_as)

    def _save_as(self, name: str | None) -> None:
        """Save the current query under a name, if one was given."""
        if name:
            self._save(name, self._text)

    @work(thread=True, group="search-save", exit_on_error=False)
    def _save(self, name: str, query: str) -> None:
        """Save a query (a single short transaction, serialised with other writes by the store lock)."""
        try:
            saved = save_query(self.store, name, query)
            self.app.call_from_thread(self.notify, f"saved {saved.name}: {one_line(saved.text, 60)}", markup=False)
        except Exception as error:  # noqa: BLE001 - shown to the curator
            self.app.call_from_thread(self.notify, f"save failed: {error}", severity="error", markup=False)

    def action_library(self) -> None:
        """Toggle the library overview (counts are read in the background, one query at a time)."""
        self.showing_library = not self.showing_library
        self.query_one("#search-library", DataTable).display = self.showing_library
        self.query_one("#search-hits", DataTable).display = not self.showing_library
        if self.showing_library:
            self.query_one("#search-library", DataTable).focus()
            self.count_library()

    @work(thread=True, group="search-library", exclusive=True, exit_on_error=False)
    def count_library(self) -> None:
        """Count every library and saved query, reporting each as it finishes."""
        def report(result: QueryCount) -> None:
            self.post_message(LibraryRow(result))

        with self.store.cursor() as cur:
            library_counts(cur, include_saved=True, progress=report)

    def on_library_row(self, message: LibraryRow) -> None:
        """Add or update one row of the library table."""
        result = message.result
        self.library[result.name] = result
        table = self.query_one("#search-library", DataTable)
        status = result.counts.by_status
        cells = (Text(result.name), Text(f"{result.counts.total:,}"), Text(f"{status.get('pending', 0):,}"),
                 Text(f"{status.get('rejected', 0):,}"), Text(one_line(result.description, 60)))
        if result.name in table.rows:
            table.remove_row(result.name)
        table.add_row(*cells, key=result.name)

    def action_undo(self) -> None:
        """Undo the last decision (such as a bulk reject)."""
        self.writer.submit(Step(), self)

    def action_rerun(self) -> None:
        """Run the current query again."""
        self.run_search(self._text)

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        """Confirm a committed decision and refresh the hits."""
        self.notify(message.result.label, markup=False)
        self.run_search(self._text)

    def on_step_applied(self, message: StepApplied) -> None:
        """Report an undo and refresh the hits."""
        self.notify(f"undo: {message.result.label}" if message.result else "nothing to undo", markup=False)
        self.run_search(self._text)

    def on_write_failed(self, message: WriteFailed) -> None:
        """Report a failed write."""
        self.notify(f"{message.label} failed: {message.error}", severity="error", markup=False)
