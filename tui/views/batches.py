"""The batches overview: every import or generation batch with its status counts."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Static

from core.safe_text import one_line
from store.items import ItemFilter
from store.stats import store_stats
from tui.keymap import BATCHES_BINDINGS
from tui.messages import BatchesLoaded
from tui.views.base import View

COLUMNS = ("id", "name", "kind", "status", "items", "pending", "accepted", "rejected", "skipped", "bad rows")


class BatchesView(View):
    """A table of batches; enter opens the triage queue filtered to the highlighted batch."""

    VIEW_TITLE = "Batches"
    BINDINGS = BATCHES_BINDINGS

    def compose(self) -> ComposeResult:
        """Lay out a title, the table and the footer."""
        yield Static(Text("Batches — enter: triage this batch · r: refresh · v: switch view", style="bold"),
                     id="batches-title", markup=False)
        yield DataTable(id="batches-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Add the columns and load the rows."""
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        """Refresh whenever the view is shown again."""
        self.load()

    @work(thread=True, group="batches", exclusive=True, exit_on_error=False)
    def load(self) -> None:
        """Read the batch statistics."""
        with self.store.cursor() as cur:
            stats = store_stats(cur)
        self.post_message(BatchesLoaded(stats))

    def on_batches_loaded(self, message: BatchesLoaded) -> None:
        """Fill the table (every cell is escaped Text)."""
        table = self.query_one(DataTable)
        table.clear()
        for batch in message.stats["batches"]:
            by_status = batch["by_status"]
            cells = (
                str(batch["id"]), one_line(str(batch["name"]), 40), one_line(str(batch["kind"]), 12),
                one_line(str(batch["status"]), 12), f"{batch['items']:,}", f"{by_status['pending']:,}",
                f"{by_status['accepted']:,}", f"{by_status['rejected']:,}", f"{by_status['skipped']:,}",
                f"{batch['rows_bad']:,}",
            )
            table.add_row(*(Text(c) for c in cells), key=str(batch["id"]))
        if not message.stats["batches"]:
            self.notify("No batches yet: import a file with `thresher import`", markup=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens that batch."""
        event.stop()
        self.action_open_batch()

    def action_open_batch(self) -> None:
        """Open the triage queue filtered to the highlighted batch."""
        table = self.query_one(DataTable)
        if table.row_count == 0:
            self.app.bell()
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None:
            self.thresher.open_triage(ItemFilter(status="pending", batch_id=int(key)))

    def action_refresh(self) -> None:
        """Re-read the batches."""
        self.load()
