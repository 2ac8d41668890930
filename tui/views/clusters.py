"""The clusters view: near-duplicate clusters of the latest dedup run, decided by key, re-cut live."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from core.dedup.graph import Cluster, Pairs
from core.models import Action, DecisionSource
from core.safe_text import one_line, visible
from store.dedup import RunInfo, cluster_now, latest_run, load_clusters, run_info
from store.embeddings import FIELD_SQL, stored_pairs
from tui.messages import DecisionRecorded, StepApplied, WriteFailed
from tui.views.base import View
from tui.writer import Decide, Step

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


@dataclass
class RunLoaded(Message):
    """The latest run was read: its record, clusters and cached pairs (None when there is no run)."""

    info: RunInfo | None
    clusters: list[Cluster]
    pairs: Pairs | None


@dataclass
class Recut(Message):
    """Clusters were recomputed from cached pairs at a threshold."""

    threshold: float
    clusters: list[Cluster]


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


class ClustersView(View):
    """Clusters largest first; a member beside its keeper with differing words highlighted."""

    VIEW_TITLE = "Clusters"
    BINDINGS = CLUSTER_BINDINGS

    def __init__(self) -> None:
        """Start empty; the latest run is read on mount."""
        super().__init__()
        self.info: RunInfo | None = None
        self.pairs: Pairs | None = None
        self.threshold = 0.0
        self.clusters: list[Cluster] = []
        self.position: dict[int, int] = {}
        self.texts: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        """Lay out the title, the cluster table beside the keeper/member pane, and the footer."""
        yield Static("", id="clusters-title", markup=False)
        with Horizontal():
            yield DataTable(id="clusters-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="clusters-detail"):
                yield Static("", id="clusters-keeper", markup=False)
                yield Static("", id="clusters-member", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Add columns and read the latest run."""
        table = self.query_one(DataTable)
        table.add_columns("#", "size", "min sim", "keeper")
        table.focus()
        self.load()

    @work(thread=True, group="clusters", exclusive=True, exit_on_error=False)
    def load(self) -> None:
        """Read the latest run, its clusters and its cached pairs."""
        with self.store.cursor() as cur:
            run_id = latest_run(cur)
            if run_id is None:
                self.post_message(RunLoaded(None, [], None))
                return
            info = run_info(cur, run_id)
            pairs = stored_pairs(cur, info.cache_key) if info.cache_key else None
            self.post_message(RunLoaded(info, load_clusters(cur, run_id), pairs))

    def on_run_loaded(self, message: RunLoaded) -> None:
        """Show a freshly read run."""
        self.info, self.pairs = message.info, message.pairs
        self.threshold = message.info.threshold if message.info else 0.0
        self._show(message.clusters)

    @work(thread=True, group="recut", exclusive=True, exit_on_error=False)
    def recut(self, threshold: float) -> None:
        """Re-cluster the cached pairs at a threshold (skipping rejected items)."""
        if self.pairs is not None:
            self.post_message(Recut(threshold, cluster_now(self.store, self.pairs, threshold)))

    def on_recut(self, message: Recut) -> None:
        """Show the clusters of a re-cut."""
        self.threshold = message.threshold
        self._show(message.clusters)

    def _show(self, clusters: list[Cluster]) -> None:
        """Fill the table and the title from a list of clusters."""
        self.clusters = [c for c in clusters if c.members]
        self.position = {}
        table = self.query_one(DataTable)
        table.clear()
        for index, cluster in enumerate(self.clusters):
            low = min(s for _, s in cluster.members)
            table.add_row(Text(str(cluster.cluster_id)), Text(str(len(cluster))), Text(f"{low:.3f}"),
                          Text(one_line(self.texts.get(cluster.keeper, f"item {cluster.keeper}"), 40)),
                          key=str(index))
        self._title()
        self._fetch_texts()

    def _title(self) -> None:
        """Show the run, threshold and live counts."""
        if self.info is None:
            text = "Clusters — no dedup run yet: run `thresher dedup --method lexical` first"
        else:
            removed = sum(len(c.members) for c in self.clusters)
            text = (f"Clusters — {self.info.method} on {self.info.field} (run {self.info.run_id}) at "
                    f"{self.threshold:.2f}: {len(self.clusters)} clusters, {removed} duplicates · "
                    "+/-: threshold · x/a: reject/keep · X: reject all but keeper · s: split · K: keeper")
        self.query_one("#clusters-title", Static).update(Text(text, style="bold"))

    def current(self) -> tuple[Cluster, int] | None:
        """Return the highlighted cluster and the index of its shown member."""
        table = self.query_one(DataTable)
        if not self.clusters or table.row_count == 0:
            return None
        index = min(table.cursor_row, len(self.clusters) - 1)
        cluster = self.clusters[index]
        at = min(self.position.get(index, 0), len(cluster.members) - 1)
        return cluster, max(at, 0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Load the texts of the newly highlighted cluster."""
        self._fetch_texts()

    def _fetch_texts(self) -> None:
        """Read texts for the highlighted cluster unless they are known already."""
        now = self.current()
        if now is None:
            self._render_pair()
            return
        missing = [i for i in now[0].item_ids if i not in self.texts]
        if missing:
            self.read_texts(missing)
        self._render_pair()

    @work(thread=True, group="texts", exclusive=True, exit_on_error=False)
    def read_texts(self, ids: list[int]) -> None:
        """Read the compared texts of some items."""
        expr = FIELD_SQL[self.info.field if self.info else "both"]
        with self.store.cursor() as cur:
            rows = cur.execute(f"SELECT id, {expr} FROM items WHERE id IN (SELECT unnest(?::BIGINT[]))",
                               [ids]).fetchall()
        self.post_message(TextsLoaded({int(r[0]): visible(str(r[1])) for r in rows}))

    def on_texts_loaded(self, message: TextsLoaded) -> None:
        """Remember texts and redraw the pair."""
        self.texts.update(message.texts)
        self._render_pair()

    def _render_pair(self) -> None:
        """Draw the keeper and the current member with their differing words highlighted."""
        keeper_pane = self.query_one("#clusters-keeper", Static)
        member_pane = self.query_one("#clusters-member", Static)
        now = self.current()
        if now is None:
            keeper_pane.update(Text("No clusters at this threshold."))
            member_pane.update(Text(""))
            return
        cluster, at = now
        member, sim = cluster.members[at]
        left, right = diff_texts(self.texts.get(cluster.keeper, "…"), self.texts.get(member, "…"))
        keeper_pane.update(Text.assemble(Text(f"Keeper {cluster.keeper}\n", style="bold"), left))
        head = f"\nMember {member} — similarity {sim:.3f} — {at + 1} of {len(cluster.members)}\n"
        member_pane.update(Text.assemble(Text(head, style="bold"), right))

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
        self._title()
        self._render_pair() if cluster.members else self._render_pair_empty(cluster)

    def _render_pair_empty(self, cluster: Cluster) -> None:
        """Say a cluster is resolved."""
        note = Text(f"Cluster {cluster.cluster_id}: only the keeper is left.")
        self.query_one("#clusters-keeper", Static).update(note)
        self.query_one("#clusters-member", Static).update(Text(""))

    def _reason(self, cluster: Cluster) -> str:
        """Return the reject reason naming the keeper and the run."""
        run = f"{self.info.method} dedup run {self.info.run_id}" if self.info else "dedup"
        return f"duplicate of {cluster.keeper} ({run})"

    def action_reject_member(self) -> None:
        """Reject the shown member as a duplicate of its keeper."""
        now = self.current()
        if now is None or not now[0].members:
            self.app.bell()
            return
        cluster, at = now
        member = cluster.members[at][0]
        self.writer.submit(Decide((member,), Action.REJECT, self._reason(cluster)), self)
        self._drop(cluster, [member])

    def action_keep_member(self) -> None:
        """Accept the shown member and take it out of the cluster."""
        now = self.current()
        if now is None or not now[0].members:
            self.app.bell()
            return
        cluster, at = now
        member = cluster.members[at][0]
        self.writer.submit(Decide((member,), Action.ACCEPT), self)
        self._drop(cluster, [member])

    def action_reject_all(self) -> None:
        """Reject every member but the keeper, as one undoable group."""
        now = self.current()
        if now is None or not now[0].members:
            self.app.bell()
            return
        cluster = now[0]
        members = [i for i, _ in cluster.members]
        self.writer.submit(Decide(tuple(members), Action.REJECT, self._reason(cluster), DecisionSource.BULK), self)
        self._drop(cluster, members)

    def action_split(self) -> None:
        """Take the shown member out of the cluster without deciding on it."""
        now = self.current()
        if now is None or not now[0].members:
            self.app.bell()
            return
        cluster, at = now
        self._drop(cluster, [cluster.members[at][0]])

    def action_make_keeper(self) -> None:
        """Swap the shown member and the keeper (similarities to the new keeper come from cached pairs)."""
        now = self.current()
        if now is None or not now[0].members:
            self.app.bell()
            return
        cluster, at = now
        new, old = cluster.members[at][0], cluster.keeper
        sims = self._sims_to(new, [i for i in cluster.item_ids if i != new])
        cluster.keeper = new
        cluster.members = [(i, sims.get(i, 0.0)) for i in [old, *(m for m, _ in cluster.members if m != new)]]
        self.position[self.query_one(DataTable).cursor_row] = 0
        self._render_pair()

    def _sims_to(self, item: int, others: list[int]) -> dict[int, float]:
        """Return cached similarities between one item and others (missing pairs are left out)."""
        if self.pairs is None:
            return {}
        mask = (self.pairs.a == item) | (self.pairs.b == item)
        found = {int(b if a == item else a): float(s) for a, b, s in
                 zip(self.pairs.a[mask].tolist(), self.pairs.b[mask].tolist(), self.pairs.sim[mask].tolist(),
                     strict=True)}
        return {o: found[o] for o in others if o in found}

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
        self.recut(target)

    def action_undo(self) -> None:
        """Undo the last decision and re-cut so undone rejections come back."""
        self.writer.submit(Step(), self)

    def action_reload(self) -> None:
        """Read the latest run again."""
        self.load()

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        """Confirm a committed decision."""
        self.notify(message.result.label, markup=False)

    def on_step_applied(self, message: StepApplied) -> None:
        """Re-cut after an undo or redo."""
        if message.result is not None:
            self.notify(f"undo: {message.result.label}", markup=False)
        if self.pairs is not None:
            self.recut(self.threshold)

    def on_write_failed(self, message: WriteFailed) -> None:
        """Report a failed write."""
        self.notify(f"{message.label} failed: {message.error}", severity="error", markup=False)
