"""Every key binding of the app, each with a stable id so a keymap file can rebind it."""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("question_mark", "help", "Help", id="app.help"),
    Binding("q", "quit", "Quit", show=False, id="app.quit"),
    Binding("v", "pick_view", "Switch view (v, then its number)", show=False, id="app.views"),
]


def view_bindings(views: list[tuple[str, str, str]]) -> list[BindingType]:
    """Return F-key bindings (F1 = view 1, ...) that switch views even while a text field has focus."""
    return [
        Binding(f"f{key}", f"show_view('{name}')", f"Go to {title} (F{key})", show=False, priority=True,
                id=f"app.view.{name}")
        for name, key, title in views
    ]

LIST_BINDINGS: list[BindingType] = [
    Binding("j,down", "cursor_down", "Next item", show=False, id="list.down"),
    Binding("k,up", "cursor_up", "Previous item", show=False, id="list.up"),
    Binding("g,home", "first", "First item", show=False, id="list.first"),
    Binding("G,shift+g,end", "last", "Last item", show=False, id="list.last"),
    Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="list.page_down"),
    Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up"),
]

DETAIL_BINDINGS: list[BindingType] = [
    Binding("j,down", "scroll_down", "Scroll text down", show=False, id="detail.down"),
    Binding("k,up", "scroll_up", "Scroll text up", show=False, id="detail.up"),
    Binding("g,home", "scroll_home", "Top of text", show=False, id="detail.top"),
    Binding("G,shift+g,end", "scroll_end", "End of text", show=False, id="detail.end"),
    Binding("pagedown,ctrl+f", "page_down", "Page text down", show=False, id="detail.page_down"),
    Binding("pageup,ctrl+b", "page_up", "Page text up", show=False, id="detail.page_up"),
]

TRIAGE_BINDINGS: list[BindingType] = [
    Binding("a", "accept", "Accept", id="triage.accept"),
    Binding("x", "reject", "Reject", id="triage.reject"),
    Binding("s", "skip", "Skip", id="triage.skip"),
    *[
        Binding(str(n), f"reject_reason({n})", f"Reject with reason {n}", show=False, id=f"triage.reason{n}")
        for n in range(1, 10)
    ],
    Binding("u", "undo", "Undo", id="triage.undo"),
    Binding("ctrl+r", "redo", "Redo", show=False, id="triage.redo"),
    Binding("e", "edit", "Edit response", show=False, id="triage.edit"),
    Binding("f", "filter", "Filter", id="triage.filter"),
    Binding("slash", "find", "Find", id="triage.find"),
    Binding("n", "find_next", "Next match", show=False, id="triage.find_next"),
    Binding("N,shift+n", "find_previous", "Previous match", show=False, id="triage.find_previous"),
    Binding("space", "toggle_mark", "Mark item", show=False, id="triage.mark"),
    Binding("A,shift+a", "bulk_accept", "Accept marked items", show=False, id="triage.bulk_accept"),
    Binding("X,shift+x", "bulk_reject", "Reject marked items", show=False, id="triage.bulk_reject"),
    Binding("escape", "clear_marks", "Clear marks", show=False, id="triage.clear_marks"),
    Binding("m", "switch_mode", "Queue/audit mode", show=False, id="triage.mode"),
    Binding("tab", "switch_pane", "Switch list/detail", show=False, id="triage.pane"),
    Binding("plus,equals_sign", "more_text", "Show more of a long text", show=False, id="triage.more"),
    Binding("r", "reload", "Reload list", show=False, id="triage.reload"),
]

BATCHES_BINDINGS: list[BindingType] = [
    Binding("enter", "open_batch", "Triage this batch", id="batches.open"),
    Binding("r", "refresh", "Refresh", id="batches.refresh"),
]

MODAL_BINDINGS: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="modal.cancel"),
]
