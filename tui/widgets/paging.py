"""Reading list pages for the item list, run in worker threads with a cursor per call."""

from __future__ import annotations

from store import listing
from store.connection import Store
from store.flags import with_flags
from store.listing import ListSpec
from tui.messages import PageLoaded, PageRequest


def load_page(store: Store, spec: ListSpec, request: PageRequest, limit: int) -> PageLoaded:
    """Read a requested page with its rows' flags, resolving a sticky queue's log mark on a fresh window."""
    with store.cursor() as cur:
        if spec.audit_id is None and spec.flt.status is not None and spec.since_group is None and request.resets:
            spec = ListSpec(spec.flt, listing.log_mark(cur), None)
        if request.mode == "after":
            return PageLoaded(request, with_flags(cur, listing.page(cur, spec, after=request.key, limit=limit)), spec)
        if request.mode == "before":
            return PageLoaded(request, with_flags(cur, listing.page(cur, spec, before=request.key, limit=limit)), spec)
        total = listing.count(cur, spec)
        if request.mode == "key" and request.key is not None:
            start = listing.index_of(cur, spec, request.key)
            rows = listing.page(cur, spec, after=request.key - 1, limit=limit)
        elif request.mode == "offset" and request.offset is not None and request.offset + limit < total:
            start = max(0, request.offset)
            rows = listing.page_at(cur, spec, start, limit)
        elif request.mode in ("end", "offset"):
            rows = listing.page(cur, spec, from_end=True, limit=limit)
            start = total - len(rows)
        else:
            start, rows = 0, listing.page(cur, spec, limit=limit)
        return PageLoaded(request, with_flags(cur, rows), spec, start, total)
