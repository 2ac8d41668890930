"""The list queries behind the triage view: keyset pages, sticky queues, offsets, positions and find."""

from __future__ import annotations

from pathlib import Path

from core.models import Action
from store import listing
from store.audits import create_audit
from store.decisions import decide
from store.items import ItemFilter
from store.listing import ListSpec
from tests.test_tui_support import fill_store


def test_pages_in_both_directions_and_from_the_end(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 250)
    cur = store.cursor()
    spec = ListSpec(ItemFilter(status="pending"))
    first = listing.page(cur, spec, limit=100)
    assert [r.id for r in first] == list(range(1, 101))
    after = listing.page(cur, spec, after=first[-1].key, limit=100)
    assert after[0].id == 101
    last = listing.page(cur, spec, from_end=True, limit=100)
    assert [r.id for r in last] == list(range(151, 251))
    before = listing.page(cur, spec, before=151, limit=20)
    assert [r.id for r in before] == list(range(131, 151))
    assert [r.id for r in listing.page_at(cur, spec, 200, 10)] == list(range(201, 211))
    assert listing.count(cur, spec) == 250 and listing.index_of(cur, spec, 101) == 100
    assert first[0].preview.startswith("Question number 0")
    store.close()


def test_sticky_queue_keeps_items_decided_since_its_mark(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 20)
    decide(store, [1, 2], Action.ACCEPT)
    cur = store.cursor()
    spec = ListSpec(ItemFilter(status="pending"), since_group=listing.log_mark(cur))
    decide(store, [3, 4], Action.REJECT, reason="refusal")
    ids = [r.id for r in listing.page(cur, spec, limit=100)]
    assert ids == list(range(3, 21))
    statuses = {r.id: (r.status, r.status_reason) for r in listing.page(cur, spec, limit=2)}
    assert statuses == {3: ("rejected", "refusal"), 4: ("rejected", "refusal")}
    plain = ListSpec(ItemFilter(status="pending"))
    assert listing.count(cur, plain) == 16
    store.close()


def test_find_matches_any_text_case_and_literal_wildcards(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 50, texts={10: "100% Sure_thing", 30: "100% sure_THING again"})
    cur = store.cursor()
    spec = ListSpec(ItemFilter())
    assert listing.find(cur, spec, "sure_thing") == 11
    assert listing.find(cur, spec, "SURE_THING", after=11) == 31
    assert listing.find(cur, spec, "sure_thing", after=31) is None
    assert listing.find(cur, spec, "sure_thing", before=31) == 11
    assert listing.find(cur, spec, "100%sure") is None
    assert listing.find(cur, spec, "question number 49") == 50
    store.close()


def test_audit_lists_page_by_position(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 100)
    audit = create_audit(store, size=30, seed=5)
    cur = store.cursor()
    spec = ListSpec(audit_id=audit.id)
    page = listing.page(cur, spec, limit=10)
    assert [r.key for r in page] == list(range(1, 11))
    assert listing.count(cur, spec) == 30
    assert [r.key for r in listing.page(cur, spec, from_end=True, limit=5)] == [26, 27, 28, 29, 30]
    options = listing.filter_options(cur)
    assert options.batches == [(1, "batch-1")] and "chat" in options.kinds
    assert listing.statuses(cur, [1, 2]) == {1: ("pending", None), 2: ("pending", None)}
    store.close()
