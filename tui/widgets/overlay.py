"""Optimistic statuses: what the list shows for items whose write is queued but not yet committed."""

from __future__ import annotations

from store.listing import ListRow


class StatusOverlay:
    """Maps item ids to (status, reason, write sequence number) until that write is committed."""

    def __init__(self) -> None:
        """Start with nothing pending."""
        self._pending: dict[int, tuple[str, str | None, int]] = {}

    def status_of(self, row: ListRow) -> tuple[str, str | None]:
        """Return the status to show for a row: the optimistic one if any, else the stored one."""
        pending = self._pending.get(row.id)
        return (pending[0], pending[1]) if pending else (row.status, row.status_reason)

    def put(self, ids: list[int], status: str, reason: str | None, seq: int) -> None:
        """Show a status for items whose write number `seq` is queued."""
        for item_id in ids:
            self._pending[item_id] = (status, reason, seq)

    def committed(self, item_id: int, seq: int) -> None:
        """Drop the optimistic status of an item once a write at least as new as it is committed."""
        pending = self._pending.get(item_id)
        if pending and pending[2] <= seq:
            del self._pending[item_id]

    def forget(self, seq: int) -> None:
        """Drop every optimistic status of a write that failed."""
        self._pending = {k: v for k, v in self._pending.items() if v[2] != seq}
