"""Stale searches are interrupted: a long query stops soon after a newer one is submitted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from store.connection import Store, open_store
from store.search import SearchCancelled, count, page, prepare
from store.search_runner import Outcome, SearchRunner

LONG_QUERY = 'sql:"id IN (SELECT a.id FROM search_items a, search_items b WHERE (a.id * 31 + b.id) % 1000003 = 7)"'
"""A cross join of the store with itself: billions of pairs, far longer than any test may wait."""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Yield a store of 60,000 generated items."""
    path = tmp_path_factory.mktemp("runner") / "big.duckdb"
    store = open_store(path)
    with store.transaction() as cur:
        cur.execute("INSERT INTO items (id, kind, origin, split, batch_id, instruction, response, content_hash) "
                    "SELECT i, 'instruction', 'synthetic', 'train', 1 + i % 4, 'Question ' || i, "
                    "'Answer ' || i || repeat(' filler', i % 7), md5(i::VARCHAR) FROM range(1, 60001) t(i)")
    yield store
    store.close()


def test_interrupting_the_cursor_cancels_a_long_count(big: Store) -> None:
    cur = big.cursor()
    prepared = prepare(cur, LONG_QUERY)
    timer = threading.Timer(0.3, cur.interrupt)
    timer.start()
    start = time.perf_counter()
    with pytest.raises(SearchCancelled):
        count(cur, prepared)
    assert time.perf_counter() - start < 5
    assert [r.id for r in page(cur, prepare(cur, "batch:2"), limit=2)] == [1, 5]


def test_new_submission_interrupts_the_stale_query(big: Store) -> None:
    outcomes: list[tuple[float, Outcome]] = []
    runner = SearchRunner(big, lambda outcome: outcomes.append((time.perf_counter(), outcome)))

    def job(query: str):  # type: ignore[no-untyped-def]
        def run(cur, cancel, emit) -> None:  # type: ignore[no-untyped-def]
            emit(("count", count(cur, prepare(cur, query), cancel=cancel)))
        return run

    stale = runner.submit(job(LONG_QUERY))
    time.sleep(0.5)
    submitted = time.perf_counter()
    fresh = runner.submit(job("batch:1"))
    assert runner.wait(10)
    deadline = time.perf_counter() + 10
    while not any(o.generation == stale and (o.cancelled or o.done) for _, o in outcomes):
        assert time.perf_counter() < deadline
        time.sleep(0.01)
    ended = next((t, o) for t, o in outcomes if o.generation == stale)
    assert ended[1].cancelled
    assert ended[0] - submitted < 0.5, f"stale query took {ended[0] - submitted:.3f}s to stop"
    values = [o.value for _, o in outcomes if o.generation == fresh and o.value is not None]
    assert values == [("count", 15000)]
    assert all(o.value is None for _, o in outcomes if o.generation == stale)


def test_errors_are_reported_not_raised(big: Store) -> None:
    outcomes: list[Outcome] = []
    runner = SearchRunner(big, outcomes.append)
    runner.submit(lambda cur, cancel, emit: emit(prepare(cur, "status:maybe")))
    assert runner.wait(5)
    time.sleep(0.05)
    assert outcomes and outcomes[-1].error is not None and "status" in outcomes[-1].error
