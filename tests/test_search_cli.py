"""`thresher search` run as a real subprocess against a real store file."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest

from core.search.library import LIBRARY
from tests.conftest import REPO_ROOT, cli_env, thresher_cmd
from tests.test_search_data import BATCH_OF, CORPUS, build_store, ids
from tui.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a subprocess and capture its output."""
    return subprocess.run(thresher_cmd(*args), capture_output=True, text=True, env=cli_env(), cwd=REPO_ROOT,
                          timeout=120)


def run_inline(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process (quicker than a subprocess) and capture its output."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the path of a closed store holding the corpus."""
    path = tmp_path_factory.mktemp("cli") / "search.duckdb"
    build_store(path).close()
    return str(path)


def test_text_json_csv_and_limit(store_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = run_cli("search", "cafe*", "--store", store_file)
    assert text.returncode == 0, text.stderr
    assert [int(line.split()[0]) for line in text.stdout.splitlines()] == ids("cafe", "cafe_nfd", "cafeteria")
    lines = run_inline(capsys, "search", "cafe", "--json", "--store", store_file).stdout.splitlines()
    first = json.loads(lines[0])
    assert first["id"] == ids("cafe")[0] and first["match"] == {"field": "response", "start": 3, "end": 7}
    rows = list(csv.reader(io.StringIO(run_inline(capsys, "search", "cafe*", "--csv", "--limit", "2",
                                               "--store", store_file).stdout)))
    assert rows[0][:3] == ["id", "status", "batch"] and len(rows) == 3


def test_count_and_library(store_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_inline(capsys, "search", "cafe*", "--count", "--store", store_file).stdout.strip() == "3"
    counted = json.loads(run_cli("search", "--library", "apologies", "--count", "--json",
                                 "--store", store_file).stdout)
    assert counted["count"] == 2 and counted["by_status"] == {"pending": 2}
    assert counted["by_batch"] == {str(BATCH_OF["refusal"]): 1, str(BATCH_OF["apology"]): 1}
    combined = run_inline(capsys, "search", "--library", "apologies", "instruction:france", "--json",
                          "--store", store_file)
    assert [json.loads(line)["id"] for line in combined.stdout.splitlines()] == ids("apology")


def test_library_list(store_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    listed = json.loads(run_cli("search", "--library-list", "--json", "--store", store_file).stdout)
    assert listed["items"] == len(CORPUS)
    by_name = {q["name"]: q for q in listed["queries"]}
    assert set(by_name) == set(LIBRARY)
    assert by_name["math-mismatch"]["hits"] == 1 and by_name["math-mismatch"]["description"]
    text = run_inline(capsys, "search", "--library-list", "--by", "batch", "--store", store_file).stdout
    assert "apologies" in text and "    batch 1" in text


def test_save_and_reuse(store_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    saved = run_cli("search", "cafe* -cafeteria", "--save", "coffee", "--count", "--store", store_file)
    assert saved.returncode == 0 and "saved 'coffee'" in saved.stderr and saved.stdout.strip() == "2"
    assert run_inline(capsys, "search", "saved:coffee", "--count", "--store", store_file).stdout.strip() == "2"
    listed = json.loads(run_inline(capsys, "search", "--saved-list", "--json", "--store", store_file).stdout)
    assert [q["name"] for q in listed] == ["coffee"]
    with_saved = json.loads(run_inline(capsys, "search", "--library-list", "--saved", "--json",
                                       "--store", store_file).stdout)
    assert any(q["name"] == "coffee" and q["source"] == "saved" for q in with_saved["queries"])
    assert run_inline(capsys, "search", "--delete-saved", "coffee", "--store", store_file).returncode == 0


def test_errors_are_one_line(store_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    proc = run_cli("search", 'sql:"1=1); DROP TABLE items; --"', "--store", store_file)
    assert proc.returncode == 1 and proc.stderr.startswith("thresher: error: bad query: sql:")
    for args in (("status:maybe",), ("--library", "nope"), ()):
        proc = run_inline(capsys, "search", *args, "--store", store_file)
        assert proc.returncode == 1, args
        assert proc.stderr.startswith("thresher: error:") and len(proc.stderr.splitlines()) == 1
    assert run_inline(capsys, "search", "cafe", "--count", "--store", store_file).stdout.strip() == "2"
    assert "response_len" in run_inline(capsys, "search", "--view-help", "--store", store_file).stdout
