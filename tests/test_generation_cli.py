"""`thresher generate` and friends as real subprocesses: SIGKILL and resume, keys, dry runs, recipes."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

from store.connection import open_store
from tests.conftest import REPO_ROOT, cli_env, thresher_cmd
from tests.fake_llm import TOPICS, FakeLLM, prompt_hash


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(thresher_cmd(*args), capture_output=True, text=True, env=env or cli_env(),
                          cwd=REPO_ROOT, timeout=120)


def generate_args(store_path: Path, fake: FakeLLM, n: int, *extra: str) -> list[str]:
    topics = [arg for topic in TOPICS[:n] for arg in ("--topic", topic)]
    return ["generate", "--store", str(store_path), "--recipe", "domain-qa", "--domain", "hobbies",
            "--n", str(n), "--endpoint", fake.base_url, "--model", "gpt-4o-mini", "--seed", "7",
            "--no-progress", *topics, *extra]


def read_ledger(store_path: Path) -> list[tuple]:
    with open_store(store_path) as store:
        return store.cursor().execute(
            "SELECT sample_index, status, prompt, item_id FROM generation_requests ORDER BY sample_index"
        ).fetchall()


def test_sigkill_then_resume_resends_no_finished_request_and_loses_no_item(tmp_path: Path) -> None:
    store_path, n, concurrency = tmp_path / "gen.duckdb", 40, 4
    with FakeLLM(latency_s=0.25) as fake:
        proc = subprocess.Popen(thresher_cmd(*generate_args(store_path, fake, n, "--concurrency", str(concurrency))),
                                env=cli_env(), cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while sum(e.status == 200 for e in fake.log) < 12:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the batch never got going"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
        before_kill = read_ledger(store_path)
        finished = {prompt_hash(json.loads(row[2])) for row in before_kill}
        assert 0 < len(before_kill) < n and all(row[1] == "ok" for row in before_kill)

        resume_started = time.time()
        resumed = run_cli("generate", "--store", str(store_path), "--resume", "1", "--json", "--no-progress")
        assert resumed.returncode == 0, resumed.stderr
        result = json.loads(resumed.stdout)
        assert result["already_done"] == len(before_kill) and result["ok"] == n - len(before_kill)

        sent_after = [e for e in fake.log if e.started >= resume_started]
        assert not {e.prompt_hash for e in sent_after} & finished, "a finished request was sent again"
        assert len(sent_after) == n - len(before_kill)
        answered_before = {e.prompt_hash for e in fake.log if e.started < resume_started and e.status == 200}
        assert len(answered_before - finished) <= 2 * concurrency, "more than the in-flight requests were lost"

    after = read_ledger(store_path)
    assert [row[0] for row in after] == list(range(n)), "every sample settled exactly once"
    assert all(row[1] == "ok" and row[3] is not None for row in after)
    with open_store(store_path) as store:
        items = store.cursor().execute("SELECT id, ext_id FROM items WHERE batch_id = 1").fetchall()
        status = store.cursor().execute("SELECT status, rows_ok FROM batches WHERE id = 1").fetchall()
    assert sorted(i[0] for i in items) == sorted(row[3] for row in after)
    assert len({i[1] for i in items}) == n
    assert status == [("done", n)]


def test_api_key_is_used_but_never_stored_logged_or_printed(tmp_path: Path) -> None:
    store_path = tmp_path / "keys.duckdb"
    key = "sk-test-" + secrets.token_hex(16)
    env = cli_env() | {"THRESHER_TEST_KEY": key}
    with FakeLLM() as fake:
        fake.add_rule(TOPICS[0], "500", "prose")
        done = run_cli(*generate_args(store_path, fake, 3, "--api-key-env", "THRESHER_TEST_KEY", "--json"), env=env)
        assert done.returncode == 0, done.stderr
        assert fake.log and all(e.authorization == f"Bearer {key}" for e in fake.log)
    spend = run_cli("spend", "--json", "--store", str(store_path))
    for text in (done.stdout, done.stderr, spend.stdout):
        assert key not in text
    for path in tmp_path.iterdir():
        assert key.encode() not in path.read_bytes(), f"the key is in {path.name}"
    with open_store(store_path) as store:
        params = store.cursor().execute("SELECT params FROM batches").fetchall()[0][0]
    assert key not in params and '"api_key_env": "THRESHER_TEST_KEY"' in params


def test_a_named_key_variable_that_is_unset_is_an_error(tmp_path: Path) -> None:
    with FakeLLM() as fake:
        done = run_cli(*generate_args(tmp_path / "s.duckdb", fake, 2, "--api-key-env", "NO_SUCH_KEY_VAR"))
        assert fake.log == []
    assert done.returncode == 1 and "NO_SUCH_KEY_VAR is not set" in done.stderr


def test_dry_run_estimates_without_sending(tmp_path: Path) -> None:
    with FakeLLM() as fake:
        done = run_cli(*generate_args(tmp_path / "s.duckdb", fake, 5, "--dry-run", "--json", "--budget", "0.001"))
        assert fake.log == []
    assert done.returncode == 0, done.stderr
    estimate = json.loads(done.stdout)
    assert estimate["planned"] == 5 and estimate["skipped"] == 0 and estimate["price_known"]
    assert 0 < estimate["cost_expected_usd"] <= estimate["cost_max_usd"]
    assert estimate["items_within_budget"] == min(5, int(0.001 / (estimate["cost_expected_usd"] / 5)))
    text = run_cli(*generate_args(tmp_path / "s.duckdb", fake, 5, "--dry-run"))
    assert "5 prompts to send" in text.stdout


def test_recipes_add_list_show_and_prices(tmp_path: Path) -> None:
    store_path = str(tmp_path / "r.duckdb")
    recipe_file = tmp_path / "haiku.toml"
    recipe_file.write_text(
        'name = "haiku"\ndescription = "Haiku about a topic"\ntemplate = "Write a haiku about ${topic}."\n'
        '[fields]\ntitle = "string"\npoem = "string"\n'
        '[output]\ninstruction = "Write a haiku titled ${title}"\nresponse = "${poem}"\n', encoding="utf-8")
    added = run_cli("recipes", "--store", store_path, "--json", "add", str(recipe_file))
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["added"] is True
    listed = json.loads(run_cli("recipes", "--store", store_path, "--json").stdout)
    names = {r["name"] for r in listed}
    assert {"self-instruct", "domain-qa", "reasoning-chain", "edge-case", "evol-instruct", "haiku"} <= names
    shown = json.loads(run_cli("recipes", "--store", store_path, "--json", "show", "haiku").stdout)
    assert shown["fields"] == {"title": {"type": "string", "required": True},
                               "poem": {"type": "string", "required": True}}
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "bad", "template": "${nope}", "fields": {"a": "string"}, '
                   '"output": {"instruction": "${a}", "response": "${a}"}}', encoding="utf-8")
    refused = run_cli("recipes", "--store", store_path, "add", str(bad))
    assert refused.returncode == 1 and "unknown variables: nope" in refused.stderr
    assert run_cli("prices", "--store", store_path, "set", "my-model*", "1.5", "3").returncode == 0
    prices = json.loads(run_cli("prices", "--store", store_path, "--json").stdout)
    assert {"pattern": "my-model*", "input_per_m": 1.5, "output_per_m": 3.0, "user": True} in prices


def test_unreachable_endpoint_is_reported_and_exits_non_zero(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    done = run_cli("generate", "--store", str(tmp_path / "s.duckdb"), "--recipe", "domain-qa", "--domain", "law",
                   "--topic", "contracts", "--n", "1", "--endpoint", url, "--model", "m", "--no-progress",
                   "--timeout", "2", "--max-retries", "0")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert any(f"failed at {url}: connection failed" in line for line in lines), done.stderr
    assert lines[-1].startswith("thresher: error: no request of batch 1 succeeded")
    assert "--resume 1 --retry-failed" in lines[-1]
    with open_store(tmp_path / "s.duckdb") as store:
        kept = store.cursor().execute("SELECT status, error FROM generation_requests").fetchall()
    assert kept and kept[0][0] == "failed" and "connection" in kept[0][1]
