"""MinHash signatures over word shingles (via rensa) and LSH banding into candidate pairs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

BUCKET_PAIR_CAP = 64
"""Buckets larger than this emit each member paired with its next BUCKET_WINDOW members only."""

BUCKET_WINDOW = 16


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int, fp_weight: float = 0.5) -> tuple[int, int]:
    """Return (bands, rows) minimising weighted false-positive and false-negative area of the S-curve."""
    grid = np.linspace(0.0, 1.0, 2001)
    below = grid <= threshold
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            hit = 1.0 - (1.0 - grid**rows) ** bands
            false_pos = np.trapezoid(np.where(below, hit, 0.0), grid)
            false_neg = np.trapezoid(np.where(below, 0.0, 1.0 - hit), grid)
            error = fp_weight * false_pos + (1.0 - fp_weight) * false_neg
            if best is None or error < best[0] - 1e-12:
                best = (float(error), bands, rows)
    assert best is not None
    return best[1], best[2]


def shingles(words: Sequence[str], size: int) -> list[str]:
    """Return the word n-gram shingles of a text; a text shorter than `size` is one shingle."""
    if size <= 1:
        return list(words) or [""]
    if len(words) <= size:
        return [" ".join(words)]
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def signatures(texts: Sequence[str], *, ngram: int, num_perm: int, seed: int = 42) -> np.ndarray:
    """Return a (len(texts), num_perm) uint32 MinHash matrix of the texts' word shingles."""
    from rensa import RMinHash

    if not texts:
        return np.zeros((0, num_perm), dtype=np.uint32)
    docs = [shingles(text.split(), ngram) for text in texts]
    matrix = RMinHash.digest_matrix_from_token_sets(docs, num_perm=num_perm, seed=seed)
    return np.asarray(matrix.to_rows(), dtype=np.uint32).reshape(len(texts), num_perm)


def _band_keys(sig: np.ndarray, band: int, rows: int) -> np.ndarray:
    """Combine one band's rows of every signature into a single 64-bit key."""
    cols = sig[:, band * rows : (band + 1) * rows].astype(np.uint64)
    key = np.full(sig.shape[0], 0xCBF29CE484222325, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for c in range(cols.shape[1]):
            key = (key ^ cols[:, c]) * prime
    return key


def _bucket_pairs(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Emit index pairs inside each bucket of sorted positions: all pairs, or a window for big buckets."""
    out: list[np.ndarray] = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= BUCKET_PAIR_CAP)]):
        first = starts[sizes == size]
        left, right = np.triu_indices(int(size), 1)
        out.append(np.stack([order[first[:, None] + left], order[first[:, None] + right]], -1).reshape(-1, 2))
    big = sizes > BUCKET_PAIR_CAP
    if big.any():
        group_end = np.repeat(starts[big] + sizes[big], sizes[big])
        pos = np.concatenate([np.arange(s, s + n) for s, n in zip(starts[big], sizes[big], strict=True)])
        for step in range(1, BUCKET_WINDOW + 1):
            ok = pos + step < group_end
            out.append(np.stack([order[pos[ok]], order[pos[ok] + step]], -1))
    return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)


def candidate_pairs(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Return unique (i, j) row pairs, i < j, that share at least one LSH band."""
    n = sig.shape[0]
    found: list[np.ndarray] = []
    for band in range(bands):
        keys = _band_keys(sig, band, rows)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        edges = np.flatnonzero(np.diff(sorted_keys)) + 1
        starts = np.concatenate([[0], edges])
        sizes = np.diff(np.concatenate([starts, [n]]))
        if (sizes >= 2).any():
            found.append(_bucket_pairs(order, starts, sizes))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    low, high = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    codes = np.unique(low * n + high)
    return np.stack([codes // n, codes % n], -1)
