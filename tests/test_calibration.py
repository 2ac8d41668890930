"""Calibration against human decisions: Wilson intervals, thresholds, and rule decisions that undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.calibration import calibrate, confusion, histogram, suggest_threshold, wilson
from core.models import Action, DecisionSource, Item
from core.scorers import build_scorers
from store.calibration import apply_thresholds, calibrate_store, human_labels
from store.connection import Store
from store.decisions import decide, undo
from store.items import insert_items
from store.scores import run_scorers
from tests.test_cli import run_cli


def test_wilson_interval() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    low, high = wilson(10, 10)
    assert high == pytest.approx(1.0) and low == pytest.approx(0.7225, abs=1e-4)


def test_confusion_histogram_and_suggestion() -> None:
    points = [(0.9, True), (0.8, True), (0.7, False), (0.6, True), (0.2, False), (0.1, False), (0.0, True)]
    counts = confusion(points, 0.5)
    assert (counts.true_pos, counts.false_pos, counts.false_neg, counts.true_neg) == (3, 1, 1, 2)
    assert counts.precision == 0.75 and counts.recall == 0.75
    hist = histogram(points, bins=2, lo=0.0, hi=1.0)
    assert hist.accepted == (2, 1) and hist.rejected == (1, 3)
    best = suggest_threshold(points, 0.99, min_flagged=2)
    assert best is not None and best.threshold == 0.8 and best.confusion.precision == 1.0
    assert suggest_threshold(points, 0.99, min_flagged=3) is None
    assert suggest_threshold(points, 0.7, min_flagged=1) is not None
    cal = calibrate("x", "1", points, 0.5, 0.7)
    assert cal.labelled == 7 and cal.suggestion is not None and cal.suggestion.threshold == 0.6
    assert sum(cal.histogram.accepted) + sum(cal.histogram.rejected) == 7


def _labelled_store(store: Store) -> list[int]:
    """Add refusals and good answers, score them, and decide on some by hand."""
    items = [Item(f"How do I bake bread {i}?", f"I'm sorry, but I can't help with that {i}.") for i in range(8)]
    items += [Item(f"How do I cook rice {i}?", f"Rinse the rice, boil it for {i + 10} minutes, then rest it.")
              for i in range(8)]
    with store.transaction() as cur:
        ids = insert_items(cur, None, items)
    run_scorers(store, build_scorers(["refusal", "truncation"]), workers=1)
    decide(store, ids[:4], Action.REJECT, reason="refusal")
    decide(store, ids[8:12], Action.ACCEPT)
    decide(store, [1, 2], Action.ACCEPT)
    return ids


def test_calibration_and_rule_application(store: Store) -> None:
    ids = _labelled_store(store)
    labels = human_labels(store.cursor())
    assert len(labels) == 10 and sum(labels.values()) == 4
    cals = {c.scorer: c for c in calibrate_store(store, build_scorers(["refusal", "truncation"]),
                                                 target_precision=0.9)}
    refusal = cals["refusal"]
    assert refusal.current.precision == 1.0 and refusal.current.recall == 1.0
    assert refusal.suggestion is not None and refusal.suggestion.threshold == 1.0
    applied = apply_thresholds(store, build_scorers(["refusal"]), {"refusal": refusal.suggestion.threshold})
    group = applied[0].group
    assert group is not None and group.item_ids == tuple(ids[4:8])
    row = store.cursor().execute("SELECT source FROM action_groups WHERE group_id = ?", [group.group_id]).fetchall()
    assert row[0][0] == DecisionSource.RULE.value
    assert len(human_labels(store.cursor())) == 10, "rule decisions are not human labels"
    assert undo(store) is not None
    statuses = store.cursor().execute("SELECT status FROM items WHERE id IN (SELECT unnest(?))",
                                      [list(ids[4:8])]).fetchall()
    assert {s[0] for s in statuses} == {"pending"}


def test_calibrate_cli(store: Store, store_path: Path) -> None:
    _labelled_store(store)
    store.close()
    proc = run_cli("calibrate", "--json", "--scorer", "refusal", "--store", str(store_path))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["labelled"] == 10 and out["rejected"] == 4
    refusal = out["filters"][0]
    assert refusal["precision"] == 1.0 and refusal["precision_ci"][0] > 0.39
    assert refusal["suggested"]["threshold"] == 1.0 and out["applied"] == []
    applied = json.loads(run_cli("calibrate", "--json", "--apply", "--scorer", "refusal",
                                 "--store", str(store_path)).stdout)["applied"]
    assert applied[0]["items"] == 4
    text = run_cli("calibrate", "--histograms", "--store", str(store_path)).stdout
    assert "precision" in text and "histogram" in text
    assert run_cli("undo", "--store", str(store_path)).stdout.startswith("undo: reject 4 items")
    bad = run_cli("calibrate", "--threshold", "refusal", "--store", str(store_path))
    assert bad.returncode == 1 and "NAME=VALUE" in bad.stderr
