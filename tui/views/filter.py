"""The filter dialog: narrow the queue by status, batch, origin, split and kind."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from core.models import Origin, Split, Status
from core.safe_text import one_line
from store.items import ItemFilter
from store.listing import FilterOptions

FIELDS = ("status", "batch_id", "origin", "split", "kind")
LABELS = {"status": "Status", "batch_id": "Batch", "origin": "Origin", "split": "Split", "kind": "Kind"}


def _choices(field: str, options: FilterOptions | None) -> list[tuple[Text, str]]:
    """Return the (label, value) choices of one filter field."""
    if field == "status":
        values = [(s.value, s.value) for s in Status]
    elif field == "batch_id":
        values = [(f"{bid} {name}", str(bid)) for bid, name in (options.batches if options else [])]
    elif field == "origin":
        values = [(v, v) for v in (options.origins if options else [o.value for o in Origin])]
    elif field == "split":
        values = [(v, v) for v in (options.splits if options else [s.value for s in Split])]
    else:
        values = [(v, v) for v in (options.kinds if options else [])]
    return [(Text(one_line(label, 50)), value) for label, value in values]


class FilterScreen(ModalScreen[ItemFilter | None]):
    """Choose a filter; ctrl+s or Apply applies it, escape cancels, Clear shows every item."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply filter", id="filter.apply"),
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
    ]

    def __init__(self, current: ItemFilter, options: FilterOptions | None) -> None:
        """Prefill the dialog with the current filter."""
        super().__init__()
        self._current, self._options = current, options

    def compose(self) -> ComposeResult:
        """Lay out one select per field and the buttons."""
        with Vertical(classes="dialog filter"):
            yield Label(Text("Filter items — tab moves, enter opens a list, ctrl+s applies, escape cancels"))
            for field in FIELDS:
                choices = _choices(field, self._options)
                current = getattr(self._current, field)
                known = {v for _label, v in choices}
                value = str(current) if current is not None and str(current) in known else Select.NULL
                with Horizontal(classes="filter-row"):
                    yield Label(LABELS[field], classes="filter-label")
                    yield Select(choices, prompt="any", value=value, id=f"filter-{field}", compact=True)
            with Horizontal(classes="filter-buttons"):
                yield Button("Apply", id="filter-apply", variant="primary", compact=True)
                yield Button("Clear", id="filter-clear", compact=True)

    def chosen(self) -> ItemFilter:
        """Return the filter the dialog currently describes."""
        values: dict[str, object] = {}
        for field in FIELDS:
            value = self.query_one(f"#filter-{field}", Select).value
            if value is Select.NULL or value is None:
                values[field] = None
            else:
                values[field] = int(str(value)) if field == "batch_id" else str(value)
        return replace(self._current, **values)  # type: ignore[arg-type]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Apply or clear."""
        if event.button.id == "filter-clear":
            self.dismiss(ItemFilter())
        else:
            self.action_apply()

    def action_apply(self) -> None:
        """Close with the chosen filter."""
        self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
