"""Decontamination: training texts that share a 13-gram with, or sit next to, a held-out text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.dedup.neighbours import best_match
from core.normalize import normalize_text

NGRAM = 13
"""GPT-3 (Brown et al. 2020, appendix C) counted a test example as contaminated on a shared 13-gram."""

MIN_WORDS = 8
"""A held-out text shorter than NGRAM words must appear whole, but only when it has at least this many."""

_PRIME = np.uint64(1099511628211)
_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class Hit:
    """A training text flagged against one held-out text, with the evidence."""

    train_index: int
    heldout_index: int
    kind: str
    score: float
    evidence: str


def _window_hashes(ids: np.ndarray, size: int) -> np.ndarray:
    """Return a 64-bit polynomial hash of every window of `size` consecutive ids."""
    count = len(ids) - size + 1
    if count <= 0:
        return np.zeros(0, np.uint64)
    out = np.zeros(count, np.uint64)
    with np.errstate(over="ignore"):
        for k in range(size):
            out = out * _PRIME + ids[k : k + count]
    return out


def _heldout_index(
    heldout: Sequence[str], n: int, min_words: int
) -> tuple[dict[str, int], dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Build the held-out vocabulary and, per gram length, sorted gram hashes with their text index."""
    vocab: dict[str, int] = {}
    by_length: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for index, text in enumerate(heldout):
        words = normalize_text(text).split()
        if len(words) < min_words:
            continue
        ids = np.array([vocab.setdefault(w, len(vocab) + 1) for w in words], np.uint64)
        size = min(n, len(words))
        hashes = _window_hashes(ids, size)
        bucket = by_length.setdefault(size, ([], []))
        bucket[0].append(hashes)
        bucket[1].append(np.full(len(hashes), index, np.int64))
    index_by_length: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for size, (hash_parts, owner_parts) in by_length.items():
        hashes, owners = np.concatenate(hash_parts), np.concatenate(owner_parts)
        order = np.argsort(hashes, kind="stable")
        index_by_length[size] = (hashes[order], owners[order])
    return vocab, index_by_length


def ngram_overlaps(
    train: Sequence[str], heldout: Sequence[str], *, n: int = NGRAM, min_words: int = MIN_WORDS
) -> list[Hit]:
    """Return one hit per training text that contains a held-out n-gram (or a whole short held-out text)."""
    vocab, index = _heldout_index(heldout, n, min_words)
    hits: dict[int, Hit] = {}
    if not index:
        return []
    for start in range(0, len(train), _CHUNK):
        words = [normalize_text(t).split() for t in train[start : start + _CHUNK]]
        lengths = np.array([len(w) for w in words], np.int64)
        ids = np.fromiter((vocab.get(w, 0) for ws in words for w in ws), np.uint64, int(lengths.sum()))
        doc = np.repeat(np.arange(len(words)), lengths)
        offsets = np.r_[0, np.cumsum(lengths)]
        unknown = np.r_[0, np.cumsum(ids == 0)]
        for size, (hashes, owners) in index.items():
            window = _window_hashes(ids, size)
            if not len(window):
                continue
            first = np.arange(len(window))
            valid = (doc[first] == doc[first + size - 1]) & (unknown[first + size] == unknown[first])
            pos = np.searchsorted(hashes, window)
            pos = np.minimum(pos, len(hashes) - 1)
            matched = np.flatnonzero(valid & (hashes[pos] == window))
            for p in matched.tolist():
                local = int(doc[p])
                if start + local in hits:
                    continue
                at = p - int(offsets[local])
                gram = " ".join(words[local][at : at + size])
                hits[start + local] = Hit(start + local, int(owners[pos[p]]), "ngram", 1.0, gram)
    return [hits[k] for k in sorted(hits)]


def semantic_matches(train: np.ndarray, heldout: np.ndarray, threshold: float) -> list[Hit]:
    """Return training rows whose nearest held-out row has a cosine at or above the threshold."""
    if not len(train) or not len(heldout):
        return []
    nearest, sims = best_match(train, heldout)
    flagged = np.flatnonzero(sims >= np.float32(threshold) - np.float32(1e-6))
    return [
        Hit(int(i), int(nearest[i]), "semantic", float(sims[i]), f"cosine {float(sims[i]):.3f}")
        for i in flagged.tolist()
    ]
