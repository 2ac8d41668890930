"""Parsing an import file into insert-ready columns, with DuckDB's readers when it is clean, else in Python."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from core.formats import FLAT_FORMATS, Shape, resolve_shape
from core.formats_hash import hash_flat_columns, hash_turns
from core.formats_read import FormatError, first_content, iter_csv, iter_jsonl, last_content, load_json_rows
from core.formats_rows import MAX_REPORTED, SAMPLE_ROWS, collect_rows, row_unit
from core.models import Item, RowError
from store.items import conversation_json

_MAX_OBJECT = 1 << 28


@dataclass
class Parsed:
    """Rows ready to insert: a columnar table plus the bookkeeping for the report."""

    shape: Shape
    table: pa.Table
    rows_bad: int
    errors: list[RowError]
    warnings: list[RowError]
    reader: str


def _duplicate_warnings(ext_ids: pa.ChunkedArray, rows: Sequence[int], name: str, unit: str) -> list[RowError]:
    """Return a warning for every item whose source id repeats an earlier one."""
    if pc.count_distinct(ext_ids).as_py() == pc.count(ext_ids).as_py():
        return []
    first: dict[str, int] = {}
    warnings: list[RowError] = []
    for ext_id, row in zip(ext_ids.to_pylist(), rows, strict=True):
        if ext_id is None:
            continue
        seen = first.setdefault(ext_id, row)
        if seen != row and len(warnings) < MAX_REPORTED:
            warnings.append(RowError(name, row, f"duplicate id {ext_id!r} (first at {unit} {seen}); both imported"))
    return warnings


def python_rows(container: str, data: bytes, path: Path, cur: duckdb.DuckDBPyConnection) -> Iterator[tuple[int, Any]]:
    """Yield (row number, parsed value or BadRow) for a file, the slow but exact way."""
    if container == "jsonl":
        return iter_jsonl(data)
    if container in ("csv", "tsv"):
        return iter_csv(data, "\t" if container == "tsv" else ",")
    if container == "json":
        rows = load_json_rows(data)
    else:
        try:
            texts = cur.execute("SELECT to_json(p)::VARCHAR FROM read_parquet(?) p", [str(path)]).fetchall()
        except duckdb.Error as error:
            raise FormatError(f"is not a readable Parquet file: {str(error).splitlines()[0]}") from None
        rows = [json.loads(t[0]) for t in texts]
    if not rows:
        raise FormatError("has no rows")
    return enumerate(rows)


def _items_table(items: Sequence[Item]) -> pa.Table:
    """Return the insert columns, content hash included, for items built in Python."""
    if any(it.conversation for it in items):
        hashes = [
            hash_turns([(t.role, t.content) for t in it.conversation]) if it.conversation
            else hash_flat_columns([it.instruction], [it.input], [it.response])[0]
            for it in items
        ]
    else:
        hashes = hash_flat_columns([it.instruction for it in items], [it.input for it in items],
                                   [it.response for it in items])
    return pa.table({
        "ext_id": pa.array([it.ext_id for it in items], pa.string()),
        "kind": pa.array([it.kind for it in items], pa.string()),
        "instruction": pa.array([it.instruction for it in items], pa.string()),
        "input": pa.array([it.input for it in items], pa.string()),
        "response": pa.array([it.response for it in items], pa.string()),
        "conversation": pa.array([conversation_json(it.conversation) for it in items], pa.string()),
        "metadata": pa.array([json.dumps(it.metadata, ensure_ascii=False) if it.metadata else None
                              for it in items], pa.string()),
        "content_hash": pa.array(hashes, pa.string()),
    })


def parse_python(rows: Iterator[tuple[int, Any]], container: str, name: str, options: dict[str, Any]) -> Parsed:
    """Convert every row in Python, naming each bad one."""
    found = collect_rows(rows, container=container, name=name, **options)
    table = _items_table(found.items)
    warnings = _duplicate_warnings(table["ext_id"], found.item_rows, name, row_unit(container))
    return Parsed(found.shape, table, found.rows_bad, found.errors, warnings, "python")


def _sql_text(text: str) -> str:
    """Quote a string as a SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def _json_path(key: str) -> str:
    """Return the JSONPath of a top-level key, quoted so any key name works."""
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fast_query(source: str, shape: Shape) -> str:
    """Return the SQL that extracts a flat shape's columns plus an `ok` flag for each row."""
    targets = [t for t in ("instruction", "response", "input", "ext_id", "kind") if t in shape.fields]
    paths = "[" + ", ".join(_sql_text(_json_path(shape.fields[t])) for t in targets) + "]"
    conds = ["len(k) = len(list_distinct(k))"]
    cols = []
    for i, target in enumerate(targets, 1):
        if target in ("instruction", "response"):
            conds.append(f"coalesce(t[{i}], '') = 'VARCHAR'")
            cols.append(f"s[{i}] AS {target}")
        else:
            conds.append(f"coalesce(t[{i}], 'NULL') IN ('VARCHAR', 'NULL')")
            default = {"input": "coalesce(s[{i}], '')", "ext_id": "nullif(s[{i}], '')",
                       "kind": "coalesce(nullif(s[{i}], ''), " + _sql_text(shape.kind) + ")"}[target]
            cols.append(default.format(i=i) + f" AS {target}")
    if "kind" not in targets:
        cols.append(f"{_sql_text(shape.kind)} AS kind")
    remove = _sql_text(json.dumps({source_key: None for source_key in sorted(shape.consumed)}))
    return (
        f"SELECT coalesce({' AND '.join(conds)}, false) AS ok, {', '.join(cols)}, "
        "NULL::VARCHAR AS conversation, nullif(m, '{}') AS metadata, "
        r"CASE WHEN regexp_matches(j, ',\s*[}\]]') THEN j END AS suspect FROM ("
        f"SELECT json_type(json, {paths}) AS t, json_extract_string(json, {paths}) AS s, json::VARCHAR AS j, "
        f"json_keys(json) AS k, json_merge_patch(json, {remove})::VARCHAR AS m FROM {source})"
    )


def _line_count(data: bytes) -> int:
    """Count the lines up to the last non-blank one; DuckDB skips blank lines, so any other gap shows."""
    return data.count(b"\n", 0, last_content(data) + 1) + 1


def parse_fast(container: str, data: bytes, path: Path, name: str, options: dict[str, Any],
               cur: duckdb.DuckDBPyConnection) -> Parsed | None:
    """Parse a clean flat file with DuckDB's readers, or return None to take the Python path."""
    if container == "parquet":
        source = "(SELECT to_json(p) AS json FROM read_parquet(?) p)"
    elif container == "jsonl" or container == "json" and data[first_content(data)] == ord("["):
        if container == "json" and data[last_content(data, last_content(data))] == ord(","):
            return None  # a trailing comma in the array itself, which Python's parser rejects
        layout = "newline_delimited" if container == "jsonl" else "array"
        source = f"read_json_objects(?, format='{layout}', maximum_object_size={_MAX_OBJECT})"
    else:
        return None
    try:
        sample = cur.execute(f"SELECT json::VARCHAR FROM {source} WHERE json_type(json) = 'OBJECT' "
                             f"LIMIT {SAMPLE_ROWS}", [str(path)]).fetchall()
        keys: dict[str, None] = {}
        for (text,) in sample:
            keys.update(dict.fromkeys(json.loads(text)))
        shape = resolve_shape(options["fmt"], keys, mapping=options["mapping"], kind=options["kind"])
        if shape.fmt not in FLAT_FORMATS:
            return None
        table = cur.sql(_fast_query(source, shape), params=[str(path)]).to_arrow_table()
    except (duckdb.Error, FormatError, ValueError):
        return None
    expected = _line_count(data) if container == "jsonl" else table.num_rows
    if not table.num_rows or table.num_rows != expected or not pc.all(table["ok"]).as_py():
        return None
    instructions = table["instruction"].to_pylist()
    if not all(s.strip() for s in instructions):
        return None
    # DuckDB accepts trailing commas and nan/inf literals that Python's json rejects: re-check those rows.
    suspects = table["metadata"].filter(pc.match_substring_regex(table["metadata"], "(?i)nan|inf")).to_pylist()
    suspects += table["suspect"].drop_null().to_pylist()
    try:
        for text in suspects:
            json.loads(text)
    except ValueError:
        return None
    hashes = hash_flat_columns(instructions, table["input"].to_pylist(), table["response"].to_pylist())
    table = table.drop_columns(["ok", "suspect"]).append_column("content_hash", pa.array(hashes, pa.string()))
    start = 1 if container == "jsonl" else 0
    warnings = _duplicate_warnings(table["ext_id"], range(start, start + table.num_rows), name, row_unit(container))
    return Parsed(shape, table, 0, [], warnings, "duckdb")
