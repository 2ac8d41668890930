"""Structural failure modes: truncation, repetition loops, prompt echo and wrong language."""

from __future__ import annotations

import re
from collections import Counter

from core.scorers.base import Scorable, Scorer, ScoreResult, prompt_text, span_of
from core.scorers.text import analyze, rep4

_TERMINAL_END = tuple(".!?\"'”’)]}>`*;。！？」』…%$#|~_") + tuple("0123456789")
_FUNCTION_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "with",
        "for",
        "is",
        "are",
        "that",
        "which",
        "but",
        "as",
        "by",
        "on",
        "at",
        "from",
        "this",
        "these",
        "their",
        "its",
        "be",
        "was",
        "were",
        "has",
        "have",
        "will",
        "would",
        "can",
        "could",
        "should",
        "my",
        "your",
        "our",
        "his",
        "her",
        "if",
        "than",
        "then",
        "when",
        "while",
        "into",
        "onto",
        "about",
        "such",
    ]
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_BARE_NUMBER = re.compile(r"^\d+[.)]$")
_OPEN_SUM = re.compile(r"=\s*[\d.,]+\s+[+×*÷/−-]\s+[\d.,]+$")
"""A last line whose final expression still has an operator: `= 90 ÷ 4` was never evaluated."""
_SHORT_WORDS = frozenset(
    [
        "a",
        "an",
        "to",
        "of",
        "in",
        "on",
        "it",
        "is",
        "at",
        "by",
        "we",
        "us",
        "me",
        "my",
        "no",
        "so",
        "up",
        "do",
        "go",
        "he",
        "be",
        "or",
        "if",
        "as",
        "am",
        "ok",
        "oh",
        "hi",
        "km",
        "kg",
        "oz",
        "lb",
        "mm",
        "cm",
        "ml",
        "mg",
        "ft",
        "pm",
        "tv",
        "pc",
        "id",
        "ai",
        "ui",
        "os",
        "db",
        "px",
        "em",
        "vs",
    ]
)
"""Two-letter words and units an answer may end on; any other two lower-case letters are a cut word."""
LONG_ANSWER_CHARS = 2500
"""An answer this long that ends without punctuation has most likely hit the generation limit."""


class Truncation(Scorer):
    """The response stops mid-sentence, or generation hit its length limit."""

    name = "truncation"
    version = "1"
    label = "truncation"
    description = "cut off mid-sentence, unclosed code fence, or finish_reason == 'length'"

    def score(self, item: Scorable) -> ScoreResult:
        """Read the response's ending and the finish reason recorded at generation."""
        text = item.response.rstrip()
        end = len(text)
        tail = span_of("response", max(end - 40, 0), end)
        if str(item.metadata.get("finish_reason", "")).lower() == "length":
            return self.result(1.0, "finish_reason=length", tail)
        if not text:
            return self.result(0.0)
        if len(re.findall(r"^\s*```", text, re.M)) % 2 == 1:
            return self.result(0.9, "code fence left open", tail)
        last_line = text.rsplit("\n", 1)[-1].strip()
        if _BARE_NUMBER.match(last_line) and len(text) > len(last_line):
            return self.result(0.9, f"ends on an empty list item '{last_line}'", tail)
        if _OPEN_SUM.search(last_line):
            return self.result(0.8, "stops in the middle of a calculation", tail)
        if text.endswith(_TERMINAL_END):
            return self.result(0.0)
        words = last_line.split()
        raw_last = words[-1].strip("\"'(*_") if words else ""
        last_word = raw_last.lower()
        if raw_last.startswith(("http://", "https://", "www.", "#", "@")):
            return self.result(0.0)
        if text.endswith((",", "-", "–", "—", "(", "/", "&", "+", "=", "\\")) or (
            last_word in _FUNCTION_WORDS and raw_last == last_word
        ):
            return self.result(1.0, f"ends on '{last_word or text[-1]}'", tail)
        if raw_last.isalpha() and raw_last.islower() and len(raw_last) <= 2 and raw_last not in _SHORT_WORDS:
            return self.result(0.9, f"ends on a word fragment '{raw_last}'", tail)
        if len(text) >= LONG_ANSWER_CHARS:
            return self.result(0.7, "a long answer that stops without punctuation (likely the token limit)", tail)
        if text.endswith(":"):
            return self.result(0.6, "ends on a colon", tail)
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        if len(lines) > 1:
            earlier = lines[:-1]
            punctuated = sum(1 for ln in earlier if ln.endswith((*_TERMINAL_END, ":", ",")))
            if punctuated * 2 < len(earlier):
                return self.result(0.1)  # verse, lists and tables that never punctuate line ends
        after_stop = re.split(r"[.!?。！？](?:\s|$)", last_line)[-1].split()
        # People and models often drop the final period; alone that is a weak sign, below the flag.
        if 3 <= len(after_stop) < len(words):
            return self.result(0.45, "ends mid-sentence after a full one")
        return self.result(0.4 if len(after_stop) >= 5 else 0.2)


_CHAR_LOOP = re.compile(r"(\S{1,12}?)\1{9,}")
_VERSE = re.compile(r"\b(poem|poetry|haiku|limerick|song|lyrics|verse|rap|sonnet|chorus|jingle)\b", re.I)
_SEGMENT = re.compile(r"(?<=[.!?。！？])\s+|\n+")
MIN_SEGMENT_CHARS = 15


class Repetition(Scorer):
    """Repetition loops: one sentence or line over and over, or a low share of distinct 4-grams."""

    name = "repetition"
    version = "1"
    label = "repetition"
    description = "repetition loops (a sentence 3+ times, or rep-4 of Welleck et al. 2019 >= 0.5)"

    def score(self, item: Scorable) -> ScoreResult:
        """Count repeated sentences and repeated word 4-grams in the response."""
        text = item.response
        stats = analyze(text)
        segments = [s.strip().lower() for s in _SEGMENT.split(text) if len(s.strip()) >= MIN_SEGMENT_CHARS]
        seg_value, reason, span = 0.0, "", None
        if segments:
            counts = Counter(segments)
            top, repeats = counts.most_common(1)[0]
            total = sum(len(s) for s in segments)
            dup_frac = sum(len(s) * (c - 1) for s, c in counts.items() if c > 1) / total
            if repeats >= 3 and (dup_frac >= 0.3 or repeats >= 10):
                seg_value = min(1.0, 0.4 + dup_frac)
                if _VERSE.search(prompt_text(item)):
                    seg_value *= 0.6  # refrains and choruses repeat on purpose
                reason = f"a sentence repeated {repeats} times ({dup_frac:.0%} of the text)"
                lowered = text.lower()
                second = lowered.find(top, lowered.find(top) + len(top))
                span = span_of("response", second, lowered.rfind(top) + len(top))
        entries = [_LIST_ITEM.sub("", line).strip().lower() for line in stats.lines if _LIST_ITEM.match(line)]
        if len(entries) >= 5:
            entry, times = Counter(entries).most_common(1)[0]
            list_value = min(1.0, 0.5 + times / len(entries)) if times >= 4 and times * 10 >= len(entries) * 3 else 0.0
            if list_value > seg_value:
                seg_value, reason = list_value, f"list item '{entry[:40]}' repeated {times} times"
        rep_value = 0.0
        if stats.n_words >= 40:
            rep_value = repeated = rep4(text)
            if repeated > seg_value and repeated >= self.threshold:
                reason = f"rep-4 {repeated:.2f}: {repeated:.0%} of word 4-grams repeat"
                span = span_of("response", 0, len(text))
        value = max(seg_value, rep_value)
        if value < self.threshold:
            loop = _CHAR_LOOP.search(text) if stats.longest_word >= 60 else None
            if loop:
                return self.result(
                    1.0,
                    f"'{loop.group(1)}' repeated {len(loop.group(0)) // len(loop.group(1))} times",
                    span_of("response", loop.start(), loop.end()),
                )
        return self.result(value, reason if value >= self.threshold else "", span)
