"""The one-line status bar: counts, position, scope, marks and the last undoable action."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from core.safe_text import one_line

SEPARATOR = " │ "


@dataclass
class StatusInfo:
    """Everything the status bar shows."""

    counts: dict[str, int] = field(default_factory=dict)
    position: int = 0
    total: int = 0
    mode: str = "Queue"
    scope: str = ""
    progress: tuple[int, int] | None = None
    marks: int = 0
    find: str | None = None
    last_label: str | None = None
    saving: int = 0


class StatusBar(Widget):
    """Renders StatusInfo as one line, dropping the least important parts when the terminal is narrow."""

    COMPONENT_CLASSES = {"status-bar--label", "status-bar--last", "status-bar--mode"}

    def __init__(self, *, id: str | None = None) -> None:
        """Start with empty information."""
        super().__init__(id=id)
        self.info = StatusInfo()

    def show(self, info: StatusInfo) -> None:
        """Replace the information and repaint."""
        self.info = info
        self.refresh()

    def parts(self, width: int) -> list[tuple[str, str, int]]:
        """Return (text, component class, priority) pieces in display order; lower priorities survive narrowing."""
        info, wide = self.info, width >= 120
        counts = info.counts
        names = ("pending", "accepted", "rejected", "skipped")
        if wide:
            tally = "  ".join(f"{name} {counts.get(name, 0):,}" for name in names)
        else:
            tally = " ".join(f"{name[0].upper()} {counts.get(name, 0):,}" for name in names)
        position = f"{info.position:,} / {info.total:,}" if info.total else "0 / 0"
        mode = info.mode
        if info.progress is not None:
            mode += f" {info.progress[0]:,}/{info.progress[1]:,}"
        if info.scope:
            mode += f" {one_line(info.scope, 40)}"
        pieces = [(tally, "status-bar--label", 1), (position, "", 0), (mode, "status-bar--mode", 4)]
        if info.marks:
            pieces.append((f"{info.marks:,} marked", "status-bar--mode", 5))
        if info.find:
            pieces.append((f"/{one_line(info.find, 24)}", "", 6))
        if info.last_label:
            suffix = " · u to undo" if wide else " (u undo)"
            pieces.append((f"{one_line(info.last_label, 48)}{suffix}", "status-bar--last", 2))
        if info.saving:
            pieces.append((f"saving {info.saving}…", "status-bar--mode", 3))
        return pieces

    def render(self) -> Text:
        """Join the pieces that fit, dropping the least important first."""
        width = self.size.width
        pieces = self.parts(width)
        while len(pieces) > 1 and sum(cell_len(p[0]) for p in pieces) + len(SEPARATOR) * (len(pieces) - 1) > width:
            pieces.remove(max(pieces, key=lambda piece: piece[2]))
        text = Text(no_wrap=True, overflow="ellipsis")
        for n, (piece, component, _priority) in enumerate(pieces):
            if n:
                text.append(SEPARATOR)
            text.append(piece, self.get_component_rich_style(component) if component else None)
        return text
