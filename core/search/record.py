"""The flat view of one item that the Python evaluator reads; mirrors the columns the SQL compiler uses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.models import StoredItem


@dataclass(frozen=True, slots=True)
class Record:
    """One item's searchable fields; `metadata` is the raw JSON text (None when absent)."""

    instruction: str = ""
    input: str = ""
    response: str = ""
    turns: tuple[str, ...] | None = None
    metadata: str | None = None
    status: str = "pending"
    origin: str = "synthetic"
    split: str = "train"
    kind: str = "instruction"
    batch_id: int | None = None
    model: str | None = None
    id: int = 0

    def text(self, name: str) -> str | None:
        """Return a scalar text field by name (None for missing metadata)."""
        if name == "metadata":
            return self.metadata
        return str(getattr(self, name))


def model_of(metadata: dict[str, Any]) -> str | None:
    """Return the generating model recorded in metadata: `model`, else alpaca_eval's `generator`."""
    for key in ("model", "generator"):
        value = metadata.get(key)
        if value is not None:
            return value if isinstance(value, str) else json.dumps(value)
    return None


def record_of(item: StoredItem) -> Record:
    """Build a Record from an item read back from the store."""
    turns = tuple(t.content for t in item.conversation) if item.conversation else None
    meta = json.dumps(item.metadata, ensure_ascii=False) if item.metadata else None
    return Record(item.instruction, item.input, item.response, turns, meta, item.status, item.origin,
                  item.split, item.kind, item.batch_id, model_of(item.metadata), item.id)
