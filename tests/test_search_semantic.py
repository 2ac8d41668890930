"""Semantic "more like this" over the embeddings table, with a deterministic bag-of-words embedder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from core.search.ast import QueryError
from store.connection import Store
from store.search import page, prepare
from tests.test_search_data import CORPUS, build_store, fresh_store, ids

DIMS = 256


class BagOfWords:
    """A deterministic embedder: each lower-cased word adds one to a hashed dimension; rows are unit length."""

    name = "test-bow"

    def __init__(self) -> None:
        """Start counting calls."""
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit vector per text."""
        self.calls += 1
        out = np.zeros((len(texts), DIMS), np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % DIMS] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Store]:
    """Yield the corpus store with BagOfWords embeddings of instruction and response, stored as `response`."""
    store = fresh_store(tmp_path)
    vectors = BagOfWords().embed([item.instruction + " " + item.response for _, item in CORPUS])
    with store.transaction() as cur:
        cur.executemany("INSERT INTO embeddings (item_id, model, field, vector) VALUES ($1, $2, 'response', $3)",
                        [[i + 1, BagOfWords.name, vectors[i].tolist()] for i in range(len(CORPUS))])
    yield store
    store.close()


def hits(store: Store, query: str, embedder: BagOfWords | None = None) -> list[int]:
    """Return the ids a query finds."""
    cur = store.cursor()
    factory = (lambda model: embedder) if embedder is not None else None
    return [r.id for r in page(cur, prepare(cur, query, embedders=factory), limit=1000)]


def test_more_like_an_item(embedded: Store) -> None:
    assert hits(embedded, f"like:{ids('math_bad')[0]}~1") == ids("math_ok")
    assert len(hits(embedded, f"like:{ids('math_bad')[0]}")) == len(CORPUS) - 1


def test_more_like_a_description(embedded: Store) -> None:
    embedder = BagOfWords()
    assert hits(embedded, 'like:"doubles apples"~2', embedder) == ids("math_bad", "math_ok")
    assert embedder.calls == 1
    assert hits(embedded, 'like:"doubles apples"~2 NOT check:math_mismatch', embedder) == ids("math_ok")


def test_semantic_errors(embedded: Store, tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="needs an embedder"):
        hits(embedded, 'like:"apples"')
    with embedded.transaction() as cur:
        cur.execute("DELETE FROM embeddings WHERE item_id = 1")
    with pytest.raises(QueryError, match="has no embedding"):
        hits(embedded, "like:1")
    empty = build_store(tmp_path / "empty.duckdb")
    with pytest.raises(QueryError, match="no embeddings"):
        hits(empty, "like:1")
    empty.close()
