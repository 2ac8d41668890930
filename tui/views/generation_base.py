"""The generation view's state and layout, and the handlers that fold worker results into the UI.

Every store and engine call runs in a thread worker (tui.views.generation_workers); the engine's progress
callback posts a message per update.
"""

from __future__ import annotations

import random
import threading

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from core.generation.batch import BatchResult, Estimate
from core.generation.engine import Progress
from core.safe_text import one_line
from tui.views.generation_form import (
    FIELDS,
    RecipeChoice,
    ResumableBatch,
    estimate_text,
    progress_text,
    result_text,
)
from tui.views.generation_workers import (
    EstimateReady,
    GenerationFinished,
    GenerationProgressed,
    GenerationWorkers,
    RecipesLoaded,
    ResumableLoaded,
)
from tui.views.triage import TriageView

ESTIMATE_DELAY_S = 0.35
CLOSE_WAIT_S = 15.0

__all__ = ["CLOSE_WAIT_S", "ESTIMATE_DELAY_S", "EstimateReady", "GenerationBase", "GenerationFinished",
           "GenerationProgressed", "RecipesLoaded", "ResumableLoaded"]


class GenerationBase(GenerationWorkers):
    """The generation view's state, layout and result handlers; GenerationView adds the keys."""

    VIEW_TITLE = "Generate"
    CSS_PATH = "../generation.tcss"

    def __init__(self) -> None:
        """Start with nothing loaded and no batch running."""
        super().__init__()
        self.recipes: list[RecipeChoice] = []
        self.recipe: RecipeChoice | None = None
        self.resumable: list[ResumableBatch] = []
        self.resumable_generation = 0
        self.seed = random.SystemRandom().randrange(1, 2**31)
        self.estimate: Estimate | None = None
        self.estimate_error: str | None = None
        self.estimate_generation = 0
        self.estimate_shown: Text | None = None
        self.run_number = 0
        self.running = False
        self.running_batch: int | None = None
        self.cancel_event: threading.Event | None = None
        self.last_progress: Progress | None = None
        self.last_result: BatchResult | None = None
        self.triage_stale = False
        self._estimate_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        """Lay out the lists on the left, the form, estimate and progress on the right, then the footer."""
        yield Static(Text("Generate — ctrl+g: launch · ctrl+x: cancel · R: resume · esc: recipes · v: switch view",
                          style="bold"), id="gen-title", markup=False)
        with Horizontal(id="gen-panes"):
            with Vertical(id="gen-left"):
                yield Static("Recipes", classes="gen-heading", markup=False)
                yield OptionList(id="gen-recipes")
                yield Static("Reading recipes…", id="gen-about", markup=False)
                yield Static("Resumable batches", classes="gen-heading", markup=False)
                yield DataTable(id="gen-resumable", cursor_type="row", zebra_stripes=True)
            with Vertical(id="gen-right"):
                with VerticalScroll(id="gen-form", can_focus=False):
                    for field in FIELDS:
                        with Horizontal(id=f"gen-row-{field.key}", classes="gen-row"):
                            yield Static(field.label, classes="gen-label", markup=False)
                            yield Input(field.default, placeholder=field.placeholder, id=f"gen-{field.key}",
                                        compact=True, type=field.kind)
                yield Static("", id="gen-estimate", markup=False)
                yield ProgressBar(id="gen-progress", show_eta=True)
                yield Static("", id="gen-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Read the recipes and resumable batches, and watch for the triage view being shown."""
        self.query_one("#gen-resumable", DataTable).add_columns("id", "status", "done", "spent", "name")
        self.query_one("#gen-progress", ProgressBar).display = False
        self.query_one("#gen-seed", Input).placeholder = f"random: {self.seed}"
        self.query_one("#gen-recipes", OptionList).focus()
        self.app.mode_change_signal.subscribe(self, self._mode_changed)
        self.load_recipes()
        self.load_resumable()

    def on_screen_resume(self) -> None:
        """Re-read the resumable batches whenever the view is shown again."""
        self.load_resumable()

    def on_unmount(self) -> None:
        """Stop a running batch when the app closes, and wait for it to record how it ended (it stays
        resumable) and for any other store call of this view, so that the store can be closed after."""
        if self.cancel_event is not None:
            self.cancel_event.set()
        self.wait_for_store_calls(CLOSE_WAIT_S)

    def load_resumable(self) -> None:
        """Re-read the resumable batches; answers to earlier requests that arrive late are dropped."""
        self.resumable_generation += 1
        self.read_resumable(self.resumable_generation)

    # Results ---------------------------------------------------------------------------------

    def on_recipes_loaded(self, message: RecipesLoaded) -> None:
        """Fill the recipe list, keeping the highlighted recipe."""
        if message.error is not None:
            self.query_one("#gen-about", Static).update(Text(f"Cannot read recipes: {message.error}", style="red"))
            return
        current = self.recipe.name if self.recipe else None
        self.recipes = message.recipes
        options = self.query_one("#gen-recipes", OptionList)
        options.clear_options()
        options.add_options([Option(Text(one_line(r.name, 40)), id=r.name) for r in self.recipes])
        names = [r.name for r in self.recipes]
        if names:
            options.highlighted = names.index(current) if current in names else 0

    def on_resumable_loaded(self, message: ResumableLoaded) -> None:
        """Fill the resumable table; the batch this view is running is left out."""
        if message.generation != self.resumable_generation:
            return
        self.resumable = [b for b in message.batches if not (self.running and b.status == "running")
                          and b.id != self.running_batch]
        table = self.query_one("#gen-resumable", DataTable)
        row = table.cursor_row
        table.clear()
        for batch in self.resumable:
            done = f"{batch.settled}/{batch.n}"
            cells = (str(batch.id), batch.status, done, f"${batch.cost_usd:.4f}", one_line(batch.name, 40))
            table.add_row(*(Text(c) for c in cells), key=str(batch.id))
        if self.resumable:
            table.move_cursor(row=min(row, len(self.resumable) - 1))

    def on_estimate_ready(self, message: EstimateReady) -> None:
        """Show the latest estimate (older ones that finish late are dropped)."""
        if message.generation != self.estimate_generation:
            return
        self.estimate, self.estimate_error = message.estimate, message.error
        shown = estimate_text(message.estimate) if message.estimate else Text(f"Cannot run: {message.error}",
                                                                               style="yellow")
        self.estimate_shown = shown
        self.query_one("#gen-estimate", Static).update(shown)

    def on_generation_progressed(self, message: GenerationProgressed) -> None:
        """Move the bar and redraw the counters; new items make the triage view stale."""
        if message.run != self.run_number:
            return
        progress = message.progress
        if progress.ok > (self.last_progress.ok if self.last_progress else 0):
            self.triage_stale = True
        self.last_progress = progress
        bar = self.query_one("#gen-progress", ProgressBar)
        bar.update(total=max(1, progress.total), progress=progress.finished)
        label = "Cancelling…" if self.cancel_event and self.cancel_event.is_set() else "Running"
        self.query_one("#gen-status", Static).update(progress_text(progress, label))

    def on_generation_finished(self, message: GenerationFinished) -> None:
        """Show how the run ended, re-read the resumable batches, and let a new run start."""
        if message.run != self.run_number:
            return
        self.running, self.running_batch, self.cancel_event = False, None, None
        self.last_result = message.result
        status = self.query_one("#gen-status", Static)
        if message.result is None:
            status.update(Text(f"Generation failed: {message.error}", style="bold red"))
            self.query_one("#gen-progress", ProgressBar).display = self.last_progress is not None
            self.notify(f"Generation failed: {message.error}", severity="error", markup=False)
        else:
            result = message.result
            self.triage_stale = self.triage_stale or result.ok > 0
            status.update(result_text(result))
            bar = self.query_one("#gen-progress", ProgressBar)
            bar.update(total=max(1, result.requested), progress=result.requested - result.not_sent)
            self.notify(f"Batch {result.batch_id} {result.status}: {result.ok:,} items written", markup=False,
                        severity="information" if result.status == "done" else "warning")
            self.seed = random.SystemRandom().randrange(1, 2**31)
            self.query_one("#gen-seed", Input).placeholder = f"random: {self.seed}"
            self.schedule_estimate()
        self.load_resumable()
        if self.app.current_mode == "triage":
            self._mode_changed("triage")

    def _mode_changed(self, mode: str) -> None:
        """Reload the triage list and counts when it is shown after new items were written."""
        if mode != "triage" or not self.triage_stale:
            return
        stack = self.app.get_screen_stack("triage")
        triage = stack[0] if stack else None
        if isinstance(triage, TriageView) and triage.is_mounted:
            self.triage_stale = False
            triage.action_reload()

    # Form ------------------------------------------------------------------------------------

    def form_values(self) -> dict[str, str]:
        """Return every field's text."""
        return {field.key: self.query_one(f"#gen-{field.key}", Input).value for field in FIELDS}

    def schedule_estimate(self) -> None:
        """(Re)start the debounce timer of the estimate."""
        if self._estimate_timer is not None:
            self._estimate_timer.stop()
        self._estimate_timer = self.set_timer(ESTIMATE_DELAY_S, self.request_estimate)

    def request_estimate(self) -> None:
        """Estimate the batch the form describes now."""
        self._estimate_timer = None
        if self.recipe is None:
            return
        self.estimate_generation += 1
        stale = self.estimate_shown.copy() if self.estimate_shown else Text("Estimating…")
        stale.stylize("dim")
        self.query_one("#gen-estimate", Static).update(stale)
        self.run_estimate(self.estimate_generation, self.recipe, self.form_values(), self.seed)
