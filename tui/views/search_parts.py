"""The search view's parts: the messages its jobs post, a one-line prompt dialog, and match highlighting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from core.safe_text import flat_segment, visible
from store.search_library import QueryCount

MATCH_STYLE = "bold reverse"


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
