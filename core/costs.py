"""Generation spend per batch and model, cost per accepted item, projections, and the manual-writing estimate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

DEFAULT_HOURLY_RATE = (50.0, 200.0)
"""What an expert writer costs per hour, low and high, in USD."""
DEFAULT_ITEMS_PER_HOUR = (10.0, 30.0)
"""How many items an expert writes per hour, low and high."""


@dataclass(frozen=True, slots=True)
class SpendRow:
    """What one model spent on one batch, and what became of the items it produced."""

    batch_id: int
    batch_name: str
    model: str
    endpoint: str
    requests: int
    ok: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    unpriced: int
    """Requests with no recorded cost (a model without a price)."""
    accepted: int
    rejected: int

    @property
    def tokens(self) -> int:
        """Return prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_per_accepted(self) -> float | None:
        """Return the USD spent per accepted item, None when nothing was accepted."""
        return self.cost_usd / self.accepted if self.accepted else None


@dataclass(frozen=True, slots=True)
class ManualRates:
    """The expert hourly rate and writing speed ranges behind the manual-writing estimate."""

    rate_low: float = DEFAULT_HOURLY_RATE[0]
    rate_high: float = DEFAULT_HOURLY_RATE[1]
    per_hour_low: float = DEFAULT_ITEMS_PER_HOUR[0]
    per_hour_high: float = DEFAULT_ITEMS_PER_HOUR[1]

    def per_item(self) -> tuple[float, float]:
        """Return the cheapest (low rate, fast writer) and dearest (high rate, slow writer) cost per item."""
        return self.rate_low / self.per_hour_high, self.rate_high / self.per_hour_low

    def for_items(self, count: int) -> tuple[float, float]:
        """Return the manual cost range of writing `count` items."""
        low, high = self.per_item()
        return low * count, high * count


def parse_range(text: str) -> tuple[float, float]:
    """Parse `50-200` or a single `100` into a (low, high) pair of positive numbers."""
    left, _, right = text.partition("-")
    try:
        low, high = float(left), float(right or left)
    except ValueError:
        raise ValueError(f"expected LOW-HIGH or a number, got {text!r}") from None
    if not (0 < low <= high) or not math.isfinite(high):
        raise ValueError(f"expected 0 < LOW <= HIGH, got {text!r}")
    return low, high


@dataclass(frozen=True, slots=True)
class Projection:
    """What reaching a target number of accepted items would take at the current rates."""

    target: int
    accepted: int
    remaining: int
    acceptance_rate: float | None
    cost_per_generated: float | None
    to_generate: int | None
    cost_usd: float | None


@dataclass(frozen=True, slots=True)
class CostSummary:
    """Totals over every generation batch, per accepted item, against writing by hand."""

    rows: list[SpendRow]
    cost_usd: float
    prompt_tokens: int
    completion_tokens: int
    generated: int
    accepted: int
    rejected: int
    unpriced: int
    manual: ManualRates
    projection: Projection | None

    @property
    def tokens(self) -> int:
        """Return every token spent."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def acceptance_rate(self) -> float | None:
        """Return accepted over reviewed (accepted + rejected) generated items."""
        reviewed = self.accepted + self.rejected
        return self.accepted / reviewed if reviewed else None

    @property
    def cost_per_accepted(self) -> float | None:
        """Return USD per accepted generated item."""
        return self.cost_usd / self.accepted if self.accepted else None

    @property
    def cost_per_generated(self) -> float | None:
        """Return USD per generated item."""
        return self.cost_usd / self.generated if self.generated else None

    def by_model(self) -> dict[tuple[str, str], tuple[int, float, int]]:
        """Return (tokens, cost, accepted) per (model, endpoint)."""
        out: dict[tuple[str, str], tuple[int, float, int]] = {}
        for r in self.rows:
            tokens, cost, accepted = out.get((r.model, r.endpoint), (0, 0.0, 0))
            out[(r.model, r.endpoint)] = (tokens + r.tokens, cost + r.cost_usd, accepted + r.accepted)
        return out


def project(target: int, accepted: int, acceptance_rate: float | None, cost_per_generated: float | None) -> Projection:
    """Project how many more items to generate, and at what cost, to reach `target` accepted items."""
    remaining = max(0, target - accepted)
    to_generate = None
    if remaining == 0:
        to_generate = 0
    elif acceptance_rate:
        to_generate = math.ceil(remaining / acceptance_rate)
    cost = None if to_generate is None or cost_per_generated is None else to_generate * cost_per_generated
    return Projection(target, accepted, remaining, acceptance_rate, cost_per_generated, to_generate, cost)


def summarise(rows: Sequence[SpendRow], manual: ManualRates | None = None, target: int | None = None) -> CostSummary:
    """Add up the spend rows and project toward a target number of accepted items."""
    summary = CostSummary(
        rows=list(rows), cost_usd=sum(r.cost_usd for r in rows), prompt_tokens=sum(r.prompt_tokens for r in rows),
        completion_tokens=sum(r.completion_tokens for r in rows), generated=sum(r.ok for r in rows),
        accepted=sum(r.accepted for r in rows), rejected=sum(r.rejected for r in rows),
        unpriced=sum(r.unpriced for r in rows), manual=manual or ManualRates(), projection=None,
    )
    if target is None:
        return summary
    projection = project(target, summary.accepted, summary.acceptance_rate, summary.cost_per_generated)
    return replace(summary, projection=projection)


def usd(value: float | None) -> str:
    """Format dollars: cents from a dollar up, three significant digits below (never scientific notation)."""
    if value is None:
        return "-"
    if value == 0 or abs(value) >= 1:
        return f"${value:,.2f}"
    decimals = min(10, max(2, 2 - math.floor(math.log10(abs(value)))))
    return f"${value:.{decimals}f}"
