"""The scorer contract: a small named, versioned unit that scores one item."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

Verdict = Literal["pass", "flag"]
Span = tuple[str, int, int]
"""Where the evidence is: (field, start, end) with character offsets into that field."""


class Scorable(Protocol):
    """What a scorer reads: both core.models.Item and StoredItem satisfy it."""

    instruction: str
    input: str
    response: str
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """One scorer's judgement of one item; higher scores mean more likely defective."""

    score: float
    verdict: Verdict
    reason: str = ""
    span: Span | None = None

    @property
    def flagged(self) -> bool:
        """Return True when the verdict is `flag`."""
        return self.verdict == "flag"


PASS = ScoreResult(0.0, "pass")
UNSCORED = float("nan")
"""The score of a result that could not be computed (a failed model call); it is not stored, so it is retried."""


class Scorer(ABC):
    """Base class: subclasses set `name`, `version`, `threshold` and implement `score`."""

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str] = ""
    kind: ClassVar[str] = "detector"
    """`format`, `heuristic`, `detector` or `model`; model scorers are slow and opt-in."""
    threshold: float = 0.5
    """Scores at or above the threshold are flagged."""
    label: ClassVar[str] = ""
    """The defect label this scorer predicts in labelled fixtures and audit samples."""

    @abstractmethod
    def score(self, item: Scorable) -> ScoreResult:
        """Score one item."""

    def score_many(self, items: list[Scorable]) -> list[ScoreResult]:
        """Score a batch of items; model scorers override this to batch their work."""
        return [self.score(item) for item in items]

    def result(self, score: float, reason: str = "", span: Span | None = None) -> ScoreResult:
        """Build a result whose verdict follows this scorer's threshold."""
        verdict: Verdict = "flag" if score >= self.threshold else "pass"
        if not score and not reason and span is None and self.threshold > 0:
            return PASS
        return ScoreResult(round(float(score), 6), verdict, reason, span)

    @property
    def key(self) -> str:
        """Return `name@version`, the identity results are stored under."""
        return f"{self.name}@{self.version}"


def prompt_text(item: Scorable) -> str:
    """Return the instruction and its input joined as the user saw them."""
    return f"{item.instruction}\n\n{item.input}" if item.input else item.instruction


def earlier_assistant_turns(item: Scorable) -> list[tuple[int, str]]:
    """Return (turn index, text) of a conversation's assistant turns before the final response."""
    turns = getattr(item, "conversation", None) or []
    found = [(i, t.content) for i, t in enumerate(turns) if t.role in ("assistant", "gpt", "model")]
    return found[:-1]


def span_of(field: str, start: int, end: int) -> Span:
    """Build a span tuple with non-negative, ordered offsets."""
    start = max(start, 0)
    return (field, start, max(end, start))
