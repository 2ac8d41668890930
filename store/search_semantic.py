"""Semantic "more like this": nearest neighbours in the `embeddings` table of an item or a description."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np

from core.dedup.embed import Embedder
from core.search.ast import Ids, Like, QueryError

EmbedderFactory = Callable[[str], Embedder]
"""Returns the embedder for a model name found in the `embeddings` table."""

PREFERRED_FIELD = "response"


def _models(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Return (model, field, rows) for every embedding set in the store, largest first."""
    rows = cur.execute(
        "SELECT model, field, count(*) FROM embeddings GROUP BY model, field ORDER BY (field = $1) DESC, 3 DESC, 1, 2",
        [PREFERRED_FIELD],
    ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def nearest(
    cur: duckdb.DuckDBPyConnection, vector: list[float], model: str, field: str, k: int, exclude: int | None = None
) -> list[tuple[int, float]]:
    """Return the k (item id, cosine similarity) pairs closest to a vector, most similar first."""
    try:
        rows = cur.execute(
            "SELECT item_id, list_cosine_similarity(vector, $1::FLOAT[]) AS sim FROM embeddings "
            "WHERE model = $2 AND field = $3 AND item_id IS DISTINCT FROM $4 "
            "ORDER BY sim DESC NULLS LAST, item_id LIMIT $5",
            [vector, model, field, exclude, k],
        ).fetchall()
    except duckdb.InvalidInputException as error:
        raise QueryError(f"like: {str(error).splitlines()[0]}") from None
    return [(int(r[0]), float(r[1])) for r in rows if r[1] is not None]


def resolve_like(cur: duckdb.DuckDBPyConnection, like: Like, embedders: EmbedderFactory | None) -> Ids:
    """Turn `like:ID` or `like:"text"` into the id set of its k nearest neighbours."""
    sets = _models(cur)
    if not sets:
        raise QueryError("like: the store has no embeddings yet; compute them with the dedup embedding step")
    if isinstance(like.target, int):
        rows = cur.execute(
            "SELECT model, field, vector FROM embeddings WHERE item_id = $1 "
            "ORDER BY (field = $2) DESC, model, field LIMIT 1",
            [like.target, PREFERRED_FIELD],
        ).fetchall()
        if not rows:
            raise QueryError(f"like: item {like.target} has no embedding")
        model, field, vector = str(rows[0][0]), str(rows[0][1]), list(rows[0][2])
        hits = nearest(cur, vector, model, field, like.k, exclude=like.target)
    else:
        if embedders is None:
            raise QueryError("like: describing text needs an embedder")
        model, field, _ = sets[0]
        embedder = embedders(model)
        matrix = np.asarray(embedder.embed([like.target]), np.float32)
        hits = nearest(cur, matrix[0].tolist(), model, field, like.k)
    return Ids(tuple(sorted(item for item, _ in hits)))
