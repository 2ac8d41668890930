"""The help screen, generated from the live bindings of the view it was opened on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.views.base import View

_SHIFTED_LETTER = re.compile(r"shift\+[a-z]")


@dataclass(frozen=True, slots=True)
class HelpEntry:
    """One line of help: where the binding lives, its keys, what it does and the action it runs."""

    section: str
    keys: tuple[str, ...]
    description: str
    action: str
    node: DOMNode | None
    builtin: bool = False


def _section(node: object, screen: Screen[Any]) -> str:
    """Return a heading for the node that owns a binding."""
    if isinstance(node, App):
        return "Everywhere"
    if node is screen:
        return getattr(screen, "VIEW_TITLE", type(screen).__name__)
    return str(getattr(node, "HELP_TITLE", type(node).__name__))


def _describe(screen: Screen[Any], binding: Binding) -> str:
    """Return the description of a binding, asking the view for per-store meanings."""
    if isinstance(screen, View):
        return screen.describe_binding(binding)
    return binding.description or binding.action


def help_entries(screen: Screen[Any]) -> list[HelpEntry]:
    """Return every binding active on a screen, keys of one action grouped, plus its extra pane bindings."""
    app = screen.app
    grouped: dict[tuple[int, str], HelpEntry] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        slot = (id(active.node), binding.action)
        display = app.get_key_display(binding)
        if _SHIFTED_LETTER.fullmatch(key):
            continue
        entry = grouped.get(slot)
        keys = (*entry.keys, display) if entry else (display,)
        grouped[slot] = HelpEntry(_section(active.node, screen), keys, _describe(screen, binding), binding.action,
                                  active.node, binding.id is None)
    entries = list(grouped.values())
    if isinstance(screen, View):
        for title, bindings in screen.help_extra():
            entries.extend(_static_entries(title, bindings, app))

    first_seen = {section: n for n, section in reversed(list(enumerate(e.section for e in entries)))}

    def rank(entry: HelpEntry) -> tuple[int, int, bool]:
        """Order sections view, panes, everywhere; within each, our own keys before Textual's built-ins."""
        section = 2 if entry.section == "Everywhere" else 0 if entry.node is screen else 1
        return section, first_seen[entry.section], entry.builtin

    return sorted(entries, key=rank)


def _static_entries(title: str, bindings: list[BindingType], app: App[Any]) -> list[HelpEntry]:
    """Return help entries for class-level bindings of a widget that is not focused."""
    entries = []
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        keys = tuple(app.get_key_display(Binding(k, binding.action)) for k in binding.key.split(",")
                     if not _SHIFTED_LETTER.fullmatch(k))
        entries.append(HelpEntry(title, keys, binding.description, binding.action, None))
    return entries


class HelpScreen(ModalScreen[None]):
    """Lists every key of the current view with what it does; escape, ? or q closes it."""

    AUTO_FOCUS = "#help-scroll"
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close help", id="help.close")]

    def __init__(self, title: str, entries: list[HelpEntry]) -> None:
        """Show the given entries under a title."""
        super().__init__()
        self._title, self.entries = title, entries

    def compose(self) -> ComposeResult:
        """Lay out the table of keys."""
        with Vertical(classes="dialog help"):
            yield Static(Text(f"Keys — {self._title}   (escape to close; ctrl+p runs any of these by name)",
                              style="bold"), markup=False)
            with VerticalScroll(id="help-scroll"):
                yield Static(self._table(), id="help-table", markup=False)

    def _table(self) -> Text:
        """Render the entries as aligned lines grouped by section."""
        text = Text()
        section = None
        for entry in self.entries:
            if entry.section != section:
                section = entry.section
                text.append(f"\n{section}\n", style="bold underline")
            text.append(f"  {' '.join(entry.keys):<18}", style="bold")
            text.append(f"{entry.description}\n")
        return text

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
