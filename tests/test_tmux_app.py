"""The real app in a real terminal: tmux send-keys to triage, capture-pane to read the screen."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.demo import build_demo
from tests.conftest import REPO_ROOT, cli_env, thresher_cmd
from tests.tmux_driver import TmuxSession

pytestmark = pytest.mark.skipif(subprocess.run(["which", "tmux"], capture_output=True).returncode != 0,
                                reason="tmux is not installed")


@pytest.fixture
def demo_store(tmp_path: Path) -> Path:
    """Build the demo store from sample_data into tmp_path."""
    return build_demo(tmp_path / "demo.duckdb").path


def _app_env() -> dict[str, str]:
    env = {k: v for k, v in cli_env().items() if k in ("PATH", "PYTHONPATH", "HOME", "LANG", "LC_ALL")}
    env.update({"TEXTUAL_ANIMATIONS": "none", "TERM": "xterm-256color", "EDITOR": ""})
    return env


@pytest.fixture
def session_factory() -> Iterator[list[TmuxSession]]:
    sessions: list[TmuxSession] = []
    yield sessions
    for session in sessions:
        session.close()


def _start(sessions: list[TmuxSession], store: Path, width: int, height: int) -> TmuxSession:
    session = TmuxSession([sys.executable, "-m", "tui.cli", "--store", str(store)], width=width,
                          height=height, env=_app_env(), cwd=str(REPO_ROOT))
    sessions.append(session)
    session.wait_for(lambda s: "ins-001" in s or "Write a short thank-you" in s, timeout=30)
    return session


def _stats(store: Path) -> dict[str, int]:
    proc = subprocess.run(thresher_cmd("stats", "--json", "--store", str(store)), capture_output=True,
                          text=True, env=cli_env(), cwd=REPO_ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout)["by_status"])


_COUNTS = re.compile(r"\b(?:P|pending) (\d+)\s+(?:A|accepted) (\d+)\s+(?:R|rejected) (\d+)\s+(?:S|skipped) (\d+)")


def _counts(screen: str) -> tuple[int, int, int]:
    """Return (accepted, rejected, skipped) from the status bar, short or long form."""
    found = [m for line in screen.splitlines() if (m := _COUNTS.search(line))]
    assert found, screen
    return int(found[-1].group(2)), int(found[-1].group(3)), int(found[-1].group(4))


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
def test_triage_with_keys_in_real_terminal(demo_store: Path, session_factory: list[TmuxSession],
                                           size: tuple[int, int]) -> None:
    session = _start(session_factory, demo_store, *size)
    screen = session.screen()
    assert "\x1b" not in screen
    widths = subprocess.run(["tmux", "display", "-p", "-t", session.name, "#{window_width}x#{window_height}"],
                            capture_output=True, text=True).stdout.strip()
    assert widths == f"{size[0]}x{size[1]}"
    if size[0] >= 120:
        assert "#1 PENDING" in screen.splitlines()[0], "wide terminals show the detail beside the list"
    session.send("a")
    session.wait_for(lambda s: _counts(s) == (1, 0, 0))
    session.send("x")
    session.wait_for(lambda s: _counts(s) == (1, 1, 0))
    session.send("j", "s")
    session.wait_for(lambda s: _counts(s) == (1, 1, 1))
    session.send("u")
    session.wait_for(lambda s: _counts(s) == (1, 1, 0))
    session.send("q")
    session.wait_for(lambda s: "EXITED 0" in s)
    counts = _stats(demo_store)
    assert (counts["accepted"], counts["rejected"], counts["skipped"]) == (1, 1, 0)


def _glyph_counts(screen: str) -> tuple[int, int, int]:
    """Count accepted, rejected and skipped row glyphs in the list part of the screen."""
    rows = [line for line in screen.splitlines() if re.match(r"^[› ] ?[ *]?\s*[·✓✗»]\s+\d+", line)]
    text = "".join(row[:6] for row in rows)
    return text.count("✓"), text.count("✗"), text.count("»")


def test_kill_9_loses_no_decision(demo_store: Path, session_factory: list[TmuxSession]) -> None:
    session = _start(session_factory, demo_store, 200, 60)
    keys = ["a", "x", "a", "a", "x", "s", "a", "x"]
    for key in keys:
        session.send(key)
    # Kill as soon as the rows show the decisions, without waiting for the committed counts.
    session.wait_for(lambda s: _glyph_counts(s) == (4, 3, 1), timeout=20)
    app_pids = subprocess.run(["pgrep", "-P", str(session.pid())], capture_output=True, text=True).stdout.split()
    assert app_pids, "the app process was not found"
    for pid in app_pids:
        os.kill(int(pid), signal.SIGKILL)
    session.wait_for(lambda s: "EXITED" in s)
    time.sleep(0.2)
    counts = _stats(demo_store)
    assert (counts["accepted"], counts["rejected"], counts["skipped"]) == (4, 3, 1)


def test_demo_command_builds_and_opens_the_app(tmp_path: Path, session_factory: list[TmuxSession]) -> None:
    session = TmuxSession([sys.executable, "-m", "tui.cli", "demo"], width=80, height=24, env=_app_env(),
                          cwd=str(tmp_path))
    session_factory.append(session)
    # Wait for a frame with both the rows and the counts: tmux can capture a half-drawn frame.
    screen = session.wait_for(
        lambda s: "Write a short thank-you" in s and ("P 425" in s or "pending 425" in s), timeout=60)
    assert "P 425" in screen or "pending 425" in screen
    session.send("q")
    session.wait_for(lambda s: "EXITED 0" in s)
    assert (tmp_path / "demo.duckdb").exists()


def test_app_without_a_terminal_fails_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(thresher_cmd("--store", str(tmp_path / "x.duckdb")), capture_output=True, text=True,
                          env=cli_env(), cwd=REPO_ROOT, stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "thresher: error: the app needs an interactive terminal; see 'thresher --help' for headless commands"]
