"""The clusters view: near-duplicate clusters of the latest dedup run, decided by key, re-cut live.

At the run's own threshold the view shows the stored clusters, and a keeper change (K) or a split (s) is written
to them through the single writer, so `thresher dedup`'s record, a later visit and a restart all see it. At any
other threshold it shows a live re-cut of the cached pairs, which is not stored: K and s there change the screen
only (and say so). The state, loading and drawing are ClustersBase (tui.views.clusters_base); this module adds
the keys: step through members, reject, keep, split, make keeper, threshold, undo.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from core.dedup.graph import Cluster
from core.models import Action, DecisionSource
from tui.messages import ClusterChanged, DecisionRecorded, StepApplied, WriteFailed
from tui.views.clusters_base import ClustersBase
from tui.views.clusters_parts import (
    Recut,
    RunLoaded,
    SetKeeper,
    SplitMember,
    TextsLoaded,
    diff_texts,
    fill_sims,
    shown_clusters,
    sims_to,
)
from tui.writer import Decide, Job, Step

__all__ = ["CLUSTER_BINDINGS", "STEP", "ClustersBase", "ClustersView", "Recut", "RunLoaded", "SetKeeper",
           "SplitMember", "TextsLoaded", "diff_texts", "fill_sims", "shown_clusters", "sims_to"]

STEP = 0.01

CLUSTER_BINDINGS: list[BindingType] = [
    Binding("n,right", "member(1)", "Next member", id="clusters.next"),
    Binding("p,left", "member(-1)", "Previous member", id="clusters.previous"),
    Binding("x", "reject_member", "Reject member", id="clusters.reject"),
    Binding("a", "keep_member", "Keep member", id="clusters.keep"),
    Binding("X,shift+x", "reject_all", "Reject all but keeper", id="clusters.reject_all"),
    Binding("s", "split", "Split member out", id="clusters.split"),
    Binding("K,shift+k", "make_keeper", "Make keeper", id="clusters.keeper"),
    Binding("plus,equals_sign", "threshold(1)", "Raise threshold", id="clusters.up"),
    Binding("minus", "threshold(-1)", "Lower threshold", id="clusters.down"),
    Binding("u", "undo", "Undo", id="clusters.undo"),
    Binding("r", "reload", "Reload latest run", show=False, id="clusters.reload"),
]

class ClustersView(ClustersBase):
    """Clusters largest first; a member beside its keeper with differing words highlighted."""

    VIEW_TITLE = "Clusters"
    BINDINGS = CLUSTER_BINDINGS

    def action_member(self, step: int) -> None:
        """Show the next or previous member of the cluster."""
        now = self.current()
        if now is None:
            self.app.bell()
            return
        cluster, at = now
        self.position[self.query_one(DataTable).cursor_row] = (at + step) % len(cluster.members)
        self._render_pair()

    def _drop(self, cluster: Cluster, items: list[int]) -> None:
        """Remove members from a cluster on screen and redraw."""
        cluster.members = [(i, s) for i, s in cluster.members if i not in items]
        row = self.query_one(DataTable).cursor_row
        self.position[row] = 0
        self._refresh_row(row)
        self._title()
        self._render_pair() if cluster.members else self._render_pair_empty(cluster)

    def _reason(self, cluster: Cluster) -> str:
        """Return the reject reason naming the keeper and the run."""
        run = f"{self.info.method} dedup run {self.info.run_id}" if self.info else "dedup"
        return f"duplicate of {cluster.keeper} ({run})"

    def _shown(self) -> tuple[Cluster, int] | None:
        """Return the shown cluster and member position, ringing the bell when there is no member."""
        now = self.current()
        if now is None or not now[0].members:
            self.app.bell()
            return None
        return now

    def action_reject_member(self) -> None:
        """Reject the shown member as a duplicate of its keeper."""
        now = self._shown()
        if now is None:
            return
        cluster, at = now
        member = cluster.members[at][0]
        self.writer.submit(Decide((member,), Action.REJECT, self._reason(cluster)), self)
        self._drop(cluster, [member])

    def action_keep_member(self) -> None:
        """Accept the shown member and take it out of the cluster."""
        now = self._shown()
        if now is None:
            return
        cluster, at = now
        member = cluster.members[at][0]
        self.writer.submit(Decide((member,), Action.ACCEPT), self)
        self._drop(cluster, [member])

    def action_reject_all(self) -> None:
        """Reject every member but the keeper, as one undoable group."""
        now = self._shown()
        if now is None:
            return
        cluster = now[0]
        members = [i for i, _ in cluster.members]
        self.writer.submit(Decide(tuple(members), Action.REJECT, self._reason(cluster), DecisionSource.BULK), self)
        self._drop(cluster, members)

    def action_split(self) -> None:
        """Take the shown member out of the cluster without deciding on it (stored at the run's threshold)."""
        now = self._shown()
        if now is None:
            return
        cluster, at = now
        member = cluster.members[at][0]
        self._drop(cluster, [member])
        self._write(SplitMember(self.info.run_id, cluster.cluster_id, member) if self.info else None, "split")

    def action_make_keeper(self) -> None:
        """Swap the shown member and the keeper (stored at the run's threshold; similarities from cached pairs)."""
        now = self._shown()
        if now is None:
            return
        cluster, at = now
        new, old = cluster.members[at][0], cluster.keeper
        sims = sims_to(self.pairs, new, [i for i in cluster.item_ids if i != new])
        cluster.keeper = new
        cluster.members = [(i, sims.get(i, 0.0)) for i in [old, *(m for m, _ in cluster.members if m != new)]]
        row = self.query_one(DataTable).cursor_row
        self.position[row] = 0
        self._refresh_row(row)
        self._render_pair()
        self._write(SetKeeper(self.info.run_id, cluster.cluster_id, new) if self.info else None, "keeper change")

    def _write(self, job: Job | None, what: str) -> None:
        """Queue an edit of the stored run, or say it stays on screen while a live re-cut is shown."""
        if job is None or self.live:
            self.notify(f"{what} shown here only: a re-cut at {self.threshold:.2f} is not stored (go back to the "
                        f"run's threshold to edit its clusters)", markup=False)
            return
        self.cluster_writes.add(self.writer.submit(job, self))

    def action_threshold(self, direction: int) -> None:
        """Raise or lower the threshold by one step and re-cut the clusters from cached pairs."""
        if self.info is None or self.pairs is None:
            self.app.bell()
            return
        target = round(min(1.0, self.threshold + direction * STEP), 4)
        if target < self.info.floor - 1e-9:
            self.notify(f"pairs are cached down to {self.info.floor:.2f}; run `thresher dedup --threshold "
                        f"{target:.2f}` to go lower", markup=False)
            return
        if abs(target - self.info.threshold) < 1e-9:
            self.load()
        else:
            self.recut(target)

    def action_undo(self) -> None:
        """Undo the last decision (keeper changes and splits are not decisions) and show undone rejections again."""
        self.writer.submit(Step(), self)

    def action_reload(self) -> None:
        """Read the latest run again."""
        self.load()

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        """Confirm a committed decision."""
        self.notify(message.result.label, markup=False)

    def on_step_applied(self, message: StepApplied) -> None:
        """Re-read the stored clusters (or re-cut) after an undo or redo."""
        if message.result is not None:
            self.notify(f"undo: {message.result.label}", markup=False)
        if self.live:
            self.recut(self.threshold)
        else:
            self.load()

    def on_cluster_changed(self, message: ClusterChanged) -> None:
        """Confirm a stored keeper change or split; if the store then disagrees on the keeper, show it as stored.

        Only the keeper is compared: members accepted with `a` leave the screen but stay in the stored cluster.
        """
        self.cluster_writes.discard(message.seq)
        if message.change == "keeper":
            self.notify(f"cluster {message.cluster_id}: item {message.item_id} is now the keeper", markup=False)
        else:
            self.notify(f"cluster {message.cluster_id}: item {message.item_id} split out", markup=False)
        stored = message.cluster
        if (self.live or self.info is None or self.info.run_id != message.run_id or stored is None
                or message.seq != self.writer.last_seq):
            return
        index = next((i for i, c in enumerate(self.clusters) if c.cluster_id == message.cluster_id), None)
        if index is None:
            return
        if stored.keeper == self.clusters[index].keeper:
            return
        self.clusters[index] = fill_sims(stored, self.pairs)
        self.position[index] = 0
        self._refresh_row(index)
        self._title()
        if index == self.query_one(DataTable).cursor_row:
            self._fetch_texts()

    def on_write_failed(self, message: WriteFailed) -> None:
        """Report a failed write; after a failed keeper change or split, show the stored clusters again."""
        self.notify(f"{message.label} failed: {message.error}", severity="error", markup=False)
        if message.seq in self.cluster_writes:
            self.cluster_writes.discard(message.seq)
            self.load()
