"""Build the demo store from `sample_data/`, idempotently."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from store.connection import StoreError, open_store
from store.importer import import_file

DEMO_KEY = "demo_data_hash"


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What building the demo did: the store path, whether it was (re)built, and item count."""

    path: Path
    built: bool
    items: int


def default_sample_dir() -> Path:
    """Return the `sample_data/` folder beside the installed packages (the repository root)."""
    return Path(__file__).resolve().parents[1] / "sample_data"


def _data_hash(sample_dir: Path, manifest: dict[str, object]) -> str:
    """Hash the manifest and every data file it names, so a changed sample rebuilds the demo."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(manifest, sort_keys=True).encode())
    files = manifest.get("files", {})
    assert isinstance(files, dict)
    for name in sorted(files):
        digest.update((sample_dir / name).read_bytes())
    return digest.hexdigest()


def load_manifest(sample_dir: Path) -> dict[str, object]:
    """Read sample_data/manifest.json, with a one-line error when it is missing or broken."""
    path = sample_dir / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"no demo data: {path} not found") from None
    except json.JSONDecodeError as error:
        raise StoreError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise StoreError(f"{path}: expected an object with a 'files' mapping")
    return manifest


def _stored_hash(path: Path) -> str | None:
    """Return the sample-data hash recorded in an existing demo store, if any."""
    if not path.exists():
        return None
    with open_store(path) as store:
        rows = store.cursor().execute("SELECT value FROM settings WHERE key = ?", [DEMO_KEY]).fetchall()
        return str(json.loads(rows[0][0])) if rows else None


def build_demo(path: Path, sample_dir: Path | None = None) -> DemoResult:
    """Create the demo store from the manifest's files unless it is already up to date."""
    sample_dir = sample_dir or default_sample_dir()
    manifest = load_manifest(sample_dir)
    wanted = _data_hash(sample_dir, manifest)
    if _stored_hash(path) == wanted:
        with open_store(path) as store:
            count = store.cursor().execute("SELECT count(*) FROM items").fetchall()[0][0]
        return DemoResult(path, False, int(count))
    partial = path.with_name(path.name + ".building")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    files = manifest["files"]
    assert isinstance(files, dict)
    with open_store(partial) as store:
        for name, spec in files.items():
            import_file(
                store, sample_dir / name, fmt=spec.get("format"), origin=spec.get("origin", "synthetic"),
                split=spec.get("split", "train"), kind=spec.get("kind"),
            )
        with store.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO settings VALUES (?, ?::JSON)", [DEMO_KEY, json.dumps(wanted)])
        count = store.cursor().execute("SELECT count(*) FROM items").fetchall()[0][0]
        store.checkpoint()
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    os.replace(partial, path)
    return DemoResult(path, True, int(count))
