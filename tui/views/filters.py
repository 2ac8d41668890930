"""The filters view: every scorer with its hit count, a terminal histogram, and a threshold set by keys."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from core.calibration import bar
from core.scorers import build_scorers
from core.scorers.base import Scorer
from store.connection import Store
from store.scores import effective_threshold, load_thresholds, save_thresholds, score_values
from tui.messages import ThresholdsSaved, WriteFailed
from tui.views.base import View

FILTERS_BINDINGS: list[BindingType] = [
    Binding("right,plus,equals_sign", "nudge(1)", "Raise threshold", id="filters.raise"),
    Binding("left,minus", "nudge(-1)", "Lower threshold", id="filters.lower"),
    Binding("s", "save", "Save threshold", id="filters.save"),
    Binding("d", "default", "Default threshold", id="filters.default"),
    Binding("r", "refresh", "Refresh", id="filters.refresh"),
]
COLUMNS = ("filter", "version", "threshold", "scored", "flagged", "share")
BINS = 12


@dataclass(frozen=True, slots=True)
class SaveThresholds:
    """A writer job: merge scorer thresholds into the saved ones (a setting, not a decision: not journaled)."""

    thresholds: tuple[tuple[str, float], ...]

    def journal_entry(self) -> None:
        """Return None: a saved threshold is not a decision."""
        return None

    def run(self, store: Store, seq: int, journal_seq: int | None = None) -> Message:
        """Save the thresholds and report them."""
        chosen = dict(self.thresholds)
        save_thresholds(store, chosen)
        return ThresholdsSaved(seq, None, None, thresholds=chosen)


@dataclass
class FilterScores:
    """One scorer's stored scores, sorted, and the threshold shown."""

    scorer: Scorer
    scores: list[float]
    threshold: float
    saved: float = field(default=0.0)

    def flagged(self) -> int:
        """Return how many scores reach the threshold."""
        return len(self.scores) - bisect.bisect_left(self.scores, self.threshold)

    def step(self) -> float:
        """Return the threshold step: a twentieth of the score range, at least 0.01."""
        high = max(self.scores[-1] if self.scores else 1.0, self.scorer.threshold, 1.0)
        return max(round(high / 20, 2), 0.01)


@dataclass
class FiltersLoaded(Message):
    """Scores of every rule scorer, read in a worker thread."""

    filters: list[FilterScores]


def histogram_text(entry: FilterScores, width: int = 30) -> Text:
    """Render the score histogram with the threshold bin marked."""
    scores = entry.scores
    text = Text(f"{entry.scorer.name}: {entry.scorer.description}\n", style="bold")
    if not scores:
        text.append("no stored scores yet: run `thresher filter`\n")
        return text
    high = max(scores[-1], entry.threshold, 1e-9)
    edges = [high * i / BINS for i in range(BINS + 1)]
    counts = [0] * BINS
    for score in scores:
        counts[min(int(score / high * BINS), BINS - 1)] += 1
    largest = max(counts)
    for i, count in enumerate(counts):
        marked = edges[i] <= entry.threshold < edges[i + 1] or (i == BINS - 1 and entry.threshold >= edges[i])
        flag = " ◀ threshold" if marked else ""
        text.append(f"{edges[i]:7.3g}-{edges[i + 1]:<7.3g} {count:>8,} ", style="dim" if count == 0 else "")
        text.append(f"{bar(count, largest, width):<{width}}", style="red" if edges[i] >= entry.threshold else "green")
        text.append(f"{flag}\n")
    text.append(f"flagged at {entry.threshold:g}: {entry.flagged():,} of {len(scores):,}"
                f" (saved {entry.saved:g}, default {entry.scorer.threshold:g})\n")
    return text


class FiltersView(View):
    """Each filter with its hit count and score histogram; left/right move the threshold, s saves it."""

    VIEW_TITLE = "Filters"
    BINDINGS = FILTERS_BINDINGS

    def __init__(self) -> None:
        """Start with no scores loaded."""
        super().__init__()
        self.filters: list[FilterScores] = []

    def compose(self) -> ComposeResult:
        """Lay out the title, the table, the histogram and the footer."""
        yield Static(Text("Filters — ←/→: threshold · s: save · d: default · r: refresh · v: switch view",
                          style="bold"), id="filters-title", markup=False)
        yield DataTable(id="filters-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="filters-histogram", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Add the columns and load the scores."""
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        """Reload whenever the view is shown again (a filter run may have added scores)."""
        self.load()

    @work(thread=True, group="filters", exclusive=True, exit_on_error=False)
    def load(self) -> None:
        """Read every rule scorer's stored scores."""
        with self.store.cursor() as cur:
            saved = load_thresholds(cur)
            filters = []
            for scorer in build_scorers():
                threshold = effective_threshold(scorer, saved)
                filters.append(FilterScores(scorer, sorted(score_values(cur, scorer)), threshold, threshold))
        self.post_message(FiltersLoaded(filters))

    def on_filters_loaded(self, message: FiltersLoaded) -> None:
        """Keep the scores and draw them."""
        self.filters = message.filters
        self.redraw()

    def current(self) -> FilterScores | None:
        """Return the highlighted filter."""
        table = self.query_one(DataTable)
        if not self.filters or table.row_count == 0:
            return None
        return self.filters[min(table.cursor_row, len(self.filters) - 1)]

    def redraw(self) -> None:
        """Refill the table in place and the histogram of the highlighted filter."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for entry in self.filters:
            scored = len(entry.scores)
            share = entry.flagged() / scored if scored else 0.0
            cells = (entry.scorer.name, entry.scorer.version, f"{entry.threshold:g}", f"{scored:,}",
                     f"{entry.flagged():,}", f"{share:.1%}")
            table.add_row(*(Text(c) for c in cells), key=entry.scorer.name)
        if self.filters:
            table.move_cursor(row=min(row, len(self.filters) - 1))
        self.show_histogram()

    def show_histogram(self) -> None:
        """Draw the highlighted filter's histogram."""
        entry = self.current()
        self.query_one("#filters-histogram", Static).update(histogram_text(entry) if entry else Text(""))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow the cursor with the histogram."""
        event.stop()
        self.show_histogram()

    def action_nudge(self, direction: int) -> None:
        """Move the highlighted filter's threshold one step; counts update at once."""
        entry = self.current()
        if entry is None:
            self.app.bell()
            return
        entry.threshold = max(0.0, round(entry.threshold + direction * entry.step(), 4))
        self.redraw()

    def action_default(self) -> None:
        """Reset the highlighted filter to its built-in threshold."""
        entry = self.current()
        if entry is not None:
            entry.threshold = entry.scorer.threshold
            self.redraw()

    def action_save(self) -> None:
        """Save the highlighted filter's threshold for `thresher calibrate --apply` and other views."""
        entry = self.current()
        if entry is not None:
            self.writer.submit(SaveThresholds(((entry.scorer.name, entry.threshold),)), self)

    def on_thresholds_saved(self, message: ThresholdsSaved) -> None:
        """Confirm a saved threshold and re-read the scores with it."""
        for name, threshold in message.thresholds.items():
            self.notify(f"saved {name} threshold {threshold:g}", markup=False)
        self.load()

    def on_write_failed(self, message: WriteFailed) -> None:
        """Report a failed save."""
        self.notify(f"saving the threshold failed: {message.error}", severity="error", markup=False)

    def action_refresh(self) -> None:
        """Re-read the scores."""
        self.load()
