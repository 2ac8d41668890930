"""Prices per million tokens by model pattern, token estimates and request cost."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini*": (0.15, 0.60),
    "gpt-4o*": (2.50, 10.00),
    "gpt-4.1-nano*": (0.10, 0.40),
    "gpt-4.1-mini*": (0.40, 1.60),
    "gpt-4.1*": (2.00, 8.00),
    "gpt-4-turbo*": (10.00, 30.00),
    "gpt-3.5-turbo*": (0.50, 1.50),
    "o1-mini*": (1.10, 4.40),
    "o3-mini*": (1.10, 4.40),
    "o4-mini*": (1.10, 4.40),
    "o3*": (2.00, 8.00),
    "gpt-5-nano*": (0.05, 0.40),
    "gpt-5-mini*": (0.25, 2.00),
    "gpt-5*": (1.25, 10.00),
    "SmolLM2-*": (0.0, 0.0),
    "local/*": (0.0, 0.0),
}
"""Input and output USD per million tokens; the longest matching pattern wins."""


class PriceError(ValueError):
    """A price table file or entry that cannot be used."""


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million input (prompt) and output (completion) tokens."""

    input_per_m: float
    output_per_m: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Return the USD cost of one exchange."""
        return (prompt_tokens * self.input_per_m + completion_tokens * self.output_per_m) / 1_000_000


class PriceTable:
    """Model-name patterns (fnmatch) to prices: the defaults overlaid with the user's own entries."""

    def __init__(self, overrides: dict[str, tuple[float, float]] | None = None) -> None:
        """Build the table from the defaults and the user's overrides."""
        self.entries: dict[str, tuple[float, float]] = {**DEFAULT_PRICES, **(overrides or {})}
        self.overrides = dict(overrides or {})

    def lookup(self, model: str) -> Price | None:
        """Return the price of a model, exact name first, then the longest matching pattern."""
        if model in self.entries:
            return Price(*self.entries[model])
        matches = [p for p in self.entries if fnmatch.fnmatchcase(model, p)]
        if not matches:
            return None
        return Price(*self.entries[max(matches, key=len)])

    def rows(self) -> list[tuple[str, float, float, bool]]:
        """Return (pattern, input, output, is_user_entry) sorted by pattern."""
        return [(p, i, o, p in self.overrides) for p, (i, o) in sorted(self.entries.items())]


def parse_price_entries(data: Any) -> dict[str, tuple[float, float]]:
    """Parse {pattern: [in, out]} or {pattern: {input, output}} into price entries."""
    if not isinstance(data, dict):
        raise PriceError("a price table is an object of model pattern -> [input, output] USD per 1M tokens")
    entries: dict[str, tuple[float, float]] = {}
    for pattern, value in data.items():
        try:
            if isinstance(value, dict):
                pair = (float(value["input"]), float(value["output"]))
            else:
                low, high = value
                pair = (float(low), float(high))
        except (KeyError, TypeError, ValueError):
            raise PriceError(f"price for {pattern!r} must be [input, output] or {{input, output}}") from None
        if pair[0] < 0 or pair[1] < 0:
            raise PriceError(f"price for {pattern!r} is negative")
        entries[str(pattern)] = pair
    return entries


def load_price_file(path: Path) -> dict[str, tuple[float, float]]:
    """Read price entries from a JSON or TOML file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError) as error:
        raise PriceError(f"cannot read price table {path}: {error}") from None
    return parse_price_entries(data.get("prices", data) if isinstance(data, dict) else data)


def estimate_tokens(text: str) -> int:
    """Return a rough token count for text (about four characters a token)."""
    return max(1, (len(text) + 3) // 4)


def estimate_prompt_tokens(messages: list[dict[str, str]]) -> int:
    """Return a rough prompt token count for chat messages, with per-message overhead."""
    return sum(estimate_tokens(m.get("content", "")) + 4 for m in messages) + 3
