"""Turns list rows into strips, caching styles and whole lines so repaints cost next to nothing."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip
from textual.widget import Widget

from core.safe_text import one_line
from store.listing import ListRow

STATUS_GLYPHS = {"pending": "·", "accepted": "✓", "rejected": "✗", "skipped": "»"}
ORIGIN_SHORT = {"synthetic": "syn", "real": "real"}
WIDE_COLUMNS = 60
FLAG_MARK = "⚑"


class RowPainter:
    """Paints list rows for a widget using its component classes; call `reset` when styles change."""

    def __init__(self, widget: Widget, prefix: str) -> None:
        """Paint for `widget`, whose component classes start with `prefix`."""
        self._widget = widget
        self._prefix = prefix
        self._styles: dict[str, Style] = {}
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(2048)

    def reset(self) -> None:
        """Forget cached styles and lines."""
        self._styles.clear()
        self._strips.clear()

    def style(self, component: str) -> Style:
        """Return the widget's base style ('') or a component style, cached."""
        cached = self._styles.get(component)
        if cached is None:
            widget = self._widget
            cached = widget.rich_style if not component else widget.get_component_rich_style(
                f"{self._prefix}--{component}", partial=True)
            self._styles[component] = cached
        return cached

    def _line_style(self, cursor: str) -> Style:
        """Return the style of a whole line: plain, or the focused or blurred cursor."""
        base = self.style("")
        return base + self.style(cursor) if cursor else base

    def blank(self, width: int) -> Strip:
        """Return an empty line."""
        return Strip.blank(width, self.style(""))

    def loading(self, width: int, cursor: str) -> Strip:
        """Return the placeholder of a row whose page is still loading."""
        line = self._line_style(cursor)
        return Strip([Segment("   …", line + self.style("loading"))]).adjust_cell_length(width, line)

    def row(self, row: ListRow, status: str, marked: bool, cursor: str, width: int) -> Strip:
        """Return the strip of one row: cursor, mark, status glyph, id, kind/origin/batch when wide, flags, preview."""
        key = (row, status, marked, cursor, width)
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        line = self._line_style(cursor)
        meta = line + self.style("meta")
        segments = [
            Segment(("›" if cursor else " ") + ("●" if marked else " "), line + self.style("mark")),
            Segment(STATUS_GLYPHS.get(status, "?"), line + self.style(status)),
            Segment(f" {row.id:>7} ", meta),
        ]
        if width >= WIDE_COLUMNS:
            kind = one_line(row.kind, 6).ljust(6)
            origin = ORIGIN_SHORT.get(row.origin, one_line(row.origin, 4)).ljust(4)
            batch = (f"b{row.batch_id}" if row.batch_id is not None else "-").ljust(4)
            segments.append(Segment(f"{kind} {origin} {batch} ", meta))
        if row.flags:
            segments.append(Segment(f"{FLAG_MARK}{len(row.flags)} ", line + self.style("flag")))
        segments.append(Segment(one_line(row.preview, max(width, 1)), line))
        strip = Strip(segments).adjust_cell_length(width, line)
        self._strips[key] = strip
        return strip
