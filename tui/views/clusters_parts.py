"""The clusters view's parts: the messages its workers post, the writer jobs that edit a stored run, and word diffs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import duckdb
from rich.text import Text
from textual.message import Message

from core.dedup.graph import Cluster, Pairs
from store.connection import Store
from store.dedup import RunInfo, set_keeper, split_member
from tui.messages import ClusterChanged


@dataclass
class RunLoaded(Message):
    """The latest run was read: its record, stored clusters and cached pairs (None when there is no run)."""

    info: RunInfo | None
    clusters: list[Cluster]
    pairs: Pairs | None
    asked: int = 0


@dataclass
class Recut(Message):
    """Clusters were recomputed from cached pairs at a threshold."""

    threshold: float
    clusters: list[Cluster]
    asked: int = 0


def shown_clusters(cur: duckdb.DuckDBPyConnection, run_id: int, cluster_id: int | None = None) -> list[Cluster]:
    """Read a run's stored clusters (or one) as the view shows them: rejected members left out, largest first.

    A similarity the store no longer knows (members of a cluster whose keeper changed) reads as 0.0.
    """
    one = "AND c.cluster_id = ? " if cluster_id is not None else ""
    rows = cur.execute(
        "SELECT c.cluster_id, c.item_id, c.is_keeper, c.similarity FROM clusters c JOIN items i ON i.id = c.item_id "
        f"WHERE c.run_id = ? {one}AND (c.is_keeper OR i.status <> 'rejected') "
        "ORDER BY c.cluster_id, c.is_keeper DESC, c.similarity DESC NULLS LAST, c.item_id",
        [run_id] if cluster_id is None else [run_id, cluster_id]).fetchall()
    by_id: dict[int, Cluster] = {}
    for number, item_id, is_keeper, sim in rows:
        cluster = by_id.setdefault(int(number), Cluster(int(item_id), [], int(number)))
        if not is_keeper:
            cluster.members.append((int(item_id), float(sim) if sim is not None else 0.0))
    return sorted(by_id.values(), key=lambda c: (-len(c), c.cluster_id))


def sims_to(pairs: Pairs | None, item: int, others: list[int]) -> dict[int, float]:
    """Return cached similarities between one item and others (missing pairs are left out)."""
    if pairs is None or not others:
        return {}
    mask = (pairs.a == item) | (pairs.b == item)
    found = {int(b if a == item else a): float(s) for a, b, s in
             zip(pairs.a[mask].tolist(), pairs.b[mask].tolist(), pairs.sim[mask].tolist(), strict=True)}
    return {o: found[o] for o in others if o in found}


def fill_sims(cluster: Cluster, pairs: Pairs | None) -> Cluster:
    """Fill unknown (0.0) member similarities from cached pairs where they are known, most similar first."""
    unknown = [item for item, sim in cluster.members if sim == 0.0]
    found = sims_to(pairs, cluster.keeper, unknown)
    if found:
        members = [(item, found.get(item, sim) if sim == 0.0 else sim) for item, sim in cluster.members]
        cluster.members = sorted(members, key=lambda m: (-m[1], m[0]))
    return cluster


def _changed(store: Store, seq: int, job: SetKeeper | SplitMember, change: str) -> ClusterChanged:
    """Re-read the cluster a job edited and report it as now stored."""
    with store.cursor() as cur:
        found = shown_clusters(cur, job.run_id, job.cluster_id)
    return ClusterChanged(seq, None, None, run_id=job.run_id, cluster_id=job.cluster_id, item_id=job.item_id,
                          change=change, cluster=found[0] if found else None)


@dataclass(frozen=True, slots=True)
class SetKeeper:
    """A writer job: make a member the keeper of a stored cluster (an edit of the run, not a decision)."""

    run_id: int
    cluster_id: int
    item_id: int

    def journal_entry(self) -> None:
        """Return None: a keeper change is not a decision and is not journaled."""
        return None

    def run(self, store: Store, seq: int, journal_seq: int | None = None) -> Message:
        """Change the keeper and report the cluster as now stored."""
        set_keeper(store, self.run_id, self.cluster_id, self.item_id)
        return _changed(store, seq, self, "keeper")


@dataclass(frozen=True, slots=True)
class SplitMember:
    """A writer job: take a member out of its stored cluster (a cluster left with its keeper alone is dropped)."""

    run_id: int
    cluster_id: int
    item_id: int

    def journal_entry(self) -> None:
        """Return None: a split is not a decision and is not journaled."""
        return None

    def run(self, store: Store, seq: int, journal_seq: int | None = None) -> Message:
        """Split the member out and report the cluster as now stored (None once it is gone)."""
        split_member(store, self.run_id, self.item_id)
        return _changed(store, seq, self, "split")


@dataclass
class TextsLoaded(Message):
    """The compared texts of one cluster's items were read."""

    texts: dict[int, str]


def diff_texts(keeper: str, member: str) -> tuple[Text, Text]:
    """Return both texts with the words that differ between them highlighted."""
    left, right = keeper.split(" "), member.split(" ")
    out_left, out_right = Text(), Text()
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        same = tag == "equal"
        out_left.append(" ".join(left[a0:a1]) + " ", style=None if same else "bold red")
        out_right.append(" ".join(right[b0:b1]) + " ", style=None if same else "bold green")
    return out_left, out_right
