"""Calibrate filters on human decisions: precision/recall with Wilson intervals, histograms, thresholds.

Pure functions over (score, rejected) pairs: an item a person rejected is a positive, one they
accepted a negative, and a filter "flags" an item when its score reaches the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, bool]
"""(score, rejected by a person)."""

Z95 = 1.959964
"""The normal quantile for a two-sided 95% interval."""


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval for a binomial proportion; (0, 1) with no trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Confusion:
    """Counts of a filter's flags against human labels at one threshold."""

    true_pos: int
    false_pos: int
    false_neg: int
    true_neg: int

    @property
    def flagged(self) -> int:
        """Return how many labelled items the filter flags."""
        return self.true_pos + self.false_pos

    @property
    def rejected(self) -> int:
        """Return how many labelled items people rejected."""
        return self.true_pos + self.false_neg

    @property
    def precision(self) -> float | None:
        """Return TP / flagged, None when nothing is flagged."""
        return self.true_pos / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        """Return TP / rejected, None when nothing was rejected."""
        return self.true_pos / self.rejected if self.rejected else None

    def precision_ci(self) -> tuple[float, float]:
        """Return the Wilson 95% interval of the precision."""
        return wilson(self.true_pos, self.flagged)

    def recall_ci(self) -> tuple[float, float]:
        """Return the Wilson 95% interval of the recall."""
        return wilson(self.true_pos, self.rejected)


def confusion(points: Sequence[Point], threshold: float) -> Confusion:
    """Count flags (score >= threshold) against rejections."""
    tp = fp = fn = tn = 0
    for score, rejected in points:
        flagged = score >= threshold
        if flagged and rejected:
            tp += 1
        elif flagged:
            fp += 1
        elif rejected:
            fn += 1
        else:
            tn += 1
    return Confusion(tp, fp, fn, tn)


@dataclass(frozen=True, slots=True)
class Histogram:
    """Score counts of accepted and rejected items over shared bins; edges has one more entry."""

    edges: tuple[float, ...]
    accepted: tuple[int, ...]
    rejected: tuple[int, ...]


def histogram(points: Sequence[Point], bins: int = 10, lo: float | None = None, hi: float | None = None) -> Histogram:
    """Bin the scores of accepted and rejected items over [lo, hi] (the data's range by default)."""
    scores = [s for s, _ in points]
    low = lo if lo is not None else (min(scores) if scores else 0.0)
    high = hi if hi is not None else (max(scores) if scores else 1.0)
    if high <= low:
        high = low + 1.0
    width = (high - low) / bins
    edges = tuple(low + i * width for i in range(bins + 1))
    accepted = [0] * bins
    rejected = [0] * bins
    for score, was_rejected in points:
        index = min(max(int((score - low) / width), 0), bins - 1)
        (rejected if was_rejected else accepted)[index] += 1
    return Histogram(edges, tuple(accepted), tuple(rejected))


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The lowest threshold whose precision on the labels reaches the target, and what it gives."""

    threshold: float
    confusion: Confusion


def suggest_threshold(
    points: Sequence[Point], target_precision: float, *, min_flagged: int = 3, conservative: bool = False
) -> Suggestion | None:
    """Return the threshold with the most recall whose precision reaches the target, or None.

    Candidates are the observed scores above zero. With `conservative`, the Wilson lower bound of
    the precision must reach the target instead of the point estimate. A threshold must flag at
    least `min_flagged` labelled items so that one lucky item does not set it.
    """
    best: Suggestion | None = None
    for candidate in sorted({s for s, _ in points if s > 0}, reverse=True):
        counts = confusion(points, candidate)
        if counts.flagged < min_flagged or counts.precision is None:
            continue
        reached = counts.precision_ci()[0] if conservative else counts.precision
        if reached >= target_precision:
            best = Suggestion(candidate, counts)
    return best


@dataclass(frozen=True, slots=True)
class Calibration:
    """One filter judged against human decisions: at its current threshold, and the suggestion."""

    scorer: str
    version: str
    threshold: float
    labelled: int
    current: Confusion
    histogram: Histogram
    target_precision: float
    suggestion: Suggestion | None


def calibrate(
    scorer: str,
    version: str,
    points: Sequence[Point],
    threshold: float,
    target_precision: float = 0.9,
    *,
    bins: int = 10,
    min_flagged: int = 3,
) -> Calibration:
    """Judge one filter on labelled points and suggest a threshold for the target precision."""
    scores = [s for s, _ in points]
    hi = max([threshold, *scores]) if scores else max(threshold, 1.0)
    return Calibration(
        scorer=scorer,
        version=version,
        threshold=threshold,
        labelled=len(points),
        current=confusion(points, threshold),
        histogram=histogram(points, bins, lo=min([0.0, *scores]), hi=hi),
        target_precision=target_precision,
        suggestion=suggest_threshold(points, target_precision, min_flagged=min_flagged),
    )


def bar(count: int, largest: int, width: int = 20) -> str:
    """Render a count as a bar of block characters scaled to `largest`."""
    if largest <= 0 or count <= 0:
        return ""
    return "█" * max(1, round(width * count / largest))
