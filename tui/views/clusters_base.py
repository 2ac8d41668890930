"""The clusters view's state and loading: the latest run or a live re-cut, the table, and the keeper/member pane."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Static

from core.dedup.graph import Cluster, Pairs
from core.safe_text import one_line, visible
from store.dedup import RunInfo, cluster_now, latest_run, run_info
from store.embeddings import FIELD_SQL, stored_pairs
from tui.views.base import View
from tui.views.clusters_parts import Recut, RunLoaded, TextsLoaded, diff_texts, fill_sims, shown_clusters


class ClustersBase(View):
    """Clusters largest first and the keeper/member pane, kept current; ClustersView adds the keys."""

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

    def _render_pair_empty(self, cluster: Cluster) -> None:
        """Say a cluster is resolved."""
        note = Text(f"Cluster {cluster.cluster_id}: only the keeper is left.")
        self.query_one("#clusters-keeper", Static).update(note)
        self.query_one("#clusters-member", Static).update(Text(""))
