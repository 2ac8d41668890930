"""Importing a dataset file as one batch in one transaction, with a report of every bad row.

Clean JSONL, JSON-array and Parquet files in a flat format (alpaca, alpaca_eval, qa,
prompt_response) are parsed by DuckDB's own readers; anything the fast path cannot vouch for
(a bad row, blank lines, duplicate keys, a chat or Self-Instruct shape, CSV, a byte-order mark)
goes through the Python path, which defines the semantics and names each bad row.  Both end in
the same columnar insert with the same content hash.

Report semantics: `rows_total` counts candidate items (one per row, one per Self-Instruct
instance) and equals `rows_ok + rows_bad`.  `errors` lists rejected rows; `warnings` lists rows
that were imported but deserve a look, namely a repeated source id ("duplicate id 'X' (first at
line N); both imported").  Both lists keep the first MAX_REPORTED entries.  `RowError.row` is the
1-based line for JSONL and CSV (the CSV header is line 1) and the 0-based index for JSON arrays
and Parquet.  A file with no usable rows at all raises ImportFileError; a file that parsed but
whose every row was rejected returns a report with rows_ok=0 and batch_id=None, and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pyarrow as pa

from core.formats import FORMATS
from core.formats_read import FormatError, first_content, sniff, to_utf8
from core.formats_rows import MAX_REPORTED
from core.models import Origin, RowError, Split
from store.batches import create_batch, finish_batch
from store.connection import Store, StoreError
from store.import_parse import parse_fast as _parse_fast  # tests and the bench patch `_parse_fast` here
from store.import_parse import parse_python as _parse_python
from store.import_parse import python_rows as _python_rows

__all__ = ["FORMATS", "MAX_REPORTED", "ImportFileError", "ImportReport", "import_file"]


@dataclass(frozen=True)
class ImportReport:
    """What importing one file did: its batch (None when nothing was imported), counts, errors and warnings."""

    batch_id: int | None
    source: str
    format: str
    rows_total: int
    rows_ok: int
    rows_bad: int
    errors: list[RowError]
    warnings: list[RowError] = field(default_factory=list)


class ImportFileError(StoreError):
    """A whole file is unusable; the one-line message names the file and the problem."""


def _insert(cur: duckdb.DuckDBPyConnection, batch_id: int, table: pa.Table, origin: str, split: str) -> None:
    """Insert the parsed rows with consecutive ids after the current maximum."""
    first_id = int(cur.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchall()[0][0])
    table = table.append_column("pos", pa.array(range(table.num_rows), pa.int64()))
    cur.register("_thresher_import", table)
    try:
        cur.execute(
            "INSERT INTO items (id, ext_id, kind, origin, split, batch_id, instruction, input, response, "
            "conversation, content_hash, metadata) SELECT ? + pos, ext_id, kind, ?, ?, ?, instruction, input, "
            "response, conversation::JSON, content_hash, metadata::JSON FROM _thresher_import",
            [first_id, origin, split, batch_id],
        )
    finally:
        cur.unregister("_thresher_import")


def _check_options(path: Path | str, fmt: str | None, origin: str, split: str, mapping: dict[str, str] | None) -> None:
    """Reject bad arguments before reading anything."""
    problems = []
    if fmt is not None and fmt not in FORMATS:
        problems.append(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")
    if origin not in {o.value for o in Origin}:
        problems.append(f"unknown origin '{origin}' (expected synthetic or real)")
    if split not in {s.value for s in Split}:
        problems.append(f"unknown split '{split}' (expected train or heldout)")
    if mapping and not all(isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items()):
        problems.append("a mapping must map field names to non-empty column names")
    if problems:
        raise ImportFileError(f"cannot import {path}: {problems[0]}")


def import_file(
    store: Store,
    path: Path | str,
    *,
    fmt: str | None = None,
    origin: str = "synthetic",
    split: str = "train",
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
) -> ImportReport:
    """Import one JSONL, JSON, Parquet or CSV file as one batch, atomically, and report bad rows."""
    _check_options(path, fmt, origin, split, mapping)
    if store.read_only:
        raise StoreError(f"store {store.path} is open read-only")
    file = Path(path)
    name = file.name
    options = {"fmt": fmt, "origin": origin, "split": split, "kind": kind, "mapping": mapping}
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror or error}") from None
    cur = store.cursor()
    try:
        if first_content(raw) < 0:
            raise FormatError("is empty")
        container = sniff(name, raw)
        data, changed = (raw, False) if container == "parquet" else to_utf8(raw)
        parsed = None if changed else _parse_fast(container, data, file, name, options, cur)
        if parsed is None:
            parsed = _parse_python(_python_rows(container, data, file, cur), container, name, options)
    except FormatError as error:
        raise ImportFileError(f"{path} {error}") from None
    finally:
        cur.close()
    rows_ok = parsed.table.num_rows
    report = ImportReport(None, name, parsed.shape.fmt, rows_ok + parsed.rows_bad, rows_ok, parsed.rows_bad,
                          parsed.errors, parsed.warnings)
    if not rows_ok:
        return report
    params = {"origin": origin, "split": split, "kind": kind, "mapping": mapping, "reader": parsed.reader}
    try:
        with store.transaction() as tx:
            batch_id = create_batch(tx, name, "import", source=str(file.resolve()), fmt=parsed.shape.fmt,
                                    params=params)
            _insert(tx, batch_id, parsed.table, origin, split)
            finish_batch(tx, batch_id, status="done", rows_total=report.rows_total, rows_ok=rows_ok,
                         rows_bad=parsed.rows_bad)
    except duckdb.Error as error:
        raise ImportFileError(f"{path} could not be stored: {str(error).splitlines()[0]}") from None
    return replace(report, batch_id=batch_id)
