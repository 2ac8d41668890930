"""The single writer: every store write runs here, one at a time, strictly in the order it was queued.

A write is a job: anything with `journal_entry()` and `run(store, seq, journal_seq)` (the `Job` protocol). The
generic jobs (decide, undo/redo, edit, open an audit) live here; a view may define its own next to it (the
clusters view's keeper and split jobs, the filters view's threshold save) so that this module imports nothing
heavy and every view still writes through the one queue.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Protocol

import duckdb
from textual.message import Message
from textual.message_pump import MessagePump

from core.models import STATUS_OF_ACTION, Action, DecisionSource
from store import decisions
from store.audits import AuditInfo, create_audit, first_unreviewed_position, latest_audit, reviewed_item_ids
from store.connection import Store
from store.items import get_item
from store.journal import Journal
from store.listing import statuses
from store.stats import status_counts
from tui.messages import AuditOpened, DecisionRecorded, EditSaved, StepApplied, TotalsRead, WriteDone, WriteFailed


class Job(Protocol):
    """A store write the queue can run; the result (or a WriteFailed) is posted back as a past-tense message."""

    def journal_entry(self) -> dict[str, object] | None:
        """Return the journal line that replays this write after a crash, or None when it is not a decision.

        Only operations `store.journal.apply_entry` knows may be journaled (decide, edit, undo, redo).
        """
        ...

    def run(self, store: Store, seq: int, journal_seq: int | None = None) -> Message:
        """Commit the write (in the writer thread) and return the message reporting it; raise on failure."""
        ...


def read_totals(cur: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], str | None]:
    """Return the status counts and the label of the last undoable action."""
    return status_counts(cur), decisions.last_action(cur)


@dataclass(frozen=True, slots=True)
class Decide:
    """Accept, reject or skip items as one undoable group."""

    ids: tuple[int, ...]
    action: Action
    reason: str | None = None
    source: DecisionSource = DecisionSource.MANUAL

    def journal_entry(self) -> dict[str, object]:
        """Return the journal line that makes this decision survive a crash before its commit."""
        return {"op": "decide", "ids": list(self.ids), "action": self.action.value, "reason": self.reason,
                "source": self.source.value}

    def run(self, store: Store, seq: int, journal_seq: int | None = None) -> Message:
        """Commit the decision and report it."""
        result = decisions.decide(store, self.ids, self.action, reason=self.reason, source=self.source,
                                  journal_seq=journal_seq)
        status = STATUS_OF_ACTION[self.action].value
        return DecisionRecorded(seq, None, None, result=result, status=status, reason=self.reason)


@dataclass(frozen=True, slots=True)
class Step:
    """Undo (or redo) the most recent action group, reading back the statuses it restored."""

    redo: bool = False
    audit: AuditInfo | None = None

    def journal_entry(self) -> dict[str, object]:
        """Return the journal line for this undo or redo."""
        return {"op": "redo" if self.redo else "undo"}

    def run(self, store: Store, seq: int, journal_seq: int | None = None) -> Message:
        """Commit the step and report what it changed."""
        step = decisions.redo if self.redo else decisions.undo
        result = step(store, journal_seq=journal_seq)
        with store.cursor() as cur:
            restored = statuses(cur, list(result.item_ids)) if result else {}
            reviewed = reviewed_item_ids(cur, self.audit) if self.audit else None
        return StepApplied(seq, None, None, redo=self.redo, result=result, statuses=restored, reviewed=reviewed)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace an item's response, logged as an edit event."""

    item_id: int
    text: str
    field: str = "response"

    def journal_entry(self) -> dict[str, object]:
        """Return the journal line for this edit, new text included."""
        return {"op": "edit", "item_id": self.item_id, "field": self.field, "text": self.text}

    def run(self, store: Store, seq: int, journal_seq: int | None = None) -> Message:
        """Commit the edit and report the item as now stored."""
        result = decisions.edit(store, self.item_id, self.text, field=self.field, journal_seq=journal_seq)
        with store.cursor() as cur:
            item = get_item(cur, self.item_id)
        return EditSaved(seq, None, None, result=result, item=item)


@dataclass(frozen=True, slots=True)
class OpenAudit:
    """Resume the latest unfinished audit, or draw a new sample when asked or when none is open."""

    new: bool = False
    size: int = 500
    batch_id: int | None = None

    def journal_entry(self) -> None:
        """Return None: drawing an audit sample is not a decision and needs no journal line."""
        return None

    def run(self, store: Store, seq: int, journal_seq: int | None = None) -> Message:
        """Create or find the audit and report where to resume it."""
        with store.cursor() as cur:
            audit = None if self.new else latest_audit(cur)
            if audit is not None and first_unreviewed_position(cur, audit) is None:
                audit = None
        if audit is None:
            audit = create_audit(store, size=self.size, batch_id=self.batch_id)
        with store.cursor() as cur:
            reviewed = reviewed_item_ids(cur, audit)
            resume = first_unreviewed_position(cur, audit)
        return AuditOpened(seq, None, None, audit=audit, reviewed=reviewed, resume_position=resume)


class WriteQueue:
    """A FIFO of store writes drained by one worker thread; results are posted back as messages."""

    IDLE_TOTALS_AFTER = 0.5
    FRAME_WAIT = 0.05

    def __init__(self, store: Store) -> None:
        """Prepare an empty queue for the store; `run` must be started in a thread worker."""
        self._store = store
        self._queue: queue.Queue[tuple[int, Job, MessagePump, int | None] | None] = queue.Queue()
        self._journal = Journal(store)
        self._journal_closed = False
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._closed = False
        self._started = False
        self.last_seq = 0
        self.done_seq = 0
        self.frame_drawn = threading.Event()
        self.frame_drawn.set()
        self.wait_for_frames = True

    def key_pressed(self) -> None:
        """Hold writes back (briefly) until the frame answering a key press is drawn, so they never delay it."""
        self.frame_drawn.clear()

    def frame_done(self) -> None:
        """Let held-back writes run: the UI has drawn its frame."""
        self.frame_drawn.set()

    def submit(self, job: Job, reply_to: MessagePump) -> int:
        """Queue a write and return its sequence number; results go to `reply_to`."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the write queue is closed")
            self.last_seq += 1
            seq = self.last_seq
            entry = job.journal_entry()
            journal_seq = self._journal.append(entry) if entry is not None else None
            self._queue.put((seq, job, reply_to, journal_seq))
        return seq

    @property
    def idle(self) -> bool:
        """Return True when every queued write has been committed."""
        return self.done_seq == self.last_seq

    def run(self) -> None:
        """Drain the queue until closed; each write commits before the next one starts."""
        self._started = True
        stale: MessagePump | None = None
        try:
            while True:
                try:
                    entry = self._queue.get(timeout=self.IDLE_TOTALS_AFTER if stale else None)
                except queue.Empty:
                    assert stale is not None
                    stale.post_message(self._totals(TotalsRead(self.done_seq, None, None)))
                    stale = None
                    continue
                if entry is None:
                    break
                seq, job, reply_to, journal_seq = entry
                if self.wait_for_frames:
                    self.frame_drawn.wait(self.FRAME_WAIT)
                message = self._run_one(seq, job, journal_seq)
                self.done_seq = seq
                stale = reply_to if isinstance(message, WriteDone) and message.counts is None else None
                reply_to.post_message(message)
        finally:
            self._stopped.set()

    def _totals(self, message: WriteDone) -> WriteDone:
        """Fill in fresh status counts and the last undoable action."""
        with self._store.cursor() as cur:
            message.counts, message.last_label = read_totals(cur)
        return message

    def _run_one(self, seq: int, job: Job, journal_seq: int | None) -> Message:
        """Run one job and turn any failure into a WriteFailed message."""
        try:
            message = job.run(self._store, seq, journal_seq)
            big = not isinstance(job, Decide) or len(job.ids) > 1
            if big and self._queue.empty() and isinstance(message, WriteDone):
                self._totals(message)
            return message
        except Exception as error:  # noqa: BLE001 - every failure is reported to the UI
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            return WriteFailed(seq, None, None, label=type(job).__name__.lower(), error=first_line)

    def close(self, timeout: float = 30.0) -> bool:
        """Stop accepting writes, wait until every queued one is committed, and return True if it was."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(None)
        if not self._started:
            self.run()
        drained = self._stopped.wait(timeout)
        if not self._journal_closed:
            self._journal_closed = True
            self._journal.close(all_committed=drained)
        return drained
