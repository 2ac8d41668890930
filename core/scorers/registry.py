"""The catalogue of scorers by name: the fast rule-based ones, and model scorers loaded on demand."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from core.scorers.base import Scorer
from core.scorers.echo import PromptEcho, WrongLanguage
from core.scorers.format import Format
from core.scorers.heuristics import C4Rules, FineWebRules, GopherQuality, GopherRepetition
from core.scorers.phrases import AiIdentity, KnowledgeCutoff, Refusal
from core.scorers.stalling import Apology, GenericNonAnswer, Placeholder
from core.scorers.structure import Repetition, Truncation

RULE_SCORERS: tuple[type[Scorer], ...] = (
    Format,
    Refusal,
    AiIdentity,
    KnowledgeCutoff,
    Apology,
    GenericNonAnswer,
    Placeholder,
    Truncation,
    Repetition,
    PromptEcho,
    WrongLanguage,
    GopherQuality,
    GopherRepetition,
    FineWebRules,
    C4Rules,
)
"""Every scorer that needs no model: cheap enough to run over the whole store."""

MODEL_SCORERS: dict[str, str] = {
    "perplexity": "core.scorers.perplexity:Perplexity",
    "judge": "core.scorers.judge:Judge",
}
"""Scorers that need a model, as `module:class`; imported only when asked for by name."""


class UnknownScorerError(ValueError):
    """A scorer name that is not in the catalogue."""


def rule_scorer_names() -> list[str]:
    """Return the names of the scorers that need no model, in run order."""
    return [cls.name for cls in RULE_SCORERS]


def all_scorer_names() -> list[str]:
    """Return every scorer name, rule-based first."""
    return rule_scorer_names() + list(MODEL_SCORERS)


def scorer_class(name: str) -> type[Scorer]:
    """Return the class of a scorer by name, importing model scorers lazily."""
    for cls in RULE_SCORERS:
        if cls.name == name:
            return cls
    if name in MODEL_SCORERS:
        module, _, attr = MODEL_SCORERS[name].partition(":")
        cls = getattr(importlib.import_module(module), attr)
        assert issubclass(cls, Scorer)
        return cls
    raise UnknownScorerError(f"unknown scorer '{name}'; known: {', '.join(all_scorer_names())}")


def build_scorers(names: Sequence[str] | None = None) -> list[Scorer]:
    """Instantiate scorers by name; None means every rule-based scorer."""
    chosen = list(names) if names else rule_scorer_names()
    return [scorer_class(name)() for name in dict.fromkeys(chosen)]
