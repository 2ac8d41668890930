"""Small modal screens: confirm, find, inline edit and the view picker."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from core.safe_text import is_safe, one_line, visible
from tui.keymap import MODAL_BINDINGS


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; `y` or enter confirms, `n` or escape cancels."""

    BINDINGS = [
        Binding("y,enter", "confirm", "Confirm", id="confirm.yes"),
        Binding("n,escape", "cancel", "Cancel", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        """Build the dialog for a question and an optional explanation."""
        super().__init__()
        self._question, self._detail = question, detail

    def compose(self) -> ComposeResult:
        """Lay out the question and the keys."""
        with Vertical(classes="dialog"):
            yield Static(Text(self._question, style="bold"), markup=False)
            if self._detail:
                yield Static(Text(self._detail), markup=False)
            yield Static(Text("y / enter: confirm    n / escape: cancel", style="dim"), markup=False)

    def action_confirm(self) -> None:
        """Answer yes."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Answer no."""
        self.dismiss(False)


class FindScreen(ModalScreen[str | None]):
    """Ask for text to find in the current list."""

    BINDINGS = MODAL_BINDINGS

    def __init__(self, initial: str = "") -> None:
        """Prefill the previous search."""
        super().__init__()
        self._initial = initial

    def compose(self) -> ComposeResult:
        """Lay out the prompt and the input."""
        with Vertical(classes="dialog"):
            yield Label(Text("Find text in this list (any case; enter to search, escape to cancel)"))
            yield Input(value=self._initial, placeholder="text to find", id="find-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Return the text, or None when blank."""
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without searching."""
        self.dismiss(None)


class EditScreen(ModalScreen[str | None]):
    """Edit a response inline; ctrl+s saves, escape cancels. Control characters are shown (and saved) as escapes."""

    AUTO_FOCUS = "#edit-area"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save edit", id="edit.save"),
        Binding("escape", "cancel", "Cancel edit", id="edit.cancel", priority=True),
    ]

    def __init__(self, text: str, title: str) -> None:
        """Prepare the editor with the text to edit."""
        super().__init__()
        self._unsafe = not is_safe(text)
        self._initial = visible(text) if self._unsafe else text
        self._title = title

    def compose(self) -> ComposeResult:
        """Lay out the title, a warning when escapes are shown, and the text area."""
        with Vertical(classes="dialog editor"):
            yield Label(Text(f"{one_line(self._title, 70)} — ctrl+s save, escape cancel"))
            if self._unsafe:
                yield Label(Text("Control characters are shown as \\x.. escapes and will be saved that way.",
                                 style="bold"))
            yield TextArea(self._initial, id="edit-area", soft_wrap=True, tab_behavior="indent")

    def action_save(self) -> None:
        """Return the new text, or None when nothing changed."""
        text = self.query_one(TextArea).text
        self.dismiss(None if text == self._initial else text)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


class ViewPicker(ModalScreen[str | None]):
    """Pick a view: press its number, or move and press enter."""

    BINDINGS = MODAL_BINDINGS

    def __init__(self, views: Sequence[tuple[str, str, str, str]]) -> None:
        """Offer (name, key, title, description) views."""
        super().__init__()
        self._views = list(views)

    def compose(self) -> ComposeResult:
        """List the views with their keys."""
        with Vertical(classes="dialog"):
            yield Label(Text("Go to view (press its number)"))
            yield OptionList(
                *(Option(Text(f"{key}  {title} — {desc}"), id=name) for name, key, title, desc in self._views),
                id="view-options",
            )

    def on_key(self, event: Key) -> None:
        """Jump straight to the view whose number was pressed."""
        for name, key, _title, _description in self._views:
            if event.character == key:
                event.stop()
                self.dismiss(name)
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Go to the chosen view."""
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Stay where we are."""
        self.dismiss(None)
