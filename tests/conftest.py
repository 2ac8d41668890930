"""Shared fixtures: a real store file in tmp_path filled with a few items."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.models import Item, Turn
from store.connection import Store, open_store
from store.items import insert_items

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"


def make_items(count: int, *, kind: str = "instruction") -> list[Item]:
    """Return `count` distinct plain items."""
    return [Item(instruction=f"Question number {i}?", response=f"Answer number {i}.", kind=kind)
            for i in range(count)]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Return a path for a fresh store file."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    """Yield an open store with 10 plain items and one conversation item."""
    opened = open_store(store_path)
    with opened.transaction() as cur:
        items = make_items(10)
        items.append(Item("Hi", "Hello!", kind="chat",
                          conversation=[Turn("user", "Hi"), Turn("assistant", "Hello!")]))
        insert_items(cur, None, items)
    yield opened
    opened.close()


def thresher_cmd(*args: str) -> list[str]:
    """Return the argv that runs the thresher CLI with this interpreter."""
    return [sys.executable, "-m", "tui.cli", *args]


def cli_env() -> dict[str, str]:
    """Return an environment for CLI subprocesses with the repo importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("THRESHER_STORE", None)
    return env
