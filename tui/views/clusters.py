"""The clusters view: near-duplicate clusters of the latest dedup run, decided by key, re-cut live.

At the run's own threshold the view shows the stored clusters, and a keeper change (K) or a split (s) is written
to them through the single writer, so `thresher dedup`'s record, a later visit and a restart all see it. At any
other threshold it shows a live re-cut of the cached pairs, which is not stored: K and s there change the screen
only (and say so).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import duckdb
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from core.dedup.graph import Cluster, Pairs
from core.models import Action, DecisionSource
from core.safe_text import one_line, visible
from store.connection import Store
from store.dedup import RunInfo, cluster_now, latest_run, run_info, set_keeper, split_member
from store.embeddings import FIELD_SQL, stored_pairs
from tui.messages import ClusterChanged, DecisionRecorded, StepApplied, WriteFailed
from tui.views.base import View
from tui.writer import Decide, Job, Step

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
        self.live = False
        self.asked = 0
        self.cluster_writes: set[int] = set()

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

    def load(self) -> None:
        """Show the latest run's stored clusters (an answer to an earlier load or re-cut is then dropped)."""
        self.asked += 1
        self._read_run(self.asked)

    @work(thread=True, group="clusters", exclusive=True, exit_on_error=False)
    def _read_run(self, asked: int) -> None:
        """Read the latest run, its stored clusters and its cached pairs."""
        with self.store.cursor() as cur:
            run_id = latest_run(cur)
            if run_id is None:
                self.post_message(RunLoaded(None, [], None, asked))
                return
            info = run_info(cur, run_id)
            pairs = stored_pairs(cur, info.cache_key) if info.cache_key else None
            clusters = [fill_sims(c, pairs) for c in shown_clusters(cur, run_id)]
            self.post_message(RunLoaded(info, clusters, pairs, asked))

    def on_run_loaded(self, message: RunLoaded) -> None:
        """Show a freshly read run."""
        if message.asked != self.asked:
            return
        self.info, self.pairs, self.live = message.info, message.pairs, False
        self.threshold = message.info.threshold if message.info else 0.0
        self._show(message.clusters)

    def recut(self, threshold: float) -> None:
        """Show a live re-cut of the cached pairs at a threshold (an earlier load or re-cut is then dropped)."""
        if self.pairs is not None:
            self.asked += 1
            self._cut(self.pairs, threshold, self.asked)

    @work(thread=True, group="clusters", exclusive=True, exit_on_error=False)
    def _cut(self, pairs: Pairs, threshold: float, asked: int) -> None:
        """Re-cluster the cached pairs at a threshold (skipping rejected items)."""
        self.post_message(Recut(threshold, cluster_now(self.store, pairs, threshold), asked))

    def on_recut(self, message: Recut) -> None:
        """Show the clusters of a re-cut."""
        if message.asked != self.asked:
            return
        self.threshold, self.live = message.threshold, True
        self._show(message.clusters)

    def _show(self, clusters: list[Cluster]) -> None:
        """Fill the table and the title from a list of clusters."""
        self.clusters = [c for c in clusters if c.members]
        self.position = {}
        table = self.query_one(DataTable)
        table.clear()
        for index, cluster in enumerate(self.clusters):
            table.add_row(*self._cells(cluster), key=str(index))
        self._title()
        self._fetch_texts()

    def _cells(self, cluster: Cluster) -> tuple[Text, Text, Text, Text]:
        """Return a cluster's table cells: id, size, lowest similarity and the keeper's text."""
        low = f"{min(s for _, s in cluster.members):.3f}" if cluster.members else "—"
        return (Text(str(cluster.cluster_id)), Text(str(len(cluster))), Text(low),
                Text(one_line(self.texts.get(cluster.keeper, f"item {cluster.keeper}"), 40)))

    def _refresh_row(self, index: int) -> None:
        """Redraw one cluster's table row after its keeper or members changed."""
        table = self.query_one(DataTable)
        for column, cell in enumerate(self._cells(self.clusters[index])):
            table.update_cell_at(Coordinate(index, column), cell)

    def _title(self) -> None:
        """Show the run, threshold and live counts."""
        if self.info is None:
            text = "Clusters — no dedup run yet: run `thresher dedup --method lexical` first"
        else:
            removed = sum(len(c.members) for c in self.clusters)
            source = "live re-cut, not stored" if self.live else "stored"
            text = (f"Clusters — {self.info.method} on {self.info.field} (run {self.info.run_id}) at "
                    f"{self.threshold:.2f} ({source}): {len(self.clusters)} clusters, {removed} duplicates · "
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
        self._refresh_row(row)
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
        """Take the shown member out of the cluster without deciding on it (stored at the run's threshold)."""
        now = self.current()
        if now is None or not now[0].members:
            self.app.bell()
            return
        cluster, at = now
        member = cluster.members[at][0]
        self._drop(cluster, [member])
        self._write(SplitMember(self.info.run_id, cluster.cluster_id, member) if self.info else None, "split")

    def action_make_keeper(self) -> None:
        """Swap the shown member and the keeper (stored at the run's threshold; similarities from cached pairs)."""
        now = self.current()
        if now is None or not now[0].members:
            self.app.bell()
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
