"""The row window holds a bounded, contiguous slice and never evicts the row it is told to keep."""

from __future__ import annotations

from store.listing import ListRow
from tui.widgets.window import RowWindow


def _rows(start: int, count: int) -> list[ListRow]:
    return [ListRow(k, k, "pending", None, "instruction", "synthetic", "train", 1, f"row {k}")
            for k in range(start, start + count)]


def test_append_and_prepend_stay_bounded_and_contiguous() -> None:
    window = RowWindow(capacity=250)
    window.reset(0, _rows(1, 100), 10_000)
    for page in range(1, 10):
        window.append(_rows(1 + page * 100, 100), keep=page * 100)
        assert len(window) <= 250
        assert [r.key for r in window.rows] == list(range(window.start + 1, window.end + 1))
    assert window.end == 1000 and window.start == 750
    window.prepend(_rows(651, 100), keep=700)
    assert window.start == 650 and len(window) == 250 and window.row(700) is not None


def test_keep_index_is_never_evicted() -> None:
    window = RowWindow(capacity=100)
    window.reset(0, _rows(1, 100), 1000)
    window.append(_rows(101, 100), keep=5)
    assert window.row(5) is not None and window.start == 5 and len(window) == 195
    window.prepend(_rows(1, 5), keep=5)
    assert window.start == 0 and len(window) == 100 and window.row(5) is not None


def test_shift_status_and_lookup() -> None:
    window = RowWindow(capacity=100)
    window.reset(40, _rows(41, 10), 100)
    window.shift(-40)
    assert window.start == 0 and window.total == 60
    window.set_status(45, "accepted", None)
    assert window.row(window.index_of_id(45) or 0) == _rows(45, 1)[0].__class__(
        45, 45, "accepted", None, "instruction", "synthetic", "train", 1, "row 45")
    assert window.index_of_id(999) is None and window.row(50) is None
