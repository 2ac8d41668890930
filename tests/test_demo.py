"""The demo store: built from sample_data/ by its manifest, idempotently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from core.models import Action
from store.connection import open_store
from store.decisions import decide
from store.demo import build_demo, default_sample_dir, load_manifest
from store.stats import store_stats


def _manifest_rows() -> dict[str, int]:
    files = load_manifest(default_sample_dir())["files"]
    assert isinstance(files, dict)
    return {name: int(spec["rows"]) for name, spec in files.items()}


def test_demo_builds_every_manifest_file(tmp_path: Path) -> None:
    result = build_demo(tmp_path / "demo.duckdb")
    rows = _manifest_rows()
    assert result.built and result.items == sum(rows.values())
    with open_store(result.path) as store:
        stats = store_stats(store.cursor())
    assert {b["name"]: b["items"] for b in stats["batches"]} == rows
    assert stats["by_split"]["heldout"] == rows["heldout_real.jsonl"]
    assert stats["by_origin"]["real"] == rows["heldout_real.jsonl"]


def test_demo_is_idempotent_and_keeps_decisions(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    first = build_demo(path)
    with open_store(path) as store:
        decide(store, [1, 2], Action.ACCEPT)
    second = build_demo(path)
    assert not second.built and second.items == first.items
    with open_store(path) as store:
        assert store_stats(store.cursor())["by_status"]["accepted"] == 2


def test_demo_rebuilds_when_sample_data_changes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(default_sample_dir(), data)
    path = tmp_path / "demo.duckdb"
    first = build_demo(path, data)
    manifest = json.loads((data / "manifest.json").read_text())
    name = next(iter(manifest["files"]))
    with (data / name).open("a", encoding="utf-8") as handle:
        if name.endswith(".jsonl"):
            handle.write(json.dumps({"id": "extra-1", "instruction": "Extra?", "input": "", "output": "Yes.",
                                     "question": "Extra?", "answer": "Yes."}) + "\n")
    second = build_demo(path, data)
    assert second.built
    assert second.items == first.items + (1 if name.endswith(".jsonl") else 0)


def test_manifest_positions_match_ext_ids(tmp_path: Path) -> None:
    manifest = load_manifest(default_sample_dir())
    result = build_demo(tmp_path / "demo.duckdb")
    with open_store(result.path) as store:
        ext_ids = {r[0] for r in store.cursor().execute("SELECT ext_id FROM items").fetchall()}
    defects = manifest["defects"]
    assert isinstance(defects, list) and len(defects) >= 60
    assert {d["id"] for d in defects} <= ext_ids
