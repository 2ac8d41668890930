"""Dedup runs: compute or reuse pairs, cluster, record runs and clusters, and act on them by decision.

Decontamination lives in store.contamination; its public names are importable from here too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from core.dedup.embed import Embedder, make_embedder
from core.dedup.graph import Cluster, Pairs, Quality, cluster_pairs
from core.dedup.pipeline import exact_item_pairs, lexical_item_pairs, semantic_item_pairs
from core.dedup.spec import DedupSpec
from core.models import Action, DecisionSource
from store.connection import Store, StoreError
from store.contamination import CONTAMINATION, CONTAMINATION_VERSION, Contamination, decontaminate
from store.decisions import GroupResult, decide
from store.embeddings import Texts, cached_pairs, embed_cached, load_texts, save_pairs

__all__ = [
    "CONTAMINATION", "CONTAMINATION_VERSION", "Contamination", "DedupRun", "RunInfo", "alive_ids", "cluster_now",
    "compute_pairs", "decide_member", "decontaminate", "latest_run", "load_clusters", "pairs_for", "quality_of",
    "reject_all_but_keeper", "run_dedup", "run_info", "save_run", "set_keeper", "split_member",
]


@dataclass(slots=True)
class DedupRun:
    """The outcome of one dedup run: its id, clusters, the pairs they came from and what it cost."""

    run_id: int
    spec: DedupSpec
    clusters: list[Cluster]
    pairs: Pairs
    items: int
    cache_hit: bool
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        """Return how many items would go if every non-keeper were rejected."""
        return sum(len(c.members) for c in self.clusters)


def compute_pairs(store: Store, spec: DedupSpec, texts: Texts, embedder: Embedder | None = None) -> Pairs:
    """Compute the pairs of a spec over the given texts down to its floor."""
    ids = texts.ids.tolist()
    if spec.method == "exact":
        return exact_item_pairs(ids, texts.texts)
    if spec.method == "lexical":
        return lexical_item_pairs(ids, texts.texts, spec.floor, spec.lexical)
    model = embedder or make_embedder(spec.fast)
    return semantic_item_pairs(
        ids, texts.texts, spec.floor,
        lambda positions: embed_cached(store, texts, positions, model, spec.field),
        max_neighbours=spec.max_neighbours, centre=getattr(model, "centre", False),
    )


def pairs_for(store: Store, spec: DedupSpec, embedder: Embedder | None = None) -> tuple[Pairs, int, bool]:
    """Return (pairs, item count, cache hit) for a spec, reusing stored pairs when texts are unchanged."""
    texts = load_texts(store.cursor(), spec.field)
    fingerprint = texts.fingerprint()
    key = spec.cache_key()
    found = cached_pairs(store.cursor(), key, fingerprint, spec.cut)
    if found is not None:
        return found, len(texts.ids), True
    pairs = compute_pairs(store, spec, texts, embedder)
    save_pairs(store, key, (spec.method, spec.field, spec.floor), fingerprint, spec.params(), pairs)
    return pairs, len(texts.ids), False


def quality_of(cur: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> dict[int, Quality]:
    """Return flag counts and mean defect scores of items that have scores."""
    rows = cur.execute(
        "SELECT item_id, count(*) FILTER (WHERE verdict = 'flag'), avg(score) FROM scores "
        "WHERE item_id IN (SELECT unnest(?::BIGINT[])) GROUP BY item_id",
        [list(ids)],
    ).fetchall()
    return {int(r[0]): Quality(int(r[1]), None if r[2] is None else float(r[2])) for r in rows}


def alive_ids(cur: duckdb.DuckDBPyConnection) -> set[int]:
    """Return training items that are not rejected: the ones dedup may still keep or reject."""
    rows = cur.execute("SELECT id FROM items WHERE split = 'train' AND status <> 'rejected'").fetchall()
    return {int(r[0]) for r in rows}


def cluster_now(store: Store, pairs: Pairs, threshold: float) -> list[Cluster]:
    """Cluster cached pairs at a threshold, skipping rejected items and ranking keepers by quality."""
    cur = store.cursor()
    near = pairs.at_least(threshold)
    touched = np.unique(np.concatenate([near.a, near.b])).tolist()
    return cluster_pairs(near, threshold, quality_of(cur, touched), alive=alive_ids(cur))


def run_dedup(store: Store, spec: DedupSpec, *, embedder: Embedder | None = None) -> DedupRun:
    """Find, cluster and record near-duplicates for a spec; a re-cut reuses cached pairs."""
    started = time.perf_counter()
    pairs, count, hit = pairs_for(store, spec, embedder)
    found = time.perf_counter()
    clusters = cluster_now(store, pairs, spec.cut)
    clustered = time.perf_counter()
    params = {**spec.params(), "floor": spec.floor, "cache_key": spec.cache_key(), "cache_hit": hit,
              "items": count, "pairs": len(pairs.at_least(spec.cut)), "clusters": len(clusters)}
    run_id = save_run(store, spec, params, clusters)
    seconds = {"pairs": found - started, "cluster": clustered - found, "save": time.perf_counter() - clustered}
    return DedupRun(run_id, spec, clusters, pairs, count, hit, {k: round(v, 3) for k, v in seconds.items()})


def save_run(store: Store, spec: DedupSpec, params: dict[str, object], clusters: Sequence[Cluster]) -> int:
    """Record a run and its clusters; return the run id."""
    rows = [(c.cluster_id, item, item == c.keeper, sim)
            for c in clusters for item, sim in [(c.keeper, 1.0), *c.members]]
    table = pa.table({
        "cluster_id": pa.array([r[0] for r in rows], pa.int32()),
        "item_id": pa.array([r[1] for r in rows], pa.int64()),
        "is_keeper": pa.array([r[2] for r in rows], pa.bool_()),
        "similarity": pa.array([r[3] for r in rows], pa.float64()),
    })
    with store.transaction() as cur:
        run_id = int(cur.execute("SELECT coalesce(max(id), 0) + 1 FROM cluster_runs").fetchall()[0][0])
        cur.execute("INSERT INTO cluster_runs (id, method, field, threshold, params) VALUES (?, ?, ?, ?, ?::JSON)",
                    [run_id, spec.method, spec.field, spec.cut, json.dumps(params)])
        cur.register("_clusters", table)
        try:
            cur.execute("INSERT INTO clusters SELECT ?, cluster_id, item_id, is_keeper, similarity FROM _clusters",
                        [run_id])
        finally:
            cur.unregister("_clusters")
    return run_id


def load_clusters(cur: duckdb.DuckDBPyConnection, run_id: int) -> list[Cluster]:
    """Read a run's clusters back, largest first, keeper first within each."""
    rows = cur.execute(
        "SELECT cluster_id, item_id, is_keeper, similarity FROM clusters WHERE run_id = ? "
        "ORDER BY cluster_id, is_keeper DESC, similarity DESC, item_id", [run_id]).fetchall()
    by_id: dict[int, Cluster] = {}
    for cluster_id, item_id, is_keeper, sim in rows:
        cluster = by_id.setdefault(int(cluster_id), Cluster(int(item_id), [], int(cluster_id)))
        if not is_keeper:
            cluster.members.append((int(item_id), float(sim) if sim is not None else 0.0))
    return sorted(by_id.values(), key=lambda c: (-len(c), c.cluster_id))


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A recorded run: what it compared, at which threshold, and the floor of its cached pairs."""

    run_id: int
    method: str
    field: str
    threshold: float
    floor: float
    cache_key: str | None


def run_info(cur: duckdb.DuckDBPyConnection, run_id: int) -> RunInfo:
    """Read a run's record or raise a one-line error."""
    rows = cur.execute("SELECT method, field, threshold, params FROM cluster_runs WHERE id = ?", [run_id]).fetchall()
    if not rows:
        raise StoreError(f"no dedup run {run_id}")
    method, fld, threshold, params = rows[0]
    extra = json.loads(params) if params else {}
    return RunInfo(run_id, method, fld, float(threshold), float(extra.get("floor", threshold)), extra.get("cache_key"))


def latest_run(cur: duckdb.DuckDBPyConnection) -> int | None:
    """Return the id of the most recent run, if any."""
    rows = cur.execute("SELECT max(id) FROM cluster_runs").fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def _cluster(cur: duckdb.DuckDBPyConnection, run_id: int, cluster_id: int) -> Cluster:
    """Return one cluster of a run or raise a one-line error."""
    for cluster in load_clusters(cur, run_id):
        if cluster.cluster_id == cluster_id:
            return cluster
    raise StoreError(f"run {run_id} has no cluster {cluster_id}")


def set_keeper(store: Store, run_id: int, cluster_id: int, item_id: int) -> None:
    """Make another member the keeper of a cluster; similarities are then to the new keeper where known."""
    with store.transaction() as cur:
        cluster = _cluster(cur, run_id, cluster_id)
        if item_id not in cluster.item_ids:
            raise StoreError(f"item {item_id} is not in cluster {cluster_id} of run {run_id}")
        # The old keeper's similarity to the new one is what the new keeper's row held.
        rows = cur.execute("SELECT similarity FROM clusters WHERE run_id = ? AND item_id = ?",
                           [run_id, item_id]).fetchall()
        to_old_keeper = rows[0][0] if rows else None
        cur.execute("UPDATE clusters SET is_keeper = (item_id = ?), similarity = CASE WHEN item_id = ? THEN 1.0 "
                    "WHEN item_id = ? THEN ? ELSE NULL END WHERE run_id = ? AND cluster_id = ?",
                    [item_id, item_id, cluster.keeper, to_old_keeper, run_id, cluster_id])


def split_member(store: Store, run_id: int, item_id: int) -> None:
    """Take a member out of its cluster (not a duplicate after all); a cluster left alone is dropped."""
    with store.transaction() as cur:
        rows = cur.execute("SELECT cluster_id, is_keeper FROM clusters WHERE run_id = ? AND item_id = ?",
                           [run_id, item_id]).fetchall()
        if not rows:
            raise StoreError(f"item {item_id} is in no cluster of run {run_id}")
        if rows[0][1]:
            raise StoreError(f"item {item_id} is the keeper; choose another keeper first")
        cur.execute("DELETE FROM clusters WHERE run_id = ? AND item_id = ?", [run_id, item_id])
        cur.execute("DELETE FROM clusters WHERE run_id = ? AND cluster_id = ? AND "
                    "(SELECT count(*) FROM clusters WHERE run_id = ? AND cluster_id = ?) < 2",
                    [run_id, rows[0][0], run_id, rows[0][0]])


def _run_label(cur: duckdb.DuckDBPyConnection, run_id: int) -> str:
    """Return `method run N` for reasons."""
    rows = cur.execute("SELECT method FROM cluster_runs WHERE id = ?", [run_id]).fetchall()
    if not rows:
        raise StoreError(f"no dedup run {run_id}")
    return f"{rows[0][0]} dedup run {run_id}"


def reject_all_but_keeper(store: Store, run_id: int, cluster_id: int | None = None) -> GroupResult:
    """Reject every non-keeper of one cluster (or of the whole run) as one undoable decision group."""
    cur = store.cursor()
    label = _run_label(cur, run_id)
    clusters = [_cluster(cur, run_id, cluster_id)] if cluster_id is not None else load_clusters(cur, run_id)
    ids = [item for c in clusters for item, _ in c.members]
    if not ids:
        raise StoreError(f"nothing to reject in {label}")
    reason = f"duplicate of {clusters[0].keeper} ({label})" if cluster_id is not None else f"duplicate ({label})"
    source = DecisionSource.BULK if len(ids) > 1 else DecisionSource.MANUAL
    return decide(store, ids, Action.REJECT, reason=reason, source=source, actor="dedup")


def decide_member(store: Store, run_id: int, item_id: int, action: Action) -> GroupResult:
    """Reject (as a duplicate of its keeper) or accept one cluster member, undoably."""
    cur = store.cursor()
    label = _run_label(cur, run_id)
    rows = cur.execute("SELECT item_id FROM clusters WHERE run_id = ? AND is_keeper AND cluster_id = "
                       "(SELECT cluster_id FROM clusters WHERE run_id = ? AND item_id = ?)",
                       [run_id, run_id, item_id]).fetchall()
    if not rows:
        raise StoreError(f"item {item_id} is in no cluster of run {run_id}")
    reason = f"duplicate of {rows[0][0]} ({label})" if action is Action.REJECT else None
    return decide(store, [item_id], action, reason=reason, actor="dedup")
