"""Hit counts of every library (and saved) query: whole store, per batch, per model and per status."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

from core.search.ast import Node
from core.search.library import LIBRARY
from store.search import Breakdown, breakdown, prepare
from store.search_saved import saved_queries


@dataclass(frozen=True, slots=True)
class QueryCount:
    """One named query's hits; `source` is `library` (with its version) or `saved`."""

    name: str
    description: str
    source: str
    version: int
    counts: Breakdown
    seconds: float


def library_counts(
    cur: duckdb.DuckDBPyConnection,
    names: Sequence[str] | None = None,
    *,
    include_saved: bool = False,
    cancel: threading.Event | None = None,
    progress: Callable[[QueryCount], None] | None = None,
) -> list[QueryCount]:
    """Count every library query (or the named ones), plus saved queries when asked, one scan each."""
    wanted: list[tuple[str, str, str, int, Node]] = [
        (q.name, q.description, "library", q.version, q.node())
        for q in LIBRARY.values() if names is None or q.name in names
    ]
    if include_saved:
        wanted.extend((s.name, s.text, "saved", 0, s.node) for s in saved_queries(cur)
                      if names is None or s.name in names)
    results = []
    for name, description, source, version, node in wanted:
        start = time.perf_counter()
        counts = breakdown(cur, prepare(cur, node), cancel=cancel)
        result = QueryCount(name, description, source, version, counts, time.perf_counter() - start)
        results.append(result)
        if progress is not None:
            progress(result)
    return results

