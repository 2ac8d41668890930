"""What the dataset card shows: the records store.report gathers and core.card renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.costs import CostSummary
from core.diversity import DiversityReport


@dataclass(frozen=True, slots=True)
class RecipeUse:
    """A recipe version used by generation batches, with one prompt it rendered."""

    name: str
    content_hash: str
    description: str
    batches: tuple[int, ...]
    sample_prompt: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationBatch:
    """A generation batch and the spec it ran with (topics, personas, sampling values, seed...)."""

    id: int
    name: str
    status: str
    spec: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScorerInfo:
    """A scorer version in the store: items scored and flagged, and the threshold in effect."""

    name: str
    version: str
    scored: int
    flagged: int
    threshold: float | None
    threshold_source: str


@dataclass(frozen=True, slots=True)
class CalibrationInfo:
    """A scorer judged against human accept/reject decisions at its threshold."""

    scorer: str
    version: str
    threshold: float
    labelled: int
    flagged: int
    precision: float | None
    recall: float | None
    precision_ci: tuple[float, float]
    recall_ci: tuple[float, float]


@dataclass(frozen=True, slots=True)
class DedupInfo:
    """A dedup run: method, field, threshold, what it found and how many items were rejected for it."""

    run_id: int
    method: str
    field: str
    threshold: float
    params: dict[str, Any]
    clusters: int
    duplicates: int
    removed: int


@dataclass(frozen=True)
class CardData:
    """Everything the card shows, gathered from the store by store.report."""

    title: str
    generated_at: str
    store: str
    by_status: dict[str, int]
    by_origin: dict[str, int]
    heldout: int
    reasons: list[tuple[str, int]]
    pool: dict[str, int]
    """Accepted, non-contaminated training items by origin: what a mix draws from."""
    contaminated: int
    contaminated_in_pool: int
    batches: list[GenerationBatch]
    recipes: list[RecipeUse]
    scorers: list[ScorerInfo]
    calibration: list[CalibrationInfo]
    dedup: list[DedupInfo]
    costs: CostSummary
    diversity: DiversityReport | None
    mix: dict[str, Any] | None = None
    """The last mix export's record (see core.mix.LAST_MIX_KEY)."""
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def acceptance_rate(self) -> float | None:
        """Return accepted over reviewed (accepted + rejected) items."""
        accepted, rejected = self.by_status.get("accepted", 0), self.by_status.get("rejected", 0)
        return accepted / (accepted + rejected) if accepted + rejected else None
