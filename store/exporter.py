"""Exporting items as Alpaca, ShareGPT or OpenAI-chat JSONL, or as Parquet with every item column.

Files are written by DuckDB's COPY (one JSON object per line, UTF-8 kept as is, NUL and control
characters escaped) to a temporary name and renamed into place, so a failed export never leaves
a half-written file.  Single-turn items become a user/assistant pair in the chat formats, with a
non-empty input appended to the user turn after a blank line; conversations keep all their turns
(ShareGPT names user/assistant `human`/`gpt`).  Alpaca keeps only the first user turn and the
last assistant turn of a conversation.  Parquet holds every column; importing it again (format
`thresher`) restores the content, kind, ext_id and metadata.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from core.models import Split, Status
from store.connection import Store, StoreError

EXPORT_FORMATS: tuple[str, ...] = ("alpaca", "sharegpt", "openai", "parquet")

_TURNS = """from_json(conversation, '[{"role": "VARCHAR", "content": "VARCHAR"}]')"""
_USER_TEXT = "instruction || CASE WHEN input <> '' THEN chr(10) || chr(10) || input ELSE '' END"
_SHAREGPT_ROLE = "CASE t.role WHEN 'user' THEN 'human' WHEN 'assistant' THEN 'gpt' ELSE t.role END"

_COLUMNS = {
    "alpaca": "instruction, input, response AS output",
    "sharegpt": (
        f"CASE WHEN conversation IS NOT NULL "
        f"THEN list_transform({_TURNS}, lambda t: {{'from': {_SHAREGPT_ROLE}, 'value': t.content}}) "
        f"ELSE [{{'from': 'human', 'value': {_USER_TEXT}}}, {{'from': 'gpt', 'value': response}}] "
        "END AS conversations"
    ),
    "openai": (
        f"CASE WHEN conversation IS NOT NULL THEN {_TURNS} "
        f"ELSE [{{'role': 'user', 'content': {_USER_TEXT}}}, {{'role': 'assistant', 'content': response}}] "
        "END AS messages"
    ),
    "parquet": (
        f"id, ext_id, kind, origin, split, batch_id, instruction, input, response, {_TURNS} AS conversation, "
        "metadata::VARCHAR AS metadata, status, status_reason, content_hash, created_at"
    ),
}


class ExportError(StoreError):
    """An export could not be written; the message says why in one line."""


CONTAMINATED_SQL = "id IN (SELECT item_id FROM scores WHERE scorer = 'contamination' AND verdict = 'flag')"


def _where(status: str | None, include_heldout: bool, include_contaminated: bool = True) -> str:
    """Return the SQL condition for the items to export; values are checked, so inlining is safe."""
    clauses = []
    if not include_contaminated:
        clauses.append(f"NOT ({CONTAMINATED_SQL})")
    if status is not None:
        if status not in {s.value for s in Status}:
            raise ExportError(f"unknown status '{status}' (expected one of {', '.join(s.value for s in Status)})")
        clauses.append(f"status = '{status}'")
    if not include_heldout:
        clauses.append(f"split <> '{Split.HELDOUT.value}'")
    return " AND ".join(clauses) or "TRUE"


def export_items(
    store: Store,
    out: Path | str,
    *,
    fmt: str = "alpaca",
    status: str | None = "accepted",
    include_heldout: bool = False,
    include_contaminated: bool = False,
    ids: Sequence[int] | None = None,
) -> int:
    """Write the chosen items, in id order, to `out` and return how many rows were written.

    Items flagged as overlapping the held-out split are left out unless `include_contaminated`;
    `ids`, when given, limits the export to exactly those items.
    """
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format '{fmt}' (expected one of {', '.join(EXPORT_FORMATS)})")
    target = Path(out)
    if target.is_dir():
        raise ExportError(f"cannot export to {target}: it is a directory")
    where = _where(status, include_heldout, include_contaminated)
    cur = store.cursor()
    if ids is not None:
        cur.execute("CREATE TEMP TABLE export_ids AS SELECT unnest(?::BIGINT[]) AS id", [list(ids)])
        where += " AND id IN (SELECT id FROM export_ids)"
    query = f"SELECT {_COLUMNS[fmt]} FROM items WHERE {where} ORDER BY id"
    partial = target.with_name(target.name + ".partial")
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT json"
    try:
        rows = cur.execute(f"COPY ({query}) TO '{str(partial).replace(chr(39), chr(39) * 2)}' ({options})").fetchall()
    except duckdb.Error as error:
        partial.unlink(missing_ok=True)
        raise ExportError(f"cannot export to {target}: {str(error).splitlines()[0]}") from None
    finally:
        cur.close()
    os.replace(partial, target)
    return int(rows[0][0]) if rows else 0
