"""Diversity and limits: parameter sweeps and distributions, planning, the near-duplicate guard,
prices, the adaptive rate limiter and estimates."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from core.generation.builtin_recipes import builtin_recipes
from core.generation.pricing import PriceError, PriceTable, load_price_file
from core.generation.ratelimit import AdaptiveLimiter, backoff_delay
from core.generation.sampling import NearDuplicateGuard, Planner, SeedExample, Skipped, plan_samples, request_key
from core.generation.spec import BatchSpec, SpecError, parse_param
from store.connection import Store
from store.generation import estimate, set_prices

RECIPES = {r.name: r for r in builtin_recipes()}
SEEDS = [SeedExample(i, f"Instruction {i} about {w}", "", f"Response {i}")
         for i, w in enumerate(["cats", "dogs", "rivers", "tax", "law", "music"], 1)]


def test_param_values_sweeps_and_distributions() -> None:
    rng = random.Random(1)
    assert parse_param("0.7").sample(5, rng) == 0.7
    sweep = parse_param("0.2,0.7,1.0")
    assert (sweep.kind, [sweep.sample(i, rng) for i in range(4)]) == ("sweep", [0.2, 0.7, 1.0, 0.2])
    uniform = parse_param("uniform:0.5,0.9")
    assert all(0.5 <= uniform.sample(i, rng) <= 0.9 for i in range(200))
    assert all(parse_param("normal:0.1,1").sample(i, rng) >= 0 for i in range(200))
    assert {parse_param("choice:0.3,0.6").sample(i, rng) for i in range(50)} == {0.3, 0.6}
    assert parse_param(uniform.describe()) == uniform
    for bad, message in [("hot", "not a number"), ("uniform:1", "two values"), ("beta:1,2", "unknown"),
                         ("uniform:0.9,0.1", "reversed")]:
        with pytest.raises(SpecError, match=message):
            parse_param(bad)


def test_spec_round_trips_through_json_and_validates() -> None:
    spec = BatchSpec(recipe="domain-qa", n=3, temperature=parse_param("uniform:0.1,0.9"), topics=("a", "b"))
    assert BatchSpec.from_json(spec.to_json()) == spec
    for bad, message in [({"n": 0}, "at least 1"), ({"endpoint": "ftp://x"}, "not an http"),
                         ({"endpoint": "http://u:p@h/v1", "model": "m"}, "credentials"),
                         ({"endpoint": "http://h/v1"}, "--model is required")]:
        with pytest.raises(SpecError, match=message):
            BatchSpec(recipe="r", n=bad.pop("n", 1), **bad).validate()


def test_plans_are_deterministic_and_walk_topics_and_personas() -> None:
    spec = BatchSpec(recipe="self-instruct", n=6, topics=("t1", "t2", "t3"), personas=("p1", "p2"), seed=3,
                     temperature=parse_param("uniform:0.1,0.9"))
    planner = Planner(spec, RECIPES["self-instruct"], SEEDS, batch_id=1)
    plans = [planner.plan(i) for i in range(6)]
    assert [planner.plan(i) for i in range(6)] == plans
    assert {(p.context["topic"], p.context["persona"]) for p in plans} == {
        (t, p) for t in ("t1", "t2", "t3") for p in ("p1", "p2")}
    assert all(len(p.context["seed_item_ids"]) == 3 for p in plans)
    assert len({p.key for p in plans}) == 6
    other_seed = Planner(BatchSpec(**{**spec.__dict__, "seed": 4}), RECIPES["self-instruct"], SEEDS, 1)
    assert other_seed.plan(0).params != plans[0].params or other_seed.plan(0).messages != plans[0].messages


def test_evol_operators_can_be_filtered_by_kind() -> None:
    spec = BatchSpec(recipe="evol-instruct", n=20, operators=("breadth",), seed=1)
    planner = Planner(spec, RECIPES["evol-instruct"], SEEDS, 1)
    assert {planner.plan(i).context["operator"] for i in range(20)} == {"mutate"}
    with pytest.raises(ValueError, match="no operator"):
        Planner(BatchSpec(recipe="evol-instruct", n=1, operators=("nope",)), RECIPES["evol-instruct"], SEEDS, 1)


def test_request_key_covers_prompt_params_index_and_endpoint() -> None:
    messages = [{"role": "user", "content": "hi"}]
    base = request_key(1, "e", "m", messages, {"temperature": 0.5}, 0)
    assert base == request_key(1, "e", "m", messages, {"temperature": 0.5}, 0)
    variants = [request_key(2, "e", "m", messages, {"temperature": 0.5}, 0),
                request_key(1, "f", "m", messages, {"temperature": 0.5}, 0),
                request_key(1, "e", "n", messages, {"temperature": 0.5}, 0),
                request_key(1, "e", "m", [{"role": "user", "content": "ho"}], {"temperature": 0.5}, 0),
                request_key(1, "e", "m", messages, {"temperature": 0.6}, 0),
                request_key(1, "e", "m", messages, {"temperature": 0.5}, 1)]
    assert base not in variants and len(set(variants)) == len(variants)


def test_guard_compares_every_filled_in_part() -> None:
    guard = NearDuplicateGuard(0.95)
    guard.add({"topic": "Pottery", "examples": "a long shared seed example " * 10})
    assert guard.is_near_duplicate({"topic": "pottery!", "examples": "a long shared seed example " * 10})
    assert guard.is_near_duplicate({"topic": "Pottery", "examples": "a long shared seed example " * 10 + "x"})
    assert not guard.is_near_duplicate({"topic": "sailing", "examples": "a long shared seed example " * 10})
    off = NearDuplicateGuard(0.0)
    off.add({"topic": "a"})
    assert not off.is_near_duplicate({"topic": "a"})


def test_plan_samples_redraws_then_skips_duplicates() -> None:
    spec = BatchSpec(recipe="domain-qa", n=5, domain="law", topics=("leases", "wills"), seed=2)
    planner = Planner(spec, RECIPES["domain-qa"], [], 1)
    results = list(plan_samples(planner, NearDuplicateGuard(0.95), range(5), spec.max_variants))
    assert sum(isinstance(r, Skipped) for r in results) == 3
    assert {r.context["topic"] for r in results if not isinstance(r, Skipped)} == {"leases", "wills"}


def test_price_table_defaults_overrides_and_files(tmp_path: Path) -> None:
    table = PriceTable({"gpt-4o-mini*": (1.0, 2.0)})
    price = table.lookup("gpt-4o-mini-2024-07-18")
    assert price is not None and (price.input_per_m, price.output_per_m) == (1.0, 2.0)
    four_o = table.lookup("gpt-4o-2024-08-06")
    assert four_o is not None and four_o.input_per_m == 2.5
    assert table.lookup("SmolLM2-135M-Instruct") is not None and table.lookup("mystery") is None
    assert PriceTable().lookup("gpt-4o-mini") is not None
    assert price.cost(1_000_000, 500_000) == pytest.approx(2.0)
    price_file = tmp_path / "p.toml"
    price_file.write_text('[prices]\n"my-model" = [0.5, 1.5]\n"other" = { input = 1, output = 2 }\n')
    assert load_price_file(price_file) == {"my-model": (0.5, 1.5), "other": (1.0, 2.0)}
    price_file.write_text('[prices]\n"bad" = [-1, 2]\n')
    with pytest.raises(PriceError, match="negative"):
        load_price_file(price_file)


async def test_limiter_halves_on_429_pauses_and_recovers() -> None:
    limiter = AdaptiveLimiter(8, recover_after=3)
    assert await limiter.on_rate_limited(0.2) == 0.2
    assert limiter.limit == 4
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started >= 0.18, "callers wait out Retry-After"
    await limiter.release()
    for _ in range(3):
        await limiter.on_success()
    assert limiter.limit == 8
    await limiter.on_rate_limited(None)
    await limiter.on_rate_limited(None)
    assert limiter.limit == 2 and limiter.rate_limited == 3


async def test_limiter_bounds_concurrency() -> None:
    limiter = AdaptiveLimiter(3)
    peak = 0

    async def call() -> None:
        nonlocal peak
        await limiter.acquire()
        peak = max(peak, limiter.in_flight)
        await asyncio.sleep(0.01)
        await limiter.release()

    await asyncio.gather(*(call() for _ in range(20)))
    assert peak == 3 and limiter.in_flight == 0


def test_backoff_has_full_jitter_under_a_cap() -> None:
    rng = random.Random(0)
    delays = [backoff_delay(5, 0.5, cap_s=4.0, rng=rng) for _ in range(200)]
    assert all(0 <= d <= 4.0 for d in delays) and max(delays) > 3.0 and min(delays) < 1.0


def test_estimate_counts_prompts_tokens_and_budget(store: Store) -> None:
    set_prices(store, {"house-model": (1.0, 4.0)})
    spec = BatchSpec(recipe="self-instruct", n=10, endpoint="http://127.0.0.1:9/v1", model="house-model",
                     budget_usd=0.005, seed=5, max_tokens=500)
    found = estimate(store, spec)
    assert found.planned + found.skipped == 10 and found.price_known
    assert found.completion_tokens_max == 500 * found.planned
    assert found.cost_max_usd == pytest.approx((found.prompt_tokens * 1 + found.completion_tokens_max * 4) / 1e6,
                                               abs=1e-6)
    assert found.items_within_budget is not None and found.items_within_budget <= found.planned
