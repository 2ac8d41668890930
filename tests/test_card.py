"""The dataset card: every number checked against direct SQL, hostile text escaped, and the CLI twin."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.card import md_code, md_text, render_card
from core.costs import usd
from store.connection import Store, open_store
from store.mix import export_mix
from store.report import gather_card
from tests.conftest import REPO_ROOT, cli_env, thresher_cmd
from tests.test_report_data import build_store, one, rows


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    store = build_store(tmp_path_factory.mktemp("card") / "card.duckdb")
    card = render_card(gather_card(store.cursor(), store_name="card.duckdb"))
    yield store, card
    store.close()


def table_row(card: str, *first: str, section: str = "") -> list[str]:
    """Return the cells of the first table row (after the `section` text) whose leading cells are `first`."""
    for line in card[card.index(section):].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("|") and cells[: len(first)] == list(first):
            return cells
    raise AssertionError(f"no row {first} in the card")


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%"


def test_review_numbers_match_sql(built: tuple[Store, str]) -> None:
    store, card = built
    counts = dict(rows(store, "SELECT status, count(*) FROM items GROUP BY 1"))
    total = one(store, "SELECT count(*) FROM items")
    assert f"- Items: {total:,} ({counts.get('pending', 0):,} pending, {counts['accepted']:,} accepted, " \
           f"{counts['rejected']:,} rejected, 0 skipped)." in card
    assert f"accepted + rejected): {pct(counts['accepted'], counts['accepted'] + counts['rejected'])}." in card
    reasons = rows(store, r"SELECT regexp_replace(status_reason, '^duplicate of \d+ ', 'duplicate '), count(*) "
                          "FROM items WHERE status = 'rejected' GROUP BY 1")
    assert len(reasons) >= 4
    for reason, n in reasons:
        cells = table_row(card, md_text(reason, 80), section="Reject reasons:")
        assert cells[1:3] == [f"{n:,}", pct(n, counts["rejected"])]


def test_generation_models_recipes_and_settings_match_sql(built: tuple[Store, str]) -> None:
    store, card = built
    for model, endpoint, batches, requests, ok, failed, ptok, ctok, cost in rows(
        store, "SELECT model, endpoint, count(DISTINCT batch_id), count(*), count(*) FILTER (status = 'ok'), "
               "count(*) FILTER (status = 'failed'), sum(prompt_tokens), sum(completion_tokens), sum(cost_usd) "
               "FROM generation_requests GROUP BY 1, 2"):
        cells = table_row(card, md_text(model), md_text(endpoint))
        assert cells[2:9] == [f"{v:,}" for v in (batches, requests, ok, failed, ptok, ctok)] + [usd(cost)]
    assert table_row(card, "mystery-model")[9] == str(one(
        store, "SELECT count(*) FROM generation_requests WHERE model = 'mystery-model'"))
    name, digest = rows(store, "SELECT name, content_hash FROM recipes WHERE name = 'domain-qa'")[0]
    assert f"### {name} (hash {digest})" in card and "Used by batches 2, 3." in card
    for batch_id, name, params in rows(store, "SELECT id, name, params FROM batches WHERE kind = 'generation'"):
        spec = json.loads(params)["spec"]
        cells = table_row(card, str(batch_id), md_text(name, 60))
        assert cells[2:6] == ["domain-qa", str(spec["n"]), spec["temperature"], "recipe default"]
        assert cells[8] == spec["domain"] and cells[-1] == str(spec["seed"]) and cells[7] == "1: a nurse"
        assert f"--seed {spec['seed']}" in card and f"--n {spec['n']}" in card


def test_scorers_calibration_dedup_and_contamination_match_sql(built: tuple[Store, str]) -> None:
    store, card = built
    scored, flagged = rows(store, "SELECT count(*), count(*) FILTER (score >= 0.4) FROM scores "
                                  "WHERE scorer = 'refusal'")[0]
    assert table_row(card, "refusal", "1")[2:5] == [f"{scored:,}", f"{flagged:,}", "0.4 (saved)"]
    assert table_row(card, "truncation", "1")[4] == "0.5 (default)"
    labelled = one(store, "SELECT count(*) FROM items i JOIN scores s ON s.item_id = i.id AND s.scorer = 'refusal' "
                          "WHERE i.status IN ('accepted', 'rejected')")
    assert table_row(card, "refusal", "1", "0.4")[3] == f"{labelled:,}"
    clusters, dups = rows(store, "SELECT count(DISTINCT cluster_id), count(*) FILTER (NOT is_keeper) FROM clusters "
                                 "WHERE run_id = 1")[0]
    removed = one(store, "SELECT count(*) FROM items WHERE status = 'rejected' AND status_reason LIKE '%dedup run 1)'")
    cells = table_row(card, "1", "exact", "both")
    assert cells[5:8] == [f"{clusters:,}", f"{dups:,}", f"{removed:,}"] and removed > 0
    flags, in_pool = rows(store, "SELECT count(*), count(*) FILTER (i.status = 'accepted' AND i.split = 'train') "
                                 "FROM scores s JOIN items i ON i.id = s.item_id WHERE s.scorer = 'contamination'")[0]
    assert f"Decontamination: {flags:,} training items flagged" in card and f"({in_pool:,} of them accepted" in card


def test_pool_cost_and_diversity_match_sql(built: tuple[Store, str]) -> None:
    store, card = built
    pool = dict(rows(store, "SELECT origin, count(*) FROM items WHERE status = 'accepted' AND split = 'train' AND id "
                            "NOT IN (SELECT item_id FROM scores WHERE scorer = 'contamination') GROUP BY 1"))
    assert f"{pool['synthetic']:,} synthetic, {pool['real']:,} real." in card
    ptok, ctok, cost, generated = rows(store, "SELECT sum(prompt_tokens), sum(completion_tokens), sum(cost_usd), "
                                              "count(*) FILTER (status = 'ok') FROM generation_requests")[0]
    accepted = one(store, "SELECT count(*) FROM generation_requests g JOIN items i ON i.id = g.item_id "
                          "WHERE i.status = 'accepted'")
    assert f"- Tokens: {ptok:,} prompt + {ctok:,} completion = {ptok + ctok:,}." in card
    assert f"- Spend: {usd(cost)} for {generated:,} generated items ({usd(cost / generated)} each); " \
           f"{accepted:,} accepted, {usd(cost / accepted)} per accepted item." in card
    manual = f"{usd(accepted * 50 / 30)}-{usd(accepted * 200 / 10)}"
    assert f"the {accepted:,} accepted items would have cost {manual}" in card
    assert "$1.67-$20.00 per item (expert at $50-$200 per hour, 10-30 items per hour)" in card
    real_items = one(store, "SELECT count(*) FROM items WHERE origin = 'real'")
    assert table_row(card, "real data")[1] == f"{real_items:,}"
    assert "**Warning:** batch 3 (narrow batch) is narrower than the real data" in card
    assert "narrower than the batches before it" in card and "bag-of-words vectors (fallback" in card


def test_hostile_text_is_escaped(built: tuple[Store, str]) -> None:
    _, card = built
    outside = re.sub(r"^(`{3,})[a-z]*\n.*?^\1$", "", card, flags=re.M | re.S)
    assert "<" not in outside and "&lt;script&gt;" in outside, "no raw HTML outside fenced code blocks"
    assert all(ch in "\n" or ch.isprintable() for ch in card), "no control characters"
    assert "\\x1b[31m" in card
    fence = re.search(r"^(`{5,})text\n\[user\]\nWrite a question about", card, re.M)
    assert fence, "the prompt's own backticks cannot close its fence"


def test_md_helpers() -> None:
    assert md_text("a|b <i>x</i> *y* [z](u) `c`") == r"a\|b &lt;i&gt;x&lt;/i&gt; \*y\* \[z\](u) \`c\`"
    assert md_text("line\nbreak\x07") == r"line⏎break\\x07"
    assert md_code("x ``` y") == "````\nx ``` y\n````"
    assert md_code("plain") == "```\nplain\n```"


def test_card_after_a_mix_reports_the_achieved_ratio(tmp_path: Path) -> None:
    store = build_store(tmp_path / "m.duckdb")
    result = export_mix(store, tmp_path / "out.jsonl", ratio=(50, 50), seed=2)
    card = result.card.read_text(encoding="utf-8")
    syn, real = result.plan.count("synthetic"), result.plan.count("real")
    lines = len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())
    assert syn + real == lines and syn == real
    assert f"achieved **50:50** ({syn:,} synthetic + {real:,} real = {lines:,} items)" in card
    assert "- Shortfall: synthetic" not in card and "- Shortfall: real: need" in card
    assert f"evaluation set: {result.eval_rows:,} held-out real items" in card
    assert "thresher export" in card and "--mix 50:50 --seed 2 --format alpaca" in card
    again = render_card(gather_card(store.cursor(), store_name="m.duckdb"))
    assert "achieved **50:50**" in again, "thresher card reports the last mix export"
    store.close()


def test_empty_store_card_says_not_run_yet(tmp_path: Path) -> None:
    store = open_store(tmp_path / "empty.duckdb")
    card = render_card(gather_card(store.cursor(), store_name="empty.duckdb"))
    store.close()
    for text in ("No mix export yet", "Not run yet: the store has no generation batches", "Dedup not run yet",
                 "Not run yet: no scores are stored", "No generation spend yet", "No rejections yet",
                 "Not measured: the store has no items"):
        assert text in card


def test_card_cli_writes_the_file(built: tuple[Store, str], tmp_path: Path) -> None:
    store, _ = built
    path = tmp_path / "copy.duckdb"
    store.checkpoint()
    path.write_bytes(Path(store.path).read_bytes())
    out = tmp_path / "card.md"
    proc = subprocess.run(thresher_cmd("card", "--store", str(path), "--out", str(out), "--rate", "60-120",
                                       "--items-per-hour", "12"), capture_output=True, text=True, env=cli_env(),
                          cwd=REPO_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Dataset card: copy.duckdb") and "$5.00-$10.00 per item" in text
    bad = subprocess.run(thresher_cmd("card", "--store", str(path), "--rate", "cheap"), capture_output=True,
                         text=True, env=cli_env(), cwd=REPO_ROOT, timeout=120)
    assert bad.returncode == 1 and "--rate" in bad.stderr
