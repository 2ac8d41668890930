"""SQL twins of the computed checks in core/search/checks.py; each must agree with its Python reference."""

from __future__ import annotations

from collections.abc import Callable

from core.search.ast import QueryError
from core.search.checks import (
    ECHO_SLACK,
    LATIN_CLASS,
    MATH_FINAL,
    MATH_STEP,
    MATH_TOLERANCE,
    MIN_ECHO,
    MIN_LETTERS,
    MIN_SENTENCE,
    MIN_SENTENCES,
    OTHER_SCRIPT_CLASS,
    SCRIPT_SAMPLE,
    SENTENCE_MARKS,
)

Add = Callable[[object], str]
_TRIM = "' ' || chr(9) || chr(10) || chr(13)"


def _math(add: Add) -> str:
    """Final answer versus the last `= N` before it, only on responses with a final-answer marker."""
    final, step = add(MATH_FINAL), add(MATH_STEP)
    answer = f"TRY_CAST(replace(regexp_extract(response, {final}, 2), ',', '') AS DOUBLE)"
    last = (f"TRY_CAST(replace(list_extract(regexp_extract_all(regexp_extract(response, {final}, 1), {step}, 1), -1),"
            " ',', '') AS DOUBLE)")
    return (f"((contains(response, '####') OR response ILIKE '%answer is%') "
            f"AND abs({answer} - {last}) > {MATH_TOLERANCE!r})")


def _repetition(add: Add) -> str:
    """Split on sentence marks once (a one-element list lets a lambda reuse the split), then count."""
    text = "response"
    for mark in SENTENCE_MARKS:
        text = f"replace({text}, chr({ord(mark)}), '.')"
    pieces = f"list_filter(string_split({text}, '.'), lambda s: length(s) >= {MIN_SENTENCE})"
    minimum = MIN_SENTENCES * MIN_SENTENCE + MIN_SENTENCES - 1
    return (f"(strlen(response) >= {minimum} AND list_bool_or(list_transform([{pieces}], "
            f"lambda l: len(l) >= {MIN_SENTENCES} AND list_unique(l) * 2 <= len(l))))")


def _fences(add: Add) -> str:
    """An odd count of ``` in the response."""
    return ("(contains(response, '```') AND "
            "((strlen(response) - strlen(replace(response, '```', ''))) // 3) % 2 = 1)")


def _echo(add: Add) -> str:
    """The trimmed, lower-cased response starts with the trimmed, lower-cased instruction.

    The first-character test is a cheap necessary condition that spares the string copies on most rows.
    """
    instruction = f"trim(instruction, {_TRIM})"
    window = f"left(response, length(instruction) + {ECHO_SLACK})"
    blank = "IN (9, 10, 13, 32)"
    same_start = (f"(ascii(response) {blank} OR ascii(instruction) {blank} "
                  "OR lower(left(response, 1)) = lower(left(instruction, 1)))")
    return (f"(length(instruction) >= {MIN_ECHO} AND {same_start} AND length({instruction}) >= {MIN_ECHO} AND "
            f"starts_with(lower(ltrim({window}, {_TRIM})), lower({instruction})))")


def _scripts(add: Add) -> str:
    """Dominant script (Latin or other) of instruction and response differ; skipped when both are ASCII."""
    latin, other = add(f"[^{LATIN_CLASS}]+"), add(f"[^{OTHER_SCRIPT_CLASS}]+")
    counts = ", ".join(f"length(regexp_replace(left({f}, {SCRIPT_SAMPLE}), {c}, '', 'g'))"
                       for f in ("instruction", "response") for c in (latin, other))
    return (f"(NOT (strlen(instruction) = length(instruction) AND strlen(response) = length(response)) AND "
            f"list_bool_or(list_transform([[{counts}]], lambda v: v[1] + v[2] >= {MIN_LETTERS} AND "
            f"v[3] + v[4] >= {MIN_LETTERS} AND (v[1] >= v[2]) <> (v[3] >= v[4]))))")


_SQL: dict[str, Callable[[Add], str]] = {
    "math_mismatch": _math,
    "repetition": _repetition,
    "unbalanced_fences": _fences,
    "prompt_echo": _echo,
    "script_mismatch": _scripts,
}


def check_sql(name: str, add: Add) -> str:
    """Return the SQL condition of a named check, adding its parameters through `add`."""
    if name not in _SQL:
        raise QueryError(f"unknown check '{name}'")
    return _SQL[name](add)
