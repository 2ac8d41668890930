"""The store file: migrations, refusing newer files, locking and durability."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from store.connection import StoreError, StoreLockedError, open_store
from store.schema import LATEST_VERSION
from tests.conftest import REPO_ROOT, cli_env


def test_new_store_is_at_latest_version(store_path: Path) -> None:
    with open_store(store_path) as store:
        assert store.schema_version() == LATEST_VERSION
        tables = {r[0] for r in store.cursor().execute("SELECT table_name FROM information_schema.tables")
                  .fetchall()}
    for name in ("items", "batches", "decisions", "scores", "clusters", "embeddings", "saved_searches",
                 "generation_requests", "recipes"):
        assert name in tables


def test_older_store_is_migrated_on_open(store_path: Path) -> None:
    con = duckdb.connect(str(store_path))
    con.execute("CREATE TABLE unrelated (x INTEGER)")
    con.close()
    with open_store(store_path) as store:
        assert store.schema_version() == LATEST_VERSION
        assert store.cursor().execute("SELECT count(*) FROM items").fetchall()[0][0] == 0


def test_newer_store_is_refused_with_clear_message(store_path: Path) -> None:
    with open_store(store_path) as store, store.transaction() as cur:
        cur.execute("INSERT INTO schema_version (version) VALUES (?)", [LATEST_VERSION + 5])
    with pytest.raises(StoreError, match=r"newer than this Thresher"):
        open_store(store_path)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        open_store(tmp_path)


def test_second_process_gets_one_line_lock_error(store_path: Path) -> None:
    with open_store(store_path):
        proc = subprocess.run(
            [sys.executable, "-m", "tui.cli", "stats", "--store", str(store_path)],
            capture_output=True, text=True, env=cli_env(), cwd=REPO_ROOT, timeout=60,
        )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "in use" in lines[0] and str(store_path) in lines[0]
    assert "Traceback" not in proc.stderr


def test_lock_error_type(store_path: Path) -> None:
    code = (
        "import sys; from store.connection import open_store, StoreLockedError\n"
        f"try:\n    open_store({str(store_path)!r})\nexcept StoreLockedError as e:\n    print('LOCKED', e)\n"
    )
    with open_store(store_path):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=cli_env(), cwd=REPO_ROOT, timeout=60).stdout
    assert out.startswith("LOCKED store")
    assert StoreLockedError.__mro__[1] is StoreError


_WRITER = """
import sys, time
from core.models import Action, Item
from store.connection import open_store
from store.decisions import decide
from store.items import insert_items
store = open_store(sys.argv[1])
with store.transaction() as cur:
    ids = insert_items(cur, None, [Item(f"q{i}", f"a{i}") for i in range(200)])
for n, item_id in enumerate(ids):
    decide(store, [item_id], Action.ACCEPT if n % 2 else Action.REJECT, reason="bad" if n % 2 == 0 else None)
    print(item_id, flush=True)
    time.sleep(0.002)
time.sleep(60)
"""


def test_decisions_survive_sigkill(store_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(store_path)], stdout=subprocess.PIPE,
                            text=True, env=cli_env(), cwd=REPO_ROOT)
    assert proc.stdout is not None
    confirmed: list[int] = []
    deadline = time.monotonic() + 60
    while len(confirmed) < 120 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            confirmed.append(int(line))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(confirmed) >= 120
    with open_store(store_path) as store:
        rows = store.cursor().execute(
            "SELECT id, status, status_reason FROM items WHERE id IN (SELECT unnest(?))", [confirmed]
        ).fetchall()
        logged = store.cursor().execute("SELECT count(*) FROM decisions").fetchall()[0][0]
    assert len(rows) == len(confirmed)
    for item_id, status, reason in rows:
        assert status in ("accepted", "rejected")
        assert (status == "rejected") == (reason == "bad"), (item_id, status, reason)
    assert logged >= len(confirmed)
