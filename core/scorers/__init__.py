"""Quality filters and failure-mode detectors: small, named, versioned scorers of one item."""

from core.scorers.base import PASS, Scorable, Scorer, ScoreResult, Span, Verdict
from core.scorers.registry import (
    MODEL_SCORERS,
    RULE_SCORERS,
    UnknownScorerError,
    all_scorer_names,
    build_scorers,
    rule_scorer_names,
    scorer_class,
)

__all__ = [
    "MODEL_SCORERS",
    "PASS",
    "RULE_SCORERS",
    "Scorable",
    "ScoreResult",
    "Scorer",
    "Span",
    "UnknownScorerError",
    "Verdict",
    "all_scorer_names",
    "build_scorers",
    "rule_scorer_names",
    "scorer_class",
]
