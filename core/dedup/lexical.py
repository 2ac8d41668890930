"""Lexical near-duplicates: MinHash LSH candidates verified by rapidfuzz edit similarity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.dedup.minhash import candidate_pairs, lsh_params, signatures


@dataclass(frozen=True, slots=True)
class LexicalParams:
    """Shingling and LSH settings; see bench/RESULTS.md '## Dedup' for why these defaults."""

    ngram: int = 2
    num_perm: int = 128
    jaccard: float = 0.5
    seed: int = 42

    def bands_rows(self) -> tuple[int, int]:
        """Return the (bands, rows) split of the signature tuned for the Jaccard threshold."""
        return lsh_params(round(self.jaccard, 4), self.num_perm)

    def describe(self) -> dict[str, Any]:
        """Return the settings plus the derived bands and rows, for the run record."""
        bands, rows = self.bands_rows()
        return {**asdict(self), "bands": bands, "rows": rows}


def similarity(a: str, b: str) -> float:
    """Return the rapidfuzz normalised Indel similarity of two normalised texts, from 0 to 1."""
    from rapidfuzz import fuzz

    return float(fuzz.ratio(a, b)) / 100.0


def verify(texts: Sequence[str], pairs: np.ndarray, floor: float, *, chunk: int = 200_000) -> np.ndarray:
    """Return the rapidfuzz similarity of each candidate pair, 0 where it falls below the floor."""
    from rapidfuzz import fuzz, process

    out = np.zeros(len(pairs), np.float32)
    cutoff = max(0.0, floor * 100.0 - 1e-3)
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        left = [texts[i] for i in part[:, 0].tolist()]
        right = [texts[j] for j in part[:, 1].tolist()]
        scores = process.cpdist(left, right, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float32)
        out[start : start + len(part)] = np.asarray(scores, np.float32) / 100.0
    return out


def lexical_pairs(
    texts: Sequence[str], floor: float, params: LexicalParams = LexicalParams()
) -> tuple[np.ndarray, np.ndarray]:
    """Return (index pairs, similarities) of texts verified at or above the floor."""
    if len(texts) < 2:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.float32)
    sig = signatures(texts, ngram=params.ngram, num_perm=params.num_perm, seed=params.seed)
    bands, rows = params.bands_rows()
    candidates = candidate_pairs(sig, bands, rows)
    sims = verify(texts, candidates, floor)
    keep = sims >= np.float32(floor) - np.float32(1e-6)
    return candidates[keep], sims[keep]
