"""Plain dataclasses and enumerations shared by every layer of Thresher."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """The current review status of an item, derived from the decision log."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SKIPPED = "skipped"


class Action(StrEnum):
    """The kinds of event recorded in the append-only decision log."""

    ACCEPT = "accept"
    REJECT = "reject"
    SKIP = "skip"
    EDIT = "edit"
    RESET = "reset"
    UNDO = "undo"
    REDO = "redo"


class Origin(StrEnum):
    """Whether an item was produced by a model or written by people."""

    SYNTHETIC = "synthetic"
    REAL = "real"


class Split(StrEnum):
    """Whether an item may be trained on or is kept for evaluation."""

    TRAIN = "train"
    HELDOUT = "heldout"


class DecisionSource(StrEnum):
    """Who produced a decision: a person key by key, a bulk action, or a rule."""

    MANUAL = "manual"
    BULK = "bulk"
    RULE = "rule"


STATUS_OF_ACTION: dict[Action, Status] = {
    Action.ACCEPT: Status.ACCEPTED,
    Action.REJECT: Status.REJECTED,
    Action.SKIP: Status.SKIPPED,
    Action.RESET: Status.PENDING,
}


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation."""

    role: str
    content: str


@dataclass(slots=True)
class Item:
    """One training example: an instruction/response pair or a whole conversation."""

    instruction: str
    response: str
    input: str = ""
    kind: str = "instruction"
    origin: str = Origin.SYNTHETIC.value
    split: str = Split.TRAIN.value
    conversation: list[Turn] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    ext_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as read back from the store, with its id and current status."""

    id: int
    ext_id: str | None
    kind: str
    origin: str
    split: str
    batch_id: int | None
    instruction: str
    input: str
    response: str
    conversation: list[Turn] | None
    metadata: dict[str, Any]
    status: str
    status_reason: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """One row of the decision log."""

    id: int
    item_id: int | None
    action: str
    group_id: int
    prev_status: str | None
    new_status: str | None
    reason: str | None
    source: str
    actor: str
    target_group: int | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A row of an input file that could not be imported, and why."""

    source: str
    row: int
    reason: str

    def __str__(self) -> str:
        """Render as `file:row: reason` for one-line error reports."""
        return f"{self.source}:{self.row}: {self.reason}"
