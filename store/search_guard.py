"""The read-only `search_items` view and the checks a user's SQL WHERE fragment must pass before it runs.

A fragment is accepted only if it is one balanced expression with no `;`, comment or parameter, parses
as the WHERE clause of a SELECT over `search_items`, reads no other table, calls no table function and
no function with a side effect.  It then runs inside a READ ONLY transaction that is always rolled back.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from core.search.ast import QueryError

VIEW_NAME = "search_items"
VIEW_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "BIGINT", "item id"),
    ("ext_id", "VARCHAR", "id in the source file"),
    ("kind", "VARCHAR", "instruction, qa, chat, ..."),
    ("origin", "VARCHAR", "synthetic | real"),
    ("split", "VARCHAR", "train | heldout"),
    ("batch_id", "INTEGER", "the import or generation batch"),
    ("instruction", "VARCHAR", "the prompt"),
    ("input", "VARCHAR", "extra input ('' when none)"),
    ("response", "VARCHAR", "the answer"),
    ("conversation", "VARCHAR", "JSON list of {role, content}, NULL for single-turn items"),
    ("metadata", "VARCHAR", "JSON object, NULL when empty"),
    ("model", "VARCHAR", "metadata.model, else metadata.generator"),
    ("status", "VARCHAR", "pending | accepted | rejected | skipped"),
    ("status_reason", "VARCHAR", "reason of the last reject"),
    ("created_at", "TIMESTAMP", "when the item was stored"),
    ("instruction_len", "BIGINT", "characters in instruction"),
    ("input_len", "BIGINT", "characters in input"),
    ("response_len", "BIGINT", "characters in response"),
    ("n_turns", "BIGINT", "conversation turns, 0 for single-turn items"),
)
"""The documented columns of the `search_items` view: (name, type, meaning)."""

VIEW_SQL = (
    f"{VIEW_NAME} AS NOT MATERIALIZED (SELECT id, ext_id, kind, origin, split, batch_id, instruction, input, "
    "response, CAST(conversation AS VARCHAR) AS conversation, CAST(metadata AS VARCHAR) AS metadata, "
    "coalesce(json_extract_string(metadata, '$.model'), json_extract_string(metadata, '$.generator')) AS model, "
    "status, status_reason, created_at, length(instruction) AS instruction_len, length(input) AS input_len, "
    "length(response) AS response_len, coalesce(json_array_length(conversation), 0) AS n_turns FROM items)"
)
"""The view as a CTE body: every search runs `WITH {VIEW_SQL} SELECT ... FROM search_items`."""

_DENIED_FUNCTIONS = frozenset({
    "nextval", "setval", "currval", "write_log", "setseed", "getenv", "current_setting", "current_query",
    "json_serialize_sql", "json_deserialize_sql", "json_serialize_plan", "json_execute_serialized_sql",
    "query", "query_table", "checkpoint", "force_checkpoint", "enable_profiling", "txid_current",
})
_DENIED_PREFIXES = ("__internal", "read_", "pragma_", "duckdb_", "icu_", "sniff_", "parquet_", "glob")
_DENIED_TABLE_REFS = frozenset({"TABLE_FUNCTION", "SHOW_REF", "PIVOT", "COLUMN_DATA", "DELIM_GET"})
MAX_FRAGMENT = 4000


def _token_text(text: str, tokens: list[tuple[int, Any]], index: int) -> str:
    """Return the source text of one token from duckdb.tokenize output."""
    end = tokens[index + 1][0] if index + 1 < len(tokens) else len(text)
    return text[tokens[index][0] : end].strip()


def check_tokens(fragment: str) -> None:
    """Reject `;`, comments, parameters and unbalanced parentheses, looking only outside string literals."""
    if len(fragment) > MAX_FRAGMENT:
        raise QueryError(f"sql: fragment longer than {MAX_FRAGMENT} characters")
    if not fragment.strip():
        raise QueryError("sql: empty fragment")
    if "\x00" in fragment:
        raise QueryError("sql: fragment contains a NUL character")
    tokens = duckdb.tokenize(fragment)
    depth = 0
    for index, (_, kind) in enumerate(tokens):
        name = str(kind).rsplit(".", 1)[-1]
        if name == "comment":
            raise QueryError("sql: comments are not allowed")
        if name in ("string_const", "numeric_const", "identifier", "keyword"):
            continue
        piece = _token_text(fragment, tokens, index)
        for char in piece:
            if char == ";":
                raise QueryError("sql: ';' is not allowed; give one WHERE expression")
            if char in "?$":
                raise QueryError("sql: parameters are not allowed")
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth < 0:
                    raise QueryError("sql: unbalanced ')'")
    if depth != 0:
        raise QueryError("sql: unbalanced '('")


def _walk(node: Any) -> None:
    """Reject any table other than the view, any table function and any denied function in a parsed tree."""
    if isinstance(node, list):
        for child in node:
            _walk(child)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind in _DENIED_TABLE_REFS:
        raise QueryError(f"sql: {str(kind).lower().replace('_', ' ')} is not allowed; query {VIEW_NAME} only")
    if kind == "BASE_TABLE":
        name = str(node.get("table_name", "")).lower()
        if name != VIEW_NAME or node.get("schema_name") or node.get("catalog_name"):
            raise QueryError(f"sql: only the {VIEW_NAME} view can be read, not '{node.get('table_name')}'")
    if node.get("class") == "PARAMETER":
        raise QueryError("sql: parameters are not allowed")
    if node.get("class") == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        if name in _DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES) or node.get("schema") or node.get("catalog"):
            raise QueryError(f"sql: function {name}() is not allowed")
    for value in node.values():
        if isinstance(value, dict | list):
            _walk(value)


def validate_fragment(cur: duckdb.DuckDBPyConnection, fragment: str) -> str:
    """Return the fragment if it is a safe read-only WHERE expression over the view, else raise QueryError."""
    check_tokens(fragment)
    probe = f"SELECT 1 FROM {VIEW_NAME} WHERE ({fragment})"
    rows = cur.execute("SELECT json_serialize_sql($1)", [probe]).fetchall()
    tree = json.loads(rows[0][0])
    if tree.get("error"):
        raise QueryError(f"sql: {tree.get('error_message', 'cannot parse the fragment')}")
    statements = tree.get("statements", [])
    if len(statements) != 1 or statements[0].get("node", {}).get("type") != "SELECT_NODE":
        raise QueryError("sql: give exactly one WHERE expression")
    node = statements[0]["node"]
    if node.get("where_clause") is None:
        raise QueryError("sql: no WHERE expression found")
    _walk(node)
    return fragment


def view_help() -> str:
    """Return the documented columns of the view, one per line."""
    return "\n".join(f"{name:<16} {kind:<10} {meaning}" for name, kind, meaning in VIEW_COLUMNS)
