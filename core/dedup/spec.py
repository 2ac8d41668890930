"""What a dedup run compares and how: method, field, threshold and the settings that key its cache."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from core.dedup.embed import MINILM_NAME, STATIC_NAME
from core.dedup.lexical import LexicalParams

METHODS = ("exact", "lexical", "semantic")
FIELDS = ("instruction", "response", "both")

DEFAULT_THRESHOLD = {"exact": 1.0, "lexical": 0.8, "semantic": 0.9, "semantic-fast": 0.9}
"""Lexical: rapidfuzz similarity; semantic: cosine of MiniLM, or the set-centred cosine of the static model."""

DEFAULT_FLOOR = {"exact": 1.0, "lexical": 0.7, "semantic": 0.8, "semantic-fast": 0.8}
"""Pairs down to this similarity are computed and cached so lower re-cuts need no recompute."""

MAX_NEIGHBOURS = 100
"""Semantic pairs kept per item, the most similar first, so one dense topic cannot flood the cache."""


@dataclass(frozen=True, slots=True)
class DedupSpec:
    """One dedup request; everything but the threshold decides which cached pairs may be reused."""

    method: str
    field: str = "both"
    threshold: float | None = None
    fast: bool = False
    lexical: LexicalParams = dataclass_field(default_factory=LexicalParams)
    max_neighbours: int = MAX_NEIGHBOURS

    def __post_init__(self) -> None:
        """Reject unknown methods, fields and out-of-range thresholds."""
        if self.method not in METHODS:
            raise ValueError(f"unknown dedup method '{self.method}'; use one of {', '.join(METHODS)}")
        if self.field not in FIELDS:
            raise ValueError(f"unknown field '{self.field}'; use one of {', '.join(FIELDS)}")
        if self.threshold is not None and not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")

    @property
    def flavour(self) -> str:
        """Return the method, marking the static-model variant of semantic."""
        return "semantic-fast" if self.method == "semantic" and self.fast else self.method

    @property
    def cut(self) -> float:
        """Return the threshold in effect: the one given, or the method's default."""
        return DEFAULT_THRESHOLD[self.flavour] if self.threshold is None else float(self.threshold)

    @property
    def floor(self) -> float:
        """Return the lowest similarity whose pairs are computed and cached."""
        return min(self.cut, DEFAULT_FLOOR[self.flavour])

    @property
    def model(self) -> str | None:
        """Return the embedding model name for semantic runs."""
        if self.method != "semantic":
            return None
        return STATIC_NAME if self.fast else MINILM_NAME

    def params(self) -> dict[str, Any]:
        """Return every setting except the threshold, as recorded with the run and its cache."""
        if self.method == "lexical":
            return {"verify": "rapidfuzz.ratio", **self.lexical.describe()}
        if self.method == "semantic":
            return {"model": self.model, "max_neighbours": self.max_neighbours, "search": "exact blocked matmul"}
        return {"normalise": "core.normalize.normalize_text"}

    def cache_key(self) -> str:
        """Return a short key naming the method, field and settings."""
        body = json.dumps([self.method, self.field, self.params()], sort_keys=True)
        return f"{self.flavour}:{self.field}:" + hashlib.blake2b(body.encode(), digest_size=6).hexdigest()
