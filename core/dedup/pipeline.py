"""From item ids and texts to scored pairs, for each dedup method."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from core.dedup.embed import centred
from core.dedup.graph import Pairs, exact_pairs
from core.dedup.lexical import LexicalParams, lexical_pairs
from core.dedup.neighbours import cosine_pairs
from core.normalize import normalize_text

EmbedFn = Callable[[Sequence[int]], np.ndarray]
"""Returns unit vectors for the given positions of the texts (from a cache or a model)."""


def collapse(ids: Sequence[int], texts: Sequence[str]) -> tuple[Pairs, list[int], list[str]]:
    """Link items with identical normalised text; return those pairs and one position and text per group."""
    normalised = [normalize_text(t) for t in texts]
    positions = list(range(len(ids)))
    pairs, heads = exact_pairs(positions, normalised)
    mapped = Pairs(np.asarray(ids, np.int64)[pairs.a], np.asarray(ids, np.int64)[pairs.b], pairs.sim)
    return mapped, heads, [normalised[h] for h in heads]


def _to_items(ids: Sequence[int], heads: Sequence[int], index: np.ndarray, sims: np.ndarray) -> Pairs:
    """Turn index pairs over the group heads back into item-id pairs."""
    head_ids = np.asarray(ids, np.int64)[np.asarray(heads, np.int64)]
    if not len(index):
        return Pairs.empty()
    return Pairs(head_ids[index[:, 0]], head_ids[index[:, 1]], sims.astype(np.float32))


def exact_item_pairs(ids: Sequence[int], texts: Sequence[str]) -> Pairs:
    """Return pairs for items whose normalised texts are identical."""
    return collapse(ids, texts)[0]


def lexical_item_pairs(
    ids: Sequence[int], texts: Sequence[str], floor: float, params: LexicalParams
) -> Pairs:
    """Return identical pairs plus rapidfuzz-verified LSH pairs at or above the floor."""
    same, heads, normalised = collapse(ids, texts)
    index, sims = lexical_pairs(normalised, floor, params)
    sims = np.minimum(sims, np.float32(0.9999))
    return Pairs.concat([same, _to_items(ids, heads, index, sims)])


def semantic_item_pairs(
    ids: Sequence[int], texts: Sequence[str], floor: float, embed: EmbedFn, *, max_neighbours: int,
    centre: bool = False,
) -> Pairs:
    """Return identical pairs plus cosine neighbours of one representative per identical group."""
    same, heads, _ = collapse(ids, texts)
    vectors = embed(heads)
    if centre:
        vectors = centred(vectors)
    index, sims = cosine_pairs(vectors, floor, max_per_row=max_neighbours)
    sims = np.minimum(sims, np.float32(0.9999))
    return Pairs.concat([same, _to_items(ids, heads, index, sims)])
