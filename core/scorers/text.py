"""Shared, memoised text statistics so many scorers can read one analysis of a response."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"\S+")
_NON_ALPHA_TOKEN = re.compile(r"(?<!\S)(?:[^\s\w]|[\d_])+(?!\S)")
_LETTER_RUN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_OR_HEADING = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#{1,6}\s|\|)")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
MAX_WORDS = 5000
"""Longer texts are analysed on their first MAX_WORDS words; enough to see every failure here."""
MAX_NGRAM_WORDS = 1000
"""n-gram statistics read at most this many words: a loop shows long before that."""


@dataclass(frozen=True, slots=True)
class TextStats:
    """Counts and fractions computed once per text and shared by the heuristic scorers."""

    chars: int
    words: tuple[str, ...]
    lines: tuple[str, ...]
    prose_lines: tuple[str, ...]
    paragraphs: tuple[str, ...]
    dup_line_frac: float
    dup_line_char_frac: float
    dup_para_frac: float
    dup_para_char_frac: float
    has_code: bool
    longest_word: int

    @property
    def n_words(self) -> int:
        """Return the number of whitespace-separated words analysed."""
        return len(self.words)


def _dup_fractions(parts: list[str]) -> tuple[float, float]:
    """Return the fraction of parts, and of their characters, that repeat an earlier part."""
    if not parts:
        return 0.0, 0.0
    seen: set[str] = set()
    dup = dup_chars = total_chars = 0
    for part in parts:
        total_chars += len(part)
        if part in seen:
            dup += 1
            dup_chars += len(part)
        else:
            seen.add(part)
    return dup / len(parts), (dup_chars / total_chars if total_chars else 0.0)


def _code_lines(lines: list[str]) -> set[int]:
    """Return indexes of lines inside fenced code blocks, fences included."""
    inside = False
    code: set[int] = set()
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            code.add(index)
            inside = not inside
        elif inside:
            code.add(index)
    return code


@lru_cache(maxsize=4096)
def analyze(text: str) -> TextStats:
    """Return the statistics of one text, memoised so scorers of one item share the work."""
    words = tuple(_WORD.findall(text)[:MAX_WORDS])
    raw_lines = text.split("\n")
    code = _code_lines(raw_lines) if "```" in text or "~~~" in text else set()
    lines: list[str] = []
    prose: list[str] = []
    for index, raw in enumerate(raw_lines):
        line = raw.strip()
        if line:
            lines.append(line)
            if index not in code and not _LIST_OR_HEADING.match(line):
                prose.append(line)
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    dup_line, dup_line_chars = _dup_fractions(lines)
    dup_para, dup_para_chars = _dup_fractions(paragraphs)
    return TextStats(
        chars=len(text),
        words=words,
        lines=tuple(lines),
        prose_lines=tuple(prose),
        paragraphs=tuple(paragraphs),
        dup_line_frac=dup_line,
        dup_line_char_frac=dup_line_chars,
        dup_para_frac=dup_para,
        dup_para_char_frac=dup_para_chars,
        has_code=bool(code) or ("{" in text and ";" in text),
        longest_word=max(map(len, words), default=0),
    )


def word_shape(text: str) -> tuple[float, float]:
    """Return (mean length of the words made of letters, share of tokens that contain a letter)."""
    text = text[:5_000]
    n_tokens = len(_WORD.findall(text))
    runs = _LETTER_RUN.findall(text)
    if not n_tokens or not runs:
        return 0.0, 0.0
    non_alpha = len(_NON_ALPHA_TOKEN.findall(text))
    return sum(map(len, runs)) / len(runs), 1.0 - non_alpha / n_tokens


@lru_cache(maxsize=4096)
def lower(text: str) -> str:
    """Return text lower-cased, memoised because every phrase detector reads it."""
    return text.lower()


@dataclass(frozen=True, slots=True)
class NgramStats:
    """Gopher's n-gram repetition shares and Welleck et al.'s rep-4 for one text."""

    top_char_frac: dict[int, float]
    dup_char_frac: dict[int, float]
    rep4: float


_PRIME = np.uint64(1_000_003)
NO_NGRAMS = NgramStats({}, {}, 0.0)


def _gram_keys(ids: np.ndarray, n: int) -> np.ndarray:
    """Return one 64-bit rolling key per word n-gram."""
    keys = ids[: len(ids) - n + 1].copy()
    for offset in range(1, n):
        keys = keys * _PRIME + ids[offset : len(ids) - n + 1 + offset]
    return keys


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (first position, count) of each distinct key, and the positions that repeat an earlier one."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.concatenate((starts, [len(keys)])))
    repeated = np.ones(len(keys), bool)
    repeated[order[starts]] = False
    return order[starts], counts, repeated


def _lower_words(text: str) -> list[str]:
    """Return the first MAX_NGRAM_WORDS words of a text, lower-cased."""
    return " ".join(analyze(text).words[:MAX_NGRAM_WORDS]).lower().split()


@lru_cache(maxsize=1024)
def rep4(text: str) -> float:
    """Welleck et al. (2019) rep-4: the share of word 4-grams that repeat an earlier one."""
    words = _lower_words(text)
    if len(words) < 5:
        return 0.0
    grams = len(words) - 3
    return 1.0 - len(set(zip(words, words[1:], words[2:], words[3:], strict=False))) / grams


@lru_cache(maxsize=1024)
def ngram_stats(text: str) -> NgramStats:
    """Compute n-gram repetition statistics with numpy over hashed words, memoised per text."""
    words = _lower_words(text)
    if len(words) < 8:
        return NO_NGRAMS
    count = len(words)
    ids = np.fromiter(map(hash, words), np.int64, count).view(np.uint64)
    lengths = np.fromiter(map(len, words), np.int64, count)
    total = float(lengths.sum()) or 1.0
    window = np.concatenate(([0], np.cumsum(lengths)))
    tops: dict[int, float] = {}
    rep4 = 0.0
    for n in (2, 3, 4):
        first, counts, repeated = _runs(_gram_keys(ids, n))
        best = int(np.argmax(counts))
        if counts[best] > 1:
            start = int(first[best])
            tops[n] = float(counts[best]) * float(window[start + n] - window[start]) / total
        if n == 4:
            rep4 = float(repeated.mean())
    dups: dict[int, float] = {}
    for n in (5, 10):
        if count < 2 * n or rep4 == 0.0:  # no repeated 4-gram, so no repeated 5- or 10-gram either
            dups[n] = 0.0
            continue
        starts = np.flatnonzero(_runs(_gram_keys(ids, n))[2])
        if not len(starts):
            dups[n] = 0.0
            continue
        marks = np.bincount(starts, minlength=count + 1) - np.bincount(starts + n, minlength=count + 1)
        covered = np.cumsum(marks[:count]) > 0
        dups[n] = float(lengths[covered].sum()) / total
    return NgramStats(tops, dups, rep4)


def line_offset(text: str, line: str) -> tuple[int, int]:
    """Return the (start, end) of a line's first occurrence in text, or (0, 0)."""
    start = text.find(line)
    return (start, start + len(line)) if start >= 0 else (0, 0)
