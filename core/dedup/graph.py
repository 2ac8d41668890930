"""Similarity pairs between items and their greedy star clustering with a guard against chaining."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class Quality:
    """What the quality scorers said about an item: flags and mean score (higher means more likely defective)."""

    flags: int = 0
    mean: float | None = None


@dataclass(frozen=True, slots=True)
class Pairs:
    """Scored pairs of item ids; a similarity of 1.0 means the normalised texts are identical."""

    a: np.ndarray
    b: np.ndarray
    sim: np.ndarray

    @staticmethod
    def empty() -> Pairs:
        """Return a set of no pairs."""
        return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))

    @staticmethod
    def concat(parts: Sequence[Pairs]) -> Pairs:
        """Join several pair sets into one."""
        if not parts:
            return Pairs.empty()
        return Pairs(
            np.concatenate([p.a for p in parts]).astype(np.int64),
            np.concatenate([p.b for p in parts]).astype(np.int64),
            np.concatenate([p.sim for p in parts]).astype(np.float32),
        )

    def __len__(self) -> int:
        """Return the number of pairs."""
        return int(self.a.shape[0])

    def at_least(self, threshold: float) -> Pairs:
        """Return the pairs whose similarity reaches the threshold."""
        keep = self.sim >= np.float32(threshold) - np.float32(1e-6)
        return Pairs(self.a[keep], self.b[keep], self.sim[keep])


@dataclass(slots=True)
class Cluster:
    """A keeper and the items judged duplicates of it, each with its similarity to the keeper."""

    keeper: int
    members: list[tuple[int, float]] = field(default_factory=list)
    cluster_id: int = 0

    @property
    def item_ids(self) -> list[int]:
        """Return every item of the cluster, keeper first."""
        return [self.keeper, *(item for item, _ in self.members)]

    def __len__(self) -> int:
        """Return the number of items including the keeper."""
        return 1 + len(self.members)


def exact_pairs(ids: Sequence[int], keys: Sequence[object]) -> tuple[Pairs, list[int]]:
    """Link items with equal keys to the first of their group; return the pairs and one id per key."""
    first: dict[object, int] = {}
    a: list[int] = []
    b: list[int] = []
    for item_id, key in zip(ids, keys, strict=True):
        head = first.setdefault(key, item_id)
        if head != item_id:
            a.append(head)
            b.append(item_id)
    sims = np.ones(len(a), np.float32)
    return Pairs(np.array(a, np.int64), np.array(b, np.int64), sims), list(first.values())


def _find(parent: dict[int, int], x: int) -> int:
    """Return the root of x in a union-find forest, halving paths on the way."""
    while parent.get(x, x) != x:
        parent[x] = parent.get(parent[x], parent[x])
        x = parent[x]
    return x


def _exact_nodes(pairs: Pairs) -> dict[int, int]:
    """Map each item in an identical-text pair to a representative of its group."""
    parent: dict[int, int] = {}
    exact = pairs.sim >= np.float32(1.0) - np.float32(1e-6)
    ends = list(zip(pairs.a[exact].tolist(), pairs.b[exact].tolist(), strict=True))
    for x, y in ends:
        rx, ry = _find(parent, x), _find(parent, y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return {x: _find(parent, x) for pair in ends for x in pair}


def _rank(quality: Quality, degree: int, item_id: int) -> tuple[int, bool, float, int, int]:
    """Sort key for keepers: fewer flags, then a lower mean defect score, then more neighbours, then lower id."""
    return (quality.flags, quality.mean is None, quality.mean or 0.0, -degree, item_id)


def cluster_pairs(
    pairs: Pairs,
    threshold: float,
    quality: Mapping[int, Quality] | None = None,
    *,
    alive: Iterable[int] | None = None,
) -> list[Cluster]:
    """Group items greedily around the best-ranked keeper so every member is itself >= threshold to it."""
    quality = quality or {}
    live = set(alive) if alive is not None else None
    node_of = _exact_nodes(pairs)
    members: dict[int, list[int]] = defaultdict(list)
    for item, node in node_of.items():
        if live is None or item in live:
            members[node].append(item)
    near = pairs.at_least(threshold)
    adj: dict[int, dict[int, float]] = defaultdict(dict)
    for x, y, s in zip(near.a.tolist(), near.b.tolist(), near.sim.tolist(), strict=True):
        nx, ny = node_of.get(x, x), node_of.get(y, y)
        if nx == ny:
            continue
        for item in (x, y):
            if item not in node_of and (live is None or item in live):
                members[item] = [item]
        if members.get(nx) and members.get(ny):
            adj[nx][ny] = max(s, adj[nx].get(ny, 0.0))
            adj[ny][nx] = max(s, adj[ny].get(nx, 0.0))
    best: dict[int, tuple[int, bool, float, int, int]] = {}
    for node, items in members.items():
        if not items:
            continue
        degree = len(adj.get(node, {}))
        best[node] = min(_rank(quality.get(i, Quality()), degree, i) for i in items)
    taken: set[int] = set()
    clusters: list[Cluster] = []
    for node in sorted(best, key=best.__getitem__):
        if node in taken:
            continue
        keeper = best[node][-1]
        found = Cluster(keeper, [(i, 1.0) for i in sorted(members[node]) if i != keeper])
        for other, sim in sorted(adj.get(node, {}).items()):
            if other not in taken and other in best:
                taken.add(other)
                found.members.extend((i, float(sim)) for i in sorted(members[other]))
        taken.add(node)
        if found.members:
            clusters.append(found)
    clusters.sort(key=lambda c: (-len(c), c.keeper))
    for number, found in enumerate(clusters, start=1):
        found.cluster_id = number
    return clusters
