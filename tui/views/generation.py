"""The generation view: pick a recipe, fill its parameters, see the estimate, launch, watch and cancel a batch,
and resume one that stopped early.  Items stream into the store (and the triage queue) as results arrive."""

from __future__ import annotations

import threading

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, OptionList, ProgressBar, Static

from tui.views.generation_base import GenerationBase
from tui.views.generation_form import FIELDS, RecipeChoice, resumable_text

LONG_HELP = {
    "generation.launch": "Launch the batch (enter in a field does too)",
    "generation.cancel": "Cancel the running batch after its requests in flight; it stays resumable",
    "generation.resume": "Resume the highlighted stopped batch (enter on it does too); a Budget USD typed in "
                         "the form replaces its budget",
}
GENERATION_BINDINGS: list[BindingType] = [
    Binding("ctrl+g", "launch", "Launch batch", id="generation.launch"),
    Binding("ctrl+x", "cancel_batch", "Cancel batch", priority=True, id="generation.cancel"),
    Binding("R,shift+r", "resume", "Resume batch", key_display="R", id="generation.resume"),
    Binding("tab", "app.focus_next", "Next field", show=False, id="generation.next"),
    Binding("shift+tab", "app.focus_previous", "Previous field", show=False, id="generation.previous"),
    Binding("escape", "to_recipes", "Back to the recipe list", show=False, id="generation.recipes"),
    Binding("r", "refresh", "Re-read recipes and batches", show=False, id="generation.refresh"),
]


class GenerationView(GenerationBase):
    """Recipe list and resumable batches beside the parameter form, the estimate and the live progress."""

    BINDINGS = GENERATION_BINDINGS

    def describe_binding(self, binding: Binding) -> str:
        """Return the longer help text of the launch, cancel and resume keys."""
        return LONG_HELP.get(binding.id or "", binding.description)

    # Form ------------------------------------------------------------------------------------

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Pick the highlighted recipe: describe it, show the fields it uses, and re-estimate."""
        event.stop()
        found = [r for r in self.recipes if r.name == event.option_id]
        if not found:
            return
        self.recipe = recipe = found[0]
        self.query_one("#gen-about", Static).update(recipe.about())
        for field in FIELDS:
            if field.needs:
                self.query_one(f"#gen-row-{field.key}").display = recipe.needs(field.needs)
        for key in ("temperature", "top_p", "max_tokens"):
            default = recipe.defaults.get(key)
            base = next(f.placeholder for f in FIELDS if f.key == key)
            self.query_one(f"#gen-{key}", Input).placeholder = (f"recipe default {default} · {base}"
                                                               if default is not None else base)
        self.schedule_estimate()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a recipe moves to its first field."""
        event.stop()
        self.query_one("#gen-n", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Re-estimate shortly after the typing stops."""
        event.stop()
        self.schedule_estimate()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field launches the batch."""
        event.stop()
        self.action_launch()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a resumable batch resumes it."""
        event.stop()
        self.action_resume()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Describe the highlighted resumable batch while the table has focus."""
        event.stop()
        self.describe_resumable()

    def on_descendant_focus(self) -> None:
        """Describe the highlighted resumable batch when the table gains focus."""
        self.describe_resumable()

    def describe_resumable(self) -> None:
        """Show what resuming the highlighted batch would do, unless a batch is running."""
        table = self.query_one("#gen-resumable", DataTable)
        if self.running or not table.has_focus or table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        batch = next((b for b in self.resumable if str(b.id) == key), None)
        if batch is not None:
            self.query_one("#gen-status", Static).update(resumable_text(batch))

    # Actions ---------------------------------------------------------------------------------

    def _start(self, recipe: RecipeChoice | None, resume_id: int | None, label: str) -> None:
        """Start a run in a worker with a fresh cancel event."""
        self.run_number += 1
        self.running, self.running_batch = True, resume_id
        self.cancel_event = threading.Event()
        self.last_progress = None
        bar = self.query_one("#gen-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#gen-status", Static).update(Text(label, style="bold"))
        self.run_generation(self.run_number, recipe, self.form_values(), self.seed, resume_id, self.cancel_event)
        self.load_resumable()

    def action_launch(self) -> None:
        """Start a new batch from the form."""
        if self.running:
            self.notify("A batch is running; ctrl+x cancels it", severity="warning", markup=False)
            return
        if self.recipe is None:
            self.app.bell()
            return
        self._start(self.recipe, None, f"Starting {self.recipe.name}…")

    def action_cancel_batch(self) -> None:
        """Stop the running batch after its in-flight requests; it stays resumable with R."""
        if not self.running or self.cancel_event is None:
            self.notify("No batch is running", severity="warning", markup=False)
            return
        self.cancel_event.set()
        self.query_one("#gen-status", Static).update(Text("Cancelling: waiting for the requests in flight…",
                                                          style="bold yellow"))

    def action_resume(self) -> None:
        """Resume the highlighted batch, sending only the samples it has no result for."""
        if self.running:
            self.notify("A batch is running; ctrl+x cancels it", severity="warning", markup=False)
            return
        table = self.query_one("#gen-resumable", DataTable)
        if table.row_count == 0:
            self.notify("No batch to resume", severity="warning", markup=False)
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is None:
            return
        self._start(None, int(key), f"Resuming batch {key}…")

    def action_to_recipes(self) -> None:
        """Leave the fields for the recipe list, where single-letter keys work."""
        self.query_one("#gen-recipes", OptionList).focus()

    def action_refresh(self) -> None:
        """Re-read the recipes and the resumable batches."""
        self.load_recipes()
        self.load_resumable()
