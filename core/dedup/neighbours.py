"""Exact cosine neighbours of unit vectors from blocked matrix products (numpy)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

ROW_BLOCK = 1024
COL_BLOCK = 16384
BF16_MARGIN = 0.03
"""bfloat16 keeps 8 bits of mantissa; candidates within this margin below the floor are rechecked exactly."""


def _cap_rows(i: np.ndarray, j: np.ndarray, s: np.ndarray, cap: int) -> np.ndarray:
    """Return a mask keeping at most `cap` highest-similarity pairs per row index."""
    order = np.lexsort((-s, i))
    i_sorted = i[order]
    starts = np.flatnonzero(np.r_[True, i_sorted[1:] != i_sorted[:-1]])
    rank = np.arange(len(i_sorted)) - np.repeat(starts, np.diff(np.r_[starts, len(i_sorted)]))
    keep = np.zeros(len(i), bool)
    keep[order[rank < cap]] = True
    return keep


def _bf16_blocks(emb: np.ndarray, cut: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield, per row block, candidate (i, j > i) whose bfloat16 cosine reaches `cut` (torch; ~2x numpy)."""
    import torch

    table = torch.from_numpy(emb).to(torch.bfloat16)
    for r0 in range(0, emb.shape[0], ROW_BLOCK):
        r1 = min(emb.shape[0], r0 + ROW_BLOCK)
        parts_i: list[np.ndarray] = []
        parts_j: list[np.ndarray] = []
        for c0 in range(r0, emb.shape[0], COL_BLOCK):
            hits = (table[r0:r1] @ table[c0 : c0 + COL_BLOCK].T >= cut).nonzero().numpy()
            li, lj = hits[:, 0] + r0, hits[:, 1] + c0
            ahead = lj > li
            parts_i.append(li[ahead])
            parts_j.append(lj[ahead])
        yield np.concatenate(parts_i), np.concatenate(parts_j)


def cosine_pairs(
    emb: np.ndarray, floor: float, *, max_per_row: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Return (index pairs i < j, similarities) of rows whose cosine reaches the floor.

    Candidates come from bfloat16 products with a safety margin; their cosines are then recomputed in float32.
    """
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_s: list[np.ndarray] = []
    cut = np.float32(floor) - np.float32(1e-6)
    for bi, bj in _bf16_blocks(emb, float(floor) - BF16_MARGIN):
        bs = np.einsum("ij,ij->i", emb[bi], emb[bj])
        good = bs >= cut
        bi, bj, bs = bi[good], bj[good], bs[good]
        if max_per_row and len(bi) > max_per_row:
            keep = _cap_rows(bi, bj, bs, max_per_row)
            bi, bj, bs = bi[keep], bj[keep], bs[keep]
        found_i.append(bi)
        found_j.append(bj)
        found_s.append(bs)
    if not found_i:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.float32)
    i, j, s = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)
    if max_per_row and len(i) > max_per_row:
        both_i, both_j = np.r_[i, j], np.r_[j, i]
        keep = _cap_rows(both_i, both_j, np.r_[s, s], max_per_row)
        keep = keep[: len(i)] | keep[len(i) :]
        i, j, s = i[keep], j[keep], s[keep]
    return np.stack([i, j], -1).astype(np.int64), s.astype(np.float32)


def best_match(query: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each query row, the index of its most similar base row and that cosine."""
    if base.shape[0] == 0:
        return np.full(query.shape[0], -1, np.int64), np.full(query.shape[0], -1.0, np.float32)
    idx = np.empty(query.shape[0], np.int64)
    sim = np.empty(query.shape[0], np.float32)
    for r0 in range(0, query.shape[0], ROW_BLOCK):
        rows = query[r0 : r0 + ROW_BLOCK]
        top = np.full(len(rows), -2.0, np.float32)
        arg = np.zeros(len(rows), np.int64)
        for c0 in range(0, base.shape[0], COL_BLOCK):
            block = rows @ base[c0 : c0 + COL_BLOCK].T
            local = block.argmax(1)
            value = block[np.arange(len(rows)), local]
            better = value > top
            top[better] = value[better]
            arg[better] = local[better] + c0
        idx[r0 : r0 + len(rows)] = arg
        sim[r0 : r0 + len(rows)] = top
    return idx, sim
