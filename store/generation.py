"""Generation in the store: recipes, the price table, seed pools, the request ledger and the batch API.

`run_batch`, `resume_batch` and `estimate` are the entry points for the CLI and the app; call them
from a thread worker (they run their own event loop), with an `on_progress` callback and a
`threading.Event` to cancel.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from core.generation import batch as batch_api
from core.generation.batch import (
    BatchResult,
    ClientFactory,
    Estimate,
    LedgerState,
    ProgressCallback,
    default_client,
)
from core.generation.builtin_recipes import builtin_recipes
from core.generation.engine import SampleResult
from core.generation.pricing import PriceTable, parse_price_entries
from core.generation.results import item_from_result, ledger_params
from core.generation.sampling import SeedExample
from core.generation.spec import BatchSpec
from core.recipes import Recipe, recipe_from_dict
from store.batches import create_batch
from store.connection import Store, StoreError
from store.items import insert_items
from store.settings import get_setting, put_setting

PRICES_KEY = "generation.prices"
GROUP_COMMIT_MAX = 256
COMMIT_INTERVAL_S = 0.025
_LEDGER_SCHEMA = pa.schema([
    ("request_key", pa.string()), ("batch_id", pa.int32()), ("sample_index", pa.int32()), ("endpoint", pa.string()),
    ("model", pa.string()), ("prompt", pa.string()), ("params", pa.string()), ("status", pa.string()),
    ("response_raw", pa.string()), ("error", pa.string()), ("attempts", pa.int32()), ("prompt_tokens", pa.int64()),
    ("completion_tokens", pa.int64()), ("cost_usd", pa.float64()), ("latency_ms", pa.float64()),
    ("finish_reason", pa.string()), ("item_id", pa.int64()),
])


@dataclass(frozen=True, slots=True)
class RecipeInfo:
    """A stored recipe version for listings."""

    name: str
    content_hash: str
    description: str
    versions: int
    created_at: str


def save_recipe(cur: duckdb.DuckDBPyConnection, recipe: Recipe) -> bool:
    """Store a recipe version under its content hash; False when that exact version was there."""
    rows = cur.execute("SELECT count(*) FROM recipes WHERE name = ? AND content_hash = ?",
                       [recipe.name, recipe.content_hash]).fetchall()
    if rows[0][0]:
        return False
    cur.execute("INSERT INTO recipes (name, content_hash, body) VALUES (?, ?, ?::JSON)",
                [recipe.name, recipe.content_hash, json.dumps(recipe.body(), ensure_ascii=False)])
    return True


def ensure_builtin_recipes(store: Store) -> None:
    """Add the built-in recipes to a store that lacks any of their names."""
    present = {r[0] for r in store.cursor().execute("SELECT DISTINCT name FROM recipes").fetchall()}
    missing = [r for r in builtin_recipes() if r.name not in present]
    if missing and not store.read_only:
        with store.transaction() as cur:
            for recipe in missing:
                save_recipe(cur, recipe)


def get_recipe(cur: duckdb.DuckDBPyConnection, name: str, content_hash: str | None = None) -> Recipe | None:
    """Return a recipe by name (the newest version) or by name and hash."""
    sql = "SELECT body FROM recipes WHERE name = ?" + (" AND content_hash = ?" if content_hash else "")
    params = [name, content_hash] if content_hash else [name]
    rows = cur.execute(sql + " ORDER BY created_at DESC, rowid DESC LIMIT 1", params).fetchall()
    return recipe_from_dict(json.loads(rows[0][0])) if rows else None


def list_recipes(cur: duckdb.DuckDBPyConnection) -> list[RecipeInfo]:
    """Return the newest version of each recipe with its version count, by name."""
    rows = cur.execute(
        "SELECT name, arg_max(content_hash, (created_at, rowid)), "
        "arg_max(body, (created_at, rowid))->>'description', count(*), "
        "strftime(max(created_at), '%Y-%m-%d %H:%M:%S') FROM recipes GROUP BY name ORDER BY name"
    ).fetchall()
    return [RecipeInfo(r[0], r[1], r[2] or "", int(r[3]), r[4]) for r in rows]


def load_prices(cur: duckdb.DuckDBPyConnection) -> PriceTable:
    """Return the default price table overlaid with the store's own entries."""
    return PriceTable(parse_price_entries(get_setting(cur, PRICES_KEY, {})))


def set_prices(store: Store, entries: dict[str, tuple[float, float] | None]) -> PriceTable:
    """Add or change price entries (None removes one) and return the new table."""
    with store.transaction() as cur:
        current = parse_price_entries(get_setting(cur, PRICES_KEY, {}))
        for pattern, pair in entries.items():
            if pair is None:
                current.pop(pattern, None)
            else:
                current[pattern] = pair
        put_setting(cur, PRICES_KEY, {k: list(v) for k, v in current.items()})
    return PriceTable(current)


def pick_seed_pool(cur: duckdb.DuckDBPyConnection, size: int, seed: int) -> list[int]:
    """Pick up to `size` non-rejected item ids to seed prompts, real items when there are any."""
    has_real = cur.execute("SELECT count(*) FROM items WHERE origin = 'real' AND status <> 'rejected'").fetchall()
    origin = "origin = 'real' AND " if has_real[0][0] else ""
    rows = cur.execute(
        f"SELECT id FROM items WHERE {origin}status <> 'rejected' ORDER BY hash(id, ?), id LIMIT ?", [seed, size]
    ).fetchall()
    return sorted(int(r[0]) for r in rows)


def seed_examples(cur: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> list[SeedExample]:
    """Load seed items by id, in id order."""
    if not ids:
        return []
    rows = cur.execute("SELECT id, instruction, input, response FROM items WHERE id IN (SELECT unnest(?)) "
                       "ORDER BY id", [list(ids)]).fetchall()
    return [SeedExample(int(r[0]), r[1], r[2], r[3]) for r in rows]


def ledger_state(cur: duckdb.DuckDBPyConnection, batch_id: int) -> LedgerState:
    """Summarise what the ledger holds for a batch: settled indices, fingerprints and spend."""
    rows = cur.execute(
        "SELECT sample_index, status, params->>'fingerprint', coalesce(cost_usd, 0), "
        "coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) FROM generation_requests WHERE batch_id = ?",
        [batch_id],
    ).fetchall()
    return LedgerState(
        finished=frozenset(int(r[0]) for r in rows),
        failed=frozenset(int(r[0]) for r in rows if r[1] == "failed"),
        fingerprints=tuple(json.loads(r[2]) for r in rows if r[2]),
        spent_usd=float(sum(r[3] for r in rows)),
        spent_tokens=int(sum(r[4] for r in rows)),
    )


class LedgerWriter:
    """Writes each result (ledger row + item) as it arrives on a thread of its own.

    A result arriving after a quiet spell is committed at once in its own transaction; results
    streaming in faster than one per COMMIT_INTERVAL_S are committed together (group commit), so a
    kill loses only the in-flight requests and at most that interval's worth of finished ones.
    """

    def __init__(self, store: Store, batch_id: int, spec: BatchSpec, recipe: Recipe) -> None:
        """Start the writer thread."""
        self.store, self.batch_id, self.spec, self.recipe = store, batch_id, spec, recipe
        self._queue: queue.Queue[SampleResult | None] = queue.Queue()
        self._error: BaseException | None = None
        self.commits = 0
        self._thread = threading.Thread(target=self._run, name=f"ledger-{batch_id}", daemon=True)
        self._thread.start()

    def submit(self, result: SampleResult) -> None:
        """Queue a result for writing; raise if the writer has failed."""
        if self._error is not None:
            raise StoreError(f"writing generation results failed: {self._error}")
        self._queue.put(result)

    def close(self) -> None:
        """Write everything queued, stop the thread, and raise if any write failed."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise StoreError(f"writing generation results failed: {self._error}")

    def _run(self) -> None:
        """Commit what has arrived; a result arriving within COMMIT_INTERVAL_S of the last commit waits
        for that interval to pass so that a fast stream is committed in groups."""
        stopping, last_commit = False, 0.0
        while not stopping:
            group: list[SampleResult] = []
            first = self._queue.get()
            deadline = last_commit + COMMIT_INTERVAL_S
            while first is not None:
                group.append(first)
                if len(group) >= GROUP_COMMIT_MAX:
                    break
                try:
                    first = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            stopping = first is None
            if group and self._error is None:
                try:
                    self._write(group)
                except Exception as error:  # noqa: BLE001 - reported by submit/close
                    self._error = error
            last_commit = time.monotonic()

    def _write(self, group: list[SampleResult]) -> None:
        """Insert the items of the ok results and every ledger row, in one transaction."""
        ok = [r for r in group if r.ok]
        items = [item_from_result(r, self.spec, self.recipe, self.batch_id) for r in ok]
        with self.store.transaction() as cur:
            item_ids = dict(zip((id(r) for r in ok), insert_items(cur, self.batch_id, items), strict=True))
            columns: dict[str, list[Any]] = {name: [] for name in _LEDGER_SCHEMA.names}
            for r in group:
                row = (r.plan.key, self.batch_id, r.plan.index, self.spec.endpoint, self.spec.model_name,
                       json.dumps(r.plan.messages, ensure_ascii=False),
                       json.dumps(ledger_params(r), ensure_ascii=False), "ok" if r.ok else "failed",
                       r.response_raw, r.error, r.attempts, r.prompt_tokens, r.completion_tokens, r.cost_usd,
                       r.latency_ms, r.finish_reason, item_ids.get(id(r)))
                for name, value in zip(_LEDGER_SCHEMA.names, row, strict=True):
                    columns[name].append(value)
            cur.register("_ledger_rows", pa.table(columns, schema=_LEDGER_SCHEMA))
            try:
                cur.execute(f"INSERT OR REPLACE INTO generation_requests ({', '.join(_LEDGER_SCHEMA.names)}) "
                            "SELECT * REPLACE (prompt::JSON AS prompt, params::JSON AS params) FROM _ledger_rows")
            finally:
                cur.unregister("_ledger_rows")
        self.commits += 1


def finish_generation_batch(store: Store, batch_id: int, status: str, summary: dict[str, Any]) -> None:
    """Record a batch's end: status, counts from the ledger, and the run summary in its params."""
    with store.transaction() as cur:
        rows = cur.execute("SELECT params FROM batches WHERE id = ?", [batch_id]).fetchall()
        params = json.loads(rows[0][0]) if rows and rows[0][0] else {}
        params["last_run"] = summary
        counts = cur.execute(
            "SELECT count(*) FILTER (status = 'ok'), count(*) FILTER (status = 'failed') "
            "FROM generation_requests WHERE batch_id = ?", [batch_id]).fetchall()[0]
        cur.execute(
            "UPDATE batches SET status = ?, finished_at = current_timestamp, rows_total = ?, rows_ok = ?, "
            "rows_bad = ?, params = ?::JSON WHERE id = ?",
            [status, params.get("spec", {}).get("n", 0), counts[0], counts[1], json.dumps(params), batch_id])


def generation_spend(cur: duckdb.DuckDBPyConnection, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Return tokens and cost per generation batch, per item and per accepted item."""
    where = "WHERE b.kind = 'generation'" + (" AND b.id = ?" if batch_id is not None else "")
    rows = cur.execute(
        "SELECT b.id, b.name, b.status, b.source, count(g.request_key), count(*) FILTER (g.status = 'ok'), "
        "count(*) FILTER (g.status = 'failed'), coalesce(sum(g.attempts), 0), coalesce(sum(g.prompt_tokens), 0), "
        "coalesce(sum(g.completion_tokens), 0), coalesce(sum(g.cost_usd), 0), "
        "(SELECT count(*) FROM items i WHERE i.batch_id = b.id AND i.status = 'accepted') "
        f"FROM batches b LEFT JOIN generation_requests g ON g.batch_id = b.id {where} "
        "GROUP BY b.id, b.name, b.status, b.source ORDER BY b.id",
        [batch_id] if batch_id is not None else [],
    ).fetchall()
    report = []
    for r in rows:
        cost, ok, accepted = float(r[10]), int(r[5]), int(r[11])
        report.append({
            "batch_id": r[0], "name": r[1], "status": r[2], "endpoint": r[3], "samples": int(r[4]), "ok": ok,
            "failed": int(r[6]), "requests": int(r[7]), "prompt_tokens": int(r[8]),
            "completion_tokens": int(r[9]), "cost_usd": round(cost, 6), "accepted": accepted,
            "cost_per_item_usd": round(cost / ok, 6) if ok else None,
            "cost_per_accepted_usd": round(cost / accepted, 6) if accepted else None,
        })
    return report


class StoreBackend:
    """The GenerationBackend the engine uses: everything above, on one store."""

    def __init__(self, store: Store) -> None:
        """Bind the store and make sure it has the built-in recipes."""
        self.store = store
        ensure_builtin_recipes(store)

    def get_recipe(self, name: str, content_hash: str | None = None) -> Recipe | None:
        """Return a stored recipe."""
        return get_recipe(self.store.cursor(), name, content_hash)

    def prices(self) -> PriceTable:
        """Return the store's price table."""
        return load_prices(self.store.cursor())

    def pick_seed_pool(self, size: int, seed: int) -> list[int]:
        """Return the ids a new batch samples seeds from."""
        return pick_seed_pool(self.store.cursor(), size, seed)

    def seed_examples(self, ids: Sequence[int]) -> list[SeedExample]:
        """Return seed items by id."""
        return seed_examples(self.store.cursor(), ids)

    def create_batch(self, name: str, source: str, recipe: Recipe, params: dict[str, Any]) -> int:
        """Insert a running generation batch."""
        with self.store.transaction() as cur:
            return create_batch(cur, name, "generation", source=source, fmt=f"recipe:{recipe.name}", params=params)

    def batch_params(self, batch_id: int) -> dict[str, Any] | None:
        """Return a generation batch's params, or None."""
        rows = self.store.cursor().execute(
            "SELECT params FROM batches WHERE id = ? AND kind = 'generation'", [batch_id]).fetchall()
        return json.loads(rows[0][0]) if rows and rows[0][0] else None

    def save_spec(self, batch_id: int, spec: BatchSpec) -> None:
        """Keep a resumed batch's changed limits (budget, concurrency...) for later resumes."""
        with self.store.transaction() as cur:
            cur.execute("UPDATE batches SET params = json_merge_patch(params, ?::JSON) WHERE id = ?",
                        [json.dumps({"spec": spec.to_json()}), batch_id])

    def ledger_state(self, batch_id: int) -> LedgerState:
        """Return what the ledger holds for a batch."""
        return ledger_state(self.store.cursor(), batch_id)

    def forget_failed(self, batch_id: int) -> int:
        """Drop a batch's failed ledger rows so a resume sends them again."""
        with self.store.transaction() as cur:
            rows = cur.execute("DELETE FROM generation_requests WHERE batch_id = ? AND status = 'failed' "
                               "RETURNING sample_index", [batch_id]).fetchall()
        return len(rows)

    def open_sink(self, batch_id: int, spec: BatchSpec, recipe: Recipe) -> LedgerWriter:
        """Start the ledger writer for a run."""
        return LedgerWriter(self.store, batch_id, spec, recipe)

    def finish_batch(self, batch_id: int, status: str, summary: dict[str, Any]) -> None:
        """Record how a run ended."""
        finish_generation_batch(self.store, batch_id, status, summary)


def run_batch(store: Store, spec: BatchSpec, *, on_progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None, client_factory: ClientFactory = default_client) -> BatchResult:
    """Start and run a generation batch in this store; items stream in as results arrive."""
    return batch_api.run_batch(StoreBackend(store), spec, on_progress=on_progress, cancel=cancel,
                               client_factory=client_factory)


def resume_batch(store: Store, batch_id: int, *, overrides: dict[str, Any] | None = None,
                 retry_failed: bool = False, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None, client_factory: ClientFactory = default_client) -> BatchResult:
    """Resume a crashed, cancelled or budget-stopped batch without re-sending finished requests."""
    return batch_api.resume_batch(StoreBackend(store), batch_id, overrides=overrides, retry_failed=retry_failed,
                                  on_progress=on_progress, cancel=cancel, client_factory=client_factory)


def estimate(store: Store, spec: BatchSpec) -> Estimate:
    """Estimate item count, tokens and cost of a batch without sending anything."""
    return batch_api.estimate(StoreBackend(store), spec)
