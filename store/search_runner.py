"""Run searches off the calling thread, one live job at a time: a new job interrupts the stale one at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from core.search.ast import QueryError
from store.connection import Store, StoreError
from store.search import SearchCancelled

Emit = Callable[[Any], None]
Job = Callable[[duckdb.DuckDBPyConnection, threading.Event, Emit], None]
REINTERRUPT_S = 0.01
"""While a stale job is still running, its cursor is interrupted again this often (an interrupt that lands
between two statements would otherwise be forgotten)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One report from a job: a value it emitted, or its end (done, cancelled or failed with an error)."""

    generation: int
    value: Any = None
    done: bool = False
    cancelled: bool = False
    error: str | None = None
    seconds: float = 0.0


class SearchRunner:
    """Runs each submitted job on its own cursor and thread; submitting again cancels the previous job."""

    def __init__(self, store: Store, report: Callable[[Outcome], None]) -> None:
        """Send every outcome of the current job to `report` (called on the worker thread)."""
        self._store = store
        self._report = report
        self._lock = threading.Lock()
        self._generation = 0
        self._current: tuple[int, duckdb.DuckDBPyConnection, threading.Event, threading.Thread] | None = None

    @property
    def generation(self) -> int:
        """Return the number of the newest job."""
        return self._generation

    def submit(self, job: Job) -> int:
        """Cancel the running job, start `job` and return its generation number."""
        with self._lock:
            self._stop_locked()
            self._generation += 1
            generation = self._generation
            cur = self._store.cursor()
            cancel = threading.Event()
            thread = threading.Thread(target=self._work, args=(generation, cur, cancel, job), daemon=True,
                                      name=f"search-{generation}")
            self._current = (generation, cur, cancel, thread)
        thread.start()
        return generation

    def cancel(self) -> None:
        """Interrupt the running job, if any."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        """Flag and interrupt the current job, and keep interrupting it until its thread ends."""
        if self._current is None:
            return
        _, cur, cancel, thread = self._current
        self._current = None
        cancel.set()
        cur.interrupt()
        threading.Thread(target=_keep_interrupting, args=(cur, thread), daemon=True).start()

    def _emit(self, generation: int, value: Any) -> None:
        """Report a value if its job is still the current one."""
        if generation == self._generation:
            self._report(Outcome(generation, value))

    def _work(self, generation: int, cur: duckdb.DuckDBPyConnection, cancel: threading.Event, job: Job) -> None:
        """Run a job and report how it ended."""
        start = time.perf_counter()
        outcome: Outcome
        try:
            job(cur, cancel, lambda value: self._emit(generation, value))
            outcome = Outcome(generation, done=True)
        except (SearchCancelled, duckdb.InterruptException):
            outcome = Outcome(generation, cancelled=True)
        except (QueryError, StoreError) as error:
            outcome = Outcome(generation, error=str(error), done=True)
        except duckdb.Error as error:
            outcome = Outcome(generation, cancelled=True) if cancel.is_set() else Outcome(
                generation, error=str(error).splitlines()[0], done=True)
        finally:
            cur.close()
        with self._lock:
            if self._current is not None and self._current[0] == generation:
                self._current = None
        self._report(Outcome(generation, outcome.value, outcome.done, outcome.cancelled, outcome.error,
                             time.perf_counter() - start))

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current job's thread to end; return False on timeout."""
        current = self._current
        if current is None:
            return True
        current[3].join(timeout)
        return not current[3].is_alive()


def _keep_interrupting(cur: duckdb.DuckDBPyConnection, thread: threading.Thread, limit_s: float = 5.0) -> None:
    """Interrupt a cursor every REINTERRUPT_S until the thread using it ends."""
    deadline = time.perf_counter() + limit_s
    while thread.is_alive() and time.perf_counter() < deadline:
        thread.join(REINTERRUPT_S)
        if thread.is_alive():
            try:
                cur.interrupt()
            except duckdb.Error:
                return
