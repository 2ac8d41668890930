"""Compile a resolved query tree into a SQL condition over the `search_items` view, with numbered parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.search.ast import (
    DEFAULT_FIELDS,
    And,
    Check,
    Filter,
    Ids,
    Keyword,
    Like,
    Node,
    Not,
    Or,
    Phrase,
    QueryError,
    Ref,
    Regex,
    Sql,
    TextTerm,
)
from core.search.regex import re2_prefix
from core.search.textmatch import text_pattern
from store.search_checks import check_sql


@dataclass(slots=True)
class Params:
    """Parameters collected while compiling; `add` returns the `$n` placeholder of a value."""

    values: list[Any] = field(default_factory=list)

    def add(self, value: Any) -> str:
        """Append a value and return its placeholder."""
        self.values.append(value)
        return f"${len(self.values)}"


TextSql = Callable[[str], str]


def _keyword_sql(term: Keyword | Phrase, params: Params) -> TextSql:
    """Return a function giving the SQL that matches a keyword or phrase in one text expression."""
    pattern = text_pattern(term.word, prefix=term.prefix) if isinstance(term, Keyword) else text_pattern(
        term.text, phrase=True)
    regex = params.add(pattern.re2)
    if not pattern.ascii_possible:
        return lambda x: f"(strlen({x}) <> length({x}) AND regexp_matches({x}, {regex}))"
    if pattern.ascii_hint is None:
        return lambda x: f"regexp_matches({x}, {regex})"
    hint = params.add(f"%{pattern.ascii_hint}%")
    return lambda x: f"(({x} ILIKE {hint} OR strlen({x}) <> length({x})) AND regexp_matches({x}, {regex}))"


def _text_sql(term: TextTerm, params: Params) -> str:
    """Match a text term in each field it is scoped to."""
    if isinstance(term, Regex):
        regex = params.add(re2_prefix(term.flags) + term.pattern)
        one: TextSql = lambda x: f"regexp_matches({x}, {regex})"  # noqa: E731
    else:
        one = _keyword_sql(term, params)
    parts = []
    for name in (term.field,) if term.field else DEFAULT_FIELDS:
        if name == "conversation":
            parts.append("(conversation IS NOT NULL AND list_bool_or(list_transform("
                         f"json_extract_string(conversation, '$[*].content'), lambda t: {one('t')})))")
        else:
            parts.append(one(name))
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


_CMP = ("=", "!=", "<", "<=", ">", ">=")


def like_glob(glob: str) -> str:
    """Turn a `*`/`?` glob into an ILIKE pattern with `\\` as the escape character."""
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _filter_sql(node: Filter, params: Params) -> str:
    """Compile a structured filter."""
    name, value = node.name, node.value
    if node.op not in _CMP:
        raise QueryError(f"bad comparison '{node.op}'")
    if name in ("status", "origin", "split", "kind"):
        return f"{name} = {params.add(str(value))}"
    if name == "batch":
        text = str(value)
        if text.isdigit():
            return f"batch_id = {params.add(int(text))}"
        return f"batch_id IN (SELECT id FROM batches WHERE name = {params.add(text)})"
    if name == "model":
        return f"model ILIKE {params.add(like_glob(str(value)))} ESCAPE '\\'"
    if name == "len":
        column = "n_turns" if node.field == "turns" else f"length({node.field})"
        return f"{column} {node.op} {params.add(float(value))}"
    if name == "score":
        return (f"id IN (SELECT item_id FROM scores WHERE scorer = {params.add(str(node.field))} "
                f"GROUP BY item_id HAVING arg_max(score, created_at) {node.op} {params.add(float(value))})")
    if name == "flag":
        scorer = "" if str(value) == "any" else f"WHERE scorer = {params.add(str(value))} "
        return ("id IN (SELECT item_id FROM (SELECT item_id, arg_max(verdict, created_at) AS v FROM scores "
                f"{scorer}GROUP BY item_id, scorer) WHERE v = 'flag')")
    raise QueryError(f"unknown filter '{name}'")


def _cost(node: Node) -> int:
    """Estimate how expensive a node is per row, so cheap conditions run first."""
    if isinstance(node, And | Or):
        return sum(_cost(c) for c in node.children)
    if isinstance(node, Not):
        return _cost(node.child)
    if isinstance(node, Ids):
        return 1
    if isinstance(node, Filter):
        return 3 if node.name in ("score", "flag") else 1
    if isinstance(node, Keyword | Phrase | Regex):
        return 10 * (1 if node.field else len(DEFAULT_FIELDS))
    if isinstance(node, Check):
        return 30
    return 5


def compile_node(node: Node, params: Params, fragments: Callable[[str], str]) -> str:
    """Compile a resolved tree; `fragments` vets each user SQL fragment before it is inlined.

    Conditions stay plain AND / OR trees (no coalesce or CASE around them) so DuckDB evaluates each
    part only on the rows the earlier parts left undecided; NULL is handled where it matters, under NOT.
    """
    if isinstance(node, And | Or):
        word = " AND " if isinstance(node, And) else " OR "
        kids = sorted(node.children, key=_cost)
        return "(" + word.join(compile_node(c, params, fragments) for c in kids) + ")"
    if isinstance(node, Not):
        return f"({compile_node(node.child, params, fragments)} IS NOT TRUE)"
    if isinstance(node, Keyword | Phrase | Regex):
        return _text_sql(node, params)
    if isinstance(node, Filter):
        return _filter_sql(node, params)
    if isinstance(node, Check):
        return check_sql(node.name, params.add)
    if isinstance(node, Ids):
        return f"list_contains({params.add(list(node.ids))}::BIGINT[], id)"
    if isinstance(node, Sql):
        return f"(({fragments(node.fragment)}) IS TRUE)"
    if isinstance(node, Like | Ref):
        raise QueryError("internal: semantic terms and references must be resolved before compiling")
    raise QueryError(f"cannot compile {node!r}")
