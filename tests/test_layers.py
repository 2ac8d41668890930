"""Layers run one way: core and store never load UI code; import-linter contracts hold."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import REPO_ROOT, cli_env

_PROBE = """
import pkgutil, importlib, sys
import core, store
for pkg in (core, store):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich", "tui"))
print(",".join(loaded))
"""


def test_core_and_store_load_no_ui_modules() -> None:
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          env=cli_env(), cwd=REPO_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"UI modules loaded by core/store: {proc.stdout}"


def test_import_linter_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(REPO_ROOT / ".venv" / "bin")) or shutil.which("lint-imports")
    assert lint, "import-linter is a dev dependency and must be installed"
    proc = subprocess.run([lint], capture_output=True, text=True, cwd=REPO_ROOT, env=cli_env(), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
