"""The batch API in the store: seed pools and the engine backend over one store, with run, resume and estimate.

`run_batch`, `resume_batch` and `estimate` are the entry points for the CLI and the app; call them
from a thread worker (they run their own event loop), with an `on_progress` callback and a
`threading.Event` to cancel.  Recipes and prices live in store.generation_recipes, the request
ledger in store.generation_ledger; their public names are importable from here too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

import duckdb

from core.generation import batch as batch_api
from core.generation.batch import (
    BatchResult,
    ClientFactory,
    Estimate,
    LedgerState,
    ProgressCallback,
    default_client,
)
from core.generation.pricing import PriceTable
from core.generation.sampling import SeedExample
from core.generation.spec import BatchSpec
from core.recipes import Recipe
from store.batches import create_batch
from store.connection import Store
from store.generation_ledger import (
    COMMIT_INTERVAL_S,
    GROUP_COMMIT_MAX,
    LedgerWriter,
    finish_generation_batch,
    generation_spend,
    ledger_state,
)
from store.generation_recipes import (
    PRICES_KEY,
    RecipeInfo,
    ensure_builtin_recipes,
    get_recipe,
    list_recipes,
    load_prices,
    save_recipe,
    set_prices,
)

__all__ = [
    "COMMIT_INTERVAL_S", "GROUP_COMMIT_MAX", "PRICES_KEY", "LedgerWriter", "RecipeInfo", "StoreBackend", "estimate",
    "ensure_builtin_recipes", "finish_generation_batch", "generation_spend", "get_recipe", "ledger_state",
    "list_recipes", "load_prices", "pick_seed_pool", "resume_batch", "run_batch", "save_recipe", "seed_examples",
    "set_prices",
]


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
