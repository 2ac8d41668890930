"""The triage view's background readers: the store overview, full items for the detail pane, and find."""

from __future__ import annotations

from textual import work

from store import listing
from store.flags import item_flags
from store.items import get_item
from store.listing import ListSpec
from store.settings import reject_reasons
from tui.messages import DetailsLoaded, FindFinished, OverviewLoaded
from tui.views.base import View
from tui.writer import read_totals


class TriageWorkers(View):
    """Thread workers that read the store for triage and post what they found as messages."""

    @work(thread=True, group="overview", exclusive=True, exit_on_error=False)
    def load_overview(self) -> None:
        """Read counts, the last undoable action, reject reasons and filter choices."""
        with self.store.cursor() as cur:
            counts, last = read_totals(cur)
            message = OverviewLoaded(counts, last, reject_reasons(cur), listing.filter_options(cur))
        self.post_message(message)

    @work(thread=True, group="details", exit_on_error=False)
    def load_details(self, ids: tuple[int, ...]) -> None:
        """Read full items and their flags for the detail pane, a few ahead of the cursor."""
        with self.store.cursor() as cur:
            items = [item for item in (get_item(cur, i) for i in ids) if item is not None]
            flags = item_flags(cur, list(ids))
        self.post_message(DetailsLoaded(items, ids, flags))

    @work(thread=True, group="find", exclusive=True, exit_on_error=False)
    def run_find(self, spec: ListSpec, text: str, key: int | None, backwards: bool, generation: int) -> None:
        """Find the next (or previous) row containing text, wrapping around the list once."""
        with self.store.cursor() as cur:
            last = 2**62
            hit = listing.find(cur, spec, text, before=key if key is not None else last) if backwards else (
                listing.find(cur, spec, text, after=key))
            wrapped = hit is None
            if wrapped:
                hit = listing.find(cur, spec, text, before=last) if backwards else listing.find(cur, spec, text)
            index = listing.index_of(cur, spec, hit) if hit is not None else None
        self.post_message(FindFinished(generation, text, hit, index, wrapped and hit is not None))
