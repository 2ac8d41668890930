"""Cutting a field's shown text at its flags' spans so each part can be escaped and styled on its own."""

from __future__ import annotations

from store.flags import Flag


def span_cuts(flags: tuple[Flag, ...], field: str, length: int) -> list[tuple[int, int, bool]]:
    """Return (start, end, flagged) parts covering `length` raw characters of `field`, spans clipped to it."""
    spans = sorted(
        (max(flag.span_start, 0), min(flag.span_end, length))
        for flag in flags
        if flag.span_field == field and flag.span_start is not None and flag.span_end is not None
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    parts: list[tuple[int, int, bool]] = []
    position = 0
    for start, end in merged:
        if start > position:
            parts.append((position, start, False))
        parts.append((start, end, True))
        position = end
    if position < length:
        parts.append((position, length, False))
    return parts
