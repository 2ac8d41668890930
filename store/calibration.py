"""Read human labels and stored scores for calibration, and apply thresholds as rule decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from core.calibration import Calibration, Point, calibrate
from core.models import Action, DecisionSource
from core.scorers.base import Scorer
from store.connection import Store
from store.decisions import GroupResult, decide
from store.scores import effective_threshold, load_thresholds


def human_labels(cur: duckdb.DuckDBPyConnection, audit_id: int | None = None) -> dict[int, bool]:
    """Return {item id: rejected} for items a person accepted or rejected (rule decisions left out).

    With an audit id, only that audit's sample counts; an undo or redo counts as the group it replays.
    """
    sql = (
        "SELECT i.id, i.status = 'rejected' FROM items i "
        "JOIN decisions d ON d.group_id = i.status_group AND d.item_id = i.id "
        "LEFT JOIN action_groups g ON g.group_id = coalesce(d.target_group, d.group_id) "
        "WHERE i.status IN ('accepted', 'rejected') AND coalesce(g.source, d.source) <> 'rule'"
    )
    params: list[object] = []
    if audit_id is not None:
        sql += " AND i.id IN (SELECT item_id FROM audit_items WHERE audit_id = ?)"
        params.append(audit_id)
    return {int(r[0]): bool(r[1]) for r in cur.execute(sql, params).fetchall()}


def labelled_points(cur: duckdb.DuckDBPyConnection, scorer: Scorer, labels: dict[int, bool]) -> list[Point]:
    """Return (score, rejected) for every labelled item this scorer version has scored."""
    if not labels:
        return []
    rows = cur.execute(
        "SELECT item_id, score FROM scores WHERE scorer = ? AND scorer_version = ? "
        "AND item_id IN (SELECT unnest(?::BIGINT[]))",
        [scorer.name, scorer.version, list(labels)],
    ).fetchall()
    return [(float(score), labels[int(item_id)]) for item_id, score in rows]


def calibrate_store(
    store: Store,
    scorers: Sequence[Scorer],
    *,
    target_precision: float = 0.9,
    audit_id: int | None = None,
    thresholds: dict[str, float] | None = None,
    min_flagged: int = 3,
) -> list[Calibration]:
    """Calibrate every scorer against the store's human decisions."""
    cur = store.cursor()
    labels = human_labels(cur, audit_id)
    saved = {**load_thresholds(cur), **(thresholds or {})}
    return [
        calibrate(
            s.name,
            s.version,
            labelled_points(cur, s, labels),
            effective_threshold(s, saved),
            target_precision,
            min_flagged=min_flagged,
        )
        for s in scorers
    ]


@dataclass(frozen=True, slots=True)
class Application:
    """One filter applied to the unreviewed items: the threshold used and the group it logged."""

    scorer: str
    threshold: float
    group: GroupResult | None


def pending_hits(cur: duckdb.DuckDBPyConnection, scorer: Scorer, threshold: float) -> list[int]:
    """Return ids of pending items whose score reaches the threshold."""
    rows = cur.execute(
        "SELECT s.item_id FROM scores s JOIN items i ON i.id = s.item_id "
        "WHERE s.scorer = ? AND s.scorer_version = ? AND s.score >= ? AND i.status = 'pending' ORDER BY 1",
        [scorer.name, scorer.version, threshold],
    ).fetchall()
    return [int(r[0]) for r in rows]


def apply_thresholds(
    store: Store, scorers: Sequence[Scorer], thresholds: dict[str, float], *, actor: str = "calibrate"
) -> list[Application]:
    """Reject unreviewed items that reach each filter's threshold: one undoable rule group per filter."""
    applied = []
    for scorer in scorers:
        if scorer.name not in thresholds:
            continue
        threshold = thresholds[scorer.name]
        ids = pending_hits(store.cursor(), scorer, threshold)
        group = None
        if ids:
            group = decide(
                store,
                ids,
                Action.REJECT,
                reason=f"{scorer.name} >= {threshold:g}",
                source=DecisionSource.RULE,
                actor=actor,
            )
        applied.append(Application(scorer.name, threshold, group))
    return applied
