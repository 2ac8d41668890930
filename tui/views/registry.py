"""The view registry: adding a view to the shell is one entry in VIEWS (imported only when first shown)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from textual.screen import Screen


def lazy(target: str) -> Callable[[], Screen[Any]]:
    """Return a factory that imports `module:Class` on first use, so heavy views cost nothing at startup."""
    module_name, _, class_name = target.partition(":")

    def build() -> Screen[Any]:
        """Import the view class and create the view."""
        view_class = getattr(importlib.import_module(module_name), class_name)
        return cast(Screen[Any], view_class())

    build.__qualname__ = f"lazy({target})"
    return build


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """A named view: its mode name, title, picker key (after `v`) and how to build it."""

    name: str
    title: str
    key: str
    description: str
    factory: Callable[[], Screen[Any]]


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("triage", "Triage", "1", "Accept, reject, skip and edit items one key at a time",
             lazy("tui.views.triage:TriageView")),
    ViewSpec("batches", "Batches", "2", "Every import and generation batch with its status counts",
             lazy("tui.views.batches:BatchesView")),
    ViewSpec("clusters", "Clusters", "3", "Near-duplicate clusters of the latest dedup run",
             lazy("tui.views.clusters:ClustersView")),
    ViewSpec("search", "Search", "4", "Live search and the failure-mode library",
             lazy("tui.views.search:SearchView")),
    ViewSpec("report", "Report", "5", "Acceptance, reject reasons, diversity and cost",
             lazy("tui.views.report:ReportView")),
    ViewSpec("filters", "Filters", "6", "Filter hit counts, score histograms, thresholds",
             lazy("tui.views.filters:FiltersView")),
    ViewSpec("generation", "Generate", "7", "Generate items from recipes", lazy("tui.views.generation:GenerationView")),
)


def view_named(name: str) -> ViewSpec:
    """Return the registered view with this name."""
    return next(spec for spec in VIEWS if spec.name == name)
