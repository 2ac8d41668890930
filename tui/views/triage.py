"""The triage view's keys: decide and advance, undo/redo, marks and bulk, edit, filter, find and modes."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual.app import SuspendNotSupported

from core.models import STATUS_OF_ACTION, Action, DecisionSource, StoredItem
from core.safe_text import one_line
from store.items import ItemFilter
from store.listing import ListSpec
from tui.keymap import TRIAGE_BINDINGS
from tui.views.filter import FilterScreen
from tui.views.modals import ConfirmScreen, EditScreen, FindScreen
from tui.views.triage_base import TriageBase
from tui.writer import Decide, Edit, OpenAudit, Step

AUDIT_SIZE = 500


class TriageView(TriageBase):
    """Review items fast: queue mode walks pending items in order, audit mode a fixed random sample."""

    BINDINGS = TRIAGE_BINDINGS

    # Deciding --------------------------------------------------------------------------------

    def decide_current(self, action: Action, reason: str | None = None) -> None:
        """Record a decision on the item under the cursor at once (optimistically) and advance."""
        item_list = self.item_list
        row = item_list.current_row
        if row is None:
            self.app.bell()
            return
        status = STATUS_OF_ACTION[action].value
        previous = item_list.status_of(row)[0]
        seq = self.writer.submit(Decide((row.id,), action, reason), self)
        item_list.set_optimistic([row.id], status, reason, seq)
        self.count_when_committed(seq, {row.id: previous}, status)
        if row.id in item_list.marks:
            item_list.marks[row.id] = status
        if self.mode == "audit":
            self.reviewed.add(row.id)
        self.last_label = f"{action.value} 1 item" + (f" ({reason})" if reason else "")
        item_list.move_to(item_list.cursor + 1)
        self.refresh_status()

    def count_when_committed(self, seq: int, previous: dict[int, str], status: str) -> None:
        """Remember how write `seq` moves items between statuses; the counts change once it is committed."""
        self.uncounted[seq] = (list(previous.values()), status)

    def action_accept(self) -> None:
        """Accept the item and move to the next."""
        self.decide_current(Action.ACCEPT)

    def action_reject(self) -> None:
        """Reject the item (no reason) and move to the next."""
        self.decide_current(Action.REJECT)

    def action_skip(self) -> None:
        """Skip the item and move to the next."""
        self.decide_current(Action.SKIP)

    def action_reject_reason(self, number: int) -> None:
        """Reject the item with the store's reason number `number` and move to the next."""
        if not 1 <= number <= len(self.reasons):
            self.notify(f"No reject reason {number} in this store", severity="warning", markup=False)
            return
        self.decide_current(Action.REJECT, self.reasons[number - 1])

    def action_undo(self) -> None:
        """Undo the last action group (persistent: it works after a restart)."""
        self.writer.submit(Step(redo=False, audit=self.audit if self.mode == "audit" else None), self)

    def action_redo(self) -> None:
        """Redo the last undone action group."""
        self.writer.submit(Step(redo=True, audit=self.audit if self.mode == "audit" else None), self)

    # Marks and bulk --------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        """Mark or unmark the item and move to the next."""
        if self.item_list.current_row is None:
            self.app.bell()
            return
        self.item_list.toggle_mark()
        self.item_list.move_to(self.item_list.cursor + 1)
        self.refresh_status()

    def action_clear_marks(self) -> None:
        """Unmark every item."""
        self.item_list.clear_marks()
        self.refresh_status()

    def action_bulk_accept(self) -> None:
        """Accept every marked item, after confirmation, as one undoable step."""
        self.bulk(Action.ACCEPT)

    def action_bulk_reject(self) -> None:
        """Reject every marked item, after confirmation, as one undoable step."""
        self.bulk(Action.REJECT)

    def bulk(self, action: Action) -> None:
        """Confirm, then decide every marked item in one group."""
        marks = dict(self.item_list.marks)
        if not marks:
            self.notify("No marked items: press space to mark some", severity="warning", markup=False)
            return
        verb = "Accept" if action is Action.ACCEPT else "Reject"

        def confirmed(answer: bool | None) -> None:
            """Run the bulk decision when confirmed."""
            if not answer:
                return
            status = STATUS_OF_ACTION[action].value
            ids = sorted(marks)
            seq = self.writer.submit(Decide(tuple(ids), action, None, DecisionSource.BULK), self)
            self.item_list.set_optimistic(ids, status, None, seq)
            self.count_when_committed(seq, marks, status)
            if self.mode == "audit":
                self.reviewed.update(ids)
            self.item_list.clear_marks()
            self.last_label = f"{action.value} {len(ids)} items"
            self.refresh_status()

        noun = "item" if len(marks) == 1 else "items"
        self.app.push_screen(
            ConfirmScreen(f"{verb} {len(marks):,} marked {noun}?", "One step: u undoes the whole bulk action."),
            confirmed,
        )

    # Editing ---------------------------------------------------------------------------------

    def action_edit(self) -> None:
        """Edit the item's response in $EDITOR, or inline when $EDITOR is not set."""
        row = self.item_list.current_row
        if row is None:
            self.app.bell()
            return
        item = self.details.get(row.id)
        if item is None:
            self.pending_edit = row.id
            self.load_details((row.id,))
            return
        self.open_editor(item)

    def open_editor(self, item: StoredItem) -> None:
        """Open the external editor or the inline one on the item's response."""
        editor = os.environ.get("EDITOR", "").strip()
        if editor:
            self.save_edit(item, self.edit_externally(editor, item.response))
        else:
            self.app.push_screen(EditScreen(item.response, f"Edit response of item {item.id}"),
                                 lambda text: self.save_edit(item, text))

    def edit_externally(self, editor: str, text: str) -> str | None:
        """Run $EDITOR on a temporary file with the app suspended and return the new text."""
        handle, name = tempfile.mkstemp(prefix="thresher-", suffix=".txt", text=True)
        path = Path(name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), str(path)], check=False)
            new = path.read_text(encoding="utf-8")
            return new[:-1] if new.endswith("\n") and not text.endswith("\n") else new
        except (OSError, ValueError, SuspendNotSupported) as error:
            self.notify(f"Editor failed: {one_line(str(error), 120)}", severity="error", markup=False)
            return None
        finally:
            path.unlink(missing_ok=True)

    def save_edit(self, item: StoredItem, text: str | None) -> None:
        """Queue the edit and show it at once; nothing happens when the text is unchanged."""
        if text is None or text == item.response:
            self.notify("Edit cancelled: nothing changed", markup=False)
            return
        self.writer.submit(Edit(item.id, text), self)
        self.details[item.id] = replace(item, response=text)
        self.last_label = f"edit response of item {item.id}"
        self.show_current()
        self.refresh_status()

    # Filter, find, modes ---------------------------------------------------------------------

    def action_filter(self) -> None:
        """Choose which items the queue shows."""
        if self.mode == "audit":
            self.notify("Filters apply to the queue; press m to leave the audit", markup=False)
            return
        self.app.push_screen(FilterScreen(self.filter, self.options), self.apply_filter)

    def apply_filter(self, flt: ItemFilter | None) -> None:
        """Show the queue with a new filter from its first item."""
        if flt is None:
            return
        self.filter, self.mode = flt, "queue"
        self.item_list.clear_marks()
        self.item_list.reload(ListSpec(flt))
        self.refresh_status()

    def action_find(self) -> None:
        """Ask for text and jump to the first row at or after the cursor containing it."""

        def found(text: str | None) -> None:
            """Start the search."""
            if text:
                self.find_text = text
                self.search(text, from_current=True, backwards=False)

        self.app.push_screen(FindScreen(self.find_text or ""), found)

    def action_find_next(self) -> None:
        """Jump to the next match."""
        self.search(self.find_text, from_current=False, backwards=False)

    def action_find_previous(self) -> None:
        """Jump to the previous match."""
        self.search(self.find_text, from_current=False, backwards=True)

    def search(self, text: str | None, *, from_current: bool, backwards: bool) -> None:
        """Start a find worker from the cursor."""
        if not text:
            self.notify("Nothing to find yet: press / first", severity="warning", markup=False)
            return
        row = self.item_list.current_row
        key = row.key if row is not None else None
        if from_current and key is not None:
            key -= 1
        self.find_generation += 1
        self.run_find(self.item_list.spec, text, key, backwards, self.find_generation)
        self.refresh_status()

    def action_switch_mode(self) -> None:
        """Switch between the queue and the audit (resuming the open audit or drawing a new sample)."""
        if self.mode == "audit":
            self.mode = "queue"
            self.item_list.clear_marks()
            self.item_list.reload(ListSpec(self.filter), at="key" if self.queue_key else "start", key=self.queue_key)
            self.notify("Queue mode", markup=False)
            self.refresh_status()
            return
        row = self.item_list.current_row
        self.queue_key = row.key if row is not None else None
        self.writer.submit(OpenAudit(size=AUDIT_SIZE, batch_id=self.filter.batch_id), self)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Offer commands that have no key of their own."""
        return [("New audit sample", f"Draw a fresh random sample of {AUDIT_SIZE} items to audit (of the filtered "
                 "batch, or the whole store)", self.action_new_audit)]

    def action_new_audit(self) -> None:
        """Draw a new random audit sample (of the filtered batch, or the whole store)."""
        if self.mode == "queue":
            row = self.item_list.current_row
            self.queue_key = row.key if row is not None else None
        self.writer.submit(OpenAudit(new=True, size=AUDIT_SIZE, batch_id=self.filter.batch_id), self)

    def action_reload(self) -> None:
        """Re-read the list from the store (decided items leave the queue) at the current item."""
        row = self.item_list.current_row
        spec = ListSpec(audit_id=self.audit.id) if self.mode == "audit" and self.audit else ListSpec(self.filter)
        self.item_list.reload(spec, at="key" if row else "start", key=row.key if row else None)
        self.load_overview()

    def action_switch_pane(self) -> None:
        """Move focus between the list and the detail pane."""
        (self.item_list if self.detail.has_focus else self.detail).focus()
        self.item_list.refresh()

    def action_more_text(self) -> None:
        """Show more of a long item in the detail pane."""
        if not self.detail.more():
            self.notify("The whole item is already shown", markup=False)
