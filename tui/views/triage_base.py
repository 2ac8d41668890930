"""Triage state and plumbing: layout, and the handlers that fold worker results into the UI."""

from __future__ import annotations

from collections import OrderedDict

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.widgets import Footer

from core.models import StoredItem
from core.safe_text import one_line
from store.audits import AuditInfo
from store.flags import Flag
from store.items import ItemFilter
from store.listing import FilterOptions, ListSpec
from store.settings import DEFAULT_REJECT_REASONS
from tui.keymap import DETAIL_BINDINGS
from tui.messages import (
    AuditOpened,
    CursorMoved,
    DecisionRecorded,
    DetailsLoaded,
    EditSaved,
    FindFinished,
    OverviewLoaded,
    StepApplied,
    TotalsRead,
    WriteDone,
    WriteFailed,
)
from tui.views.triage_workers import TriageWorkers
from tui.widgets.detail import DetailPane
from tui.widgets.item_list import ItemList
from tui.widgets.status_bar import StatusBar, StatusInfo

DETAIL_CACHE = 64
PREFETCH_AHEAD = 8


class TriageBase(TriageWorkers):
    """The triage view's state, layout and result handlers; TriageView adds the key actions."""

    VIEW_TITLE = "Triage"

    def __init__(self) -> None:
        """Start in queue mode on pending items."""
        super().__init__()
        self.filter = ItemFilter(status="pending")
        self.mode = "queue"
        self.audit: AuditInfo | None = None
        self.reviewed: set[int] = set()
        self.counts: dict[str, int] = {}
        self.uncounted: dict[int, tuple[list[str], str]] = {}
        self.reasons: list[str] = list(DEFAULT_REJECT_REASONS)
        self.options: FilterOptions | None = None
        self.last_label: str | None = None
        self.find_text: str | None = None
        self.find_generation = 0
        self.queue_key: int | None = None
        self.pending_edit: int | None = None
        self.details: OrderedDict[int, StoredItem] = OrderedDict()
        self.detail_flags: dict[int, tuple[Flag, ...]] = {}
        self._detail_inflight: set[int] = set()

    def compose(self) -> ComposeResult:
        """Lay out the list beside (or, when narrow, above) the detail pane, then status bar and footer."""
        with Container(id="panes"):
            yield ItemList(self.store, ListSpec(self.filter), id="item-list")
            yield DetailPane(id="detail")
        yield StatusBar(id="status-bar")
        yield Footer()

    @property
    def item_list(self) -> ItemList:
        """Return the list widget."""
        return self.query_one(ItemList)

    @property
    def detail(self) -> DetailPane:
        """Return the detail pane."""
        return self.query_one(DetailPane)

    def on_mount(self) -> None:
        """Load the first page and the store overview in workers, and focus the list."""
        self.item_list.reload()
        self.item_list.focus()
        self.detail.show_message("Loading…")
        self.load_overview()

    def describe_binding(self, binding: Binding) -> str:
        """Name the store's reject reason for keys 1-9."""
        if binding.action.startswith("reject_reason("):
            number = int(binding.action.split("(")[1].rstrip(")"))
            if number <= len(self.reasons):
                return f"Reject: {one_line(self.reasons[number - 1], 40)}"
            return f"Reject with reason {number} (not set for this store)"
        return binding.description

    def help_extra(self) -> list[tuple[str, list[BindingType]]]:
        """List the detail pane's keys too when the list has focus."""
        return [] if self.detail.has_focus else [(DetailPane.HELP_TITLE, list(DETAIL_BINDINGS))]

    # Results ---------------------------------------------------------------------------------

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        """Show the counts, last action and reasons."""
        if self.writer.idle:
            self.counts, self.last_label = message.counts, message.last_label
        self.reasons, self.options = message.reasons, message.options
        self.refresh_status()

    def on_cursor_moved(self, message: CursorMoved) -> None:
        """Show the item under the cursor (from the cache when possible) and prefetch the next ones."""
        row = message.row
        if row is None:
            if self.item_list.total == 0 and self.item_list.loaded:
                self.detail.show_message("No items here. f changes the filter, m switches queue/audit mode.")
            else:
                self.detail.show_message("Loading…")
        else:
            item = self.details.get(row.id)
            if item is not None:
                self.details.move_to_end(row.id)
                self.detail.show(item, self.item_list.status_of(row), self.find_text, self.detail_flags.get(row.id, ()))
            elif self.detail.item is None or self.detail.item.id != row.id:
                self.detail.show_message("Loading…", row)
        self.prefetch()
        self.refresh_status()

    def prefetch(self) -> None:
        """Read the full items under and just after the cursor that are not cached yet."""
        item_list = self.item_list
        wanted = []
        for index in range(item_list.cursor - 1, item_list.cursor + PREFETCH_AHEAD):
            row = item_list.window.row(index)
            if row is not None and row.id not in self.details and row.id not in self._detail_inflight:
                wanted.append(row.id)
        current = item_list.current_row
        if wanted and (len(wanted) >= PREFETCH_AHEAD // 2 or (current is not None and current.id in wanted)):
            self._detail_inflight.update(wanted)
            self.load_details(tuple(wanted))

    def on_details_loaded(self, message: DetailsLoaded) -> None:
        """Cache the items and show the current one if it just arrived."""
        self._detail_inflight.difference_update(message.requested)
        for item in message.items:
            self.details[item.id] = item
            self.detail_flags[item.id] = message.flags.get(item.id, ())
        while len(self.details) > DETAIL_CACHE:
            self.detail_flags.pop(self.details.popitem(last=False)[0], None)
        current = self.item_list.current_row
        if current is not None and any(item.id == current.id for item in message.items):
            self.show_current()
        if self.pending_edit is not None and self.pending_edit in self.details:
            item_id, self.pending_edit = self.pending_edit, None
            self.open_editor(self.details[item_id])

    def show_current(self) -> None:
        """Redraw the detail pane for the row under the cursor when its item is cached."""
        row = self.item_list.current_row
        if row is not None and row.id in self.details:
            status = self.item_list.status_of(row)
            self.detail.show(self.details[row.id], status, self.find_text, self.detail_flags.get(row.id, ()))

    def take_totals(self, message: WriteDone) -> None:
        """Count a committed decision; adopt re-read totals when no newer write is queued."""
        moved = self.uncounted.pop(message.seq, None)
        if moved is not None and not isinstance(message, WriteFailed):
            previous, status = moved
            for old in previous:
                self.counts[old] = self.counts.get(old, 0) - 1
                self.counts[status] = self.counts.get(status, 0) + 1
        if message.counts is not None and message.seq == self.writer.last_seq:
            self.counts, self.last_label = message.counts, message.last_label
            self.uncounted.clear()
        self.refresh_status()

    def on_totals_read(self, message: TotalsRead) -> None:
        """Adopt totals the writer re-read after a pause."""
        self.take_totals(message)

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        """Settle the optimistic status of the decided items."""
        committed = {i: (message.status, message.reason) for i in message.result.item_ids}
        self.item_list.settle(committed, message.seq)
        self.take_totals(message)

    def on_step_applied(self, message: StepApplied) -> None:
        """Show what an undo or redo changed and put the cursor on it."""
        verb = "Redid" if message.redo else "Undid"
        if message.result is None:
            self.notify(f"Nothing to {'redo' if message.redo else 'undo'}", severity="warning", markup=False)
            self.take_totals(message)
            return
        self.item_list.settle(message.statuses, message.seq)
        for item_id in message.result.item_ids:
            self.details.pop(item_id, None)
        if message.reviewed is not None:
            self.reviewed = message.reviewed
        self.notify(f"{verb}: {one_line(message.result.label, 80)}", markup=False)
        if message.result.size == 1 and message.result.item_ids:
            self.focus_item(message.result.item_ids[0])
        self.prefetch()
        self.take_totals(message)

    def focus_item(self, item_id: int) -> None:
        """Move the cursor to an item, reloading the queue around it when it is not held."""
        index = self.item_list.window.index_of_id(item_id)
        if index is not None:
            self.item_list.move_to(index)
        elif self.mode == "queue":
            self.item_list.reload(at="key", key=item_id)

    def on_edit_saved(self, message: EditSaved) -> None:
        """Cache the edited item and redraw it."""
        if message.item is not None:
            self.details[message.item.id] = message.item
        self.show_current()
        self.take_totals(message)

    def on_audit_opened(self, message: AuditOpened) -> None:
        """Switch the list to the audit's sample and resume at its first unreviewed item."""
        assert message.audit is not None
        self.audit, self.reviewed, self.mode = message.audit, set(message.reviewed), "audit"
        self.item_list.clear_marks()
        self.item_list.reload(ListSpec(audit_id=message.audit.id), at="key", key=message.resume_position or 1)
        done = "complete" if message.resume_position is None else f"resuming at {message.resume_position}"
        self.notify(f"Audit {message.audit.id}: {len(self.reviewed)}/{message.audit.size} reviewed, {done}",
                    markup=False)
        self.take_totals(message)

    def on_write_failed(self, message: WriteFailed) -> None:
        """Report a failed write, drop its optimistic effect and re-read the truth."""
        self.item_list.forget(message.seq)
        self.notify(f"{message.label} failed: {one_line(message.error, 200)}", severity="error", markup=False)
        self.take_totals(message)
        self.load_overview()

    def on_find_finished(self, message: FindFinished) -> None:
        """Jump to the hit, or say there is none."""
        if message.generation != self.find_generation:
            return
        if message.key is None:
            self.notify(f"No match for {one_line(message.text, 60)!r}", severity="warning", markup=False)
            return
        if message.wrapped:
            self.notify("Search wrapped around the list", markup=False)
        self.item_list.jump_to_key(message.key, message.index)
        self.show_current()

    def open_editor(self, item: StoredItem) -> None:
        """Edit an item's response; implemented by the view."""
        raise NotImplementedError

    def refresh_status(self) -> None:
        """Redraw the status bar from the current state."""
        item_list = self.item_list
        audit = self.audit if self.mode == "audit" else None
        self.query_one(StatusBar).show(
            StatusInfo(
                counts=self.counts,
                position=min(item_list.cursor + 1, item_list.total),
                total=item_list.total,
                mode=f"Audit {audit.id}" if audit else "Queue",
                scope="" if audit else self.filter.describe(),
                progress=(len(self.reviewed), audit.size) if audit else None,
                marks=len(item_list.marks),
                find=self.find_text,
                last_label=self.last_label,
                saving=self.writer.last_seq - self.writer.done_seq,
            )
        )
