"""Named computed checks that a regex alone cannot express; store/search_checks.py holds their SQL twins.

Each definition here is the reference semantics: the SQL must give the same answer on every item,
which tests and bench/search_bench.py verify by counting both ways.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from core.search.record import Record

MATH_FINAL = r"(?is)^(.*)(?:####|the (?:final )?answer is:?)[ \t]*\$?[ \t]*(-?[0-9][0-9,]*(?:\.[0-9]+)?)"
"""Group 1: the worked steps before the last final-answer marker; group 2: the final answer."""
MATH_STEP = r"=[ \t]*\$?[ \t]*(-?[0-9][0-9,]*(?:\.[0-9]+)?)"
"""A computed value: the number right after an equals sign."""
MATH_TOLERANCE = 1e-6

SENTENCE_MARKS = "!?\n"
"""Characters treated as a full stop when splitting a response into sentences."""
MIN_SENTENCE = 10
MIN_SENTENCES = 4
TRIM = " \t\n\r"

LATIN_CLASS = "A-Za-z\u00c0-\u024f"
OTHER_SCRIPT_CLASS = (
    "\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f"
    "\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
)
"""Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, Hangul, kana and CJK ideographs."""
MIN_LETTERS = 10
MIN_ECHO = 20
ECHO_SLACK = 200

_FINAL = re.compile(MATH_FINAL)
_STEP = re.compile(MATH_STEP)
SCRIPT_SAMPLE = 2000
"""Only the first SCRIPT_SAMPLE characters of each text are read to decide its script."""

_NOT_LATIN = re.compile(f"[^{LATIN_CLASS}]+")
_NOT_OTHER = re.compile(f"[^{OTHER_SCRIPT_CLASS}]+")


def _number(text: str) -> float | None:
    """Parse a number written with optional thousands commas."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def math_mismatch(rec: Record) -> bool:
    """The final answer (`#### N` or "the answer is N") differs from the last `= N` computed before it."""
    found = _FINAL.search(rec.response)
    if not found:
        return False
    steps = _STEP.findall(found.group(1))
    if not steps:
        return False
    final, last = _number(found.group(2)), _number(steps[-1])
    return final is not None and last is not None and abs(final - last) > MATH_TOLERANCE


def repetition(rec: Record) -> bool:
    """At least MIN_SENTENCES sentences of MIN_SENTENCE+ characters, and at most half of them distinct."""
    text = rec.response
    for mark in SENTENCE_MARKS:
        text = text.replace(mark, ".")
    pieces = [p for p in text.split(".") if len(p) >= MIN_SENTENCE]
    return len(pieces) >= MIN_SENTENCES and len(set(pieces)) * 2 <= len(pieces)


def unbalanced_fences(rec: Record) -> bool:
    """An odd number of ``` fences in the response."""
    return rec.response.count("```") % 2 == 1


def prompt_echo(rec: Record) -> bool:
    """The response starts by repeating an instruction of MIN_ECHO+ characters (ignoring case and up to
    ECHO_SLACK leading blanks; only that window of the response is read)."""
    instruction = rec.instruction.strip(TRIM).lower()
    if len(instruction) < MIN_ECHO:
        return False
    window = rec.response[: len(rec.instruction) + ECHO_SLACK]
    return window.lstrip(TRIM).lower().startswith(instruction)


def _script(text: str) -> str | None:
    """Return `latin` or `other` for the dominant script of a text, None with under MIN_LETTERS letters."""
    sample = text[:SCRIPT_SAMPLE]
    latin = len(_NOT_LATIN.sub("", sample))
    other = len(_NOT_OTHER.sub("", sample))
    if latin + other < MIN_LETTERS:
        return None
    return "latin" if latin >= other else "other"


def script_mismatch(rec: Record) -> bool:
    """The instruction and the response are written in different scripts (Latin versus CJK, Cyrillic, ...)."""
    if rec.instruction.isascii() and rec.response.isascii():
        return False
    ask, answer = _script(rec.instruction), _script(rec.response)
    return ask is not None and answer is not None and ask != answer


@dataclass(frozen=True, slots=True)
class CheckDef:
    """A check's name, one-line description and Python reference implementation."""

    name: str
    description: str
    run: Callable[[Record], bool]


CHECKS: dict[str, CheckDef] = {
    c.name: c
    for c in (
        CheckDef("math_mismatch", "final answer differs from the last computed `= N` step", math_mismatch),
        CheckDef("repetition", "half or more of the response's sentences are repeats", repetition),
        CheckDef("unbalanced_fences", "odd number of ``` code fences in the response", unbalanced_fences),
        CheckDef("prompt_echo", "response opens by repeating the instruction", prompt_echo),
        CheckDef("script_mismatch", "instruction and response are in different scripts", script_mismatch),
    )
}
