"""Scores in the store: computed once per scorer version, counted at thresholds, and the filter CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from core.models import Item
from core.scorers import build_scorers
from core.scorers.base import Scorable, Scorer, ScoreResult
from store.connection import Store
from store.items import insert_items
from store.scores import hit_counts, item_scores, load_thresholds, missing_ids, run_scorers, save_thresholds
from tests.test_cli import run_cli

BAD = [
    Item("How do I bake bread?", "I'm sorry, but I can't help with that."),
    Item("Write a cover letter.", "Dear [Hiring Manager],\n\nI am applying.\n\n[Your Name]"),
    Item("Describe it.", "It is big. " * 3 + "And then it was the"),
]


class Counting(Scorer):
    """A scorer that counts its calls, to prove what gets rescored."""

    name = "counting"
    version = "1"
    label = "x"
    calls = 0

    def score(self, item: Scorable) -> ScoreResult:
        type(self).calls += 1
        return self.result(1.0 if "sorry" in item.response else 0.0, "sorry" if "sorry" in item.response else "")


def test_rerun_computes_only_what_is_new(store: Store) -> None:
    Counting.calls = 0
    first = run_scorers(store, [Counting()], workers=1)
    assert (first[0].new, first[0].flagged, Counting.calls) == (11, 0, 11)
    assert run_scorers(store, [Counting()], workers=1)[0].new == 0
    assert Counting.calls == 11
    with store.transaction() as cur:
        insert_items(cur, None, BAD)
    again = run_scorers(store, [Counting()], workers=1)
    assert (again[0].new, again[0].flagged, Counting.calls) == (3, 1, 14)

    class Bumped(Counting):
        version = "2"

    assert run_scorers(store, [Bumped()], workers=1)[0].new == 14
    assert missing_ids(store.cursor(), "counting", "3") == list(range(1, 15))


def test_results_spans_and_hit_counts(store: Store) -> None:
    with store.transaction() as cur:
        insert_items(cur, None, BAD)
    scorers = build_scorers(["refusal", "placeholder", "truncation"])
    runs = run_scorers(store, scorers, workers=1)
    assert [(r.name, r.new, r.flagged) for r in runs] == [("refusal", 14, 1), ("placeholder", 14, 1),
                                                          ("truncation", 14, 1)]
    stored = {s.scorer: s for s in item_scores(store.cursor(), 13)}
    assert stored["placeholder"].verdict == "flag"
    assert stored["placeholder"].span is not None and stored["placeholder"].span[0] == "response"
    counts = {c.name: c.flagged for c in hit_counts(store.cursor(), scorers)}
    assert counts == {"refusal": 1, "placeholder": 1, "truncation": 1}
    save_thresholds(store, {"refusal": 2.0})
    assert load_thresholds(store.cursor()) == {"refusal": 2.0}
    assert {c.name: c.flagged for c in hit_counts(store.cursor(), scorers)}["refusal"] == 0


def test_unscored_results_are_not_stored(store: Store) -> None:
    class Failing(Counting):
        name = "failing"

        def score(self, item: Scorable) -> ScoreResult:
            return ScoreResult(math.nan, "pass", "backend down")

    assert run_scorers(store, [Failing()], workers=1)[0].new == 0
    assert len(missing_ids(store.cursor(), "failing", "1")) == 11


def test_filter_cli(store: Store, store_path: Path) -> None:
    with store.transaction() as cur:
        insert_items(cur, None, BAD)
    store.close()
    proc = run_cli("filter", "--json", "--store", str(store_path))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["items"] == 14
    by_name = {s["name"]: s for s in out["scorers"]}
    assert by_name["refusal"]["flagged"] == 1 and by_name["refusal"]["new"] == 14
    assert by_name["placeholder"]["flagged"] == 1
    again = json.loads(run_cli("filter", "--json", "--scorer", "refusal", "--store", str(store_path)).stdout)
    assert [s["new"] for s in again["scorers"]] == [0]
    text = run_cli("filter", "--store", str(store_path)).stdout
    assert "refusal" in text and "flagged" in text
    listing = run_cli("filter", "--list").stdout
    assert "perplexity" in listing and "judge" in listing
    bad = run_cli("filter", "--scorer", "nope", "--store", str(store_path))
    assert bad.returncode == 1 and bad.stderr.startswith("thresher: error: unknown scorer")
    judge = run_cli("filter", "--scorer", "judge", "--store", str(store_path))
    assert judge.returncode == 1 and "--judge-endpoint" in judge.stderr


@pytest.mark.parametrize("command", ["filter", "calibrate"])
def test_commands_have_help(command: str) -> None:
    proc = run_cli(command, "--help")
    assert proc.returncode == 0 and "--store" in proc.stdout and "--json" in proc.stdout
