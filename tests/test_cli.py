"""The `thresher` CLI run as a real subprocess against a real store file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from core.models import Action
from store.connection import Store
from store.decisions import decide
from tests.conftest import REPO_ROOT, cli_env, thresher_cmd


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = cli_env()
    env.update(env_extra or {})
    return subprocess.run(thresher_cmd(*args), capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                          timeout=120)


def test_stats_json_shape(store: Store, store_path: Path) -> None:
    decide(store, [1, 2], Action.ACCEPT)
    decide(store, [3], Action.REJECT, reason="refusal")
    store.close()
    proc = run_cli("stats", "--json", "--store", str(store_path))
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert set(stats) == {"total", "by_status", "by_origin", "by_split", "by_kind", "batches"}
    assert stats["total"] == 11
    assert stats["by_status"] == {"pending": 8, "accepted": 2, "rejected": 1, "skipped": 0}
    assert stats["by_kind"] == {"instruction": 10, "chat": 1}
    assert stats["by_origin"] == {"synthetic": 11}


def test_store_from_environment(store: Store, store_path: Path) -> None:
    store.close()
    proc = run_cli("stats", "--json", env_extra={"THRESHER_STORE": str(store_path)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"] == 11


def test_decide_undo_redo_through_cli(store: Store, store_path: Path) -> None:
    store.close()
    assert run_cli("decide", "1", "2", "reject", "--reason", "dup", "--store", str(store_path)).returncode == 0
    items = [json.loads(line) for line in
             run_cli("items", "--status", "rejected", "--json", "--store", str(store_path)).stdout.splitlines()]
    assert [(i["id"], i["reason"]) for i in items] == [(1, "dup"), (2, "dup")]
    undone = run_cli("undo", "--json", "--store", str(store_path))
    assert json.loads(undone.stdout) == {"undo": "reject 2 items (dup)", "items": [1, 2]}
    pending = run_cli("items", "--status", "pending", "--limit", "0", "--json", "--store", str(store_path))
    assert len(pending.stdout.splitlines()) == 11
    assert run_cli("redo", "--store", str(store_path)).stdout.startswith("redo: reject 2 items")


def test_decide_bad_input_is_one_line(store: Store, store_path: Path) -> None:
    store.close()
    for args in (("decide", "1", "maybe"), ("decide", "x", "accept"), ("decide", "999", "accept")):
        proc = run_cli(*args, "--store", str(store_path))
        assert proc.returncode == 1
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith("thresher: error: ")


def test_items_limit_and_json_escapes_control_chars(store: Store, store_path: Path) -> None:
    from core.models import Item
    from store.items import insert_items
    with store.transaction() as cur:
        insert_items(cur, None, [Item("evil \x1b]0;title\x07", "red \x1b[31m \x9b2J \u202e")])
    store.close()
    proc = run_cli("items", "--json", "--limit", "0", "--store", str(store_path))
    assert proc.returncode == 0
    assert "\x1b" not in proc.stdout and "\x9b" not in proc.stdout and "\u202e" not in proc.stdout
    last = json.loads(proc.stdout.splitlines()[-1])
    assert last["response"] == "red \x1b[31m \x9b2J \u202e"
    text = run_cli("items", "--store", str(store_path)).stdout
    assert "\x1b" not in text and "\\x1b]0;title" in text
    assert len(run_cli("items", "--limit", "3", "--store", str(store_path)).stdout.splitlines()) == 3


def test_every_command_has_help() -> None:
    for command in ("demo", "import", "stats", "items", "decide", "undo", "redo", "export"):
        proc = run_cli(command, "--help")
        assert proc.returncode == 0, (command, proc.stderr)
        assert "--store" in proc.stdout


def test_missing_store_for_read_is_created(tmp_path: Path) -> None:
    proc = run_cli("stats", "--json", "--store", str(tmp_path / "new.duckdb"))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["total"] == 0
