"""Running, resuming and estimating a batch against any storage backend that keeps the ledger."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from core.generation.client import ChatClient
from core.generation.engine import Budget, Engine, Progress, ResultSink
from core.generation.pricing import PriceTable, estimate_prompt_tokens
from core.generation.sampling import NearDuplicateGuard, Planner, SeedExample, Skipped, plan_samples
from core.generation.spec import LOCAL_ENDPOINT, BatchSpec, SpecError
from core.recipes import Recipe

ProgressCallback = Callable[[Progress], None]
ClientFactory = Callable[[BatchSpec], ChatClient]


class GenerationError(Exception):
    """A batch that cannot start or resume, with a one-line reason."""


@dataclass(frozen=True)
class LedgerState:
    """What the ledger already holds for a batch."""

    finished: frozenset[int] = frozenset()
    failed: frozenset[int] = frozenset()
    fingerprints: tuple[dict[str, str], ...] = ()
    spent_usd: float = 0.0
    spent_tokens: int = 0


class ClosableSink(ResultSink, Protocol):
    """A result sink that is flushed and closed when the batch ends."""

    def close(self) -> None:
        """Write everything still queued and stop."""
        ...


class GenerationBackend(Protocol):
    """The storage a batch needs: recipes, prices, seed items, batches and the request ledger."""

    def get_recipe(self, name: str, content_hash: str | None = None) -> Recipe | None: ...
    def prices(self) -> PriceTable: ...
    def pick_seed_pool(self, size: int, seed: int) -> list[int]: ...
    def seed_examples(self, ids: Sequence[int]) -> list[SeedExample]: ...
    def create_batch(self, name: str, source: str, recipe: Recipe, params: dict[str, Any]) -> int: ...
    def batch_params(self, batch_id: int) -> dict[str, Any] | None: ...
    def save_spec(self, batch_id: int, spec: BatchSpec) -> None: ...
    def ledger_state(self, batch_id: int) -> LedgerState: ...
    def forget_failed(self, batch_id: int) -> int: ...
    def open_sink(self, batch_id: int, spec: BatchSpec, recipe: Recipe) -> ClosableSink: ...
    def finish_batch(self, batch_id: int, status: str, summary: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class BatchResult:
    """How a run of a batch ended and what it produced."""

    batch_id: int
    status: str
    stop_reason: str
    requested: int
    ok: int
    failed: int
    skipped: int
    already_done: int
    not_sent: int
    spent_usd: float
    tokens: int
    requests: int
    elapsed_s: float


@dataclass(frozen=True)
class Estimate:
    """What a batch would send and cost, from rendered prompts and the price table."""

    recipe: str
    recipe_hash: str
    endpoint: str
    model: str
    n: int
    planned: int
    skipped: int
    prompt_tokens: int
    completion_tokens_expected: int
    completion_tokens_max: int
    price_known: bool
    cost_expected_usd: float
    cost_max_usd: float
    items_within_budget: int | None
    notes: list[str] = field(default_factory=list)


def default_client(spec: BatchSpec) -> ChatClient:
    """Return the embedded model for `local`, else an OpenAI-compatible client keyed from the environment."""
    if spec.endpoint == LOCAL_ENDPOINT:
        from core.generation.local_model import shared_local_client

        return shared_local_client()
    from core.generation.openai_client import OpenAIChatClient, resolve_api_key

    key = resolve_api_key(spec.api_key_env, required=spec.api_key_env != "OPENAI_API_KEY")
    return OpenAIChatClient(spec.endpoint, key)


def _recipe(backend: GenerationBackend, spec: BatchSpec) -> Recipe:
    """Load the batch's recipe, pinned to its hash when one is recorded, and check its requirements."""
    recipe = backend.get_recipe(spec.recipe, spec.recipe_hash or None)
    if recipe is None:
        pinned = f" with hash {spec.recipe_hash}" if spec.recipe_hash else ""
        raise GenerationError(f"no recipe {spec.recipe!r}{pinned}; see 'thresher recipes list'")
    if "domain" in recipe.requires and not spec.domain:
        raise GenerationError(f"recipe {recipe.name} needs --domain")
    return recipe


def _seeds(backend: GenerationBackend, recipe: Recipe, ids: Sequence[int]) -> list[SeedExample]:
    """Load the seed pool, refusing recipes that need seeds when the store has none."""
    if recipe.seed == "none":
        return []
    seeds = backend.seed_examples(ids)
    if not seeds:
        raise GenerationError(f"recipe {recipe.name} samples seed items, but the store has none; import some")
    return seeds


def _check_price(backend: GenerationBackend, spec: BatchSpec) -> None:
    """Refuse a dollar budget for a model with no price."""
    if spec.budget_usd is not None and backend.prices().lookup(spec.model_name) is None:
        raise GenerationError(f"no price for model {spec.model_name!r}; add one with 'thresher prices set'")


def _validated(spec: BatchSpec) -> BatchSpec:
    """Return the spec with a seed chosen, raising GenerationError for invalid values."""
    try:
        return spec.with_seed().validate()
    except SpecError as error:
        raise GenerationError(str(error)) from None


def run_batch(backend: GenerationBackend, spec: BatchSpec, *, on_progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None, client_factory: ClientFactory = default_client) -> BatchResult:
    """Start a new batch and run it to the end, a cancel, a budget stop or a fatal error."""
    spec = _validated(spec)
    recipe = _recipe(backend, spec)
    spec = replace(spec, recipe_hash=recipe.content_hash)
    _check_price(backend, spec)
    pool = backend.pick_seed_pool(spec.seed_pool_size, spec.seed) if recipe.seed != "none" else []
    seeds = _seeds(backend, recipe, pool)
    client = client_factory(spec)
    name = spec.name or f"{recipe.name} x{spec.n} via {spec.model_name}"
    batch_id = backend.create_batch(name, spec.endpoint, recipe, {"spec": spec.to_json(), "seed_pool_ids": pool})
    return _execute(backend, batch_id, spec, recipe, seeds, client, LedgerState(), on_progress, cancel)


def resume_batch(backend: GenerationBackend, batch_id: int, *, overrides: dict[str, Any] | None = None,
                 retry_failed: bool = False, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None, client_factory: ClientFactory = default_client) -> BatchResult:
    """Continue a batch, sending only the samples the ledger has no row for (and failed ones if asked)."""
    params = backend.batch_params(batch_id)
    if params is None or "spec" not in params:
        raise GenerationError(f"batch {batch_id} is not a generation batch")
    spec = replace(BatchSpec.from_json(params["spec"]), **(overrides or {}))
    recipe = _recipe(backend, spec)
    _check_price(backend, spec)
    seeds = _seeds(backend, recipe, params.get("seed_pool_ids", []))
    client = client_factory(spec)
    if overrides:
        backend.save_spec(batch_id, spec)
    if retry_failed:
        backend.forget_failed(batch_id)
    state = backend.ledger_state(batch_id)
    return _execute(backend, batch_id, spec, recipe, seeds, client, state, on_progress, cancel)


def _execute(backend: GenerationBackend, batch_id: int, spec: BatchSpec, recipe: Recipe,
             seeds: list[SeedExample], client: ChatClient, state: LedgerState,
             on_progress: ProgressCallback | None, cancel: threading.Event | None) -> BatchResult:
    """Plan the pending samples, run the engine, and record how the batch ended."""
    planner = Planner(spec, recipe, seeds, batch_id)
    guard = NearDuplicateGuard(spec.near_dup_threshold)
    for fingerprint in state.fingerprints:
        guard.add(fingerprint)
    pending = [i for i in range(spec.n) if i not in state.finished]
    plans = plan_samples(planner, guard, pending, spec.max_variants)
    budget = Budget(spec.budget_usd, spec.budget_tokens, state.spent_usd, state.spent_tokens)
    progress = Progress(total=spec.n, already_done=len(state.finished), spent_usd=state.spent_usd,
                        tokens=state.spent_tokens)
    price = backend.prices().lookup(spec.model_name)
    sink = backend.open_sink(batch_id, spec, recipe)
    engine = Engine(spec, recipe, client, sink, price, budget, progress)

    async def drive() -> Progress:
        try:
            return await engine.run(plans, cancel=cancel, on_progress=on_progress)
        finally:
            await client.aclose()

    try:
        final = asyncio.run(drive())
    finally:
        sink.close()
    reason = final.stop_reason
    status = "done" if not reason else "failed" if reason.startswith("failed") else "cancelled"
    not_sent = spec.n - final.finished
    summary = {"stop_reason": reason, "skipped_near_duplicates": final.skipped, "not_sent": not_sent}
    backend.finish_batch(batch_id, status, summary)
    return BatchResult(batch_id, status, reason, spec.n, final.ok, final.failed, final.skipped,
                       final.already_done, not_sent, round(final.spent_usd, 8), final.tokens,
                       final.requests, round(final.elapsed_s, 3))


def estimate(backend: GenerationBackend, spec: BatchSpec) -> Estimate:
    """Render every prompt of a would-be batch (the guard included) and price it without sending."""
    spec = _validated(spec)
    recipe = _recipe(backend, spec)
    pool = backend.pick_seed_pool(spec.seed_pool_size, spec.seed) if recipe.seed != "none" else []
    planner = Planner(spec, recipe, _seeds(backend, recipe, pool), 0)
    planned = skipped = prompt_tokens = expected_tokens = max_tokens = 0
    for plan in plan_samples(planner, NearDuplicateGuard(spec.near_dup_threshold), range(spec.n), spec.max_variants):
        if isinstance(plan, Skipped):
            skipped += 1
            continue
        planned += 1
        prompt_tokens += estimate_prompt_tokens(plan.messages)
        max_tokens += int(plan.params["max_tokens"])
        expected_tokens += min(recipe.expected_completion_tokens, int(plan.params["max_tokens"]))
    price = backend.prices().lookup(spec.model_name)
    expected_usd = price.cost(prompt_tokens, expected_tokens) if price else 0.0
    notes = [] if price else [f"no price for {spec.model_name!r}: costs shown as 0"]
    if skipped:
        notes.append(f"{skipped} samples would be skipped as near-duplicates; add topics/personas or lower --near-dup")
    notes.append("parse retries re-send a request and add to the cost")
    within: int | None = None
    if spec.budget_usd is not None and planned and expected_usd > 0:
        within = min(planned, int(spec.budget_usd / (expected_usd / planned)))
    elif spec.budget_tokens is not None and planned:
        within = min(planned, int(spec.budget_tokens / ((prompt_tokens + expected_tokens) / planned)))
    return Estimate(recipe.name, recipe.content_hash, spec.endpoint, spec.model_name, spec.n, planned, skipped,
                    prompt_tokens, expected_tokens, max_tokens, price is not None, round(expected_usd, 6),
                    round(price.cost(prompt_tokens, max_tokens) if price else 0.0, 6), within, notes)
