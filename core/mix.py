"""Plan a training mix: pick items at a target synthetic:real ratio, optionally stratified, reproducibly.

Targets: with a size, the size split at the ratio; without one, every candidate synthetic item plus
the real items the ratio asks for (every real item when there is no synthetic one).  An origin with
fewer candidates than its target is short.  The `keep-ratio` policy then shrinks the whole mix until
the ratio holds; `fill` takes what there is of each origin up to its target, and the ratio drifts.
Stratifying spreads each origin's picks over the strata (kind, domain or batch) in proportion to
their share of that origin's candidates, by largest remainders, so a small stratum is not lost to
chance.  Picks inside a stratum are a seeded random sample; the same inputs give the same mix.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.models import Origin

DEFAULT_RATIO = (75.0, 25.0)
STRATIFY_CHOICES = ("kind", "domain", "batch")
POLICIES = ("keep-ratio", "fill")
LAST_MIX_KEY = "mix.last_export"
"""The settings key under which the last mix export is recorded for the dataset card."""
ORIGINS = (Origin.SYNTHETIC.value, Origin.REAL.value)


class MixError(ValueError):
    """A mix that cannot be planned or (with --strict) cannot be met, with a one-line reason."""


def parse_ratio(text: str) -> tuple[float, float]:
    """Parse `75:25` (or `3:1`, `0.8:0.2`) into (synthetic, real) weights."""
    left, sep, right = text.partition(":")
    try:
        ratio = (float(left), float(right))
    except ValueError:
        raise MixError(f"--mix wants SYNTHETIC:REAL such as 75:25, got {text!r}") from None
    if not sep or min(ratio) < 0 or not all(math.isfinite(v) for v in ratio) or sum(ratio) <= 0:
        raise MixError(f"--mix wants two non-negative numbers, not both zero, such as 75:25, got {text!r}")
    return ratio


def ratio_text(ratio: tuple[float, float]) -> str:
    """Return a ratio as `75:25`."""
    return f"{ratio[0]:g}:{ratio[1]:g}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item that may go into the mix: its id, origin and stratum."""

    id: int
    origin: str
    stratum: str = "all"


@dataclass(frozen=True, slots=True)
class Shortfall:
    """An origin with fewer candidates than the ratio needs."""

    origin: str
    needed: int
    available: int

    @property
    def short(self) -> int:
        """Return how many items are missing."""
        return self.needed - self.available

    def describe(self) -> str:
        """Return e.g. `real: need 300, have 120 (short 180)`."""
        return f"{self.origin}: need {self.needed:,}, have {self.available:,} (short {self.short:,})"


@dataclass(frozen=True)
class MixPlan:
    """The chosen ids per origin, the targets, what was short, and the per-stratum counts."""

    ratio: tuple[float, float]
    seed: int
    stratify: str | None
    policy: str
    size: int | None
    available: dict[str, int]
    targets: dict[str, int]
    chosen: dict[str, tuple[int, ...]]
    shortfalls: tuple[Shortfall, ...]
    strata: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    """origin -> stratum -> (candidates, chosen)."""

    @property
    def ids(self) -> list[int]:
        """Return every chosen id in id order."""
        return sorted(i for ids in self.chosen.values() for i in ids)

    def count(self, origin: str) -> int:
        """Return how many items of an origin were chosen."""
        return len(self.chosen.get(origin, ()))

    @property
    def total(self) -> int:
        """Return the size of the mix."""
        return sum(len(ids) for ids in self.chosen.values())

    @property
    def achieved(self) -> tuple[float, float]:
        """Return the achieved synthetic and real shares in percent (0, 0 for an empty mix)."""
        total = self.total
        if not total:
            return 0.0, 0.0
        synthetic = 100.0 * self.count(ORIGINS[0]) / total
        return round(synthetic, 2), round(100.0 - synthetic, 2)

    @property
    def met(self) -> bool:
        """Return True when no origin was short."""
        return not self.shortfalls


def _half_up(value: float) -> int:
    """Round half up (not to even), so splits do not depend on parity."""
    return math.floor(value + 0.5)


def mix_targets(available: tuple[int, int], ratio: tuple[float, float], size: int | None) -> tuple[int, int]:
    """Return the (synthetic, real) counts the ratio asks for, given the candidates and an optional size."""
    syn_w, real_w = ratio
    syn_have, real_have = available
    if size is not None:
        syn = _half_up(size * syn_w / (syn_w + real_w))
        return syn, size - syn
    if real_w == 0:
        return syn_have, 0
    if syn_w == 0:
        return 0, real_have
    if syn_have > 0:
        return syn_have, _half_up(syn_have * real_w / syn_w)
    return _half_up(real_have * syn_w / real_w), real_have


def fit_ratio(total: int, ratio: tuple[float, float], available: tuple[int, int]) -> tuple[int, int]:
    """Return the largest (synthetic, real) split of at most `total` items at the ratio that fits what there is."""
    syn_w, real_w = ratio
    share = syn_w / (syn_w + real_w)
    limit = total
    if syn_w:
        limit = min(limit, math.floor(available[0] / share + 1e-9))
    if real_w:
        limit = min(limit, math.floor(available[1] / (1 - share) + 1e-9))
    for n in range(limit, 0, -1):
        syn = _half_up(n * share)
        if syn <= available[0] and n - syn <= available[1]:
            return syn, n - syn
    return 0, 0


def allocate(sizes: dict[str, int], k: int) -> dict[str, int]:
    """Split k picks over strata in proportion to their sizes by largest remainders (ties by name)."""
    total = sum(sizes.values())
    if k >= total:
        return dict(sizes)
    quotas = {name: k * size / total for name, size in sizes.items()}
    counts = {name: math.floor(q) for name, q in quotas.items()}
    left = k - sum(counts.values())
    order = sorted(sizes, key=lambda name: (-(quotas[name] - counts[name]), name))
    for name in order[:left]:
        counts[name] += 1
    return counts


def _pick(
    candidates: Sequence[Candidate], origin: str, k: int, seed: int
) -> tuple[tuple[int, ...], dict[str, tuple[int, int]]]:
    """Pick k ids of one origin, spread over its strata; return them and per-stratum (candidates, chosen)."""
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for c in candidates:
        by_stratum[c.stratum].append(c.id)
    counts = allocate({name: len(ids) for name, ids in by_stratum.items()}, k)
    chosen: list[int] = []
    for name in sorted(by_stratum):
        ids = sorted(by_stratum[name])
        want = counts[name]
        chosen.extend(ids if want >= len(ids) else random.Random(f"{seed}:{origin}:{name}").sample(ids, want))
    strata = {name: (len(by_stratum[name]), counts[name]) for name in sorted(by_stratum)}
    return tuple(sorted(chosen)), strata


def plan_mix(
    candidates: Sequence[Candidate],
    ratio: tuple[float, float] = DEFAULT_RATIO,
    *,
    seed: int = 0,
    size: int | None = None,
    stratify: str | None = None,
    policy: str = "keep-ratio",
) -> MixPlan:
    """Choose the items of a mix; see the module docstring for targets, shortfalls and strata."""
    if policy not in POLICIES:
        raise MixError(f"unknown shortfall policy {policy!r}; use one of {', '.join(POLICIES)}")
    if size is not None and size < 0:
        raise MixError("--size must not be negative")
    pools = {origin: [c for c in candidates if c.origin == origin] for origin in ORIGINS}
    have = (len(pools[ORIGINS[0]]), len(pools[ORIGINS[1]]))
    want = mix_targets(have, ratio, size)
    shortfalls = tuple(Shortfall(o, w, h) for o, w, h in zip(ORIGINS, want, have, strict=True) if w > h)
    if not shortfalls:
        counts = want
    elif policy == "fill":
        counts = (min(want[0], have[0]), min(want[1], have[1]))
    else:
        counts = fit_ratio(sum(want), ratio, have)
    chosen: dict[str, tuple[int, ...]] = {}
    strata: dict[str, dict[str, tuple[int, int]]] = {}
    for origin, k in zip(ORIGINS, counts, strict=True):
        chosen[origin], strata[origin] = _pick(pools[origin], origin, k, seed)
    return MixPlan(ratio, seed, stratify, policy, size, dict(zip(ORIGINS, have, strict=True)),
                   dict(zip(ORIGINS, want, strict=True)), chosen, shortfalls, strata)


def shortfall_message(plan: MixPlan) -> str:
    """Return one line saying what is short and what the export does about it."""
    short = "; ".join(s.describe() for s in plan.shortfalls)
    done = (f"exported {plan.count(ORIGINS[0]):,} synthetic + {plan.count(ORIGINS[1]):,} real "
            f"({plan.achieved[0]:g}:{plan.achieved[1]:g})")
    how = "keeping the ratio" if plan.policy == "keep-ratio" else "taking every item there is up to the targets"
    return f"the {ratio_text(plan.ratio)} mix cannot be met: {short}; {done}, {how}"
