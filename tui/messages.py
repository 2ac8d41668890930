"""Past-tense messages that workers post back to the UI; workers never touch widgets themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from core.dedup.graph import Cluster
from core.models import StoredItem
from store.audits import AuditInfo
from store.decisions import GroupResult
from store.flags import Flag
from store.listing import FilterOptions, ListRow, ListSpec


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which rows a list wants: a fresh window (start, end, offset, key) or one more page (after, before)."""

    generation: int
    mode: str
    key: int | None = None
    offset: int | None = None

    @property
    def resets(self) -> bool:
        """Return True when the answer replaces the whole window rather than extending it."""
        return self.mode not in ("after", "before")


@dataclass
class PageLoaded(Message):
    """A page of list rows was read; `start` and `total` are set when the window is replaced."""

    request: PageRequest
    rows: list[ListRow]
    spec: ListSpec
    start: int | None = None
    total: int | None = None


@dataclass
class PageFailed(Message):
    """Reading a page of list rows failed."""

    request: PageRequest
    error: str


@dataclass
class CursorMoved(Message):
    """The list cursor moved to an absolute index (the row is None while it is still loading)."""

    index: int
    row: ListRow | None


@dataclass
class ListReady(Message):
    """A list rendered its first page (bubbles to the app, which records the time since mount)."""


@dataclass
class DetailsLoaded(Message):
    """Full items and their flags were read for the detail pane."""

    items: list[StoredItem]
    requested: tuple[int, ...]
    flags: dict[int, tuple[Flag, ...]] = field(default_factory=dict)


@dataclass
class OverviewLoaded(Message):
    """Store-wide counts, the last undoable action and the reject reasons were read."""

    counts: dict[str, int]
    last_label: str | None
    reasons: list[str]
    options: FilterOptions


@dataclass
class WriteDone(Message):
    """Fields shared by every finished write: its sequence number and, when the queue is idle, fresh totals."""

    seq: int
    counts: dict[str, int] | None
    last_label: str | None


@dataclass
class DecisionRecorded(WriteDone):
    """A decision (one item or a bulk group) was committed."""

    result: GroupResult = field(default_factory=lambda: GroupResult(0, "", 0))
    status: str = ""
    reason: str | None = None


@dataclass
class StepApplied(WriteDone):
    """An undo or redo was committed (result None when there was nothing to step)."""

    redo: bool = False
    result: GroupResult | None = None
    statuses: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    reviewed: set[int] | None = None


@dataclass
class EditSaved(WriteDone):
    """An edit of an item's text was committed; `item` is the item as now stored."""

    result: GroupResult = field(default_factory=lambda: GroupResult(0, "", 0))
    item: StoredItem | None = None


@dataclass
class AuditOpened(WriteDone):
    """An audit was created or resumed, with the items already reviewed and where to resume."""

    audit: AuditInfo | None = None
    reviewed: set[int] = field(default_factory=set)
    resume_position: int | None = None


@dataclass
class ClusterChanged(WriteDone):
    """A stored cluster was edited (its keeper changed, or a member split out); `cluster` is it as now stored.

    `cluster` leaves out rejected members, like the clusters view; it is None once the cluster is gone.
    """

    run_id: int = 0
    cluster_id: int = 0
    item_id: int = 0
    change: str = ""
    cluster: Cluster | None = None


@dataclass
class ThresholdsSaved(WriteDone):
    """Scorer thresholds were saved to the store's settings."""

    thresholds: dict[str, float] = field(default_factory=dict)


@dataclass
class TotalsRead(WriteDone):
    """The writer re-read the totals after a pause in writing."""


@dataclass
class WriteFailed(WriteDone):
    """A queued write failed and was rolled back."""

    label: str = ""
    error: str = ""


@dataclass
class FindFinished(Message):
    """A text search of the list finished: the key and index of the hit, or None."""

    generation: int
    text: str
    key: int | None
    index: int | None
    wrapped: bool


@dataclass
class BatchesLoaded(Message):
    """The batches overview was read."""

    stats: dict[str, Any]
