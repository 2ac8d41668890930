"""Turning parsed rows into items through a shape, collecting a reason for every row rejected.

Rules every format shares: a source `id` becomes the item's ext_id, fields a shape does not
use go to the item's metadata, the instruction (or first user turn) must hold some text while
the response may be empty (real model output sometimes is), a missing `input` means "", and
whole numbers in text fields are taken as their decimal text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from core.formats import FLAT_FORMATS, Shape, resolve_shape
from core.formats_fields import ROLE_MAP, RowProblem, check_meta, extra_fields, optional_text, parse_turns, text_field
from core.formats_read import LINE_CONTAINERS, BadRow, FormatError, describe
from core.models import Item, RowError, Turn

__all__ = [
    "MAX_REPORTED", "ROLE_MAP", "SAMPLE_ROWS", "THRESHER_DROPPED", "Collected", "RowProblem", "collect_rows",
    "convert_row", "parse_turns", "row_unit",
]

MAX_REPORTED = 1000
"""At most this many row errors are kept; the counts stay exact."""

SAMPLE_ROWS = 100
"""How many object rows decide a file's shape."""

THRESHER_DROPPED = frozenset(
    {"id", "origin", "split", "batch_id", "status", "status_reason", "status_group", "content_hash", "created_at"}
)
"""Columns of a Thresher export that the store manages itself and an import ignores."""


def _chat_item(turns: list[Turn], shape: Shape, row: Mapping[str, Any], meta: dict[str, Any],
               origin: str, split: str) -> Item:
    """Build a chat item: instruction = first user turn, response = last assistant turn."""
    first_user = next((t.content for t in turns if t.role == "user"), None)
    if first_user is None:
        raise RowProblem("conversation has no user turn")
    if not first_user.strip():
        raise RowProblem("the first user turn is empty")
    last_reply = next((t.content for t in reversed(turns) if t.role == "assistant"), None)
    if last_reply is None:
        raise RowProblem("conversation has no assistant turn")
    return Item(first_user, last_reply, kind=optional_text(row, shape.fields.get("kind")) or shape.kind,
                origin=origin, split=split, conversation=turns, metadata=meta,
                ext_id=optional_text(row, shape.fields.get("ext_id")))


def _self_instruct_items(row: Mapping[str, Any], shape: Shape, origin: str, split: str,
                         problems: list[str]) -> list[Item]:
    """Build one item per instance of a Self-Instruct task; bad instances become problems."""
    fields = shape.fields
    instruction = text_field(row, fields["instruction"], required=True, nonempty=True)
    key = fields["instances"]
    instances = row.get(key)
    if instances is None:
        raise RowProblem(f"missing field '{key}'")
    if not isinstance(instances, list):
        raise RowProblem(f"field '{key}' is {describe(instances)}, expected a list of instances")
    if not instances:
        raise RowProblem(f"field '{key}' is an empty list")
    task_id = optional_text(row, fields.get("ext_id"))
    kind = optional_text(row, fields.get("kind")) or shape.kind
    meta = extra_fields(row, shape)
    items = []
    for index, instance in enumerate(instances):
        try:
            if not isinstance(instance, dict):
                raise RowProblem(f"is {describe(instance)}, expected an object")
            extra = {k: v for k, v in instance.items() if k not in ("input", "output")}
            for key, value in extra.items():
                check_meta(value, key)
            many = len(instances) > 1
            items.append(Item(
                instruction, text_field(instance, "output", required=True),
                text_field(instance, "input", required=False),
                kind=kind, origin=origin, split=split,
                metadata={**meta, **extra, **({"instance": index} if many else {})},
                ext_id=f"{task_id}#{index}" if task_id and many else task_id,
            ))
        except RowProblem as problem:
            problems.append(f"instance {index}: {problem}")
    return items


def _thresher_item(row: Mapping[str, Any], shape: Shape, origin: str, split: str) -> Item:
    """Build an item from a row of Thresher's own Parquet export."""
    fields = shape.fields
    raw_meta = row.get(fields["metadata"])
    if isinstance(raw_meta, str):
        try:
            raw_meta = json.loads(raw_meta)
        except ValueError:
            raise RowProblem(f"field '{fields['metadata']}' is not JSON") from None
    meta = {**(raw_meta if isinstance(raw_meta, dict) else {}), **extra_fields(row, shape, THRESHER_DROPPED)}
    conversation = row.get(fields["conversation"])
    turns = parse_turns(conversation, "conversation") if conversation not in (None, "", []) else None
    return Item(
        text_field(row, fields["instruction"], required=True, nonempty=True),
        text_field(row, fields["response"], required=True), text_field(row, fields["input"], required=False),
        kind=optional_text(row, fields.get("kind")) or shape.kind, origin=origin, split=split,
        conversation=turns, metadata=meta, ext_id=optional_text(row, fields.get("ext_id")),
    )


def convert_row(row: Any, shape: Shape, origin: str, split: str) -> tuple[list[Item], list[str]]:
    """Turn one parsed row into items, returning them with the reasons for anything rejected."""
    try:
        if not isinstance(row, dict):
            raise RowProblem(f"row is {describe(row)}, expected a JSON object")
        fields = shape.fields
        if shape.fmt in FLAT_FORMATS:
            item = Item(
                text_field(row, fields["instruction"], required=True, nonempty=True),
                text_field(row, fields["response"], required=True),
                text_field(row, fields["input"], required=False),
                kind=optional_text(row, fields.get("kind")) or shape.kind, origin=origin, split=split,
                metadata=extra_fields(row, shape), ext_id=optional_text(row, fields.get("ext_id")),
            )
            return [item], []
        if shape.fmt in ("sharegpt", "openai"):
            key = fields["conversation"]
            turns = parse_turns(row.get(key), key)
            return [_chat_item(turns, shape, row, extra_fields(row, shape), origin, split)], []
        if shape.fmt == "thresher":
            return [_thresher_item(row, shape, origin, split)], []
        problems: list[str] = []
        return _self_instruct_items(row, shape, origin, split, problems), problems
    except RowProblem as problem:
        return [], [str(problem)]


@dataclass
class Collected:
    """The items a file gave, the row each came from, and its rejected rows."""

    shape: Shape
    items: list[Item]
    item_rows: list[int]
    rows_bad: int
    errors: list[RowError]


def collect_rows(rows: Iterator[tuple[int, Any]], *, container: str, name: str, fmt: str | None,
                 mapping: Mapping[str, str] | None, kind: str | None, origin: str, split: str) -> Collected:
    """Detect the shape from the first object rows, then convert every row, collecting bad ones."""
    head: list[tuple[int, Any]] = []
    keys: dict[str, None] = {}
    objects = 0
    for number, value in rows:
        head.append((number, value))
        if isinstance(value, dict):
            keys.update(dict.fromkeys(value))
            objects += 1
            if objects >= SAMPLE_ROWS:
                break
    if not head:
        raise FormatError("has no rows")
    if container == "jsonl" and all(isinstance(v, BadRow) for _, v in head):
        number, bad = head[0]
        raise FormatError(f"is not JSON Lines: line {number}: {bad.reason}")
    if not objects and fmt is None:
        number, value = head[0]
        raise FormatError(f"has no rows that are JSON objects (row {number} is {describe(value)})")
    found = Collected(resolve_shape(fmt, keys, mapping=mapping, kind=kind), [], [], 0, [])
    for number, value in chain(head, rows):
        if isinstance(value, BadRow):
            problems = [value.reason]
        else:
            got, problems = convert_row(value, found.shape, origin, split)
            found.items.extend(got)
            found.item_rows.extend([number] * len(got))
        for reason in problems:
            found.rows_bad += 1
            if len(found.errors) < MAX_REPORTED:
                found.errors.append(RowError(name, number, reason))
    return found


def row_unit(container: str) -> str:
    """Return how a container's rows are counted in messages: 'line' or 'index'."""
    return "line" if container in LINE_CONTAINERS else "index"
