"""Reading dataset bytes into rows: encoding checks, file-type sniffing, JSONL, JSON and CSV.

Row numbers follow one rule per container: JSONL and CSV rows are numbered by their 1-based
line in the file (a CSV header is line 1, so the first data row is line 2), JSON arrays and
Parquet rows by their 0-based index in the array or table.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

WRAPPER_KEYS = ("data", "rows", "items", "instances", "examples", "records", "train")
"""Keys under which a JSON object may wrap its list of rows."""

ROW_KEYS = ("instruction", "conversations", "messages", "question", "prompt")
"""Keys that mark an object as a row in its own right rather than a wrapper."""

LINE_CONTAINERS = ("jsonl", "csv", "tsv")
"""Containers whose row numbers are 1-based lines; the others use 0-based indexes."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTENT = re.compile(rb"[^ \t\n\r\x0b\x0c]")


class FormatError(Exception):
    """A whole file cannot be read; the message follows the file's name, e.g. 'is empty'."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that could not even be parsed, with the reason."""

    reason: str


def describe(value: object) -> str:
    """Name a JSON value's type for messages: 'a number', 'an array', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def to_utf8(data: bytes) -> tuple[bytes, bool]:
    """Return the data as UTF-8 without a byte-order mark, and whether it had to change."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):], True
    for boms, codec in (
        ((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE), "utf-32"),
        ((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE), "utf-16"),
    ):
        if data.startswith(boms):
            try:
                return data.decode(codec).encode("utf-8"), True
            except UnicodeError:
                raise FormatError(f"has a {codec.upper()} byte-order mark but is not valid {codec.upper()}") from None
    head = data[:4]
    if len(head) == 4 and (head[1] == 0 and head[3] == 0 or head[0] == 0 and head[2] == 0):
        raise FormatError("looks like UTF-16 text without a byte-order mark; save it as UTF-8")
    return data, False


def first_content(data: bytes, start: int = 0) -> int:
    """Return the index of the first non-whitespace byte at or after `start`, or -1, without copying."""
    found = _CONTENT.search(data, start)
    return found.start() if found else -1


def last_content(data: bytes, end: int | None = None) -> int:
    """Return the index of the last non-whitespace byte before `end`, or -1, without copying."""
    index = len(data) if end is None else end
    while index > 0 and data[index - 1] in b" \t\n\r\x0b\x0c":
        index -= 1
    return index - 1


def _parses(data: bytes) -> bool:
    """Say whether bytes hold exactly one JSON value."""
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True


def sniff(name: str, data: bytes) -> str:
    """Return the container of a file from its name and content: jsonl, json, csv, tsv or parquet."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data.startswith(b"PAR1"):
        return "parquet"
    if ext == "parquet":
        raise FormatError("is not a Parquet file (it does not start with PAR1)")
    if ext in ("csv", "tsv"):
        return ext
    start = first_content(data)
    first = data[start:start + 1] if start >= 0 else b""
    lines_named = ext in ("jsonl", "ndjson")
    if first == b"[":
        return "json"
    if first == b"{":
        end = data.find(b"\n", start)
        if _parses(data[start:] if end < 0 else data[start:end]):
            return "jsonl" if lines_named or end >= 0 and first_content(data, end) >= 0 else "json"
        # the first line is not a whole value: a pretty-printed document, or JSON Lines with a bad first line
        return "jsonl" if lines_named and not _parses(data) else "json"
    if lines_named:
        return "jsonl"
    preview = data[start:start + 24].decode("utf-8", "replace")
    if ext == "json":
        raise FormatError(f"is not JSON: it starts with {preview!r}")
    raise FormatError(f"is not JSON, JSON Lines, CSV or Parquet: it starts with {preview!r}")


def _utf8_error(line: bytes, error: UnicodeDecodeError) -> str:
    """Describe where a line stops being UTF-8."""
    return (f"not valid UTF-8 (byte 0x{line[error.start]:02x} at column {error.start + 1}); "
            "save the file as UTF-8")


def iter_jsonl(data: bytes) -> Iterator[tuple[int, Any]]:
    """Yield (line number, value or BadRow) for every non-blank line of JSON Lines data."""
    loads = json.loads
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            yield number, BadRow(_utf8_error(line, error))
            continue
        try:
            yield number, loads(text)
        except json.JSONDecodeError as error:
            yield number, BadRow(f"not valid JSON: {error.msg} at column {error.colno}")
        except (ValueError, RecursionError) as error:
            yield number, BadRow(f"not valid JSON: {error}")


def load_json_rows(data: bytes) -> list[Any]:
    """Return the rows of a JSON document: an array, an object wrapping one, or a single object."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise FormatError(f"is not valid UTF-8 at line {line} (byte 0x{data[error.start]:02x}); "
                          "save it as UTF-8") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except (ValueError, RecursionError) as error:
        raise FormatError(f"is not valid JSON: {error}") from None
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        return unwrap(doc)
    raise FormatError(f"holds {describe(doc)}, not a list of rows")


def unwrap(doc: dict[str, Any]) -> list[Any]:
    """Return the list of rows an object wraps under a key like 'data', or the object as one row."""
    if any(key in doc for key in ROW_KEYS):
        return [doc]
    for key in WRAPPER_KEYS:
        if isinstance(doc.get(key), list):
            return list(doc[key])
    lists = [value for value in doc.values() if isinstance(value, list)]
    if len(lists) == 1 and lists[0] and all(isinstance(v, dict) for v in lists[0][:10]):
        return list(lists[0])
    return [doc]


def _ensure_csv_field_limit() -> None:
    """Let the csv module read fields far longer than its 128 KiB default."""
    if csv.field_size_limit() < 1 << 30:
        csv.field_size_limit(min(sys.maxsize, 1 << 31))


def _csv_header(fields: list[str]) -> list[str]:
    """Return unique, non-empty column names for a CSV header."""
    names: list[str] = []
    for position, raw in enumerate(fields, 1):
        name = raw.strip() or f"column{position}"
        if _SURROGATE.search(name):
            raise FormatError(f"has a header that is not valid UTF-8 (column {position}); save it as UTF-8")
        if name in names:
            raise FormatError(f"has two columns named '{name}'")
        names.append(name)
    return names


def iter_csv(data: bytes, delimiter: str = ",") -> Iterator[tuple[int, Any]]:
    """Yield (line number, row dict or BadRow) for each record of CSV data after its header."""
    _ensure_csv_field_limit()
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        header = next(reader, None)
        if header is None:
            raise FormatError("is empty")
        names = _csv_header(header)
        while True:
            start = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                return
            if not record or len(record) == 1 and len(names) > 1 and not record[0].strip():
                continue
            if len(record) != len(names):
                yield start, BadRow(f"has {len(record)} fields but the header has {len(names)}")
                continue
            bad = next((n for n, v in zip(names, record, strict=True) if not v.isascii() and _SURROGATE.search(v)),
                       None)
            if bad is not None:
                yield start, BadRow(f"field '{bad}' is not valid UTF-8; save the file as UTF-8")
                continue
            yield start, dict(zip(names, record, strict=True))
    except csv.Error as error:
        raise FormatError(f"is not valid CSV at line {start}: {error}") from None
