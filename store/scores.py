"""Scores per item per scorer version: compute only what is missing, store, count hits."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from core.models import Item, Turn
from core.scorers.base import Scorer, ScoreResult
from core.scorers.runner import ScoringPool
from store.connection import Store
from store.settings import get_setting, put_setting

BATCH_SIZE = 20_000
"""Items read, scored and written per transaction."""
THRESHOLDS_KEY = "scorers.thresholds"
"""The settings key holding thresholds chosen by people or calibration, by scorer name."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ScorerRun:
    """What one scorer did in a run: items newly scored and how many of those it flagged."""

    name: str
    version: str
    new: int
    flagged: int


@dataclass(frozen=True, slots=True)
class HitCount:
    """How many items a scorer version has scored, and how many reach a threshold."""

    name: str
    version: str
    scored: int
    flagged: int
    threshold: float


def missing_ids(cur: duckdb.DuckDBPyConnection, scorer: str, version: str) -> list[int]:
    """Return ids of items with no stored result for this scorer version (an anti-join)."""
    rows = cur.execute(
        "SELECT i.id FROM items i ANTI JOIN "
        "(SELECT item_id FROM scores WHERE scorer = ? AND scorer_version = ?) s ON s.item_id = i.id "
        "ORDER BY i.id",
        [scorer, version],
    ).fetchall()
    return [int(r[0]) for r in rows]


def load_items(cur: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> list[tuple[int, Item]]:
    """Read the text fields scorers need for a set of item ids, in id order."""
    rows = cur.execute(
        "SELECT id, instruction, input, response, metadata, conversation FROM items "
        "WHERE id IN (SELECT unnest(?::BIGINT[])) ORDER BY id",
        [list(ids)],
    ).fetchall()
    return [
        (int(r[0]), Item(r[1], r[3], input=r[2], metadata=json.loads(r[4]) if r[4] else {}, conversation=_turns(r[5])))
        for r in rows
    ]


def _turns(raw: str | None) -> list[Turn] | None:
    """Decode the conversation column."""
    if not raw:
        return None
    return [Turn(str(t.get("role", "")), str(t.get("content", ""))) for t in json.loads(raw)]


def write_results(
    cur: duckdb.DuckDBPyConnection, scorer: Scorer, ids: Sequence[int], results: Sequence[ScoreResult]
) -> None:
    """Insert one scorer's results for the given items inside the caller's transaction."""
    kept = [(i, r) for i, r in zip(ids, results, strict=True) if not math.isnan(r.score)]
    if not kept:
        return
    ids = [i for i, _ in kept]
    results = [r for _, r in kept]
    spans = [r.span for r in results]
    table = pa.table(
        {
            "item_id": pa.array(list(ids), pa.int64()),
            "score": pa.array([r.score for r in results], pa.float64()),
            "verdict": [r.verdict for r in results],
            "reason": [r.reason or None for r in results],
            "span_field": [s[0] if s else None for s in spans],
            "span_start": pa.array([s[1] if s else None for s in spans], pa.int32()),
            "span_end": pa.array([s[2] if s else None for s in spans], pa.int32()),
        }
    )
    cur.register("_new_scores", table)
    try:
        cur.execute(
            "INSERT OR IGNORE INTO scores (item_id, scorer, scorer_version, score, verdict, reason, "
            "span_field, span_start, span_end) SELECT item_id, ?, ?, score, verdict, reason, span_field, "
            "span_start, span_end FROM _new_scores",
            [scorer.name, scorer.version],
        )
    finally:
        cur.unregister("_new_scores")


def run_scorers(
    store: Store,
    scorers: Sequence[Scorer],
    *,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[ScorerRun]:
    """Score every item that lacks a result for each scorer's current version, batch by batch."""
    cur = store.cursor()
    missing = {s.key: missing_ids(cur, s.name, s.version) for s in scorers}
    todo = sorted({i for ids in missing.values() for i in ids})
    wanted = {key: set(ids) for key, ids in missing.items()}
    new = {s.key: 0 for s in scorers}
    flagged = {s.key: 0 for s in scorers}
    done = 0
    with ScoringPool(workers) as pool:
        for start in range(0, len(todo), batch_size):
            batch = load_items(cur, todo[start : start + batch_size])
            groups: dict[tuple[str, ...], list[tuple[int, Item]]] = {}
            for item_id, item in batch:
                keys = tuple(s.key for s in scorers if item_id in wanted[s.key])
                groups.setdefault(keys, []).append((item_id, item))
            with store.transaction() as tx:
                for keys, members in groups.items():
                    chosen = [s for s in scorers if s.key in keys]
                    columns = pool.score(chosen, [item for _, item in members])
                    ids = [item_id for item_id, _ in members]
                    for scorer, results in zip(chosen, columns, strict=True):
                        write_results(tx, scorer, ids, results)
                        new[scorer.key] += sum(1 for r in results if not math.isnan(r.score))
                        flagged[scorer.key] += sum(1 for r in results if r.flagged)
            done += len(batch)
            if progress:
                progress(done, len(todo))
    return [ScorerRun(s.name, s.version, new[s.key], flagged[s.key]) for s in scorers]


def load_thresholds(cur: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Return thresholds saved for scorers by name."""
    value = get_setting(cur, THRESHOLDS_KEY, {})
    return {str(k): float(v) for k, v in value.items()} if isinstance(value, dict) else {}


def save_thresholds(store: Store, thresholds: dict[str, float]) -> None:
    """Merge thresholds into the saved ones."""
    with store.transaction() as cur:
        put_setting(cur, THRESHOLDS_KEY, {**load_thresholds(cur), **thresholds})


def effective_threshold(scorer: Scorer, saved: dict[str, float]) -> float:
    """Return a scorer's saved threshold, or its default."""
    return saved.get(scorer.name, scorer.threshold)


def hit_counts(
    cur: duckdb.DuckDBPyConnection, scorers: Sequence[Scorer], thresholds: dict[str, float] | None = None
) -> list[HitCount]:
    """Count scored and flagged items per scorer version, flagging at each effective threshold."""
    saved = load_thresholds(cur) if thresholds is None else thresholds
    counts = []
    for scorer in scorers:
        limit = effective_threshold(scorer, saved)
        rows = cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE score >= ?) FROM scores WHERE scorer = ? AND scorer_version = ?",
            [limit, scorer.name, scorer.version],
        ).fetchall()
        counts.append(HitCount(scorer.name, scorer.version, int(rows[0][0]), int(rows[0][1]), limit))
    return counts


def score_values(cur: duckdb.DuckDBPyConnection, scorer: Scorer, *, status: str | None = None) -> list[float]:
    """Return every stored score of a scorer version, optionally only for items with a status."""
    sql = "SELECT s.score FROM scores s"
    params: list[Any] = [scorer.name, scorer.version]
    if status is not None:
        sql += " JOIN items i ON i.id = s.item_id"
    sql += " WHERE s.scorer = ? AND s.scorer_version = ?"
    if status is not None:
        sql += " AND i.status = ?"
        params.append(status)
    return [float(r[0]) for r in cur.execute(sql, params).fetchall()]


@dataclass(frozen=True, slots=True)
class StoredScore:
    """One stored result, as shown next to an item."""

    scorer: str
    version: str
    score: float
    verdict: str
    reason: str | None
    span: tuple[str, int, int] | None


def item_scores(cur: duckdb.DuckDBPyConnection, item_id: int) -> list[StoredScore]:
    """Return every stored result for one item, newest version of each scorer first."""
    rows = cur.execute(
        "SELECT scorer, scorer_version, score, verdict, reason, span_field, span_start, span_end "
        "FROM scores WHERE item_id = ? ORDER BY scorer, created_at DESC",
        [item_id],
    ).fetchall()
    return [
        StoredScore(r[0], r[1], float(r[2]), r[3], r[4], (r[5], int(r[6]), int(r[7])) if r[5] else None) for r in rows
    ]


def elapsed(start: float) -> float:
    """Return seconds since `start` (a time.perf_counter value), rounded for reports."""
    return round(time.perf_counter() - start, 3)
