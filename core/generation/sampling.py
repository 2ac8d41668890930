"""Per-sample diversity: topics, personas, seed items, operators and sampled parameters, plus the
near-duplicate guard. Every choice is a pure function of (batch seed, sample index, variant) so a
resumed batch renders the same prompts."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from core.generation.spec import BatchSpec
from core.normalize import normalize_text
from core.recipes import Recipe

_FINGERPRINT_CHARS = 2000
_DERIVED_VARIABLES = ("topic_line", "persona_line", "operator")
_SHORT_PART = 200


@dataclass(frozen=True, slots=True)
class SeedExample:
    """A real item used to seed a prompt."""

    id: int
    instruction: str
    input: str
    response: str


@dataclass(frozen=True)
class SamplePlan:
    """One rendered request: messages, sampled parameters, what was sampled, and its ledger key."""

    index: int
    variant: int
    messages: list[dict[str, str]]
    params: dict[str, Any]
    context: dict[str, Any]
    fingerprint: dict[str, str]
    key: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A sample index whose every variant was a near-duplicate of a prompt already sent."""

    index: int
    fingerprint: dict[str, str]


def request_key(batch_id: int, endpoint: str, model: str, messages: list[dict[str, str]],
                params: dict[str, Any], index: int) -> str:
    """Return the ledger key: a hash of batch, endpoint, model, rendered prompt, parameters and index."""
    material = json.dumps([batch_id, endpoint, model, messages, params, index], sort_keys=True)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def _format_example(seed: SeedExample) -> str:
    """Render a seed item as an example task."""
    parts = [f"Instruction: {seed.instruction.strip()}"]
    if seed.input.strip():
        parts.append(f"Input: {seed.input.strip()}")
    parts.append(f"Response: {seed.response.strip()[:600]}")
    return "\n".join(parts)


class Planner:
    """Renders the prompt for any (sample index, variant) of a batch, deterministically."""

    def __init__(self, spec: BatchSpec, recipe: Recipe, seeds: Sequence[SeedExample], batch_id: int) -> None:
        """Bind the spec, recipe and the batch's fixed seed pool."""
        self.spec = spec
        self.recipe = recipe
        self.seeds = list(seeds)
        self.batch_id = batch_id
        wanted = set(spec.operators)
        self.operators = [o for o in recipe.operators if not wanted or o.name in wanted or o.kind in wanted]
        if recipe.operators and not self.operators:
            raise ValueError(f"no operator of recipe {recipe.name} matches {', '.join(spec.operators)}")

    def _pick(self, options: Sequence[str], index: int, stride: int, variant: int, rng: random.Random) -> str:
        """Walk the options in order across indices (variant 0), or draw one at random for retries."""
        if not options:
            return ""
        return options[(index // stride) % len(options)] if variant == 0 else rng.choice(list(options))

    def plan(self, index: int, variant: int = 0) -> SamplePlan:
        """Render one sample: the same (index, variant) always gives the same plan."""
        spec, recipe = self.spec, self.recipe
        rng = random.Random(f"{spec.seed}:{index}:{variant}")
        topic = self._pick(spec.topics, index, 1, variant, rng)
        persona = self._pick(spec.personas, index, max(1, len(spec.topics)), variant, rng)
        count = spec.seed_count or recipe.seed_count
        chosen = rng.sample(self.seeds, min(count, len(self.seeds))) if recipe.seed != "none" else []
        operator = rng.choice(self.operators) if self.operators else None
        first = chosen[0] if chosen else SeedExample(0, "", "", "")
        variables = {
            "topic": topic,
            "topic_line": f"Topic: {topic}\n" if topic else "",
            "persona": persona,
            "persona_line": f"Write it as it would be asked by {persona}.\n" if persona else "",
            "domain": spec.domain,
            "examples": "\n\n".join(f"Example {i}:\n{_format_example(s)}" for i, s in enumerate(chosen, 1)),
            "seed_instruction": first.instruction,
            "seed_input": first.input,
            "seed_response": first.response,
            "operator": operator.text if operator else "",
            "operator_name": operator.name if operator else "",
        }
        messages = recipe.render(variables)
        defaults = recipe.defaults
        params: dict[str, Any] = {
            "temperature": spec.temperature.sample(index, rng) if spec.temperature
            else float(defaults.get("temperature", 0.8)),
            "top_p": spec.top_p.sample(index, rng) if spec.top_p else float(defaults.get("top_p", 1.0)),
            "max_tokens": int(spec.max_tokens or defaults.get("max_tokens", 512)),
        }
        context = {
            "variant": variant, "topic": topic or None, "persona": persona or None,
            "seed_item_ids": [s.id for s in chosen], "operator": operator.name if operator else None,
            "operator_kind": operator.kind if operator else None,
        }
        fingerprint = {k: v[:_FINGERPRINT_CHARS] for k, v in variables.items() if k not in _DERIVED_VARIABLES}
        key = request_key(self.batch_id, spec.endpoint, spec.model_name, messages, params, index)
        return SamplePlan(index, variant, messages, params, context, fingerprint, key)


class NearDuplicateGuard:
    """Spots prompts whose every filled-in part (topic, persona, seed examples, operator...) is nearly
    identical to the same part of a prompt already sent; the template text, common to all, is left out.

    Parts that vary are compared short and many-valued first, so later (long) parts are only compared
    against the few sent prompts that matched so far.
    """

    def __init__(self, threshold: float) -> None:
        """Treat parts at or above `threshold` similarity (0..1; 0 turns the guard off) as the same."""
        self.threshold = threshold
        self._exact: set[tuple[tuple[str, str], ...]] = set()
        self._columns: dict[str, list[str]] = {}
        self._distinct: dict[str, set[str]] = {}
        self._sent = 0

    @staticmethod
    def _normal(fingerprint: dict[str, str]) -> dict[str, str]:
        """Normalise each part so case, punctuation and spacing do not count."""
        return {name: normalize_text(value) for name, value in fingerprint.items()}

    def is_near_duplicate(self, fingerprint: dict[str, str]) -> bool:
        """Return whether one sent prompt matches this one in every part."""
        if self.threshold <= 0:
            return False
        parts = self._normal(fingerprint)
        if tuple(sorted(parts.items())) in self._exact:
            return True
        if self.threshold >= 1.0 or not self._sent:
            return False
        varying = [(name, value) for name, value in parts.items() if self._distinct.get(name) != {value}]
        varying.sort(key=lambda part: (len(part[1]) > _SHORT_PART, -len(self._distinct.get(part[0], ()))))
        cutoff = self.threshold * 100
        candidates: set[int] | None = None
        for name, value in varying:
            column = self._columns.get(name, [""] * self._sent)
            choices = column if candidates is None else {i: column[i] for i in candidates}
            found = process.extract(value, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
            candidates = {key for _, _, key in found}
            if not candidates:
                return False
        return True

    def add(self, fingerprint: dict[str, str]) -> None:
        """Record a prompt as sent."""
        parts = self._normal(fingerprint)
        self._exact.add(tuple(sorted(parts.items())))
        for name in set(parts) | set(self._columns):
            value = parts.get(name, "")
            self._columns.setdefault(name, [""] * self._sent).append(value)
            self._distinct.setdefault(name, set()).add(value)
        self._sent += 1


def plan_samples(planner: Planner, guard: NearDuplicateGuard, indices: Sequence[int],
                 max_variants: int) -> Iterator[SamplePlan | Skipped]:
    """Yield a plan per index, re-drawing near-duplicates up to `max_variants` times before skipping."""
    for index in indices:
        plan = planner.plan(index, 0)
        duplicate = guard.is_near_duplicate(plan.fingerprint)
        for variant in range(1, max_variants):
            if not duplicate:
                break
            plan = planner.plan(index, variant)
            duplicate = guard.is_near_duplicate(plan.fingerprint)
        if duplicate:
            yield Skipped(index, plan.fingerprint)
            continue
        guard.add(plan.fingerprint)
        yield plan
