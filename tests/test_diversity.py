"""Diversity metrics on hand-made groups with known answers, warnings, and the store's embedding choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from core.diversity import (
    HASHED_METHOD,
    Group,
    chunks,
    distinct_n,
    hashed_vectors,
    kmeans,
    measure,
    nearest_neighbour_cosine,
    tokenize,
)
from core.models import Item
from store.batches import create_batch
from store.connection import Store, open_store
from store.embeddings import FIELD_SQL
from store.items import insert_items
from store.report import diversity


def words(i: int, n: int = 6) -> str:
    """Return n words used by no other i."""
    return " ".join(f"w{i}x{k}" for k in range(n))


def test_distinct_n_known_answers() -> None:
    same = [tokenize("the cat sat down")] * 10
    assert distinct_n(same, 1) == pytest.approx(4 / 40)
    assert distinct_n(same, 2) == pytest.approx(3 / 30)
    assert distinct_n(same, 3) == pytest.approx(2 / 20)
    disjoint = [tokenize(words(i)) for i in range(10)]
    assert distinct_n(disjoint, 1) == distinct_n(disjoint, 2) == distinct_n(disjoint, 3) == 1.0
    assert distinct_n([["one"]], 2) is None


def test_identical_items_are_minimal_and_fully_self_similar() -> None:
    report = measure([Group("1", "copies", False, 30, ["Tell me about the river."] * 30)])
    g = report.groups[0]
    assert g.distinct_1 == pytest.approx(5 / 150) and g.distinct_2 == pytest.approx(4 / 120)
    assert g.self_similarity == pytest.approx(1.0, abs=1e-5)
    assert g.vocabulary == 5 and g.length_std == 0.0 and g.length_iqr == 0.0
    assert g.clusters_covered == 1 and report.method == HASHED_METHOD


def test_disjoint_items_are_maximally_distinct() -> None:
    g = measure([Group("1", "disjoint", False, 40, [words(i) for i in range(40)])]).groups[0]
    assert g.distinct_1 == g.distinct_2 == g.distinct_3 == 1.0
    assert g.self_similarity == 0.0
    assert g.vocabulary == 240


def test_lengths_and_chunks() -> None:
    texts = [" ".join(["a"] * n) for n in (1, 2, 3, 4, 5, 6, 7, 8)]
    g = measure([Group("1", "lengths", False, 8, texts)]).groups[0]
    assert g.length_mean == 4.5 and g.length_std == pytest.approx(np.std(range(1, 9)))
    assert g.length_iqr == pytest.approx(3.5)
    assert [len(c) for c in chunks(240)] == [100, 140] and [len(c) for c in chunks(260)] == [100, 100, 60]
    assert chunks(0) == []


def test_chunking_makes_sizes_comparable() -> None:
    pool = [words(i % 50, 4) for i in range(600)]
    small = measure([Group("1", "small", False, 100, pool[:100])]).groups[0]
    large = measure([Group("1", "large", False, 600, pool)]).groups[0]
    assert small.distinct_2 == pytest.approx(large.distinct_2, rel=0.05)


def test_nearest_neighbour_and_kmeans() -> None:
    vectors = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], np.float32)
    assert nearest_neighbour_cosine(vectors) == pytest.approx(1.0)
    assert nearest_neighbour_cosine(vectors[:1]) is None
    assert len(kmeans(vectors, 2)) == 2
    unit = hashed_vectors([["a", "b"], ["c"]])
    assert np.linalg.norm(unit, axis=1) == pytest.approx([1.0, 1.0])


def test_narrow_batches_warn_against_real_and_earlier_batches() -> None:
    real = Group("real", "real data", True, 40, [words(i) for i in range(40)])
    wide = Group("2", "batch 2", False, 40, [words(100 + i) for i in range(40)])
    narrow = Group("3", "batch 3", False, 40, ["Tell me about the river today please."] * 40)
    report = measure([real, wide, narrow])
    by_key = {g.key: g for g in report.groups}
    assert not by_key["2"].narrower_than_real and not by_key["2"].narrower_than_earlier
    assert by_key["3"].narrower_than_real and by_key["3"].narrower_than_earlier
    assert any("batch 3 is narrower than the real data" in w for w in report.warnings)
    assert any("batch 3 is narrower than the batches before it" in w for w in report.warnings)
    assert by_key["real"].clusters_covered > by_key["3"].clusters_covered == 1


def _store(tmp_path: Path) -> tuple[Store, list[int]]:
    store = open_store(tmp_path / "div.duckdb")
    with store.transaction() as cur:
        batch = create_batch(cur, "gen", "generation")
        real = insert_items(cur, None, [Item(words(i), words(500 + i), origin="real") for i in range(20)])
        synthetic = insert_items(cur, batch, [Item("Same question?", "Same answer.") for _ in range(20)])
    return store, real + synthetic


def _embed(store: Store, ids: list[int], vectors: np.ndarray) -> None:
    with store.transaction() as cur:
        cur.register("_v", pa.table({"item_id": pa.array(ids, pa.int64()),
                                     "vector": [list(map(float, v)) for v in vectors]}))
        cur.execute(f"INSERT INTO embeddings (item_id, model, field, vector, text_hash) SELECT v.item_id, 'toy', "
                    f"'both', v.vector::FLOAT[], hash({FIELD_SQL['both']}) FROM _v v "
                    "JOIN items ON items.id = v.item_id")
        cur.unregister("_v")


def test_store_uses_stored_embeddings_when_they_cover_every_item(tmp_path: Path) -> None:
    store, ids = _store(tmp_path)
    report = diversity(store.cursor())
    assert report.method == HASHED_METHOD and [g.label for g in report.groups] == ["real data", "batch 1 (gen)"]
    rng = np.random.default_rng(0)
    vectors = np.concatenate([rng.normal(size=(20, 8)), np.tile(rng.normal(size=(1, 8)), (20, 1))])
    _embed(store, ids[:-1], vectors[:-1])
    assert diversity(store.cursor()).method == HASHED_METHOD, "one item without a vector: fall back"
    _embed(store, ids[-1:], vectors[-1:])
    report = diversity(store.cursor())
    assert report.method == "stored embeddings (toy, field both)"
    batch = report.groups[1]
    assert batch.self_similarity == pytest.approx(1.0, abs=1e-5) and batch.narrower_than_real
    with store.transaction() as cur:
        cur.execute("UPDATE items SET response = 'edited' WHERE id = ?", [ids[0]])
    assert diversity(store.cursor()).method == HASHED_METHOD, "a stale vector does not count"
    store.close()


def test_store_samples_large_groups(tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    groups = diversity(store.cursor(), sample=5).groups
    assert [(g.items, g.sampled) for g in groups] == [(20, 5), (20, 5)]
    assert diversity(store.cursor(), sample=5).groups == groups, "the sample is seeded"
    store.close()
