"""Adversarial search: a small query language, its Python evaluator and a library of failure-mode queries."""

from core.search.ast import Node, QueryError
from core.search.library import LIBRARY, LIBRARY_VERSION, LibraryQuery, expand
from core.search.parser import parse
from core.search.serialize import dumps, loads, to_json, to_text

__all__ = [
    "LIBRARY",
    "LIBRARY_VERSION",
    "LibraryQuery",
    "Node",
    "QueryError",
    "dumps",
    "expand",
    "loads",
    "parse",
    "to_json",
    "to_text",
]
