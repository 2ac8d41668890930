"""A contiguous in-memory slice of a long list, addressed by absolute row index."""

from __future__ import annotations

from dataclasses import replace

from store.listing import ListRow


class RowWindow:
    """Holds at most `capacity` consecutive rows of a list of `total` rows, starting at index `start`."""

    def __init__(self, capacity: int = 400) -> None:
        """Start empty."""
        self.capacity = capacity
        self.rows: list[ListRow] = []
        self.start = 0
        self.total = 0

    @property
    def end(self) -> int:
        """Return the index just past the last held row."""
        return self.start + len(self.rows)

    def __len__(self) -> int:
        """Return how many rows are held."""
        return len(self.rows)

    def row(self, index: int) -> ListRow | None:
        """Return the row at an absolute index, or None when it is not held."""
        if self.start <= index < self.end:
            return self.rows[index - self.start]
        return None

    def reset(self, start: int, rows: list[ListRow], total: int) -> None:
        """Replace the whole window."""
        self.rows = list(rows[: self.capacity])
        self.total = max(total, start + len(self.rows))
        self.start = max(0, min(start, self.total - len(self.rows)))

    def append(self, rows: list[ListRow], keep: int) -> None:
        """Add rows after the end, dropping rows from the front (but never index `keep`) beyond capacity."""
        self.rows.extend(rows)
        excess = len(self.rows) - self.capacity
        if excess > 0:
            excess = min(excess, max(0, keep - self.start))
            del self.rows[:excess]
            self.start += excess
        self.total = max(self.total, self.end)

    def prepend(self, rows: list[ListRow], keep: int) -> None:
        """Add rows before the start, dropping rows from the back (but never index `keep`) beyond capacity."""
        self.rows[:0] = rows
        self.start -= len(rows)
        excess = len(self.rows) - self.capacity
        if excess > 0:
            excess = min(excess, max(0, self.end - keep - 1))
            del self.rows[len(self.rows) - excess :]

    def shift(self, delta: int) -> None:
        """Move the window's indices by `delta` (after discovering the list start moved) and the total with it."""
        self.start += delta
        self.total = max(self.end, self.total + delta)

    def index_of_id(self, item_id: int) -> int | None:
        """Return the absolute index of a held item, or None."""
        for offset, row in enumerate(self.rows):
            if row.id == item_id:
                return self.start + offset
        return None

    def set_status(self, item_id: int, status: str, reason: str | None) -> None:
        """Record a committed status for a held item."""
        for offset, row in enumerate(self.rows):
            if row.id == item_id:
                self.rows[offset] = replace(row, status=status, status_reason=reason)
                return
