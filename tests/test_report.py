"""Cost and review reports against direct SQL, the `thresher report` CLI, and the report view in the shell."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from textual.widgets import Sparkline

from core.costs import ManualRates, parse_range, project, usd
from store.connection import open_store
from store.report import gather_report, spend_rows
from tests.conftest import REPO_ROOT, cli_env, thresher_cmd
from tests.test_report_data import build_store, one, rows
from tests.test_tui_support import screen_text, settle
from tui.app import ThresherApp
from tui.views.report import ReportView


def test_manual_rates_projection_and_money_format() -> None:
    assert ManualRates().per_item() == pytest.approx((50 / 30, 200 / 10))
    assert ManualRates(60, 120, 12, 12).for_items(10) == pytest.approx((50.0, 100.0))
    assert parse_range("50-200") == (50.0, 200.0) and parse_range("12") == (12.0, 12.0)
    for bad in ("x", "200-50", "0-1", "-5"):
        with pytest.raises(ValueError):
            parse_range(bad)
    p = project(100, 20, 0.5, 0.01)
    assert (p.remaining, p.to_generate, p.cost_usd) == (80, 160, pytest.approx(1.6))
    assert project(10, 20, 0.5, 0.01).to_generate == 0 and project(100, 0, None, None).cost_usd is None
    assert (usd(None), usd(0), usd(1234.5), usd(0.000518)) == ("-", "$0.00", "$1,234.50", "$0.000518")


def test_spend_and_review_match_sql(tmp_path: Path) -> None:
    store = build_store(tmp_path / "r.duckdb")
    spend = {(r.batch_id, r.model): r for r in spend_rows(store.cursor())}
    expected = rows(store, "SELECT g.batch_id, g.model, count(*), count(*) FILTER (g.status = 'ok'), "
                           "sum(g.prompt_tokens) + sum(g.completion_tokens), sum(g.cost_usd), "
                           "count(*) FILTER (i.status = 'accepted'), count(*) FILTER (i.status = 'rejected') "
                           "FROM generation_requests g LEFT JOIN items i ON i.id = g.item_id GROUP BY 1, 2")
    assert len(expected) == len(spend) == 2
    for batch, model, requests, ok, tokens, cost, accepted, rejected in expected:
        r = spend[(batch, model)]
        assert (r.requests, r.ok, r.tokens, r.accepted, r.rejected) == (requests, ok, tokens, accepted, rejected)
        assert r.cost_usd == pytest.approx(cost) and r.unpriced == (requests if model == "mystery-model" else 0)
    report = gather_report(store.cursor(), target=200)
    accepted = sum(r.accepted for r in spend.values())
    reviewed = accepted + sum(r.rejected for r in spend.values())
    generated = one(store, "SELECT count(*) FROM generation_requests WHERE status = 'ok'")
    p = report.costs.projection
    assert p is not None and p.remaining == 200 - accepted
    assert p.to_generate == -(-(200 - accepted) * reviewed // accepted)
    assert p.cost_usd == pytest.approx(p.to_generate * report.costs.cost_usd / generated)
    by_batch = {b.id: b for b in report.batches}
    for batch, items, acc, rej in rows(store, "SELECT batch_id, count(*), count(*) FILTER (status = 'accepted'), "
                                              "count(*) FILTER (status = 'rejected') FROM items GROUP BY 1"):
        assert (by_batch[batch].items, by_batch[batch].accepted, by_batch[batch].rejected) == (items, acc, rej)
    store.close()


def test_report_cli_json_and_text(tmp_path: Path) -> None:
    store = build_store(tmp_path / "c.duckdb")
    counts = dict(rows(store, "SELECT status, count(*) FROM items GROUP BY 1"))
    cost = one(store, "SELECT sum(cost_usd) FROM generation_requests")
    store.close()
    env, path = cli_env(), str(tmp_path / "c.duckdb")
    proc = subprocess.run(thresher_cmd("report", "--store", path, "--json", "--target", "150"), capture_output=True,
                          text=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["review"]["by_status"]["accepted"] == counts["accepted"]
    assert body["review"]["acceptance_rate"] == pytest.approx(
        counts["accepted"] / (counts["accepted"] + counts["rejected"]), abs=1e-6)
    assert body["cost"]["cost_usd"] == pytest.approx(cost, abs=1e-6) and body["cost"]["projection"]["target"] == 150
    assert body["cost"]["manual"]["per_item_usd"] == pytest.approx([50 / 30, 20.0], abs=1e-6)
    labels = [g["label"] for g in body["diversity"]["groups"]]
    assert labels[0] == "real data" and "batch 3 (narrow batch)" in labels and body["diversity"]["warnings"]
    text = subprocess.run(thresher_cmd("report", "--store", path), capture_output=True, text=True, env=env,
                          cwd=REPO_ROOT, timeout=120)
    assert text.returncode == 0 and "warning: batch 3 (narrow batch) is narrower" in text.stdout
    assert "mystery-model" in text.stdout and "32 requests had no price" in text.stdout


async def test_report_view_draws_the_charts(tmp_path: Path) -> None:
    store = build_store(tmp_path / "v.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(150, 60)) as pilot:
        await settle(app, pilot)
        await app.switch_mode("report")
        await settle(app, pilot)
        view = app.screen
        assert isinstance(view, ReportView) and view.report is not None
        text = screen_text(app)
        for needle in ("Acceptance", "Reject reasons", "refusal", "narrow batch", "warning:", "Cost", "█"):
            assert needle in text, needle
        assert len(view.query_one("#report-distinct", Sparkline).data or []) == 3
        with store.transaction() as cur:
            cur.execute("UPDATE items SET status = 'rejected', status_reason = 'late reason' WHERE id = 1")
        await pilot.press("r")
        await settle(app, pilot)
        assert "late reason" in screen_text(app)
    store.close()


async def test_report_view_on_an_empty_store(tmp_path: Path) -> None:
    store = open_store(tmp_path / "e.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await app.switch_mode("report")
        await settle(app, pilot)
        text = screen_text(app)
        assert "no rejections yet" in text and "no generation spend yet" in text and "not measured" in text
    store.close()
