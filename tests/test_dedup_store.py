"""Dedup against real store files: runs, caches, keepers, undoable decisions and decontamination."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from core.dedup.spec import DedupSpec
from core.models import Action, Item
from store.connection import Store, open_store
from store.decisions import undo
from store.dedup import (
    decide_member,
    decontaminate,
    load_clusters,
    reject_all_but_keeper,
    run_dedup,
    set_keeper,
    split_member,
)
from store.items import insert_items
from tests.test_dedup import perturb, random_text


class BagEmbedder:
    """A deterministic stand-in for a sentence model: hashed bag of words, counting its calls."""

    name = "test-bag"

    def __init__(self) -> None:
        """Start with no calls."""
        self.calls = 0
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return normalised hashed word counts."""
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), 64), np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@pytest.fixture
def dup_store(tmp_path: Path) -> Iterator[tuple[Store, dict[int, int]]]:
    """Yield a store of 200 random items plus 10 planted near-duplicates (copy id -> original id)."""
    rng = random.Random(7)
    items = [Item(random_text(rng, 12), random_text(rng, 30)) for _ in range(200)]
    planted: dict[int, int] = {}
    for k, original in enumerate(range(0, 200, 20)):
        source = items[original]
        items.append(Item(source.instruction, perturb(rng, source.response, 1)))
        planted[201 + 200 + k - 200] = original + 1
    store = open_store(tmp_path / "dedup.duckdb")
    with store.transaction() as cur:
        insert_items(cur, None, items)
    yield store, planted
    store.close()


def _pairs_of(store: Store, run_id: int) -> set[frozenset[int]]:
    """Return each cluster member paired with its keeper."""
    return {frozenset((c.keeper, m)) for c in load_clusters(store.cursor(), run_id) for m, _ in c.members}


def test_lexical_run_finds_planted_duplicates_and_records_the_run(dup_store: tuple[Store, dict[int, int]]) -> None:
    store, planted = dup_store
    result = run_dedup(store, DedupSpec("lexical", "both"))
    assert _pairs_of(store, result.run_id) == {frozenset(p) for p in planted.items()}
    row = store.cursor().execute("SELECT method, field, threshold, params FROM cluster_runs WHERE id = ?",
                                 [result.run_id]).fetchall()[0]
    assert row[:3] == ("lexical", "both", 0.8)
    assert '"bands"' in row[3] and '"rows"' in row[3]


def test_exact_method_ignores_case_and_punctuation(tmp_path: Path) -> None:
    with open_store(tmp_path / "e.duckdb") as store:
        with store.transaction() as cur:
            insert_items(cur, None, [Item("Hello, World!", "Yes."), Item("hello world", "yes"), Item("x", "y")])
        result = run_dedup(store, DedupSpec("exact", "both"))
        assert [sorted(c.item_ids) for c in result.clusters] == [[1, 2]]
        assert result.clusters[0].members == [(2, 1.0)]


def test_recut_reuses_cached_pairs_and_embeddings(dup_store: tuple[Store, dict[int, int]]) -> None:
    store, planted = dup_store
    model = BagEmbedder()
    first = run_dedup(store, DedupSpec("semantic", "response", threshold=0.9), embedder=model)
    assert not first.cache_hit and model.calls == 1 and model.texts == 210
    assert _pairs_of(store, first.run_id) >= {frozenset(p) for p in planted.items()}
    again = run_dedup(store, DedupSpec("semantic", "response", threshold=0.97), embedder=model)
    assert again.cache_hit and model.calls == 1
    assert len(again.clusters) <= len(first.clusters)
    with store.transaction() as cur:
        insert_items(cur, None, [Item("new", "a brand new response text")])
    third = run_dedup(store, DedupSpec("semantic", "response", threshold=0.9), embedder=model)
    assert not third.cache_hit and model.calls == 2 and model.texts == 211
    lexical = run_dedup(store, DedupSpec("lexical", "both"))
    assert run_dedup(store, DedupSpec("lexical", "both", threshold=0.9)).cache_hit
    assert not lexical.cache_hit


def test_keeper_is_chosen_by_scores_and_can_be_changed(dup_store: tuple[Store, dict[int, int]]) -> None:
    store, planted = dup_store
    copy, original = next(iter(planted.items()))
    with store.transaction() as cur:
        cur.execute("INSERT INTO scores (item_id, scorer, scorer_version, score, verdict) VALUES "
                    "(?, 'refusal', '1', 0.9, 'flag'), (?, 'refusal', '1', 0.1, 'pass')", [original, copy])
    result = run_dedup(store, DedupSpec("lexical", "both"))
    cluster = next(c for c in result.clusters if original in c.item_ids)
    assert cluster.keeper == copy
    sim_before = store.cursor().execute("SELECT similarity FROM clusters WHERE run_id = ? AND item_id = ?",
                                        [result.run_id, original]).fetchall()[0][0]
    set_keeper(store, result.run_id, cluster.cluster_id, original)
    [changed] = [c for c in load_clusters(store.cursor(), result.run_id) if c.cluster_id == cluster.cluster_id]
    assert changed.keeper == original and changed.members[0][0] == copy
    sql = "SELECT item_id, similarity FROM clusters WHERE run_id = ? AND item_id IN (?, ?)"
    sims = dict(store.cursor().execute(sql, [result.run_id, original, copy]).fetchall())
    assert sims[original] == 1.0 and sims[copy] == sim_before < 1.0


def test_reject_all_but_keeper_is_one_undoable_group(dup_store: tuple[Store, dict[int, int]]) -> None:
    store, planted = dup_store
    result = run_dedup(store, DedupSpec("lexical", "both"))
    group = reject_all_but_keeper(store, result.run_id)
    assert group.size == len(planted)
    status = dict(store.cursor().execute("SELECT id, status FROM items").fetchall())
    assert sum(1 for s in status.values() if s == "rejected") == len(planted)
    undone = undo(store)
    assert undone is not None and undone.group_id != group.group_id
    assert {s for s in dict(store.cursor().execute("SELECT id, status FROM items").fetchall()).values()} == {
        "pending"}
    rerun = run_dedup(store, DedupSpec("lexical", "both"))
    one = rerun.clusters[0]
    reject_all_but_keeper(store, rerun.run_id, one.cluster_id)
    after = run_dedup(store, DedupSpec("lexical", "both"))
    assert len(after.clusters) == len(rerun.clusters) - 1 and after.cache_hit


def test_member_decisions_and_split(dup_store: tuple[Store, dict[int, int]]) -> None:
    store, _ = dup_store
    result = run_dedup(store, DedupSpec("lexical", "both"))
    first, second = result.clusters[0], result.clusters[1]
    member = first.members[0][0]
    decide_member(store, result.run_id, member, Action.REJECT)
    row = store.cursor().execute("SELECT status, status_reason FROM items WHERE id = ?", [member]).fetchall()[0]
    assert row[0] == "rejected" and f"duplicate of {first.keeper}" in row[1]
    split_member(store, result.run_id, second.members[0][0])
    left = {c.cluster_id for c in load_clusters(store.cursor(), result.run_id)}
    assert second.cluster_id not in left and first.cluster_id in left


def test_decontamination_flags_ngram_and_semantic_overlap(tmp_path: Path) -> None:
    question = ("Natalia sold clips to 48 of her friends in April and then she sold half as many clips in May "
                "how many clips did she sell")
    with open_store(tmp_path / "c.duckdb") as store:
        with store.transaction() as cur:
            insert_items(cur, None, [
                Item(question, "72", split="heldout"),
                Item("Name three primary colours", "Red, blue, yellow.", split="heldout"),
                Item("Solve: " + question + " altogether?", "She sold 72."),
                Item("name three primary colours please", "Red, yellow and blue."),
                Item("Write a haiku about rain", "Soft rain on the roof."),
            ])
        train, held, flags = decontaminate(store, embedder=BagEmbedder(), threshold=0.8)
        assert (train, held) == (3, 2)
        by_item = {f.item_id: f for f in flags}
        assert set(by_item) == {3, 4}
        assert by_item[3].kind == "ngram" and "held-out item 1" in by_item[3].reason
        assert by_item[4].kind == "semantic" and "held-out item 2" in by_item[4].reason
        rows = store.cursor().execute(
            "SELECT item_id, verdict FROM scores WHERE scorer = 'contamination' ORDER BY item_id").fetchall()
        assert rows == [(3, "flag"), (4, "flag")]
        decontaminate(store, semantic=False)
        rows = store.cursor().execute("SELECT item_id FROM scores WHERE scorer = 'contamination'").fetchall()
        assert rows == [(3,)]
