"""The generation view against the real app, store and engine, with a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from core.generation.builtin_recipes import builtin_recipes
from core.recipes import recipe_from_dict
from store.connection import Store
from store.generation import run_batch, save_recipe
from tests.fake_llm import FakeLLM, prompt_hash, spec_for
from tests.test_tui_safety import HOSTILE, assert_clean
from tests.test_tui_support import fill_store, rows, screen_text, settle
from tui.app import ThresherApp
from tui.views.generation import GenerationView
from tui.views.generation_form import FIELDS, FormError, RecipeChoice, spec_from_form
from tui.views.help import HelpScreen
from tui.views.triage import TriageView

DOMAIN_QA = RecipeChoice("domain-qa", "h", "", 1, ("domain",), "none", (), {})


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


async def wait_for(pilot: Pilot[None], predicate: Callable[[], object], timeout: float = 20.0) -> None:
    """Let the app run until the predicate holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the view")
        await pilot.pause(0.05)


async def open_view(app: ThresherApp, pilot: Pilot[None]) -> GenerationView:
    """Switch to the generation view with `v 7` and wait for its recipes."""
    await settle(app, pilot)
    await pilot.press("v", "7")
    view = app.screen
    assert isinstance(view, GenerationView)
    await wait_for(pilot, lambda: view.recipe is not None)
    return view


async def set_field(pilot: Pilot[None], view: GenerationView, key: str, text: str) -> None:
    """Tab to a field, clear it and type the text, all by keys."""
    for _ in range(len(FIELDS) + 4):
        focused = view.focused
        if isinstance(focused, Input) and focused.id == f"gen-{key}":
            break
        await pilot.press("tab")
    else:
        raise AssertionError(f"tab never reached {key}")
    await pilot.press("end", "ctrl+u", *text)
    assert view.query_one(f"#gen-{key}", Input).value == text


async def fill_form(pilot: Pilot[None], view: GenerationView, fake: FakeLLM, n: int, *, by_keys: bool = True,
                    **extra: str) -> None:
    """Pick domain-qa (the first recipe) with enter and fill its fields for the fake server: typed key by key,
    or (to keep the slower tests short) set directly."""
    assert view.recipe is not None and view.recipe.name == "domain-qa"
    await pilot.press("enter")
    assert view.focused is view.query_one("#gen-n", Input)
    values = {"n": str(n), "endpoint": fake.base_url, "model": "gpt-4o-mini", "concurrency": "3",
              "topics": ",".join("abcdefghijklmnop"[:n])} | extra
    for key in (f.key for f in FIELDS):
        if key in values and by_keys:
            await set_field(pilot, view, key, values[key])
        elif key in values:
            view.query_one(f"#gen-{key}", Input).value = values[key]


def batch_items(store: Store, batch_id: int) -> list[tuple[object, ...]]:
    return rows(store, "SELECT status, origin, metadata FROM items WHERE batch_id = ? ORDER BY id", [batch_id])


def test_form_values_become_the_cli_spec(tmp_path: Path) -> None:
    topics = tmp_path / "topics.txt"
    topics.write_text("jazz\n\nsailing\n", encoding="utf-8")
    values = {"n": "4", "endpoint": "http://127.0.0.1:1/v1", "model": "m", "temperature": "0.2,0.9",
              "top_p": "uniform:0.8,1", "topics": f"@{topics}", "personas": "a nurse, a pilot", "domain": "music",
              "budget": "0.5", "concurrency": "2", "operators": "ignored: domain-qa has none"}
    spec = spec_from_form(DOMAIN_QA, values, seed=99)
    assert (spec.n, spec.model, spec.seed, spec.budget_usd, spec.concurrency) == (4, "m", 99, 0.5, 2)
    assert spec.topics == ("jazz", "sailing") and spec.personas == ("a nurse", "a pilot")
    assert spec.temperature is not None and spec.temperature.kind == "sweep"
    assert spec.top_p is not None and spec.top_p.kind == "uniform" and spec.operators == ()
    for bad, message in [({"temperature": "hot"}, "Temperature:"), ({"n": "x"}, "Samples:"),
                         ({"model": ""}, "model is required"), ({"topics": "@/no/such/file"}, "Topics: cannot read")]:
        with pytest.raises(FormError, match=message):
            spec_from_form(DOMAIN_QA, values | bad, seed=1)


async def test_launch_streams_items_with_provenance_into_triage(tmp_path: Path, fake: FakeLLM) -> None:
    store = fill_store(tmp_path / "s.duckdb", 5)
    app = ThresherApp(store)
    async with app.run_test(size=(100, 40)) as pilot:
        view = await open_view(app, pilot)
        await fill_form(pilot, view, fake, 6)
        await wait_for(pilot, lambda: "needs domain" in screen_text(app))  # why the form cannot run yet
        await set_field(pilot, view, "domain", "hobbies")
        await wait_for(pilot, lambda: "6 prompts" in screen_text(app) and "cost ~$" in screen_text(app))
        assert view.estimate is not None and view.estimate.planned == 6
        assert fake.log == [], "estimating sends nothing"
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: view.last_result is not None)
        result = view.last_result
        assert result is not None and (result.status, result.ok, result.failed) == ("done", 6, 0)
        await wait_for(pilot, lambda: f"Batch {result.batch_id} done" in screen_text(app))
        assert "items written 6" in screen_text(app)
        await pilot.press("escape", "v", "1")
        triage = app.screen
        assert isinstance(triage, TriageView)
        await settle(app, pilot)
        assert triage.item_list.total == 11, "triage re-read the store when shown again"
        assert triage.counts.get("pending") == 11
    items = batch_items(store, result.batch_id)
    assert len(items) == 6 and all(s == "pending" and o == "synthetic" for s, o, _ in items)
    provenance = json.loads(str(items[0][2]))["generation"]
    assert provenance["endpoint"] == fake.base_url and provenance["model"] == "gpt-4o-mini"
    assert provenance["recipe"] == "domain-qa" and provenance["prompt"] and provenance["completion_tokens"] > 0
    assert rows(store, "SELECT status FROM batches WHERE id = ?", [result.batch_id]) == [("done",)]
    assert len(fake.log) == 6
    store.close()


async def test_cancel_then_resume_sends_no_finished_request_again(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 3)
    app = ThresherApp(store)
    with FakeLLM(latency_s=0.25) as fake:
        async with app.run_test(size=(100, 40)) as pilot:
            view = await open_view(app, pilot)
            await fill_form(pilot, view, fake, 12, by_keys=False, concurrency="2", domain="hobbies")
            await pilot.press("enter")
            await wait_for(pilot, lambda: view.last_progress is not None and view.last_progress.ok >= 2)
            await pilot.press("ctrl+x")
            await wait_for(pilot, lambda: view.last_result is not None)
            first = view.last_result
            assert first is not None and first.status == "cancelled" and 2 <= first.ok < 12
            batch_id = first.batch_id
            assert rows(store, "SELECT status FROM batches WHERE id = ?", [batch_id]) == [("cancelled",)]
            finished = {prompt_hash(json.loads(str(p))) for (p,) in rows(
                store, "SELECT prompt FROM generation_requests WHERE batch_id = ?", [batch_id])}
            assert len(finished) == first.ok
            await wait_for(pilot, lambda: [b.id for b in view.resumable] == [batch_id])
            await wait_for(pilot, lambda: "cancelled" in screen_text(app))
            sent_before = len(fake.log)
            await pilot.press("escape", "R")
            await wait_for(pilot, lambda: view.last_result is not None and view.last_result is not first)
            second = view.last_result
            assert second is not None and second.batch_id == batch_id
            assert (second.status, second.already_done, second.ok) == ("done", first.ok, 12 - first.ok)
            await wait_for(pilot, lambda: view.resumable == [])
        resent = [e.prompt_hash for e in fake.log[sent_before:]]
        assert len(resent) == 12 - first.ok and not finished & set(resent), "finished requests were not re-sent"
    assert len(batch_items(store, batch_id)) == 12
    assert rows(store, "SELECT status FROM batches WHERE id = ?", [batch_id]) == [("done",)]
    store.close()


async def test_the_api_key_is_used_but_never_shown_or_stored(tmp_path: Path, fake: FakeLLM,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-test-" + secrets.token_hex(16)
    monkeypatch.setenv("THRESHER_TEST_KEY", key)
    store = fill_store(tmp_path / "s.duckdb", 3)
    app = ThresherApp(store)
    async with app.run_test(size=(100, 40)) as pilot:
        view = await open_view(app, pilot)
        await fill_form(pilot, view, fake, 2, by_keys=False, api_key_env="NO_SUCH_KEY_VAR", domain="hobbies")
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: not view.running)
        assert view.last_result is None and fake.log == []
        await wait_for(pilot, lambda: "environment variable NO_SUCH_KEY_VAR is not" in screen_text(app))
        view.query_one("#gen-api_key_env", Input).value = "THRESHER_TEST_KEY"
        await pilot.press("ctrl+g")
        screens = [app.export_screenshot()]
        await wait_for(pilot, lambda: view.last_result is not None)
        assert view.last_result is not None and view.last_result.ok == 2
        await settle(app, pilot)
        screens += [app.export_screenshot(), screen_text(app)]
        assert "THRESHER_TEST_KEY" in screen_text(app)
    assert fake.log and all(e.authorization == f"Bearer {key}" for e in fake.log)
    assert not any(key in s for s in screens)
    params = rows(store, "SELECT params FROM batches WHERE kind = 'generation'")[0][0]
    assert '"api_key_env": "THRESHER_TEST_KEY"' in str(params)
    store.checkpoint()
    store.close()
    for path in tmp_path.iterdir():
        assert key.encode() not in path.read_bytes(), f"the key is in {path.name}"


async def test_keys_are_in_help_and_the_view_fits_a_small_terminal(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 3)
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_view(app, pilot)
        await wait_for(pilot, lambda: "domain-qa" in screen_text(app))
        text = screen_text(app)
        for label in ("Recipes", "domain-qa", "Samples", "Endpoint", "API key var", "Resumable batches",
                      "Launch batch", "Cancel batch", "Resume batch"):
            assert label in text, label
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = {e.action: e.keys for e in help_screen.entries}
        for action in ("launch", "cancel_batch", "resume", "app.focus_next", "to_recipes", "refresh"):
            assert action in keys, action
        descriptions = {e.action: e.description for e in help_screen.entries}
        assert "^g" in keys["launch"] and "enter" in descriptions["launch"] and "R" in keys["resume"]
        await pilot.press("escape")
        assert app.screen is view
        await pilot.press("ctrl+x")
        await asyncio.sleep(0)
        assert not view.running
    store.close()


async def test_quitting_mid_batch_cancels_it_and_a_crashed_batch_is_resumable(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 3)
    with FakeLLM(latency_s=0.2) as fake:
        app = ThresherApp(store)
        async with app.run_test(size=(100, 40)) as pilot:
            view = await open_view(app, pilot)
            await fill_form(pilot, view, fake, 10, by_keys=False, concurrency="1", domain="hobbies")
            await pilot.press("ctrl+g")
            await wait_for(pilot, lambda: view.last_progress is not None and view.last_progress.ok >= 1)
            await pilot.press("escape", "q")
        (batch_id, status), = rows(store, "SELECT id, status FROM batches WHERE kind = 'generation'")
        assert status == "cancelled", "the batch recorded its end before the app closed"
        done = len(batch_items(store, batch_id))
        assert 1 <= done < 10
        with store.transaction() as cur:  # as if the process had been killed mid-batch
            cur.execute("UPDATE batches SET status = 'running' WHERE id = ?", [batch_id])
        app = ThresherApp(store)
        async with app.run_test(size=(100, 40)) as pilot:
            view = await open_view(app, pilot)
            await wait_for(pilot, lambda: [(b.id, b.status) for b in view.resumable] == [(batch_id, "running")])
            await pilot.press("tab")
            assert view.focused is not None and view.focused.id == "gen-resumable"
            await pilot.press("enter")
            await wait_for(pilot, lambda: view.last_result is not None)
            assert view.last_result is not None and view.last_result.already_done == done
    assert len(batch_items(store, batch_id)) == 10
    assert rows(store, "SELECT status FROM batches WHERE id = ?", [batch_id]) == [("done",)]
    store.close()


async def test_hostile_recipe_and_batch_names_are_shown_literally(tmp_path: Path, fake: FakeLLM) -> None:
    store = fill_store(tmp_path / "s.duckdb", 3)
    base = next(r for r in builtin_recipes() if r.name == "domain-qa")
    with store.transaction() as cur:
        save_recipe(cur, recipe_from_dict(base.body() | {"name": "zz-evil", "description": HOSTILE}))
    stopped = threading.Event()
    stopped.set()
    result = await asyncio.to_thread(run_batch, store, spec_for(fake, n=3, name="[red]gen\x1b]0;x\x07"),
                                     cancel=stopped)
    assert result.status == "cancelled"
    app = ThresherApp(store)
    async with app.run_test(size=(100, 40)) as pilot:
        view = await open_view(app, pilot)
        await wait_for(pilot, lambda: [b.id for b in view.resumable] == [result.batch_id])
        await pilot.press("end")
        await wait_for(pilot, lambda: view.recipe is not None and view.recipe.name == "zz-evil")
        await pilot.press("tab")
        await pilot.pause(0.1)
        plain = assert_clean(app)
        assert "[red]gen\\x1b]0;x\\x07" in plain and "[bold red]BOLD[/]" in plain
    store.close()
