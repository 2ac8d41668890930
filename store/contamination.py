"""Decontamination: flag training items that overlap held-out ones, and store the flags as scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from core.dedup.embed import Embedder, centred, make_embedder
from store.connection import Store
from store.embeddings import embed_cached, load_texts

CONTAMINATION = "contamination"
CONTAMINATION_VERSION = "1"


@dataclass(frozen=True, slots=True)
class Contamination:
    """A training item flagged against a held-out item, and why."""

    item_id: int
    heldout_id: int
    kind: str
    score: float
    reason: str


def decontaminate(
    store: Store, *, semantic: bool = True, fast: bool = False, threshold: float | None = None,
    embedder: Embedder | None = None,
) -> tuple[int, int, list[Contamination]]:
    """Flag training items overlapping held-out ones (13-grams, then semantic); return counts and flags."""
    from core.dedup.contamination import ngram_overlaps, semantic_matches
    from core.dedup.spec import DEFAULT_THRESHOLD

    cur = store.cursor()
    train, held = load_texts(cur, "both"), load_texts(cur, "both", split="heldout")
    flags: dict[int, Contamination] = {}
    for hit in ngram_overlaps(train.texts, held.texts):
        held_id = int(held.ids[hit.heldout_index])
        reason = f"13-gram overlap with held-out item {held_id}: '{hit.evidence}'"
        flags[int(train.ids[hit.train_index])] = Contamination(
            int(train.ids[hit.train_index]), held_id, "ngram", 1.0, reason)
    if semantic and len(held.ids) and len(train.ids):
        model = embedder or make_embedder(fast)
        cut = threshold if threshold is not None else DEFAULT_THRESHOLD["semantic-fast" if fast else "semantic"]
        train_i, held_i = load_texts(cur, "instruction"), load_texts(cur, "instruction", split="heldout")
        vectors = [embed_cached(store, t, range(len(t.ids)), model, "instruction") for t in (train_i, held_i)]
        if getattr(model, "centre", False) and len(vectors[0]):
            mean = vectors[0].mean(0)
            vectors = [centred(v, mean) for v in vectors]
        for hit in semantic_matches(vectors[0], vectors[1], cut):
            item, held_id = int(train_i.ids[hit.train_index]), int(held_i.ids[hit.heldout_index])
            if item not in flags:
                reason = f"semantic neighbour of held-out item {held_id} ({hit.evidence}, {model.name})"
                flags[item] = Contamination(item, held_id, "semantic", hit.score, reason)
    _write_flags(store, list(flags.values()))
    return len(train.ids), len(held.ids), sorted(flags.values(), key=lambda f: f.item_id)


def _write_flags(store: Store, flags: Sequence[Contamination]) -> None:
    """Replace the stored contamination flags with these."""
    table = pa.table({"item_id": pa.array([f.item_id for f in flags], pa.int64()),
                      "score": pa.array([f.score for f in flags], pa.float64()),
                      "reason": pa.array([f.reason for f in flags], pa.string())})
    scorer = [CONTAMINATION, CONTAMINATION_VERSION]
    with store.transaction() as cur:
        cur.execute("DELETE FROM scores WHERE scorer = ? AND scorer_version = ?", scorer)
        cur.register("_flags", table)
        try:
            cur.execute("INSERT INTO scores (item_id, scorer, scorer_version, score, verdict, reason) "
                        "SELECT item_id, ?, ?, score, 'flag', reason FROM _flags", scorer)
        finally:
            cur.unregister("_flags")
