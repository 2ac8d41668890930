"""The structured JSON form of a query (for saved queries) and the canonical query text, both round-trip."""

from __future__ import annotations

import json
import re
from typing import Any

from core.search.ast import (
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
)

FORMAT_VERSION = 1
_BARE = re.compile(r"^[^\s()\"]+$")


def to_json(node: Node) -> dict[str, Any]:
    """Return the JSON-ready dict of a query tree."""
    if isinstance(node, And | Or):
        return {type(node).__name__.lower(): [to_json(c) for c in node.children]}
    if isinstance(node, Not):
        return {"not": to_json(node.child)}
    if isinstance(node, Keyword):
        return _drop_none({"keyword": node.word, "field": node.field, "prefix": node.prefix or None})
    if isinstance(node, Phrase):
        return _drop_none({"phrase": node.text, "field": node.field})
    if isinstance(node, Regex):
        return _drop_none({"regex": node.pattern, "flags": node.flags or None, "field": node.field})
    if isinstance(node, Filter):
        return _drop_none({"filter": node.name, "value": node.value, "op": None if node.op == "=" else node.op,
                           "field": node.field})
    if isinstance(node, Check):
        return {"check": node.name}
    if isinstance(node, Sql):
        return {"sql": node.fragment}
    if isinstance(node, Like):
        return {"like": node.target, "k": node.k}
    if isinstance(node, Ref):
        return {node.kind: node.name}
    if isinstance(node, Ids):
        return {"ids": list(node.ids)}
    raise QueryError(f"cannot serialise {node!r}")


def _drop_none(value: dict[str, Any]) -> dict[str, Any]:
    """Remove keys whose value is None."""
    return {k: v for k, v in value.items() if v is not None}


def from_json(data: Any) -> Node:
    """Build a query tree from its JSON form, validating every node."""
    from core.search.lexer import Token
    from core.search.parser import term

    if not isinstance(data, dict) or not data:
        raise QueryError(f"a query node must be a non-empty object, not {data!r}")
    if "and" in data or "or" in data:
        kids = data.get("and", data.get("or"))
        if not isinstance(kids, list) or not kids:
            raise QueryError("and/or need a non-empty list")
        parts = tuple(from_json(k) for k in kids)
        return And(parts) if "and" in data else Or(parts)
    if "not" in data:
        return Not(from_json(data["not"]))
    field = data.get("field")
    if "keyword" in data:
        return _rebuild(Keyword(str(data["keyword"]), field, bool(data.get("prefix"))))
    if "phrase" in data:
        return _rebuild(Phrase(str(data["phrase"]), field))
    if "regex" in data:
        return term(Token("regex", str(data["regex"]), field, str(data.get("flags", ""))))
    if "filter" in data:
        return _rebuild(Filter(str(data["filter"]), data["value"], str(data.get("op", "=")), field))
    if "check" in data:
        return term(Token("word", str(data["check"]), "check"))
    if "sql" in data:
        return term(Token("word", str(data["sql"]), "sql"))
    if "like" in data:
        target = data["like"]
        return Like(target if isinstance(target, int) else str(target), int(data.get("k", 50)))
    if "lib" in data or "saved" in data:
        kind = "lib" if "lib" in data else "saved"
        return Ref(kind, str(data[kind]))
    if "ids" in data:
        return Ids(tuple(int(i) for i in data["ids"]))
    raise QueryError(f"unknown query node {json.dumps(data)[:80]}")


def _rebuild(node: Node) -> Node:
    """Validate a term built from JSON by rendering and re-parsing it."""
    from core.search.parser import parse

    rebuilt = parse(to_text(node))
    if type(rebuilt) is not type(node):
        raise QueryError(f"invalid query node {to_json(node)}")
    return rebuilt


def _quote(text: str) -> str:
    """Quote text for the query language."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(text: str) -> str:
    """Render a filter value bare when possible, else quoted."""
    return text if _BARE.match(text) and text.upper() not in ("AND", "OR", "NOT") else _quote(text)


def _regex_text(pattern: str) -> str:
    """Render a regex body with its slashes escaped."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern[index] == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            index += 2
            continue
        out.append("\\/" if pattern[index] == "/" else pattern[index])
        index += 1
    return "".join(out)


def _number(value: str | float) -> str:
    """Render a number without a needless `.0`."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def to_text(node: Node, parent: str = "") -> str:
    """Render a tree as query text that parses back to the same tree."""
    if isinstance(node, And | Or):
        word = " AND " if isinstance(node, And) else " OR "
        body = word.join(to_text(c, type(node).__name__) for c in node.children)
        return f"({body})" if parent in ("And", "Not") or (parent == "Or" and isinstance(node, Or)) else body
    if isinstance(node, Not):
        return "NOT " + to_text(node.child, "Not")
    prefix = f"{node.field}:" if isinstance(node, Keyword | Phrase | Regex) and node.field else ""
    if isinstance(node, Keyword):
        word = node.word + ("*" if node.prefix else "")
        return prefix + (word if _BARE.match(word) and node.word.upper() not in ("AND", "OR", "NOT")
                         and not word.startswith("-") and ":" not in word else _quote(node.word))
    if isinstance(node, Phrase):
        return prefix + _quote(node.text)
    if isinstance(node, Regex):
        return f"{prefix}re:/{_regex_text(node.pattern)}/{node.flags}"
    if isinstance(node, Filter):
        if node.name == "len":
            return f"len:{node.field}{node.op}{_number(node.value)}"
        if node.name == "score":
            return f"score:{node.field}{node.op}{_number(node.value)}"
        return f"{node.name}:{_value(str(node.value))}"
    if isinstance(node, Check):
        return f"check:{node.name}"
    if isinstance(node, Sql):
        return f"sql:{_quote(node.fragment)}"
    if isinstance(node, Like):
        target = str(node.target) if isinstance(node.target, int) else _quote(node.target)
        return f"like:{target}" + (f"~{node.k}" if node.k != 50 else "")
    if isinstance(node, Ref):
        return f"{node.kind}:{_value(node.name)}"
    if isinstance(node, Ids):
        raise QueryError("a resolved id set has no query text")
    raise QueryError(f"cannot render {node!r}")


def dumps(node: Node, text: str | None = None) -> str:
    """Return the saved-query JSON document: format version, tree and query text."""
    return json.dumps({"version": FORMAT_VERSION, "query": to_json(node), "text": text or to_text(node)},
                      ensure_ascii=False)


def loads(document: str) -> Node:
    """Read a saved-query JSON document (or a bare tree) back into a query tree."""
    data = json.loads(document)
    if isinstance(data, dict) and "query" in data and "version" in data:
        if int(data["version"]) > FORMAT_VERSION:
            raise QueryError(f"saved query format {data['version']} is newer than this Thresher")
        return from_json(data["query"])
    return from_json(data)
