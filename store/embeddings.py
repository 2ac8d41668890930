"""Dedup caches in the store: compared texts, embeddings keyed by text hash, and verified pair sets."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from core.dedup.embed import Embedder
from core.dedup.graph import Pairs
from store.connection import Store

_INSTRUCTION = "CASE WHEN input = '' THEN instruction ELSE instruction || chr(10) || input END"
FIELD_SQL = {
    "instruction": _INSTRUCTION,
    "response": "response",
    "both": f"({_INSTRUCTION}) || chr(10) || response",
}
"""The SQL expression of the text each dedup field compares."""


@dataclass(frozen=True, slots=True)
class Texts:
    """The compared text of a set of items, in id order, with a hash of each text."""

    ids: np.ndarray
    texts: list[str]
    hashes: np.ndarray

    def fingerprint(self) -> str:
        """Return a digest of which items there are and what their texts are."""
        digest = hashlib.blake2b(self.ids.tobytes(), digest_size=12)
        digest.update(self.hashes.tobytes())
        return digest.hexdigest()


def load_texts(cur: duckdb.DuckDBPyConnection, field: str, *, split: str = "train") -> Texts:
    """Read the compared text of every item of a split, in id order."""
    expr = FIELD_SQL[field]
    table = cur.sql(
        f"SELECT id, {expr} AS text, hash({expr}) AS h FROM items WHERE split = ? ORDER BY id", params=[split]
    ).to_arrow_table()
    ids = table.column("id").to_numpy().astype(np.int64)
    hashes = table.column("h").to_numpy().astype(np.uint64)
    return Texts(ids, table.column("text").to_pylist(), hashes)


def _vectors(column: pa.ChunkedArray, rows: int) -> np.ndarray:
    """Turn an Arrow list column of equal-length float vectors into a matrix."""
    flat = column.combine_chunks().flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    return flat.reshape(rows, -1) if rows else np.zeros((0, 0), np.float32)


def embed_cached(
    store: Store, texts: Texts, positions: Sequence[int], embedder: Embedder, field: str
) -> np.ndarray:
    """Return vectors for the chosen positions, embedding and storing only texts whose hash is new."""
    ids = texts.ids[np.asarray(positions, np.int64)] if len(positions) else np.zeros(0, np.int64)
    wanted = pa.table({"item_id": pa.array(ids, pa.int64()),
                       "text_hash": pa.array(texts.hashes[np.asarray(positions, np.int64)], pa.uint64())})
    cur = store.cursor()
    cur.register("_wanted", wanted)
    try:
        found = cur.sql(
            "SELECT e.item_id, e.vector FROM embeddings e JOIN _wanted w "
            "ON e.item_id = w.item_id AND e.text_hash = w.text_hash WHERE e.model = ? AND e.field = ?",
            params=[embedder.name, field],
        ).to_arrow_table()
    finally:
        cur.unregister("_wanted")
    have = dict(zip(found.column("item_id").to_pylist(), range(found.num_rows), strict=True))
    cached = _vectors(found.column("vector"), found.num_rows)
    missing = [k for k, item in enumerate(ids.tolist()) if item not in have]
    fresh = embedder.embed([texts.texts[positions[k]] for k in missing]) if missing else None
    dim = fresh.shape[1] if fresh is not None else cached.shape[1] if found.num_rows else 0
    out = np.zeros((len(ids), dim), np.float32)
    for k, item in enumerate(ids.tolist()):
        if item in have:
            out[k] = cached[have[item]]
    if fresh is not None:
        out[missing] = fresh
        _store_vectors(store, ids[missing], texts.hashes[np.asarray(positions, np.int64)[missing]],
                       fresh, embedder.name, field)
    return out


def _store_vectors(
    store: Store, ids: np.ndarray, hashes: np.ndarray, vectors: np.ndarray, model: str, field: str
) -> None:
    """Replace the cached vectors of these items for one model and field."""
    table = pa.table({
        "item_id": pa.array(ids, pa.int64()),
        "text_hash": pa.array(hashes, pa.uint64()),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), vectors.shape[1]),
    })
    with store.transaction() as cur:
        cur.register("_fresh", table)
        try:
            cur.execute("DELETE FROM embeddings WHERE model = ? AND field = ? AND item_id IN "
                        "(SELECT item_id FROM _fresh)", [model, field])
            cur.execute("INSERT INTO embeddings (item_id, model, field, vector, text_hash) "
                        "SELECT item_id, ?, ?, vector::FLOAT[], text_hash FROM _fresh", [model, field])
        finally:
            cur.unregister("_fresh")


def cached_pairs(cur: duckdb.DuckDBPyConnection, key: str, fingerprint: str, threshold: float) -> Pairs | None:
    """Return the stored pairs for a key when they cover these texts down to the threshold."""
    rows = cur.execute("SELECT fingerprint, floor FROM dedup_pair_sets WHERE key = ?", [key]).fetchall()
    if not rows or rows[0][0] != fingerprint or float(rows[0][1]) > threshold + 1e-9:
        return None
    return stored_pairs(cur, key)


def stored_pairs(cur: duckdb.DuckDBPyConnection, key: str) -> Pairs:
    """Return whatever pairs are stored under a key (for browsing; no freshness check)."""
    table = cur.sql("SELECT a, b, similarity FROM dedup_pairs WHERE key = ?", params=[key]).to_arrow_table()
    return Pairs(table.column("a").to_numpy().astype(np.int64), table.column("b").to_numpy().astype(np.int64),
                 table.column("similarity").to_numpy().astype(np.float32))


def save_pairs(
    store: Store, key: str, spec: tuple[str, str, float], fingerprint: str, params: dict[str, Any], pairs: Pairs
) -> None:
    """Replace the stored pair set of a key; `spec` is (method, field, floor)."""
    table = pa.table({"a": pa.array(pairs.a, pa.int64()), "b": pa.array(pairs.b, pa.int64()),
                      "similarity": pa.array(pairs.sim, pa.float32())})
    method, field, floor = spec
    with store.transaction() as cur:
        cur.execute("DELETE FROM dedup_pairs WHERE key = ?", [key])
        cur.execute("DELETE FROM dedup_pair_sets WHERE key = ?", [key])
        cur.execute("INSERT INTO dedup_pair_sets (key, method, field, floor, fingerprint, params) "
                    "VALUES (?, ?, ?, ?, ?, ?::JSON)", [key, method, field, floor, fingerprint, json.dumps(params)])
        cur.register("_pairs", table)
        try:
            cur.execute("INSERT INTO dedup_pairs SELECT ?, a, b, similarity FROM _pairs", [key])
        finally:
            cur.unregister("_pairs")
