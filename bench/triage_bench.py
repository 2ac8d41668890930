"""Triage speed on a large store: launch-to-list, key-to-frame latency, memory, against a naive DataTable.

Usage: .venv/bin/python bench/triage_bench.py [--items 1000000] [--naive-rows 100000] [--walk 10000]

Real terminal: the app runs in tmux (80x24 and 200x60); launch time is wall time from starting the
process to the first list row on the tmux screen; key latency comes from timestamps inside the app
($THRESHER_TIMINGS), keys sent at 30 Hz (keyboard autorepeat). Headless: App.run_test() for the
time from mount to the first list and for memory while walking the list. Naive baseline: a
DataTable filled with every row of the same store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from store.connection import open_store  # noqa: E402


def rss_mb() -> float:
    """Return this process's resident memory in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def ensure_store(path: Path, items: int) -> None:
    """Create the benchmark store unless a store of that size is already there."""
    if path.exists():
        with open_store(path) as store:
            if store.cursor().execute("SELECT count(*) FROM items").fetchall()[0][0] == items:
                return
        path.unlink()
    subprocess.run([sys.executable, str(ROOT / "bench" / "make_big_store.py"), str(path), "--items", str(items)],
                   check=True)


def tmux(*args: str) -> str:
    """Run a tmux command and return its output."""
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def terminal_run(store: Path, size: tuple[int, int], key: str, presses: int) -> dict[str, float]:
    """Launch the real app in tmux, time the first list, send one key at 30 Hz, and read the app's timings."""
    name = f"bench{os.getpid()}{key}{size[0]}"
    timings_file = Path(tempfile.mkstemp(suffix=".json")[1])
    env = f"env -u COLUMNS -u LINES TEXTUAL_ANIMATIONS=none THRESHER_TIMINGS={shlex.quote(str(timings_file))}"
    command = f"{env} {shlex.quote(sys.executable)} -m tui.cli --store {shlex.quote(str(store))}"
    started = time.perf_counter()
    tmux("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]), "-c", str(ROOT), command)
    launch = float("nan")
    while time.perf_counter() - started < 30:
        if "variant" in tmux("capture-pane", "-p", "-t", name):
            launch = time.perf_counter() - started
            break
        time.sleep(0.01)
    time.sleep(0.5)
    for _ in range(presses):
        tmux("send-keys", "-t", name, key)
        time.sleep(1 / 30)
    time.sleep(1.0)
    tmux("send-keys", "-t", name, "q")
    deadline = time.time() + 30
    while time.time() < deadline and timings_file.stat().st_size == 0:
        time.sleep(0.1)
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    data = json.loads(timings_file.read_text() or "{}")
    timings_file.unlink()
    latencies = data.get("latency_ms", [])
    return {"launch_s": launch, "first_list_ms": data.get("timings", {}).get("first_list_ms", float("nan")),
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "keys": len(latencies)}


async def headless_walk(store_path: Path, walk: int) -> dict[str, float]:
    """Open the app headless, time mount-to-list, and measure memory while walking `walk` items."""
    from tui.app import ThresherApp

    store = open_store(store_path)
    app = ThresherApp(store)
    result: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while "first_list_ms" not in app.timings:
            await pilot.pause(0.01)
        result["first_list_ms"] = app.timings["first_list_ms"]
        for _ in range(100):
            await pilot.press("j")
        await pilot.pause(0.2)
        result["rss_after_100_mb"] = rss_mb()
        for _ in range(walk):
            await pilot.press("j")
        await pilot.pause(0.5)
        result["rss_after_walk_mb"] = rss_mb()
    app.writer.close()
    store.close()
    return result


class NaiveApp(App[None]):
    """The naive design: every row of the store loaded into one DataTable."""

    def __init__(self, store_path: Path, rows: int) -> None:
        """Remember what to load."""
        super().__init__()
        self.store_path, self.rows, self.loaded_ms = store_path, rows, 0.0

    def compose(self) -> ComposeResult:
        """Lay out one table."""
        yield DataTable()

    def on_mount(self) -> None:
        """Read every row and fill the table."""
        started = time.perf_counter()
        with open_store(self.store_path, read_only=True) as store:
            rows = store.cursor().execute(
                "SELECT id, status, kind, origin, batch_id, left(instruction, 60) FROM items ORDER BY id LIMIT ?",
                [self.rows]).fetchall()
        table = self.query_one(DataTable)
        table.add_columns("id", "status", "kind", "origin", "batch", "preview")
        table.add_rows(rows)
        self.loaded_ms = (time.perf_counter() - started) * 1000


async def naive_run(store_path: Path, rows: int) -> dict[str, float]:
    """Time the naive app from mount to a filled table, and its memory."""
    before = rss_mb()
    app = NaiveApp(store_path, rows)
    result: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        result["loaded_ms"] = app.loaded_ms
        started = time.perf_counter()
        for _ in range(50):
            await pilot.press("down")
        result["50_moves_ms"] = (time.perf_counter() - started) * 1000
        result["rss_delta_mb"] = rss_mb() - before
    return result


def main() -> None:
    """Run every measurement and print a summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--walk", type=int, default=10_000)
    parser.add_argument("--presses", type=int, default=150)
    args = parser.parse_args()
    store_path = ROOT / "bench" / "out" / f"triage_{args.items}.duckdb"
    store_path.parent.mkdir(parents=True, exist_ok=True)
    ensure_store(store_path, args.items)
    print(f"store: {args.items:,} items; cpus: {os.cpu_count()}; load: {os.getloadavg()[0]:.2f}")
    for size in ((80, 24), (200, 60)):
        for key in ("j", "a", "x"):
            r = terminal_run(store_path, size, key, args.presses)
            print(f"tmux {size[0]}x{size[1]} key {key}: launch-to-list {r['launch_s'] * 1000:.0f} ms "
                  f"(mount-to-list {r['first_list_ms']:.0f} ms), key-to-frame p50 {r['p50']:.1f} ms "
                  f"p95 {r['p95']:.1f} ms over {r['keys']} keys")
    walk = asyncio.run(headless_walk(store_path, args.walk))
    print(f"headless: mount-to-list {walk['first_list_ms']:.0f} ms; RSS after 100 moves "
          f"{walk['rss_after_100_mb']:.0f} MB, after {args.walk:,} moves {walk['rss_after_walk_mb']:.0f} MB")
    naive = asyncio.run(naive_run(store_path, args.naive_rows))
    ratio = naive["loaded_ms"] / walk["first_list_ms"]
    print(f"naive DataTable with {args.naive_rows:,} rows: loaded in {naive['loaded_ms']:.0f} ms "
          f"(x{ratio:.0f} Thresher's mount-to-list on {args.items:,}), 50 moves {naive['50_moves_ms']:.0f} ms, "
          f"+{naive['rss_delta_mb']:.0f} MB")


if __name__ == "__main__":
    main()
