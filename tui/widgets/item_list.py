"""The windowed item list: a Line API view over millions of rows that only ever holds a window of them."""

from __future__ import annotations

from textual import work
from textual.events import Click
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.safe_text import one_line
from store.connection import Store
from store.listing import ListRow, ListSpec
from tui.keymap import LIST_BINDINGS
from tui.messages import CursorMoved, ListReady, PageFailed, PageLoaded, PageRequest
from tui.widgets.overlay import StatusOverlay
from tui.widgets.paging import load_page
from tui.widgets.row_painter import RowPainter
from tui.widgets.window import RowWindow


class ItemList(ScrollView, can_focus=True):
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
    }
    PAGE_SIZE = 100
    MARGIN = 30

    def __init__(self, store: Store, spec: ListSpec, *, id: str | None = None) -> None:
        """Create an empty list over `spec`; call `reload` to fill it."""
        super().__init__(id=id)
        self._store = store
        self.spec = spec
        self.window = RowWindow(capacity=4 * self.PAGE_SIZE)
        self.cursor = 0
        self.loaded = False
        self.marks: dict[int, str] = {}
        self._overlay = StatusOverlay()
        self._generation = 0
        self._inflight: PageRequest | None = None
        self._target: str | None = None
        self._painter = RowPainter(self, "item-list")

    @property
    def total(self) -> int:
        """Return the number of rows in the list as last counted."""
        return self.window.total

    @property
    def cached_row_count(self) -> int:
        """Return how many rows are held in memory right now."""
        return len(self.window)

    @property
    def current_row(self) -> ListRow | None:
        """Return the row under the cursor, or None while it is loading or the list is empty."""
        return self.window.row(self.cursor)

    # Loading ---------------------------------------------------------------------------------

    def reload(self, spec: ListSpec | None = None, *, at: str = "start", key: int | None = None) -> None:
        """Replace the window: at the start, the end, or around a key; the cursor lands there."""
        if spec is not None:
            self.spec = spec
        self._generation += 1
        self._target = at
        self._request(PageRequest(self._generation, at, key=key))

    def _request(self, request: PageRequest) -> None:
        """Start one page read in a worker."""
        self._inflight = request
        self._fetch(self.spec, request)

    @work(thread=True, group="item-list", exclusive=True, exit_on_error=False)
    def _fetch(self, spec: ListSpec, request: PageRequest) -> None:
        """Read a page off the UI thread and post it back."""
        try:
            self.post_message(load_page(self._store, spec, request, self.PAGE_SIZE))
        except Exception as error:  # noqa: BLE001 - reported to the UI
            self.post_message(PageFailed(request, str(error).splitlines()[0] if str(error) else repr(error)))

    def on_page_failed(self, message: PageFailed) -> None:
        """Report a failed read and allow the next one."""
        message.stop()
        if message.request.generation == self._generation:
            self._inflight = None
            self.notify(f"could not read the list: {one_line(message.error, 200)}", severity="error", markup=False)

    def on_page_loaded(self, message: PageLoaded) -> None:
        """Merge a page into the window, keep the cursor where it belongs, and ask for more if needed."""
        message.stop()
        request = message.request
        if request.generation != self._generation:
            return
        self._inflight = None
        self.spec = message.spec
        if request.resets:
            self._merge_reset(message)
        elif request.mode == "after":
            self.window.append(message.rows, keep=self.cursor)
            if len(message.rows) < self.PAGE_SIZE:
                self.window.total = self.window.end
        else:
            self.window.prepend(message.rows, keep=self.cursor)
            if len(message.rows) < self.PAGE_SIZE or self.window.start < 0:
                self._shift(-self.window.start)
        self.cursor = max(0, min(self.cursor, self.total - 1))
        self._sync_size()
        self._scroll_to_cursor()
        self.refresh()
        self._announce()
        self._ensure_loaded()

    def _merge_reset(self, message: PageLoaded) -> None:
        """Replace the window with a fresh page and place the cursor as the request intended."""
        assert message.start is not None and message.total is not None
        total = message.total if message.rows else min(message.total, message.start)
        self.window.reset(message.start, message.rows, total)
        if not self.loaded:
            self.post_message(ListReady())
        self.loaded = True
        if self._target == "end":
            self.cursor = self.total - 1
        elif self._target in ("start", "key"):
            self.cursor = self.window.start
        self._target = None

    def _shift(self, delta: int) -> None:
        """Renumber everything by `delta` after learning the true start of the list."""
        if delta:
            self.window.shift(delta)
            self.cursor += delta
            self.scroll_to(y=max(0, self.scroll_offset.y + delta), animate=False)

    def _ensure_loaded(self) -> None:
        """Ask for the page the viewport or cursor needs next, one request at a time."""
        if self._inflight is not None or not self.loaded or self.total == 0:
            return
        window, top = self.window, self.scroll_offset.y
        lo = max(0, min(top, self.cursor) - self.MARGIN)
        hi = min(self.total, max(top + self.size.height, self.cursor + 1) + self.MARGIN)
        if not len(window) or hi < window.start - self.PAGE_SIZE or lo > window.end + self.PAGE_SIZE:
            self._request(PageRequest(self._generation, "offset", offset=max(0, lo)))
        elif hi > window.end and window.end < self.total:
            self._request(PageRequest(self._generation, "after", key=window.rows[-1].key))
        elif lo < window.start:
            self._request(PageRequest(self._generation, "before", key=window.rows[0].key))

    def _sync_size(self) -> None:
        """Make the scrollable height equal the row count."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.total)

    def on_resize(self) -> None:
        """Keep the virtual size, window capacity and loaded rows in step with the new size."""
        self.window.capacity = max(4 * self.PAGE_SIZE, 2 * (self.size.height + self.MARGIN) + 2 * self.PAGE_SIZE)
        self._sync_size()
        self._scroll_to_cursor()
        self._ensure_loaded()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Repaint and load whatever a scroll (mouse or keyboard) brought into view."""
        super().watch_scroll_y(old_value, new_value)
        self._ensure_loaded()

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

    def _scroll_to_cursor(self) -> None:
        """Keep the cursor visible, jumping half a screen when it leaves, so most moves repaint two lines only."""
        top, height = self.scroll_offset.y, max(1, self.scrollable_content_region.height)
        if not top <= self.cursor < top + height:
            self.scroll_to(y=max(0, self.cursor - height // 2), animate=False)

    def _announce(self) -> None:
        """Tell the view which row is under the cursor."""
        self.post_message(CursorMoved(self.cursor, self.current_row))

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
