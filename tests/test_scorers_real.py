"""Detectors measured on real data: a hand-labelled sample of public model outputs, and planted defects."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from core.scorers import build_scorers
from core.scorers.labelled import Labelled, agreement, resolve
from store.connection import open_store
from tests.conftest import REPO_ROOT, SHARED_DATASETS

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "labels_real.json"
MANIFEST = REPO_ROOT / "sample_data" / "manifest.json"

# (minimum precision, minimum recall) on the whole labelled fixture; measured values are in
# bench/RESULTS.md ("Scorers"), these floors sit a little below them so a regression fails.
FLOORS = {
    "refusal": (0.8, 0.6),
    "ai_identity": (0.85, 0.9),
    "knowledge_cutoff": (0.9, 0.85),
    "apology": (0.9, 0.6),
    "placeholder": (0.95, 0.9),
    "truncation": (0.9, 0.75),
    "repetition": (0.9, 0.9),
    "prompt_echo": (0.9, 0.8),
    "wrong_language": (0.8, 0.8),
    "format": (0.75, 0.9),
}


@pytest.mark.skipif(not SHARED_DATASETS.is_dir(), reason="../shared/datasets is not present")
def test_detectors_meet_floors_on_the_labelled_sample() -> None:
    rows = json.loads(FIXTURE.read_text())
    assert len(rows) >= 300
    assert all(set(r) <= {"source", "index", "stratum", "labels"} for r in rows), "ids and labels only"
    pairs = resolve(SHARED_DATASETS, [Labelled(r["source"], r["index"], frozenset(r["labels"])) for r in rows])
    results = {a.scorer: a for a in agreement(build_scorers(list(FLOORS)), pairs)}
    failures = [
        f"{name}: precision {results[name].precision:.2f} (floor {p}), recall {results[name].recall:.2f} (floor {r})"
        for name, (p, r) in FLOORS.items()
        if results[name].precision < p or results[name].recall < r
    ]
    assert not failures, failures


PLANTED = {  # manifest defect type -> scorer, and the recall each must reach on the planted items
    "refusal": ("refusal", 0.8),
    "ai_identity": ("ai_identity", 0.8),
    "knowledge_cutoff": ("knowledge_cutoff", 0.75),
    "placeholder": ("placeholder", 0.8),
    "truncation": ("truncation", 0.6),
    "repetition": ("repetition", 0.8),
    "prompt_echo": ("prompt_echo", 0.75),
    "wrong_language": ("wrong_language", 0.6),
}


@pytest.mark.skipif(not MANIFEST.is_file(), reason="sample_data/manifest.json is not present")
def test_detectors_find_the_planted_defects_in_sample_data() -> None:
    from store.importer import import_file
    from store.scores import run_scorers

    manifest = json.loads(MANIFEST.read_text())
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "s.duckdb") as store:
        for name, meta in manifest["files"].items():
            import_file(store, MANIFEST.parent / name, origin=meta["origin"], split=meta["split"])
        scorers = build_scorers(sorted({scorer for scorer, _ in PLANTED.values()}))
        run_scorers(store, scorers, workers=1)
        rows = store.cursor().execute(
            "SELECT i.ext_id, s.scorer FROM scores s JOIN items i ON i.id = s.item_id WHERE s.verdict = 'flag'"
        ).fetchall()
    flagged = {(ext, scorer) for ext, scorer in rows}
    misses = []
    for defect, (scorer, floor) in PLANTED.items():
        planted = [d["id"] for d in manifest["defects"] if d["defect"] == defect]
        if not planted:
            continue
        found = sum((ext, scorer) in flagged for ext in planted)
        if found / len(planted) < floor:
            misses.append(f"{defect}: {found}/{len(planted)} found by {scorer}, floor {floor:.0%}")
    assert not misses, misses
