"""Searching a real store file: every query kind, combinators, paging, counts, saved queries, library counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import store.search as search_mod
from core.models import Action
from core.search.ast import QueryError
from core.search.evaluate import Unsupported, predicate
from core.search.library import LIBRARY, expand
from core.search.parser import parse
from store.connection import Store, open_store
from store.decisions import decide
from store.search import breakdown, count, iter_records, page, page_before, prepare
from store.search_library import library_counts
from store.search_saved import delete_saved, save_query, saved_queries
from tests.test_search_data import BATCH_OF, CORPUS, LABEL_ID, fresh_store, ids


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Store]:
    """Yield a store holding the failure-mode corpus."""
    opened = fresh_store(tmp_path)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Yield one corpus store for the read-only tests of this module."""
    opened = fresh_store(tmp_path_factory.mktemp("shared"))
    yield opened
    opened.close()


def hits(store: Store, query: str) -> list[int]:
    """Return the ids a query finds, via the store."""
    cur = store.cursor()
    return [r.id for r in page(cur, prepare(cur, query), limit=10_000)]


@pytest.mark.parametrize("query, labels", [
    ("cafe", ("cafe", "cafe_nfd")),
    ("CAFÉ", ("cafe", "cafe_nfd")),
    ("cafe*", ("cafe", "cafe_nfd", "cafeteria")),
    ('"crème BRULEE"', ("cafe",)),
    ("zurich", ("chat",)),
    ("re:/Zürich/", ("chat",)),
    ("re:/zürich/i", ("chat",)),
    ("conversation:help", ("chat",)),
    ("response:help", ("refusal",)),
    ("instruction:lunch", ("cafeteria",)),
    ("input:small", ("clean1",)),
    ('metadata:"gpt-4o-mini"', ("refusal", "ai")),
    ("100%", ("percent",)),
    ("under_score", ("percent",)),
    ("model:gpt-4o*", ("refusal", "ai")),
    ("model:ALPACA-7B", ("clean2",)),
    ("model:llama?3*", ("cutoff", "apology")),
    ("kind:chat", ("chat",)),
    ("len:response<8", ("clean2",)),
    ("len:turns>=4", ("chat",)),
    ("check:math_mismatch", ("math_bad",)),
    ('sql:"response_len < 8 OR n_turns > 2"', ("clean2", "chat")),
    ("sql:\"model = 'llama-3-8b' AND instruction ILIKE '%france%'\"", ("apology",)),
])
def test_query_kinds(shared: Store, query: str, labels: tuple[str, ...]) -> None:
    assert hits(shared, query) == ids(*labels)


def test_boolean_combinators(corpus: Store) -> None:
    assert hits(corpus, "cafe OR zurich") == ids("cafe", "cafe_nfd", "chat")
    assert hits(corpus, "cafe* -cafeteria") == ids("cafe", "cafe_nfd")
    assert hits(corpus, "cafe* AND NOT instruction:coffee") == ids("cafe", "cafeteria")
    assert hits(corpus, "(cafe OR zurich) batch:1") == [i for i in ids("cafe", "cafe_nfd", "chat")
                                                        if BATCH_OF[CORPUS[i - 1][0]] == 1]
    everything = len(CORPUS)
    assert len(hits(corpus, 'NOT metadata:"gpt-4o-mini"')) == everything - 2
    assert len(hits(corpus, "NOT model:gpt*")) == everything - 2


def test_batches_status_origin_split(corpus: Store) -> None:
    assert hits(corpus, "batch:first") == hits(corpus, "batch:1")
    assert len(hits(corpus, "batch:2")) == sum(1 for b in BATCH_OF.values() if b == 2)
    assert hits(corpus, "batch:nosuch") == []
    decide(corpus, ids("refusal", "ai"), Action.REJECT, reason="ai")
    assert hits(corpus, "status:rejected") == ids("refusal", "ai")
    assert hits(corpus, "lib:ai-identity -status:rejected") == []
    assert len(hits(corpus, "origin:synthetic split:train")) == len(CORPUS)


def test_scores_and_flags(corpus: Store) -> None:
    with corpus.transaction() as cur:
        cur.execute("INSERT INTO scores (item_id, scorer, scorer_version, score, verdict) VALUES "
                    "(1, 'refusal', '1', 0.9, 'flag'), (2, 'refusal', '1', 0.2, 'pass'), "
                    "(3, 'apology', '1', 0.7, 'flag')")
    assert hits(corpus, "score:refusal>=0.5") == [1]
    assert hits(corpus, "score:refusal<0.5") == [2]
    assert hits(corpus, "flag:refusal") == [1]
    assert hits(corpus, "flag:any") == [1, 3]
    assert len(hits(corpus, "NOT flag:any")) == len(CORPUS) - 2


def test_library_matches_each_failure_mode(shared: Store) -> None:
    expected = {
        "refusals": ("refusal",), "ai-identity": ("ai",), "knowledge-cutoff": ("cutoff",),
        "apologies": ("refusal", "apology"), "hedging": ("hedge",), "truncation": ("trunc",),
        "repetition": ("repeat",), "placeholders": ("placeholder",), "prompt-echo": ("echo",),
        "wrong-language": ("lang",), "fabricated-citations": ("cite",), "unbalanced-code-fences": ("fence",),
        "math-mismatch": ("math_bad",), "unfulfillable-requests": ("image", "weather"),
    }
    for name, labels in expected.items():
        assert hits(shared, f"lib:{name}") == ids(*labels), name


SQL_VS_PYTHON = [q.query for q in LIBRARY.values()] + [
    "cafe* OR zurich", "NOT metadata:gpt", "model:gpt* OR len:response>60", 'conversation:"how can i"',
    "re:/[0-9]+/ -batch:2", "kind:chat OR status:pending", "len:turns<1 apolog*", "re:/\\bthe\\b/i re:/\\.$/",
]


@pytest.mark.parametrize("query", SQL_VS_PYTHON)
def test_sql_agrees_with_python_reference(shared: Store, query: str) -> None:
    cur = shared.cursor()
    records = [r for chunk in iter_records(cur) for r in chunk]
    reference = predicate(expand(parse(query)))
    assert hits(shared, query) == [r.id for r in records if reference(r)]


def test_python_reference_refuses_store_terms() -> None:
    with pytest.raises(Unsupported):
        predicate(parse("flag:any"))


def test_keyset_pages_walk_all_hits(corpus: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_mod, "FIRST_SPAN", 2)
    cur = corpus.cursor()
    prepared = prepare(cur, "NOT cafe")
    everything = [r.id for r in page(cur, prepared, limit=1000)]
    walked, after = [], 0
    while chunk := page(cur, prepared, after_id=after, limit=4):
        walked.extend(r.id for r in chunk)
        after = chunk[-1].id
    assert walked == everything and len(everything) == len(CORPUS) - 2
    back = page_before(cur, prepared, before_id=everything[10], limit=4)
    assert [r.id for r in back] == everything[6:10]
    assert count(cur, prepared) == len(everything)
    first = page(cur, prepare(cur, "zurich"), limit=1)[0]
    assert first.id == LABEL_ID["chat"] and first.turns is not None and "Zürich" in first.turns[2]


def test_breakdown_by_batch_model_status(corpus: Store) -> None:
    cur = corpus.cursor()
    decide(corpus, ids("ai"), Action.REJECT, reason="ai")
    counts = breakdown(cur, prepare(cur, "model:gpt* OR model:llama*"))
    assert counts.total == 4
    assert counts.by_model == {"gpt-4o-mini": 2, "llama-3-8b": 2}
    assert counts.by_status == {"pending": 3, "rejected": 1}
    assert sum(counts.by_batch.values()) == 4


def test_library_counts_per_batch_and_status(corpus: Store) -> None:
    cur = corpus.cursor()
    results = {r.name: r for r in library_counts(cur)}
    assert set(LIBRARY) == set(results)
    apologies = results["apologies"].counts
    assert apologies.total == 2
    assert apologies.by_batch == {str(BATCH_OF["refusal"]): 1, str(BATCH_OF["apology"]): 1}
    decide(corpus, ids("refusal"), Action.REJECT, reason="refusal")
    after = library_counts(cur, ["apologies"])[0].counts
    assert after.by_status == {"pending": 1, "rejected": 1}


def test_saved_queries_round_trip(corpus: Store) -> None:
    saved = save_query(corpus, "coffee", "cafe* -cafeteria")
    assert saved.text == "cafe* -cafeteria" and saved.node == parse("cafe* -cafeteria")
    assert hits(corpus, "saved:coffee") == ids("cafe", "cafe_nfd")
    save_query(corpus, "coffee", "cafeteria")
    assert [s.text for s in saved_queries(corpus.cursor())] == ["cafeteria"]
    save_query(corpus, "outer", "saved:coffee OR zurich")
    assert hits(corpus, "saved:outer") == ids("cafeteria", "chat")
    counted = {r.name: r.counts.total for r in library_counts(corpus.cursor(), include_saved=True)}
    assert counted["coffee"] == 1 and counted["outer"] == 2
    with pytest.raises(QueryError):
        save_query(corpus, "refusals", "x")
    with pytest.raises(QueryError):
        save_query(corpus, "bad", "status:maybe")
    assert delete_saved(corpus, "coffee") and not delete_saved(corpus, "coffee")
    with pytest.raises(QueryError, match="no saved query"):
        hits(corpus, "saved:outer")


def test_read_only_store_can_search(corpus: Store) -> None:
    path = corpus.path
    corpus.close()
    with open_store(path, read_only=True) as store:
        assert hits(store, "cafe") == ids("cafe", "cafe_nfd")
        assert library_counts(store.cursor(), ["repetition"])[0].counts.total == 1


def test_bad_regex_is_a_query_error(corpus: Store) -> None:
    with pytest.raises(QueryError, match="missing"):
        hits(corpus, "re:/(unclosed/")
