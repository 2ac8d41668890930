"""The intent journal: entries written before a crash are committed by the next opener."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from core.models import Action
from store.connection import Store, open_store
from store.decisions import decide
from store.items import get_item
from store.journal import Journal, committed_seq, journal_path
from tests.conftest import REPO_ROOT, cli_env


def _status(store: Store, item_id: int) -> tuple[str, str | None]:
    item = get_item(store.cursor(), item_id)
    assert item is not None
    return item.status, item.status_reason


def test_uncommitted_entries_are_replayed_on_open(store: Store, store_path: Path) -> None:
    journal = Journal(store)
    journal.append({"op": "decide", "ids": [1], "action": "accept"})
    journal.append({"op": "decide", "ids": [2, 3], "action": "reject", "reason": "refusal"})
    journal.append({"op": "undo"})
    journal.append({"op": "edit", "item_id": 4, "field": "response", "text": "Better answer."})
    store.close()
    with journal_path(store_path).open("a") as torn:
        torn.write('{"op": "decide", "ids": [5], "act')
    with open_store(store_path) as reopened:
        assert _status(reopened, 1) == ("accepted", None)
        assert _status(reopened, 2) == ("pending", None)
        item = get_item(reopened.cursor(), 4)
        assert item is not None and item.response == "Better answer."
        assert _status(reopened, 5) == ("pending", None)
        assert committed_seq(reopened.cursor()) == 4
    assert not journal_path(store_path).exists()


def test_committed_entries_are_not_applied_twice(store: Store, store_path: Path) -> None:
    journal = Journal(store)
    seq = journal.append({"op": "decide", "ids": [1], "action": "reject", "reason": "x"})
    decide(store, [1], Action.REJECT, reason="x", journal_seq=seq)
    decide(store, [1], Action.ACCEPT)
    store.close()
    with open_store(store_path) as reopened:
        assert _status(reopened, 1) == ("accepted", None)
        logged = reopened.cursor().execute("SELECT count(*) FROM decisions WHERE item_id = 1").fetchall()[0][0]
        assert logged == 2


def test_sequence_continues_after_replay(store: Store, store_path: Path) -> None:
    journal = Journal(store)
    journal.append({"op": "decide", "ids": [1], "action": "skip"})
    store.close()
    with open_store(store_path) as reopened:
        assert Journal(reopened).append({"op": "undo"}) == 2


_KILLED_WRITER = """
import sys, time
from store.connection import open_store
from store.journal import Journal
store = open_store(sys.argv[1])
journal = Journal(store)
for item_id in range(1, 11):
    journal.append({"op": "decide", "ids": [item_id], "action": "accept"})
print("written", flush=True)
time.sleep(60)
"""


def test_journal_survives_sigkill_before_any_commit(store: Store, store_path: Path) -> None:
    store.close()
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(store_path)], stdout=subprocess.PIPE,
                            text=True, env=cli_env(), cwd=REPO_ROOT)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with open_store(store_path) as reopened:
        accepted = reopened.cursor().execute("SELECT count(*) FROM items WHERE status = 'accepted'").fetchall()
    assert accepted[0][0] == 10
