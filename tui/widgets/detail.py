"""The detail pane: the whole item, turn by turn, escaped and capped so huge texts never freeze the UI."""

from __future__ import annotations

import json
import re

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.models import StoredItem
from core.safe_text import clip, one_line, safe_spans
from store.flags import Flag
from store.listing import ListRow
from tui.keymap import DETAIL_BINDINGS
from tui.widgets.flags import span_cuts

DEFAULT_BUDGET = 6_000
MORE_KEY = "+"


class DetailPane(ScrollView, can_focus=True):
    """Shows one item in full, wrapped into lines rendered on demand; long texts stop at a budget `+` raises."""

    BINDINGS = DETAIL_BINDINGS
    HELP_TITLE = "Detail pane"
    COMPONENT_CLASSES = {
        "detail--heading", "detail--meta", "detail--escape", "detail--more", "detail--match", "detail--flag"
    }

    def __init__(self, *, id: str | None = None) -> None:
        """Start empty."""
        super().__init__(id=id)
        self.budget = DEFAULT_BUDGET
        self.hidden_chars = 0
        self.item: StoredItem | None = None
        self.text = Text()
        self._status: tuple[str, str | None] = ("", None)
        self._highlight: str | None = None
        self._flags: tuple[Flag, ...] = ()
        self._lines: list[Strip] = []
        self._wrapped_width = -1
        self._base_style = Style()

    def show(
        self, item: StoredItem, status: tuple[str, str | None], highlight: str | None = None,
        flags: tuple[Flag, ...] = (),
    ) -> None:
        """Show an item with its flags; a different item resets the budget and scrolls to the top."""
        changed = self.item is None or self.item.id != item.id
        if changed:
            self.budget = DEFAULT_BUDGET
        self.item, self._status, self._highlight, self._flags = item, status, highlight, flags
        self._render_item()
        if changed:
            self.scroll_to(y=0, animate=False)

    def show_message(self, message: str, row: ListRow | None = None) -> None:
        """Show a placeholder (loading, empty list) with the row's preview when known."""
        self.item = None
        self.hidden_chars = 0
        text = Text()
        if row is not None:
            text.append(f"#{row.id}  ", self.get_component_rich_style("detail--heading"))
            text.append(one_line(row.preview, 200) + "\n\n")
        text.append(message, self.get_component_rich_style("detail--meta"))
        self._set_text(text)
        self.scroll_to(y=0, animate=False)

    def more(self) -> bool:
        """Raise the character budget to show more of a long item; return False when nothing is hidden."""
        if self.item is None or self.hidden_chars == 0:
            return False
        self.budget *= 4
        self._render_item()
        return True

    def _render_item(self) -> None:
        """Rebuild the Text for the current item within the budget."""
        assert self.item is not None
        text, self.hidden_chars = self.build_text(self.item, self._status, self.budget, self._flags)
        if self._highlight:
            text.highlight_regex(
                re.compile(re.escape(self._highlight), re.IGNORECASE), self.get_component_rich_style("detail--match")
            )
        self._set_text(text)

    def _set_text(self, text: Text) -> None:
        """Replace the text and wrap it for the current width."""
        self.text = text
        self._wrapped_width = -1
        self._wrap()
        self.refresh()

    def _wrap(self) -> None:
        """Wrap the text into strips for the content width and size the scroll area without a relayout."""
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._wrapped_width:
            return
        console = self.app.console
        options = console.options.update(width=width, height=None, highlight=False, markup=False)
        base = self._base_style = self.rich_style
        self._lines = [Strip(line).apply_style(base) for line in console.render_lines(self.text, options, pad=False)]
        self._wrapped_width = width
        size = Size(width, len(self._lines))
        if size != self.virtual_size:
            self.set_reactive(ScrollView.virtual_size, size)
            self.vertical_scrollbar.window_virtual_size = size.height
            self.vertical_scrollbar.window_size = self.scrollable_content_region.height
            self.vertical_scrollbar.refresh()
            self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def notify_style_update(self) -> None:
        """Re-wrap with the new base style when the CSS or theme changes."""
        super().notify_style_update()
        self._base_style = self.rich_style
        if self.is_mounted:
            self._wrapped_width = -1
            self._wrap()

    def on_resize(self) -> None:
        """Re-wrap for the new width."""
        self._wrap()
        self.refresh()

    @property
    def plain_text(self) -> str:
        """Return the text currently shown, without styles."""
        return self.text.plain

    def render_line(self, y: int) -> Strip:
        """Render one wrapped line of the text."""
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if 0 <= index < len(self._lines):
            return self._lines[index].adjust_cell_length(width, self._base_style)
        return Strip.blank(width, self._base_style)

    def build_text(
        self, item: StoredItem, status: tuple[str, str | None], budget: int, flags: tuple[Flag, ...] = ()
    ) -> tuple[Text, int]:
        """Return the item as styled, escaped Text with its flags and how many characters were left out."""
        heading = self.get_component_rich_style("detail--heading")
        meta = self.get_component_rich_style("detail--meta")
        text = Text()
        text.append(f"#{item.id} ", heading)
        text.append(one_line(status[0].upper(), 20), heading)
        if status[1]:
            text.append(f" ({one_line(status[1], 60)})", heading)
        batch = f"batch {item.batch_id}" if item.batch_id is not None else "no batch"
        text.append(f"\n{one_line(item.kind, 30)} · {one_line(item.origin, 20)} · {one_line(item.split, 20)} · {batch}")
        if item.ext_id:
            text.append(f" · {one_line(item.ext_id, 60)}", meta)
        text.append("\n")
        flag_style = self.get_component_rich_style("detail--flag")
        for flag in flags:
            text.append(f"⚑ {one_line(flag.scorer, 40)}", flag_style)
            text.append(f": {one_line(flag.reason or '', 200)}\n" if flag.reason else "\n", meta)
        sections: list[tuple[str, str]]
        if item.conversation:
            sections = [(turn.role or "turn", turn.content) for turn in item.conversation]
        else:
            sections = [("instruction", item.instruction), ("input", item.input), ("response", item.response)]
            sections = [s for s in sections if s[1] or s[0] != "input"]
        if item.metadata:
            sections.append(("metadata", json.dumps(item.metadata, ensure_ascii=False, indent=1)))
        remaining, hidden = budget, 0
        for title, body in sections:
            text.append(f"\n── {one_line(title, 40)} ", heading)
            text.append(f"({len(body):,} chars)\n" if len(body) > 200 else "\n", meta)
            shown, left_out = clip(body, max(remaining, 0))
            remaining -= len(shown)
            field = "" if item.conversation else title
            for start, end, flagged in span_cuts(flags, field, len(shown)):
                self._append_escaped(text, shown[start:end], flag_style if flagged else None)
            if left_out:
                hidden += left_out
                text.append(
                    f"\n… {left_out:,} more characters (press {MORE_KEY} to show more)",
                    self.get_component_rich_style("detail--more"),
                )
            text.append("\n")
        return text, hidden

    def _append_escaped(self, text: Text, body: str, style: Style | None = None) -> None:
        """Append body text, in `style` if given, with unsafe characters as styled visible escapes."""
        escape: Style = self.get_component_rich_style("detail--escape")
        for span in safe_spans(body):
            text.append(span.text, (style + escape if style else escape) if span.escape else style)
