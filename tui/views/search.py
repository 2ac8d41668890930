"""The search view: type a query (or pick a library query) and see hits and counts update as you type.

Each keystroke submits a new search to a SearchRunner, which interrupts the stale one at once; results
come back as messages, so the UI never waits on DuckDB.  Hits are read a keyset page at a time.  That live
search is SearchBase (tui.views.search_base); this module adds the keys: reject, triage, save, library, undo.
"""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input

from core.models import Action, DecisionSource
from core.safe_text import one_line
from store.items import ItemFilter
from store.search import hit_ids
from store.search_library import QueryCount, library_counts
from store.search_saved import save_query
from tui.messages import DecisionRecorded, StepApplied, WriteFailed
from tui.views.modals import ConfirmScreen
from tui.views.search_base import PAGE, WINDOW_CAP, SearchBase
from tui.views.search_parts import MATCH_STYLE, LibraryRow, PromptScreen, SearchUpdate, marked
from tui.writer import Decide, Step

__all__ = ["MATCH_STYLE", "PAGE", "SEARCH_BINDINGS", "WINDOW_CAP", "LibraryRow", "PromptScreen", "SearchUpdate",
           "SearchView", "marked"]

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


class SearchView(SearchBase):
    """A query box, a live hit count and a list of hits with the match highlighted, plus the library."""

    VIEW_TITLE = "Search"
    BINDINGS = SEARCH_BINDINGS
    DEFAULT_CSS = """
    #search-panes { height: 1fr; }
    #search-hits, #search-library { width: 55%; height: 1fr; }
    #search-detail { width: 1fr; height: 1fr; padding: 0 1; }
    #search-status { height: 1; color: $text-muted; }
    """

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

    def confirm_reject(self, ids: list[int]) -> None:
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
