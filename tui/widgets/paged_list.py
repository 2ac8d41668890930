"""A scroll view over a paged row window: reads pages from DuckDB in a worker around the viewport and cursor."""

from __future__ import annotations

from textual import work
from textual.geometry import Size
from textual.scroll_view import ScrollView

from core.safe_text import one_line
from store.connection import Store
from store.listing import ListRow, ListSpec
from tui.messages import CursorMoved, ListReady, PageFailed, PageLoaded, PageRequest
from tui.widgets.paging import load_page
from tui.widgets.window import RowWindow


class PagedList(ScrollView):
    """Holds a window of a long list and a cursor in it, paging rows in as scrolling and the cursor need them."""

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
        self._generation = 0
        self._inflight: PageRequest | None = None
        self._target: str | None = None

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

    # Cursor view -----------------------------------------------------------------------------

    def _scroll_to_cursor(self) -> None:
        """Keep the cursor visible, jumping half a screen when it leaves, so most moves repaint two lines only."""
        top, height = self.scroll_offset.y, max(1, self.scrollable_content_region.height)
        if not top <= self.cursor < top + height:
            self.scroll_to(y=max(0, self.cursor - height // 2), animate=False)

    def _announce(self) -> None:
        """Tell the view which row is under the cursor."""
        self.post_message(CursorMoved(self.cursor, self.current_row))
