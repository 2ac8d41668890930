"""The base of every named view: typed access to the store and writer, and help text for its bindings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from textual.binding import Binding, BindingType
from textual.screen import Screen

from store.connection import Store
from tui.writer import WriteQueue

if TYPE_CHECKING:
    from tui.app import ThresherApp


class View(Screen[None]):
    """A full-screen view of the app shell, reachable from the view picker and the command palette."""

    VIEW_TITLE = "View"

    @property
    def thresher(self) -> ThresherApp:
        """Return the running app, typed."""
        return cast("ThresherApp", self.app)

    @property
    def store(self) -> Store:
        """Return the open store."""
        return self.thresher.store

    @property
    def writer(self) -> WriteQueue:
        """Return the single write queue."""
        return self.thresher.writer

    def describe_binding(self, binding: Binding) -> str:
        """Return the help text of a binding; views override this for bindings whose meaning is per store."""
        return binding.description

    def help_extra(self) -> list[tuple[str, list[BindingType]]]:
        """Return bindings of widgets that are not focused now but belong in this view's help."""
        return []

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Return extra (title, help, callback) commands this view offers in the command palette."""
        return []
