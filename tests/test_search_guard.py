"""User SQL fragments: only one read-only expression over the search_items view ever runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.search.ast import QueryError
from store.connection import Store
from store.search import count, page, prepare
from store.search_guard import VIEW_COLUMNS, validate_fragment, view_help
from tests.test_search_data import CORPUS, fresh_store


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Yield one store holding the failure-mode corpus for the whole module (every test must leave it intact)."""
    opened = fresh_store(tmp_path_factory.mktemp("guard"))
    yield opened
    opened.close()


ATTACKS = [
    "1=1); DROP TABLE items; --",
    "1=1; DROP TABLE items",
    "true) OR (1=1",
    "1=1 -- comment",
    "1=1 /* comment */",
    "id IN (DELETE FROM items RETURNING id)",
    "(DELETE FROM items)",
    "(UPDATE items SET response = 'x' RETURNING 1)",
    "exists (COPY items TO '/tmp/stolen.csv')",
    "1=1) UNION ALL SELECT 1 FROM (ATTACH '/tmp/other.duckdb' AS o",
    "(INSTALL httpfs) IS NULL",
    "(PRAGMA version) IS NULL",
    "(CALL pragma_version()) IS NULL",
    "(SET threads = 1) IS NULL",
    "id IN (SELECT item_id FROM decisions)",
    "id IN (SELECT id FROM items)",
    "id IN (SELECT id FROM main.search_items)",
    "exists (SELECT * FROM read_csv('/etc/passwd'))",
    "exists (SELECT * FROM '/etc/passwd')",
    "exists (SELECT * FROM duckdb_tables())",
    "exists (SELECT * FROM query('DROP TABLE items'))",
    "nextval('item_id_seq') > 0",
    "setval('item_id_seq', 1) > 0",
    "getenv('HOME') IS NOT NULL",
    "length(current_setting('threads')::VARCHAR) > 0",
    "id = ?",
    "id = $1",
    "",
    "id >",
]


@pytest.mark.parametrize("fragment", ATTACKS)
def test_attacks_fail_harmlessly(corpus: Store, fragment: str) -> None:
    cur = corpus.cursor()
    before = cur.execute("SELECT count(*), sum(hash(response)) FROM items").fetchall()
    with pytest.raises(QueryError):
        prepare(cur, 'sql:"' + fragment.replace("\\", "\\\\").replace('"', '\\"') + '"')
    with pytest.raises(QueryError):
        validate_fragment(cur, fragment)
    after = corpus.cursor().execute("SELECT count(*), sum(hash(response)) FROM items").fetchall()
    assert after == before and after[0][0] == len(CORPUS)
    tables = corpus.cursor().execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'items'").fetchall()
    assert tables[0][0] == 1
    assert not Path("/tmp/stolen.csv").exists()


def test_good_fragments_run(corpus: Store) -> None:
    cur = corpus.cursor()
    for fragment, expected in [
        ("response_len > 0", len(CORPUS)),
        ("status = 'pending' AND n_turns = 0", len(CORPUS) - 1),
        ("id IN (SELECT id FROM search_items WHERE model IS NOT NULL)", 5),
        ("response LIKE '%;%' OR response LIKE '%--%'", 1),
        ("regexp_matches(response, '\\d+')", 5),
        ("json_extract_string(metadata, '$.model') = 'llama-3-8b'", 2),
    ]:
        assert count(cur, prepare(cur, 'sql:"' + fragment.replace("\\", "\\\\").replace('"', '\\"') + '"')) \
            == expected, fragment


def test_user_sql_runs_in_a_read_only_transaction(corpus: Store) -> None:
    """Even a write that slipped past the checks could not commit: the transaction is READ ONLY."""
    cur = corpus.cursor()
    cur.execute("BEGIN TRANSACTION READ ONLY")
    with pytest.raises(Exception, match="read-only"):
        cur.execute("DELETE FROM items")
    cur.execute("ROLLBACK")
    prepared = prepare(cur, 'sql:"id = 1"')
    assert [r.id for r in page(cur, prepared)] == [1]
    assert cur.execute("SELECT count(*) FROM items").fetchall()[0][0] == len(CORPUS)


def test_view_is_documented() -> None:
    names = [c[0] for c in VIEW_COLUMNS]
    assert {"id", "response", "model", "status", "response_len", "n_turns"} <= set(names)
    assert all(name in view_help() for name in names)
