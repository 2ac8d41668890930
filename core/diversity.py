"""Diversity and model-collapse metrics per group of texts (a batch, or the real items), and warnings.

Distinct-n and self-similarity are averaged over chunks of CHUNK items, so groups of different sizes
compare fairly.  Self-similarity is the mean cosine of each item to its nearest neighbour in its chunk
(1.0 when every item is the same), on stored embeddings when they cover every item, else on exact
bag-of-words vectors.  Topic coverage counts how many of TOPIC_CLUSTERS k-means clusters, fitted on all
groups pooled (embeddings, else words hashed into HASH_DIMS buckets), a group's items fall in.  A batch
is "narrower" than a reference when its distinct-2 is more than DISTINCT_DROP below it, or its
self-similarity more than SIMILARITY_RISE above it.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

CHUNK = 100
TOPIC_CLUSTERS = 12
MIN_ITEMS = 10
"""Groups smaller than this are measured but never compared."""
DISTINCT_DROP = 0.10
"""Relative drop in distinct-2 that counts as narrower."""
SIMILARITY_RISE = 0.05
"""Absolute rise in mean nearest-neighbour cosine that counts as narrower."""
HASH_DIMS = 1024
HASHED_METHOD = "bag-of-words vectors (fallback: no stored embeddings cover these items)"
_WORD = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Return the lower-cased words of a text."""
    return _WORD.findall(text.lower())


def distinct_n(docs: Sequence[Sequence[str]], n: int) -> float | None:
    """Return unique n-grams over all n-grams of the documents, None when there are none."""
    grams = [tuple(doc[i : i + n]) for doc in docs for i in range(len(doc) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def chunks(count: int, size: int = CHUNK) -> list[range]:
    """Split positions 0..count into consecutive chunks of `size` (the last one folded in when small)."""
    if count <= size:
        return [range(count)] if count else []
    bounds = list(range(0, count, size))
    if count - bounds[-1] < size // 2:
        bounds.pop()
    return [range(start, end) for start, end in zip(bounds, [*bounds[1:], count], strict=True)]


def _mean(values: Sequence[float | None]) -> float | None:
    """Return the mean of the values that are not None."""
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def chunked_distinct(docs: Sequence[Sequence[str]], n: int) -> float | None:
    """Return distinct-n averaged over chunks of CHUNK documents."""
    return _mean([distinct_n([docs[i] for i in part], n) for part in chunks(len(docs))])


def hashed_vectors(docs: Sequence[Sequence[str]], dims: int = HASH_DIMS) -> np.ndarray:
    """Return unit bag-of-words vectors with words hashed (crc32) into `dims` buckets, log-scaled counts."""
    matrix = np.zeros((len(docs), dims), np.float32)
    for row, doc in enumerate(docs):
        for word in doc:
            matrix[row, zlib.crc32(word.encode("utf-8")) % dims] += 1.0
    matrix = np.log1p(matrix)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def word_vectors(docs: Sequence[Sequence[str]]) -> np.ndarray:
    """Return exact unit bag-of-words vectors (log-scaled counts) over the documents' own vocabulary."""
    index: dict[str, int] = {}
    cells = [(row, index.setdefault(word, len(index))) for row, doc in enumerate(docs) for word in doc]
    matrix = np.zeros((len(docs), max(1, len(index))), np.float32)
    for row, column in cells:
        matrix[row, column] += 1.0
    return unit_rows(np.log1p(matrix))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale rows to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def nearest_neighbour_cosine(vectors: np.ndarray) -> float | None:
    """Return the mean cosine of each row to its most similar other row, None for fewer than two rows."""
    if len(vectors) < 2:
        return None
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return float(np.clip(sims.max(axis=1), -1.0, 1.0).mean())


def self_similarity(vectors: np.ndarray) -> float | None:
    """Return the nearest-neighbour cosine averaged over chunks of CHUNK rows."""
    return _mean([nearest_neighbour_cosine(vectors[part.start : part.stop]) for part in chunks(len(vectors))])


def word_self_similarity(docs: Sequence[Sequence[str]]) -> float | None:
    """Return the exact bag-of-words nearest-neighbour cosine averaged over chunks of CHUNK documents."""
    return _mean([nearest_neighbour_cosine(word_vectors(docs[part.start : part.stop])) for part in chunks(len(docs))])


def kmeans(vectors: np.ndarray, k: int, seed: int = 0, iterations: int = 25, fit_rows: int = 4000) -> np.ndarray:
    """Return k centroids by k-means++ seeding and Lloyd iterations on at most `fit_rows` rows (deterministic)."""
    rng = np.random.default_rng(seed)
    if len(vectors) > fit_rows:
        vectors = vectors[np.sort(rng.choice(len(vectors), fit_rows, replace=False))]
    centroids = [vectors[int(rng.integers(len(vectors)))]]
    dist = ((vectors - centroids[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        if dist.sum() <= 0:
            break
        centroids.append(vectors[int(rng.choice(len(vectors), p=dist / dist.sum()))])
        dist = np.minimum(dist, ((vectors - centroids[-1]) ** 2).sum(axis=1))
    centres = np.array(centroids)
    for _ in range(iterations):
        labels = assign(vectors, centres)
        moved = np.array([vectors[labels == j].mean(axis=0) if (labels == j).any() else centres[j]
                          for j in range(len(centres))])
        if np.allclose(moved, centres):
            break
        centres = moved
    return centres


def assign(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Return the index of the nearest centre of each row."""
    dist = (vectors**2).sum(axis=1)[:, None] - 2 * vectors @ centres.T + (centres**2).sum(axis=1)[None, :]
    return np.asarray(dist.argmin(axis=1))


@dataclass(frozen=True, slots=True)
class Group:
    """The texts of one group to measure: a batch or the real items (a sample when the group is large)."""

    key: str
    label: str
    is_real: bool
    items: int
    texts: list[str]
    topics: list[str | None] = field(default_factory=list)
    vectors: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class GroupMetrics:
    """The diversity of one group and whether it is narrower than real data or earlier batches."""

    key: str
    label: str
    is_real: bool
    items: int
    sampled: int
    distinct_1: float | None
    distinct_2: float | None
    distinct_3: float | None
    self_similarity: float | None
    vocabulary: int
    length_mean: float
    length_std: float
    length_iqr: float
    clusters_covered: int
    clusters_total: int
    metadata_topics: int | None
    narrower_than_real: bool = False
    narrower_than_earlier: bool = False


@dataclass(frozen=True, slots=True)
class DiversityReport:
    """Metrics per group, which similarity method was used, and the warnings."""

    method: str
    groups: list[GroupMetrics]
    warnings: list[str]

    @property
    def real(self) -> GroupMetrics | None:
        """Return the real-data group, if the store has real items."""
        return next((g for g in self.groups if g.is_real), None)


def _lengths(docs: Sequence[Sequence[str]]) -> tuple[float, float, float]:
    """Return the mean, standard deviation and interquartile range of word counts."""
    if not docs:
        return 0.0, 0.0, 0.0
    lengths = np.array([len(d) for d in docs], np.float64)
    q1, q3 = np.percentile(lengths, [25, 75])
    return float(lengths.mean()), float(lengths.std()), float(q3 - q1)


def narrower(group: GroupMetrics, distinct_2: float | None, similarity: float | None) -> list[str]:
    """Return the reasons a group is narrower than a reference's distinct-2 and self-similarity."""
    reasons = []
    if group.distinct_2 is not None and distinct_2 and group.distinct_2 < distinct_2 * (1 - DISTINCT_DROP):
        reasons.append(f"distinct-2 {group.distinct_2:.3f} vs {distinct_2:.3f}")
    if group.self_similarity is not None and similarity is not None \
            and group.self_similarity > similarity + SIMILARITY_RISE:
        reasons.append(f"self-similarity {group.self_similarity:.3f} vs {similarity:.3f}")
    return reasons


def _compare(metrics: list[GroupMetrics]) -> tuple[list[GroupMetrics], list[str]]:
    """Flag batches narrower than the real data and than the mean of the batches before them."""
    real = next((g for g in metrics if g.is_real and g.sampled >= MIN_ITEMS), None)
    out: list[GroupMetrics] = []
    warnings: list[str] = []
    earlier: list[GroupMetrics] = []
    for group in metrics:
        if group.is_real or group.sampled < MIN_ITEMS:
            out.append(group)
            continue
        vs_real = narrower(group, real.distinct_2, real.self_similarity) if real else []
        vs_earlier = narrower(group, _mean([g.distinct_2 for g in earlier]),
                              _mean([g.self_similarity for g in earlier])) if earlier else []
        if vs_real:
            warnings.append(f"{group.label} is narrower than the real data: {'; '.join(vs_real)}")
        if vs_earlier:
            warnings.append(f"{group.label} is narrower than the batches before it: {'; '.join(vs_earlier)}")
        out.append(replace(group, narrower_than_real=bool(vs_real), narrower_than_earlier=bool(vs_earlier)))
        earlier.append(group)
    return out, warnings


def measure(groups: Sequence[Group], method: str | None = None, seed: int = 0) -> DiversityReport:
    """Measure every group; vectors come with the groups, or are hashed bag-of-words when any group lacks them."""
    docs = [[tokenize(t) for t in g.texts] for g in groups]
    use_given = method is not None and all(g.vectors is not None and len(g.vectors) == len(g.texts) for g in groups)
    vectors = [unit_rows(g.vectors) if use_given and g.vectors is not None else hashed_vectors(d)
               for g, d in zip(groups, docs, strict=True)]
    pooled = np.concatenate(vectors) if vectors and sum(len(v) for v in vectors) else np.zeros((0, 1), np.float32)
    k = min(TOPIC_CLUSTERS, len(pooled))
    centres = kmeans(pooled, k, seed) if k else np.zeros((0, pooled.shape[1]), np.float32)
    metrics = []
    for group, doc, vecs in zip(groups, docs, vectors, strict=True):
        covered = len(set(assign(vecs, centres).tolist())) if len(vecs) and len(centres) else 0
        topics = {t for t in group.topics if t}
        mean, std, iqr = _lengths(doc)
        metrics.append(GroupMetrics(
            key=group.key, label=group.label, is_real=group.is_real, items=group.items, sampled=len(doc),
            distinct_1=chunked_distinct(doc, 1), distinct_2=chunked_distinct(doc, 2),
            distinct_3=chunked_distinct(doc, 3),
            self_similarity=self_similarity(vecs) if use_given else word_self_similarity(doc),
            vocabulary=len({w for d in doc for w in d}), length_mean=mean, length_std=std, length_iqr=iqr,
            clusters_covered=covered, clusters_total=len(centres), metadata_topics=len(topics) if topics else None,
        ))
    compared, warnings = _compare(metrics)
    return DiversityReport(method if use_given and method else HASHED_METHOD, compared, warnings)


def fmt(value: float | None, digits: int = 3) -> str:
    """Format an optional metric, with a dash for None or NaN."""
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"
