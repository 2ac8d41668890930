"""Score batches of items with several scorers, rule scorers in worker processes for large batches."""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from core.models import Turn
from core.scorers.base import PASS, Scorable, Scorer, ScoreResult, Span
from core.scorers.registry import RULE_SCORERS, build_scorers

PARALLEL_MIN_ITEMS = 4000
"""Below this many items a worker pool costs more to start than it saves."""
CHUNK = 1000
"""Items sent to a worker at a time."""


@dataclass(slots=True)
class Row:
    """The text fields a scorer reads, cheap to send to a worker process."""

    instruction: str
    input: str
    response: str
    metadata: dict[str, Any] = field(default_factory=dict)
    conversation: list[Turn] | None = None


def score_items(scorers: Sequence[Scorer], items: Sequence[Scorable]) -> list[list[ScoreResult]]:
    """Return, for each scorer in order, its results for every item.

    Rule scorers go item by item so they share each item's memoised analysis; model scorers
    get the whole batch at once so they can batch their work.
    """
    columns: list[list[ScoreResult]] = [[] for _ in scorers]
    rules = [(column, s) for column, s in zip(columns, scorers, strict=True) if s.kind != "model"]
    for item in items:
        for column, scorer in rules:
            column.append(scorer.score(item))
    for column, scorer in zip(columns, scorers, strict=True):
        if scorer.kind == "model":
            column.extend(scorer.score_many(list(items)))
    return columns


_WORKER_SCORERS: dict[str, Scorer] = {}


def _init_worker(names: list[str]) -> None:
    """Build the rule scorers once per worker process."""
    _WORKER_SCORERS.clear()
    _WORKER_SCORERS.update((s.name, s) for s in build_scorers(names))


Packed = tuple[float, str, str, Span | None] | None
"""A result as sent back from a worker; None stands for the common `PASS` (score 0, no reason)."""


def _pack(result: ScoreResult) -> Packed:
    """Shrink a result for the trip back from a worker."""
    if result == PASS:
        return None
    return (result.score, result.verdict, result.reason, result.span)


def _unpack(packed: Packed) -> ScoreResult:
    """Rebuild a result sent back by a worker."""
    if packed is None:
        return PASS
    score, verdict, reason, span = packed
    return ScoreResult(score, "flag" if verdict == "flag" else "pass", reason, span)


def _score_chunk(task: tuple[list[str], list[Row]]) -> list[list[Packed]]:
    """Score one chunk inside a worker with the named scorers."""
    names, rows = task
    return [[_pack(r) for r in column] for column in score_items([_WORKER_SCORERS[name] for name in names], rows)]


def _is_plain_rule(scorer: Scorer) -> bool:
    """Return True for a catalogue rule scorer that a worker can rebuild by name."""
    return type(scorer) in RULE_SCORERS


class ScoringPool:
    """Scores items with given scorers, spreading rule scorers across processes for big batches."""

    def __init__(self, workers: int | None = None) -> None:
        """Prepare a pool; worker processes start on the first large batch."""
        self.workers = workers if workers is not None else (multiprocessing.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def score(self, scorers: Sequence[Scorer], items: Sequence[Scorable]) -> list[list[ScoreResult]]:
        """Return, per scorer, its results for every item."""
        remote = [s for s in scorers if _is_plain_rule(s)]
        if self.workers <= 1 or len(items) < PARALLEL_MIN_ITEMS or not remote:
            return score_items(scorers, items)
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            names = [cls.name for cls in RULE_SCORERS]
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_init_worker, initargs=(names,)
            )
        rows = [
            Row(it.instruction, it.input, it.response, dict(it.metadata), getattr(it, "conversation", None))
            for it in items
        ]
        names = [s.name for s in remote]
        chunks = [(names, rows[i : i + CHUNK]) for i in range(0, len(rows), CHUNK)]
        by_name: dict[str, list[ScoreResult]] = {name: [] for name in names}
        for part in self._pool.map(_score_chunk, chunks):
            for name, results in zip(names, part, strict=True):
                by_name[name].extend(map(_unpack, results))
        local = [s for s in scorers if not _is_plain_rule(s)]
        for scorer, column in zip(local, score_items(local, items), strict=True):
            by_name[scorer.name] = column
        return [by_name[s.name] for s in scorers]

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ScoringPool:
        """Use as a context manager that stops workers on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the workers."""
        self.close()
