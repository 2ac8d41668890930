"""The report view: acceptance, reject reasons, diversity per batch against real data, and cost, as small charts."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Sparkline, Static

from core.card import block_bar, pct
from core.costs import usd
from core.diversity import fmt
from core.safe_text import one_line
from store.report import Report, gather_report
from tui.views.base import View

REPORT_BINDINGS: list[BindingType] = [
    Binding("r", "refresh", "Refresh", id="report.refresh"),
    Binding("j,down", "scroll(1)", "Scroll down", show=False, id="report.down"),
    Binding("k,up", "scroll(-1)", "Scroll up", show=False, id="report.up"),
]
BAR = 24


@dataclass
class ReportLoaded(Message):
    """The report was read (or reading it failed, with a one-line error)."""

    report: Report | None
    error: str | None = None


def _bar_line(label: str, value: float, largest: float, note: str, style: str = "green") -> Text:
    """Return one labelled unicode bar line; the label is escaped untrusted text."""
    line = Text(f"  {one_line(label, 30):<30} ")
    line.append(f"{block_bar(value, largest, BAR):<{BAR}}", style=style)
    line.append(f" {note}")
    return line


def acceptance_text(report: Report) -> Text:
    """Return the acceptance section: overall, then one bar per batch."""
    text = Text(f"Acceptance {pct(report.acceptance_rate)} of reviewed items  "
                f"({', '.join(f'{n:,} {s}' for s, n in report.by_status.items())})\n", style="bold")
    for b in report.batches:
        rate = b.acceptance_rate
        text.append_text(_bar_line(f"{'-' if b.id is None else b.id} {b.name}", rate or 0.0, 1.0,
                                   f"{pct(rate)} of {b.accepted + b.rejected:,} reviewed"))
        text.append("\n")
    return text


def reasons_text(report: Report) -> Text:
    """Return the reject-reason histogram."""
    text = Text("Reject reasons\n", style="bold")
    if not report.reasons:
        return text.append("  no rejections yet\n")
    largest = max(n for _, n in report.reasons)
    for reason, n in report.reasons[:12]:
        text.append_text(_bar_line(reason, n, largest, f"{n:,}", "red"))
        text.append("\n")
    return text


def diversity_text(report: Report) -> Text:
    """Return distinct-2 and self-similarity bars per group, real data first, with the warnings."""
    div = report.diversity
    text = Text(f"Diversity per batch against real data ({div.method})\n", style="bold")
    if not div.groups:
        return text.append("  not measured: no items yet\n")
    for g in div.groups:
        narrow = g.narrower_than_real or g.narrower_than_earlier
        style = "yellow" if narrow else "cyan" if g.is_real else "green"
        note = (f"distinct-2 {fmt(g.distinct_2)}  self-sim {fmt(g.self_similarity)}  "
                f"topics {g.clusters_covered}/{g.clusters_total}" + ("  ! narrower" if narrow else ""))
        text.append_text(_bar_line(g.label, g.distinct_2 or 0.0, 1.0, note, style))
        text.append("\n")
    for warning in div.warnings:
        text.append(f"  warning: {one_line(warning, 200)}\n", style="bold yellow")
    return text


def cost_text(report: Report) -> Text:
    """Return spend bars per batch and model, and the totals against writing by hand."""
    costs = report.costs
    low, high = costs.manual.per_item()
    text = Text("Cost\n", style="bold")
    if not costs.rows:
        return text.append(f"  no generation spend yet; by hand {usd(low)}-{usd(high)} per item\n")
    largest = max(r.cost_usd for r in costs.rows)
    for r in costs.rows:
        text.append_text(_bar_line(f"{r.batch_id} {r.model}", r.cost_usd, largest,
                                   f"{usd(r.cost_usd)}  {r.tokens:,} tokens  {usd(r.cost_per_accepted)}/accepted",
                                   "magenta"))
        text.append("\n")
    text.append(f"  total {usd(costs.cost_usd)}; {usd(costs.cost_per_accepted)} per accepted item; "
                f"by hand {usd(low)}-{usd(high)} per item\n")
    return text


class ReportView(View):
    """Charts of review progress, diversity per batch and cost; `r` re-reads the store."""

    VIEW_TITLE = "Report"
    BINDINGS = REPORT_BINDINGS
    DEFAULT_CSS = """
    ReportView #report-body { height: 1fr; padding: 0 1; }
    ReportView Sparkline { height: 2; width: 60; margin: 0 2 1 2; }
    ReportView .report-label { color: $text-muted; margin: 0 2; }
    """

    def __init__(self) -> None:
        """Start empty; the report is read on mount."""
        super().__init__()
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        """Lay out the title, the chart sections and the footer."""
        yield Static(Text("Report — r: refresh · v: switch view", style="bold"), id="report-title", markup=False)
        with VerticalScroll(id="report-body"):
            yield Static("Reading the store...", id="report-acceptance", markup=False)
            yield Static("", id="report-reasons", markup=False)
            yield Static("", id="report-diversity", markup=False)
            yield Static("distinct-2 per batch, oldest first", classes="report-label", markup=False)
            yield Sparkline([], id="report-distinct")
            yield Static("", id="report-cost", markup=False)
            yield Static("cost per batch, oldest first", classes="report-label", markup=False)
            yield Sparkline([], id="report-spend")
        yield Footer()

    def on_mount(self) -> None:
        """Read the report."""
        self.query_one("#report-body").focus()
        self.load()

    def on_screen_resume(self) -> None:
        """Refresh whenever the view is shown again."""
        self.load()

    @work(thread=True, group="report", exclusive=True, exit_on_error=False)
    def load(self) -> None:
        """Gather the report on a cursor of its own and post it back."""
        try:
            with self.store.cursor() as cur:
                report = gather_report(cur)
        except Exception as error:  # noqa: BLE001 - shown in the view instead of crashing the app
            self.post_message(ReportLoaded(None, one_line(str(error), 200)))
            return
        self.post_message(ReportLoaded(report))

    def on_report_loaded(self, message: ReportLoaded) -> None:
        """Draw the charts."""
        if message.report is None:
            self.query_one("#report-acceptance", Static).update(Text(f"Cannot read the report: {message.error}"))
            return
        report = self.report = message.report
        self.query_one("#report-acceptance", Static).update(acceptance_text(report))
        self.query_one("#report-reasons", Static).update(reasons_text(report))
        self.query_one("#report-diversity", Static).update(diversity_text(report))
        self.query_one("#report-cost", Static).update(cost_text(report))
        batches = [g.distinct_2 or 0.0 for g in report.diversity.groups if not g.is_real]
        self.query_one("#report-distinct", Sparkline).data = batches
        self.query_one("#report-spend", Sparkline).data = [r.cost_usd for r in report.costs.rows]

    def action_refresh(self) -> None:
        """Re-read the store."""
        self.load()

    def action_scroll(self, step: int) -> None:
        """Scroll the report by a few lines."""
        body = self.query_one("#report-body", VerticalScroll)
        body.scroll_relative(y=3 * step, animate=False)
