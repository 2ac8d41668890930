"""Cue-based phrase scoring: compiled cues with a needle pre-check, and the scorer that searches them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.scorers.base import Scorable, Scorer, ScoreResult, earlier_assistant_turns, prompt_text, span_of
from core.scorers.text import lower

_I = re.IGNORECASE
_APOS = "['’]"


def phrase(pattern: str) -> re.Pattern[str]:
    """Compile a case-insensitive pattern where `'` matches straight and curly apostrophes."""
    return re.compile(pattern.replace("'", _APOS), _I)


@dataclass(frozen=True, slots=True)
class Cue:
    """A pattern, its score where it is found early in the response, and its score later."""

    pattern: re.Pattern[str]
    early: float
    late: float
    reason: str
    needles: tuple[str, ...] = ()
    """Lower-case substrings of which one must occur before the pattern is tried (a fast pre-check)."""
    gate: re.Pattern[str] | None = field(default=None, init=False, compare=False)

    def __post_init__(self) -> None:
        """Compile the needles into one literal alternation, searched in C."""
        if self.needles:
            object.__setattr__(self, "gate", re.compile("|".join(map(re.escape, self.needles))))


EARLY_CHARS = 300
"""A cue within the first EARLY_CHARS characters is what the answer opens with."""


def best_cue(text: str, cues: tuple[Cue, ...]) -> tuple[float, Cue | None, re.Match[str] | None]:
    """Return the highest-scoring cue found in text with its match."""
    best: tuple[float, Cue | None, re.Match[str] | None] = (0.0, None, None)
    lowered = lower(text)
    for cue in cues:
        if cue.gate is not None and not cue.gate.search(lowered):
            continue
        found = cue.pattern.search(text)
        if found:
            value = cue.early if found.start() < EARLY_CHARS else cue.late
            if value > best[0]:
                best = (value, cue, found)
    return best


class PhraseScorer(Scorer):
    """A detector defined by cues searched in the response."""

    cues: tuple[Cue, ...] = ()
    _gate: re.Pattern[str] | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Compile one gate from every cue's needles: most texts fail it in a single C scan."""
        super().__init_subclass__()
        needles = [n for cue in cls.cues for n in cue.needles]
        ungated = any(not cue.needles for cue in cls.cues)
        cls._gate = None if ungated or not needles else re.compile("|".join(map(re.escape, dict.fromkeys(needles))))

    def _find(self, text: str) -> tuple[float, Cue | None, re.Match[str] | None]:
        """Return the best cue in text, skipping the cue scans when no needle occurs."""
        if self._gate is not None and not self._gate.search(lower(text)):
            return 0.0, None, None
        return best_cue(text, self.cues)

    def score(self, item: Scorable) -> ScoreResult:
        """Score the best cue found in the response, adjusted by `adjust`."""
        value, cue, found = self._find(item.response)
        field = "response"
        if cue is None:
            for index, text in earlier_assistant_turns(item):
                value, cue, found = self._find(text)
                if cue is not None:
                    field = f"conversation.{index}"
                    break
        if cue is None or found is None:
            return self.result(0.0)
        value = self.adjust(item, value, found)
        if len(found.group(0)) >= 8 and found.group(0).lower() in prompt_text(item).lower():
            value *= 0.3  # the prompt itself says it: quoting or completing, not a failure
        return self.result(value, f"{cue.reason}: '{found.group(0)[:60]}'", span_of(field, found.start(), found.end()))

    def adjust(self, item: Scorable, value: float, found: re.Match[str]) -> float:
        """Adjust a cue's score from context; the default keeps it."""
        return value
