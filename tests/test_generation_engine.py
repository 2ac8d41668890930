"""The engine against a real HTTP server on 127.0.0.1: faults, budget, concurrency, cancel, provenance."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from core.generation.batch import GenerationError
from core.generation.engine import Progress
from core.generation.spec import parse_param
from store.connection import Store
from store.generation import generation_spend, resume_batch, run_batch
from tests.fake_llm import FakeLLM, spec_for


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM(hang_s=1.5, retry_after_s=0.3) as server:
        yield server


def ledger(store: Store, batch_id: int) -> list[tuple]:
    return store.cursor().execute(
        "SELECT sample_index, status, attempts, error, response_raw, item_id, prompt_tokens, completion_tokens, "
        "cost_usd, finish_reason FROM generation_requests WHERE batch_id = ? ORDER BY sample_index", [batch_id]
    ).fetchall()


@pytest.mark.parametrize("fault", ["429", "500", "hang", "malformed", "length", "empty", "prose"])
def test_each_fault_ends_as_a_retried_success(store: Store, fake: FakeLLM, fault: str) -> None:
    fake.add_rule("astronomy", fault)
    result = run_batch(store, spec_for(fake, n=3, timeout_s=0.5))
    assert (result.status, result.ok, result.failed) == ("done", 3, 0)
    rows = ledger(store, result.batch_id)
    assert [r[1] for r in rows] == ["ok", "ok", "ok"]
    first = rows[0]
    assert first[2] == 2, "the faulty exchange and its retry both count as attempts"
    assert first[5] is not None and first[9] == "stop"
    faults = [e.fault for e in fake.log if "astronomy" in e.user_text]
    assert faults[0] == fault or fault == "hang"


def test_retry_after_is_honoured(store: Store, fake: FakeLLM) -> None:
    fake.add_rule("astronomy", "429")
    run_batch(store, spec_for(fake, n=1))
    first, second = [e for e in fake.log if "astronomy" in e.user_text]
    assert second.started - first.finished >= 0.25, "the retry waited for Retry-After (0.3 s)"


@pytest.mark.parametrize(("fault", "error_part"), [("500", "HTTP 500"), ("prose", "no JSON object"),
                                                   ("length", "finish_reason=length"), ("empty", "empty reply")])
def test_persistent_faults_are_kept_as_failed_rows_with_the_raw_exchange(
        store: Store, fake: FakeLLM, fault: str, error_part: str) -> None:
    fake.add_rule("astronomy", *[fault] * 10)
    result = run_batch(store, spec_for(fake, n=2, max_retries=2, parse_retries=1))
    assert (result.status, result.ok, result.failed) == ("done", 1, 1)
    index, status, attempts, error, raw, item_id, *_ = ledger(store, result.batch_id)[0]
    assert (index, status, item_id) == (0, "failed", None)
    assert error_part in error
    assert raw, "the raw response is kept"
    assert attempts == (3 if fault == "500" else 2)
    items = store.cursor().execute("SELECT count(*) FROM items WHERE batch_id = ?", [result.batch_id]).fetchall()
    assert items[0][0] == 1, "a failed sample never becomes an item"


def test_auth_failure_stops_the_batch_without_failed_rows(store: Store, fake: FakeLLM) -> None:
    fake.faults.append("401")
    result = run_batch(store, spec_for(fake, n=5, concurrency=1))
    assert result.status == "failed" and "HTTP 401" in result.stop_reason
    assert ledger(store, result.batch_id) == []
    resumed = resume_batch(store, result.batch_id)
    assert (resumed.status, resumed.ok) == ("done", 5)


def test_items_carry_full_provenance_and_cost(store: Store, fake: FakeLLM) -> None:
    result = run_batch(store, spec_for(fake, n=4, temperature=parse_param("uniform:0.2,0.9"),
                                       personas=("a nurse", "a pilot")))
    rows = store.cursor().execute(
        "SELECT i.instruction, i.response, i.metadata, i.origin, i.status, g.cost_usd, g.prompt_tokens, "
        "g.completion_tokens FROM items i JOIN generation_requests g ON g.item_id = i.id WHERE i.batch_id = ?",
        [result.batch_id]).fetchall()
    assert len(rows) == 4
    for instruction, response, metadata, origin, status, cost, prompt_tokens, completion_tokens in rows:
        meta = json.loads(metadata)["generation"]
        assert instruction.startswith("question ") and response.startswith("answer ")
        assert (origin, status) == ("synthetic", "pending")
        assert meta["endpoint"] == fake.base_url and meta["model"] == "gpt-4o-mini"
        assert meta["recipe"] == "domain-qa" and len(meta["recipe_hash"]) == 16
        assert meta["prompt"][-1]["role"] == "user" and meta["topic"] in meta["prompt"][-1]["content"]
        assert meta["persona"] in ("a nurse", "a pilot")
        assert 0.2 <= meta["params"]["temperature"] <= 0.9
        assert meta["finish_reason"] == "stop" and meta["latency_ms"] > 0
        assert cost == pytest.approx((prompt_tokens * 0.15 + completion_tokens * 0.60) / 1e6)
        assert meta["cost_usd"] == pytest.approx(cost)
    sent = [e.body["temperature"] for e in fake.log]
    recorded = sorted(json.loads(r[2])["generation"]["params"]["temperature"] for r in rows)
    assert sorted(sent) == recorded, "the temperature recorded is the one sent"
    spend = generation_spend(store.cursor(), result.batch_id)[0]
    assert spend["ok"] == 4 and spend["cost_usd"] == pytest.approx(result.spent_usd, abs=1e-6)


def test_dollar_budget_is_never_exceeded_and_resume_finishes(store: Store, fake: FakeLLM) -> None:
    spec = spec_for(fake, n=30, budget_usd=0.0012, max_tokens=256)
    result = run_batch(store, spec)
    assert result.status == "cancelled" and result.stop_reason == "budget"
    assert 0 < result.ok < 30 and result.spent_usd <= 0.0012
    resumed = resume_batch(store, result.batch_id, overrides={"budget_usd": 1.0})
    assert resumed.status == "done" and resumed.already_done == result.ok
    assert len(ledger(store, result.batch_id)) == 30
    params = store.cursor().execute("SELECT params FROM batches WHERE id = ?", [result.batch_id]).fetchall()[0][0]
    assert json.loads(params)["spec"]["budget_usd"] == 1.0, "the raised budget is kept for later resumes"


def test_token_budget(store: Store, fake: FakeLLM) -> None:
    result = run_batch(store, spec_for(fake, n=30, budget_tokens=2000, max_tokens=200))
    assert result.stop_reason == "budget" and result.tokens <= 2000 and result.ok > 0


def test_concurrency_is_bounded(store: Store, fake: FakeLLM) -> None:
    fake.latency_s = 0.05
    result = run_batch(store, spec_for(fake, n=24, concurrency=3))
    assert result.ok == 24 and fake.max_in_flight <= 3 and fake.max_in_flight >= 2


def test_cancel_stops_and_resume_sends_only_the_rest(store: Store, fake: FakeLLM) -> None:
    fake.latency_s = 0.05
    cancel = threading.Event()
    seen: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        seen.append(progress)
        if progress.ok >= 6:
            cancel.set()

    result = run_batch(store, spec_for(fake, n=40, concurrency=2), on_progress=on_progress, cancel=cancel)
    assert result.status == "cancelled" and 6 <= result.ok < 40
    finished = {r[0] for r in ledger(store, result.batch_id)}
    sent_before = len(fake.log)
    resumed = resume_batch(store, result.batch_id)
    assert resumed.status == "done" and resumed.already_done == len(finished)
    assert len(fake.log) - sent_before == 40 - len(finished)
    assert sorted(r[0] for r in ledger(store, result.batch_id)) == list(range(40))
    assert all(a.finished <= b.finished for a, b in zip(seen, seen[1:], strict=False))


def test_near_duplicate_prompts_are_skipped(store: Store, fake: FakeLLM) -> None:
    result = run_batch(store, spec_for(fake, n=6, topics=("pottery", "Pottery!", "sailing")))
    assert (result.ok, result.skipped) == (2, 4)
    assert len(fake.log) == 2


def test_unknown_recipe_and_missing_domain_are_refused(store: Store, fake: FakeLLM) -> None:
    with pytest.raises(GenerationError, match="no recipe"):
        run_batch(store, spec_for(fake, recipe="nope"))
    with pytest.raises(GenerationError, match="--domain"):
        run_batch(store, spec_for(fake, domain=""))
    with pytest.raises(GenerationError, match="no price"):
        run_batch(store, spec_for(fake, model="mystery-model", budget_usd=1.0))
    assert fake.log == []
