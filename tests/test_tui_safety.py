"""Hostile item text is shown literally and never reaches the terminal as markup or escape sequences."""

from __future__ import annotations

import re
from pathlib import Path

from core.models import Item, Turn
from store.batches import create_batch
from store.connection import open_store
from store.items import insert_items
from tests.test_tui_support import screen_text, settle, terminal_bytes
from tui.app import ThresherApp
from tui.views.batches import BatchesView
from tui.views.triage import TriageView

HOSTILE = (
    "[bold red]BOLD[/] [link=https://evil.example]click[/link] [@click=app.quit]quit[/] "
    "\x1b[31mRED\x1b[0m \x1b[2J\x1b[H \x1b]52;c;aGVsbG8=\x07 \x1b]0;pwned\x07 NUL\x00 BEL\x07 BS\x08 CR\r "
    "DEL\x7f CSI\x9b2J \u202eevil\u202c \u200bzw \U000e0041tag 漢字 👨\u200d👩\u200d👧"
)
LEGIT_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H|\x1b\[\?\d+[hl]")
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\U000e0000-\U000e007f]")


def hostile_store(path: Path):  # type: ignore[no-untyped-def]
    store = open_store(path)
    with store.transaction() as cur:
        batch = create_batch(cur, "[red]batch\x1b]0;x\x07", "import")
        insert_items(cur, batch, [
            Item(instruction=HOSTILE, response=HOSTILE, input=HOSTILE, kind="[b]kind\x1b[5m", origin="synthetic"),
            Item(instruction="huge", response="0123456789" * 50_000),
            Item(instruction="chat", response=HOSTILE, kind="chat",
                 conversation=[Turn("user\x1b[2J", HOSTILE), Turn("assistant", HOSTILE)]),
            Item(instruction="plain", response="plain answer"),
        ])
    return store


def assert_clean(app: ThresherApp) -> str:
    plain = screen_text(app)
    assert not FORBIDDEN.search(plain.replace("\n", "")), repr(FORBIDDEN.search(plain.replace("\n", "")))
    raw = terminal_bytes(app)
    leftover = LEGIT_SEQUENCES.sub("", raw)
    assert "\x1b" not in leftover and "\x07" not in raw and "\x00" not in raw and "\x9b" not in raw
    return plain


async def test_hostile_text_is_literal_in_list_detail_and_screenshot(tmp_path: Path) -> None:
    store = hostile_store(tmp_path / "s.duckdb")
    for size in ((80, 24), (160, 50)):
        app = ThresherApp(store)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            plain = assert_clean(app)
            assert "[bold red]BOLD[/]" in plain
            assert "\\x1b[31mRED" in plain
            assert app.title == "Thresher" and isinstance(app.screen, TriageView)
            svg = app.export_screenshot()
            assert "\x1b" not in svg
            assert "[@click=app.quit]quit[/]" in svg.replace("&#160;", " ")
            assert "\\x1b]52;c;aGVsbG8=\\x07" in plain and "\\u202eevil" in plain
            await pilot.press("j", "j")
            await settle(app, pilot)
            plain = assert_clean(app)
            assert "user\\x1b[2J" in plain
            await pilot.press("tab", "end")
            await settle(app, pilot)
            assert_clean(app)
    store.close()


async def test_huge_response_is_capped_and_expands_on_demand(tmp_path: Path) -> None:
    store = hostile_store(tmp_path / "s.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("j")
        await settle(app, pilot)
        view = app.screen
        assert isinstance(view, TriageView)
        assert view.detail.hidden_chars > 400_000
        shown = len(view.detail.plain_text)
        assert shown < 20_000
        await pilot.press("tab", "end")
        await settle(app, pilot)
        assert "more characters (press + to show more)" in screen_text(app)
        await pilot.press("plus")
        await settle(app, pilot)
        assert 0 < view.detail.hidden_chars < 500_000 - 20_000
        await pilot.press("tab", "j")
        await settle(app, pilot)
        assert view.detail.hidden_chars == 0
    store.close()


async def test_hostile_names_in_batches_view_filter_and_notifications(tmp_path: Path) -> None:
    store = hostile_store(tmp_path / "s.duckdb")
    app = ThresherApp(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"[b]\x1b", "enter")
        await settle(app, pilot)
        assert_clean(app)
        await pilot.press("f")
        await settle(app, pilot)
        assert_clean(app)
        await pilot.press("escape", "v", "2")
        await settle(app, pilot)
        assert isinstance(app.screen, BatchesView)
        plain = assert_clean(app)
        assert "[red]batch\\x1b]0;x\\x07" in plain
    store.close()
