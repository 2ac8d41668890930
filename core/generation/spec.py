"""What a generation batch asks for: recipe, endpoint, diversity, sampling values, limits and budget."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

LOCAL_ENDPOINT = "local"
LOCAL_MODEL_NAME = "SmolLM2-135M-Instruct"
PARAM_KINDS = ("value", "sweep", "choice", "uniform", "normal")


class SpecError(ValueError):
    """A batch specification that cannot run, with a one-line reason."""


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """A sampling parameter given as one value, a sweep over sample indices, or a distribution."""

    kind: str
    values: tuple[float, ...]

    def sample(self, index: int, rng: random.Random) -> float:
        """Return the value for one sample: swept by index, drawn from `rng`, or fixed."""
        if self.kind == "value":
            value = self.values[0]
        elif self.kind == "sweep":
            value = self.values[index % len(self.values)]
        elif self.kind == "choice":
            value = rng.choice(self.values)
        elif self.kind == "uniform":
            value = rng.uniform(self.values[0], self.values[1])
        else:
            value = max(0.0, rng.gauss(self.values[0], self.values[1]))
        return round(value, 4)

    def describe(self) -> str:
        """Return the compact text form that parse_param reads back."""
        joined = ",".join(f"{v:g}" for v in self.values)
        return joined if self.kind == "value" else f"{self.kind}:{joined}"


def parse_param(text: str) -> ParamSpec:
    """Parse `0.7`, `0.2,0.7,1.0` (a sweep), `sweep:..`, `choice:..`, `uniform:LO,HI` or `normal:MEAN,SD`."""
    kind, _, rest = text.partition(":") if ":" in text else ("", "", text)
    try:
        values = tuple(float(v) for v in rest.split(",") if v.strip())
    except ValueError:
        raise SpecError(f"{text!r} is not a number, a comma list, or KIND:VALUES") from None
    if not values:
        raise SpecError(f"{text!r} gives no values")
    kind = kind or ("value" if len(values) == 1 else "sweep")
    if kind not in PARAM_KINDS:
        raise SpecError(f"unknown parameter kind {kind!r}; use one of {', '.join(PARAM_KINDS)}")
    if kind in ("uniform", "normal") and len(values) != 2:
        raise SpecError(f"{kind} takes two values, e.g. {kind}:0.5,1.0")
    if kind == "uniform" and values[0] > values[1]:
        raise SpecError(f"uniform range {values[0]}..{values[1]} is reversed")
    return ParamSpec(kind, values)


@dataclass(frozen=True)
class BatchSpec:
    """Everything a generation batch needs; stored in the batch's params (never an API key)."""

    recipe: str
    n: int
    endpoint: str = LOCAL_ENDPOINT
    model: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    name: str = ""
    recipe_hash: str = ""
    temperature: ParamSpec | None = None
    top_p: ParamSpec | None = None
    max_tokens: int | None = None
    topics: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    domain: str = ""
    seed_count: int | None = None
    operators: tuple[str, ...] = ()
    near_dup_threshold: float = 0.95
    max_variants: int = 5
    concurrency: int = 8
    timeout_s: float = 120.0
    max_retries: int = 4
    parse_retries: int = 2
    retry_base_s: float = 0.5
    budget_usd: float | None = None
    budget_tokens: int | None = None
    seed: int = 0
    seed_pool_size: int = 1000
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        """Return the model to ask for, defaulting to the embedded model for the local endpoint."""
        return self.model or (LOCAL_MODEL_NAME if self.endpoint == LOCAL_ENDPOINT else "")

    def validate(self) -> BatchSpec:
        """Return self after checking values that would fail later, raising SpecError."""
        if self.n < 1:
            raise SpecError("--n must be at least 1")
        if self.concurrency < 1:
            raise SpecError("--concurrency must be at least 1")
        if not 0.0 <= self.near_dup_threshold <= 1.0:
            raise SpecError("--near-dup must be between 0 (off) and 1")
        if self.endpoint != LOCAL_ENDPOINT:
            parts = urlsplit(self.endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SpecError(f"endpoint {self.endpoint!r} is not an http(s) URL or 'local'")
            if parts.username or parts.password:
                raise SpecError("put credentials in an environment variable (--api-key-env), not in the URL")
            if not self.model:
                raise SpecError("--model is required with --endpoint")
        if self.budget_usd is not None and self.budget_usd < 0:
            raise SpecError("--budget must not be negative")
        return self

    def with_seed(self) -> BatchSpec:
        """Return a copy with a random seed chosen when none was given."""
        return self if self.seed else replace(self, seed=random.SystemRandom().randrange(1, 2**31))

    def to_json(self) -> dict[str, Any]:
        """Return the spec as a JSON-able dict."""
        data = asdict(self)
        for key in ("temperature", "top_p"):
            value = getattr(self, key)
            data[key] = value.describe() if value else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchSpec:
        """Rebuild a spec saved by to_json, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("temperature", "top_p"):
            if values.get(key):
                values[key] = parse_param(str(values[key]))
        for key in ("topics", "personas", "operators"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)
