"""Pilot tests of quality flags in triage: a marker on flagged list rows, reasons and highlighted spans in detail."""

from __future__ import annotations

from pathlib import Path

from rich.style import Style

from store.connection import Store
from store.flags import Flag
from tests.test_tui_support import fill_store, screen_text, settle
from tui.app import ThresherApp
from tui.views.triage import TriageView
from tui.widgets.detail import DetailPane
from tui.widgets.flags import span_cuts

RESPONSE = "ab\x1b\tcd SECRET tail"


def add_scores(store: Store) -> None:
    """Flag item 2 twice (one with a response span), item 5 only in an older scorer version."""
    start = RESPONSE.index("SECRET")
    with store.transaction() as cur:
        cur.executemany(
            "INSERT INTO scores (item_id, scorer, scorer_version, score, verdict, reason, span_field, span_start, "
            "span_end, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [2, "toxicity", "v1", 0.9, "flag", "bad words", "response", start, start + 6, "2024-01-01"],
                [2, "contamination", "1", None, "flag", "matches held-out item 7", None, None, None, "2024-01-01"],
                [4, "length", "v1", 0.1, "pass", None, None, None, None, "2024-01-01"],
                [5, "length", "v1", 0.1, "flag", "too short", None, None, None, "2024-01-01"],
                [5, "length", "v2", 0.9, "pass", None, None, None, None, "2024-02-01"],
            ],
        )


def line_of(text: str, needle: str) -> str:
    """Return the first screen line containing `needle`."""
    return next(line for line in text.splitlines() if needle in line)


def test_span_cuts_merge_and_clip() -> None:
    flags = (Flag("a", None, "response", 2, 5), Flag("b", None, "response", 4, 50), Flag("c", None, "input", 0, 1))
    assert span_cuts(flags, "response", 10) == [(0, 2, False), (2, 10, True)]
    assert span_cuts(flags, "instruction", 3) == [(0, 3, False)]
    assert span_cuts((), "response", 0) == []


async def test_flags_in_list_and_detail(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "s.duckdb", 20, texts={1: RESPONSE})
    add_scores(store)
    app = ThresherApp(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "⚑2" in line_of(text, "Question number 1?")
        for other in ("Question number 0?", "Question number 3?", "Question number 4?"):
            assert "⚑" not in line_of(text, other)
        await pilot.press("j")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TriageView)
        detail = screen.query_one(DetailPane)
        assert detail.item is not None and detail.item.id == 2
        plain = detail.plain_text
        assert "⚑ toxicity: bad words" in plain
        assert "⚑ contamination: matches held-out item 7" in plain
        assert "length" not in plain
        flag_style: Style = detail.get_component_rich_style("detail--flag")
        flagged = [plain[s.start:s.end] for s in detail.text.spans if s.style == flag_style]
        assert "SECRET" in flagged
        assert "ab\\x1b    cd SECRET tail" in plain
        assert "⚑" in screen_text(app)
    store.close()
