"""An intent journal beside the store: a decision is on disk the moment its key is handled.

The app appends each decision to `<store>.journal` synchronously (a few microseconds, no DuckDB
work on the UI thread), then commits it to DuckDB in its writer thread, recording the journal
sequence number in the same transaction. Whoever opens the store next replays any entry whose
sequence number is past the last one committed, so a kill -9 between the key and the commit
loses nothing.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import duckdb

from core.models import Action, DecisionSource
from store.connection import Store

JOURNAL_KEY = "journal_seq"


def journal_path(store_path: Path) -> Path:
    """Return the journal file that belongs to a store file."""
    return store_path.with_name(store_path.name + ".journal")


def committed_seq(cur: duckdb.DuckDBPyConnection) -> int:
    """Return the last journal sequence number committed to the store."""
    rows = cur.execute("SELECT value FROM settings WHERE key = ?", [JOURNAL_KEY]).fetchall()
    return int(json.loads(rows[0][0])) if rows else 0


def mark_committed(cur: duckdb.DuckDBPyConnection, seq: int | None) -> None:
    """Record inside the caller's transaction that journal entry `seq` is now in the store."""
    if seq is not None:
        cur.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?::JSON)", [JOURNAL_KEY, str(seq)])


def read_entries(path: Path) -> list[dict[str, Any]]:
    """Return the journal's complete entries, ignoring a torn last line."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
            entries.append(entry)
    return entries


def apply_entry(store: Store, entry: dict[str, Any]) -> object:
    """Commit one journal entry through the decision log, marking its sequence number."""
    from store import decisions  # decisions imports this module for mark_committed

    seq = int(entry["seq"])
    op = entry.get("op")
    if op == "decide":
        return decisions.decide(
            store, [int(i) for i in entry["ids"]], Action(entry["action"]), reason=entry.get("reason"),
            source=DecisionSource(entry.get("source", "manual")), journal_seq=seq,
        )
    if op == "edit":
        return decisions.edit(store, int(entry["item_id"]), str(entry["text"]),
                              field=str(entry.get("field", "response")), journal_seq=seq)
    if op == "undo":
        return decisions.undo(store, journal_seq=seq)
    if op == "redo":
        return decisions.redo(store, journal_seq=seq)
    raise ValueError(f"unknown journal operation {op!r}")


def replay_pending(store: Store) -> int:
    """Commit every journal entry not yet in the store, then empty the journal; return how many."""
    path = journal_path(store.path)
    entries = read_entries(path)
    if not entries:
        path.unlink(missing_ok=True)
        return 0
    done = committed_seq(store.cursor())
    replayed = 0
    for entry in sorted(entries, key=lambda e: int(e["seq"])):
        if int(entry["seq"]) <= done:
            continue
        try:
            apply_entry(store, entry)
        except Exception:  # noqa: BLE001 - an entry that cannot apply (item gone) must not block the rest
            with store.transaction() as cur:
                mark_committed(cur, int(entry["seq"]))
        replayed += 1
    path.unlink(missing_ok=True)
    return replayed


class Journal:
    """The append side of the journal, used by the app's key handlers."""

    def __init__(self, store: Store) -> None:
        """Open the store's journal for appending, continuing its sequence numbers."""
        self.path = journal_path(store.path)
        existing = [int(e["seq"]) for e in read_entries(self.path)]
        self._seq = max([committed_seq(store.cursor()), *existing])
        self._lock = threading.Lock()
        self._file = self.path.open("a", encoding="utf-8")

    def append(self, entry: dict[str, Any]) -> int:
        """Write one entry and hand it to the OS before returning its sequence number."""
        with self._lock:
            self._seq += 1
            line = json.dumps({**entry, "seq": self._seq}, ensure_ascii=False)
            self._file.write(line + "\n")
            self._file.flush()
            return self._seq

    def close(self, *, all_committed: bool) -> None:
        """Close the file, and delete it when every entry is known to be in the store."""
        self._file.close()
        if all_committed:
            self.path.unlink(missing_ok=True)

    def fsync(self) -> None:
        """Force the journal to the disk itself (for power loss, beyond a crash or kill -9)."""
        with self._lock:
            os.fsync(self._file.fileno())
