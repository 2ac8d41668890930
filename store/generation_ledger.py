"""The generation request ledger: streaming results into it, reading its state, and spend per batch."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

import duckdb
import pyarrow as pa

from core.generation.batch import LedgerState
from core.generation.engine import SampleResult
from core.generation.results import item_from_result, ledger_params
from core.generation.spec import BatchSpec
from core.recipes import Recipe
from store.connection import Store, StoreError
from store.items import insert_items

GROUP_COMMIT_MAX = 256
COMMIT_INTERVAL_S = 0.025
_LEDGER_SCHEMA = pa.schema([
    ("request_key", pa.string()), ("batch_id", pa.int32()), ("sample_index", pa.int32()), ("endpoint", pa.string()),
    ("model", pa.string()), ("prompt", pa.string()), ("params", pa.string()), ("status", pa.string()),
    ("response_raw", pa.string()), ("error", pa.string()), ("attempts", pa.int32()), ("prompt_tokens", pa.int64()),
    ("completion_tokens", pa.int64()), ("cost_usd", pa.float64()), ("latency_ms", pa.float64()),
    ("finish_reason", pa.string()), ("item_id", pa.int64()),
])


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


def failure_summary(cur: duckdb.DuckDBPyConnection, batch_id: int, limit: int = 3) -> list[tuple[str, int]]:
    """Return the most common errors of a batch's failed requests, with how many requests hit each."""
    rows = cur.execute(
        "SELECT coalesce(error, 'unknown error'), count(*) FROM generation_requests "
        "WHERE batch_id = ? AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        [batch_id, limit],
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]
