"""The windowed item list: a Line API view over millions of rows that only ever holds a window of them."""

from __future__ import annotations

from textual.events import Click
from textual.strip import Strip

from store.connection import Store
from store.listing import ListRow, ListSpec
from tui.keymap import LIST_BINDINGS
from tui.widgets.overlay import StatusOverlay
from tui.widgets.paged_list import PagedList
from tui.widgets.row_painter import RowPainter


class ItemList(PagedList, can_focus=True):
    """A keyboard-driven list of items rendered line by line from an in-memory window, paged from DuckDB."""

    BINDINGS = LIST_BINDINGS
    HELP_TITLE = "Item list"
    COMPONENT_CLASSES = {
        "item-list--cursor",
        "item-list--cursor-blurred",
        "item-list--mark",
        "item-list--meta",
        "item-list--loading",
        "item-list--pending",
        "item-list--accepted",
        "item-list--rejected",
        "item-list--skipped",
        "item-list--flag",
    }

    def __init__(self, store: Store, spec: ListSpec, *, id: str | None = None) -> None:
        """Create an empty list over `spec`; call `reload` to fill it."""
        super().__init__(store, spec, id=id)
        self.marks: dict[int, str] = {}
        self._overlay = StatusOverlay()
        self._painter = RowPainter(self, "item-list")

    # Cursor ----------------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        """Put the cursor on an absolute index (clamped), scroll it into view and announce it."""
        if self.total == 0:
            return
        old, top = self.cursor, self.scroll_offset.y
        self.cursor = max(0, min(index, self.total - 1))
        self._scroll_to_cursor()
        if self.scroll_offset.y == top:
            self.refresh_line(old)
            self.refresh_line(self.cursor)
        else:
            self.refresh()
        self._announce()
        self._ensure_loaded()

    def jump_to_key(self, key: int, index: int | None = None) -> None:
        """Put the cursor on the row with this key, reloading around it when it is not held."""
        held = self.window.row(index) if index is not None else None
        if held is not None and held.key == key:
            self.move_to(index or 0)
            return
        for offset, row in enumerate(self.window.rows):
            if row.key == key:
                self.move_to(self.window.start + offset)
                return
        self.reload(at="key", key=key)

    def on_click(self, event: Click) -> None:
        """Put the cursor on the clicked row."""
        self.focus()
        self.move_to(self.scroll_offset.y + event.y)

    def action_cursor_down(self) -> None:
        """Move to the next item."""
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        """Move to the previous item."""
        self.move_to(self.cursor - 1)

    def action_page_down(self) -> None:
        """Move down one screen."""
        self.move_to(self.cursor + max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        """Move up one screen."""
        self.move_to(self.cursor - max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        """Go to the first item, reading it from the store if it is not held."""
        if self.window.start == 0 or not self.loaded:
            self.move_to(0)
        else:
            self.reload(at="start")
            self.move_to(0)

    def action_last(self) -> None:
        """Go to the last item with one descending read (never a scan), unless it is already held."""
        if self.window.end >= self.total and self.loaded:
            self.move_to(self.total - 1)
        else:
            self.reload(at="end")
            self.move_to(self.total - 1)

    # Status overlay and marks ----------------------------------------------------------------

    def status_of(self, row: ListRow) -> tuple[str, str | None]:
        """Return the status to show for a row: an uncommitted optimistic one if any, else the stored one."""
        return self._overlay.status_of(row)

    def set_optimistic(self, ids: list[int], status: str, reason: str | None, seq: int) -> None:
        """Show a status at once for items whose write (number `seq`) is still queued."""
        self._overlay.put(ids, status, reason, seq)
        self._refresh_items(ids)

    def settle(self, committed: dict[int, tuple[str, str | None]], seq: int) -> None:
        """Record statuses committed by write `seq`, dropping optimistic ones no newer than it."""
        changed = []
        for item_id, (status, reason) in committed.items():
            index = self.window.index_of_id(item_id)
            before = self.window.row(index) if index is not None else None
            shown = self.status_of(before) if before is not None else None
            self.window.set_status(item_id, status, reason)
            self._overlay.committed(item_id, seq)
            after = self.window.row(index) if index is not None else None
            if after is not None and shown != self.status_of(after):
                changed.append(item_id)
        self._refresh_items(changed)

    def _refresh_items(self, ids: list[int]) -> None:
        """Repaint the lines of a few items, or everything for many."""
        if len(ids) > 8:
            self.refresh()
            return
        for item_id in ids:
            index = self.window.index_of_id(item_id)
            if index is not None:
                self.refresh_line(index)

    def forget(self, seq: int) -> None:
        """Drop optimistic statuses of a write that failed."""
        self._overlay.forget(seq)
        self.refresh()

    def toggle_mark(self) -> bool:
        """Mark or unmark the row under the cursor; return True when it is now marked."""
        row = self.current_row
        if row is None:
            return False
        if row.id in self.marks:
            del self.marks[row.id]
        else:
            self.marks[row.id] = self.status_of(row)[0]
        self.refresh()
        return row.id in self.marks

    def clear_marks(self) -> None:
        """Unmark everything."""
        self.marks.clear()
        self.refresh()

    # Rendering -------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """Drop cached styles and lines when the CSS or theme changes."""
        super().notify_style_update()
        self._painter.reset()

    def on_focus(self) -> None:
        """Repaint the cursor in its focused style."""
        self.refresh()

    def on_blur(self) -> None:
        """Repaint the cursor in its blurred style."""
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """Render one visible line from the window (a placeholder while its page loads)."""
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= self.total:
            return self._painter.blank(width)
        cursor = ("cursor" if self.has_focus else "cursor-blurred") if index == self.cursor else ""
        row = self.window.row(index)
        if row is None:
            return self._painter.loading(width, cursor)
        return self._painter.row(row, self.status_of(row)[0], row.id in self.marks, cursor, width)
