"""Core dedup logic: LSH parameters, candidates, verification, clustering, neighbours, 13-grams."""

from __future__ import annotations

import random

import numpy as np
import pytest

from core.dedup.contamination import ngram_overlaps, semantic_matches
from core.dedup.graph import Pairs, Quality, cluster_pairs, exact_pairs
from core.dedup.lexical import LexicalParams, lexical_pairs
from core.dedup.minhash import candidate_pairs, lsh_params, shingles, signatures
from core.dedup.neighbours import best_match, cosine_pairs
from core.dedup.spec import DedupSpec

WORDS = [f"{stem}{n}" for stem in ("alpha", "river", "stone", "cloud", "garden", "signal", "copper", "planet")
         for n in range(6)]


def random_text(rng: random.Random, words: int = 30) -> str:
    """Return a random sentence of vocabulary words."""
    return " ".join(rng.choice(WORDS) for _ in range(words))


def perturb(rng: random.Random, text: str, edits: int = 2) -> str:
    """Replace a few words of a text."""
    words = text.split()
    for _ in range(edits):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


@pytest.mark.parametrize(("threshold", "num_perm"), [(0.5, 128), (0.7, 128), (0.8, 256), (0.3, 64)])
def test_lsh_params_put_the_s_curve_step_near_the_threshold(threshold: float, num_perm: int) -> None:
    bands, rows = lsh_params(threshold, num_perm)
    assert bands * rows <= num_perm
    step = (1 / bands) ** (1 / rows)
    assert abs(step - threshold) < 0.12


def test_shingles_of_short_and_long_texts() -> None:
    assert shingles(["a", "b"], 3) == ["a b"]
    assert shingles(["a", "b", "c", "d"], 2) == ["a b", "b c", "c d"]
    assert shingles([], 1) == [""]


def test_lsh_finds_planted_near_duplicates_and_few_others() -> None:
    rng = random.Random(1)
    texts = [random_text(rng, 40) for _ in range(400)]
    planted = {(i, 400 + k) for k, i in enumerate(range(0, 400, 20))}
    texts += [perturb(rng, texts[i], 1) for i, _ in sorted(planted)]
    params = LexicalParams()
    sig = signatures(texts, ngram=params.ngram, num_perm=params.num_perm)
    assert sig.shape == (420, 128) and sig.dtype == np.uint32
    found = {tuple(p) for p in candidate_pairs(sig, *params.bands_rows()).tolist()}
    assert planted <= found
    index, sims = lexical_pairs(texts, 0.8, params)
    verified = {tuple(p) for p in index.tolist()}
    assert verified == planted
    assert (sims >= 0.8).all()


def test_candidate_pairs_cap_big_buckets_instead_of_going_quadratic() -> None:
    sig = np.zeros((500, 16), np.uint32)
    pairs = candidate_pairs(sig, 4, 4)
    assert 0 < len(pairs) < 500 * 20
    assert (pairs[:, 0] < pairs[:, 1]).all()


def _pairs(rows: list[tuple[int, int, float]]) -> Pairs:
    """Build Pairs from (a, b, sim) tuples."""
    return Pairs(np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.int64),
                 np.array([r[2] for r in rows], np.float32))


def test_chaining_guard_keeps_the_ends_of_a_chain_apart() -> None:
    chain = _pairs([(1, 2, 0.9), (2, 3, 0.9), (3, 4, 0.9), (4, 5, 0.9)])
    clusters = cluster_pairs(chain, 0.85)
    for cluster in clusters:
        ids = cluster.item_ids
        for member in ids:
            if member != cluster.keeper:
                assert abs(member - cluster.keeper) == 1, "every member must be a direct neighbour of its keeper"
    assert not any({1, 5} <= set(c.item_ids) for c in clusters)
    assert sum(len(c.members) for c in clusters) < 4


def test_keeper_follows_quality_not_order_or_length() -> None:
    star = _pairs([(1, 2, 0.95), (1, 3, 0.95), (2, 3, 0.95)])
    quality = {1: Quality(flags=2, mean=0.1), 2: Quality(flags=0, mean=0.6), 3: Quality(flags=0, mean=0.2)}
    [cluster] = cluster_pairs(star, 0.9, quality)
    assert cluster.keeper == 3
    [unscored] = cluster_pairs(star, 0.9, {2: Quality(flags=1)})
    assert unscored.keeper in (1, 3)


def test_exact_groups_become_one_node_and_rejected_items_drop_out() -> None:
    same, heads = exact_pairs([10, 11, 12, 13], ["a b", "a b", "c", "a b"])
    assert heads == [10, 12]
    assert sorted(zip(same.a.tolist(), same.b.tolist(), strict=True)) == [(10, 11), (10, 13)]
    both = Pairs.concat([same, _pairs([(13, 12, 0.9)])])
    [cluster] = cluster_pairs(both, 0.85)
    assert set(cluster.item_ids) == {10, 11, 12, 13}
    [left] = cluster_pairs(both, 0.85, alive=[11, 12])
    assert set(left.item_ids) == {11, 12}


def test_recut_at_a_higher_threshold_splits_clusters() -> None:
    pairs = _pairs([(1, 2, 0.95), (1, 3, 0.82), (4, 5, 0.81)])
    assert len(cluster_pairs(pairs, 0.8)) == 2
    [tight] = cluster_pairs(pairs, 0.9)
    assert set(tight.item_ids) == {1, 2}


def test_cosine_pairs_match_brute_force_and_cap_rows() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 16)).astype(np.float32)
    emb = np.repeat(base, 3, axis=0) + rng.normal(scale=0.05, size=(120, 16)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    index, sims = cosine_pairs(emb, 0.9)
    full = emb @ emb.T
    expected = {(i, j) for i in range(120) for j in range(i + 1, 120) if full[i, j] >= 0.9}
    assert {tuple(p) for p in index.tolist()} == expected
    assert np.allclose(sims, full[index[:, 0], index[:, 1]], atol=1e-5)
    capped, _ = cosine_pairs(emb, -1.0, max_per_row=2)
    assert np.bincount(capped.reshape(-1), minlength=120).min() >= 1
    nearest, best = best_match(emb[:5], emb[5:])
    assert nearest.shape == (5,) and (best <= 1.0001).all()


def test_ngram_overlap_finds_13_grams_and_short_whole_texts_only_inside_one_text() -> None:
    held = ["the quick brown fox jumps over the lazy dog while the farmer sleeps in the barn today",
            "what is the capital city of france please",
            "too short"]
    train = ["Intro. The QUICK brown fox jumps over the lazy dog, while the farmer sleeps in the barn!",
             "Tell me: what is the capital city of France, please?",
             "the quick brown fox jumps over the lazy dog",
             "too short",
             "what is the capital city", "of france please and more"]
    hits = {h.train_index: h for h in ngram_overlaps(train, held)}
    assert set(hits) == {0, 1}
    assert hits[0].heldout_index == 0 and len(hits[0].evidence.split()) == 13
    assert hits[1].heldout_index == 1


def test_semantic_matches_flag_only_close_neighbours() -> None:
    held = np.eye(3, dtype=np.float32)
    train = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1]], np.float32)
    hits = semantic_matches(train, held, 0.9)
    assert [(h.train_index, h.heldout_index) for h in hits] == [(0, 0), (2, 2)]


def test_spec_defaults_and_validation() -> None:
    spec = DedupSpec("semantic", "instruction", fast=True)
    assert spec.cut == 0.9 and spec.floor <= spec.cut and spec.model
    assert DedupSpec("lexical", threshold=0.95).floor == 0.7
    assert DedupSpec("lexical").cache_key() != DedupSpec("lexical", lexical=LexicalParams(ngram=3)).cache_key()
    assert DedupSpec("lexical", threshold=0.9).cache_key() == DedupSpec("lexical", threshold=0.8).cache_key()
    with pytest.raises(ValueError):
        DedupSpec("fuzzy")
    with pytest.raises(ValueError):
        DedupSpec("exact", "title")
