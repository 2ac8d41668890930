"""The async engine: bounded, rate-adaptive concurrency with retries, a budget cap and streamed results."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from core.generation.client import (
    ChatClient,
    ChatReply,
    ChatRequest,
    FatalError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from core.generation.pricing import Price, estimate_prompt_tokens, estimate_tokens
from core.generation.ratelimit import AdaptiveLimiter, backoff_delay
from core.generation.sampling import SamplePlan, Skipped
from core.generation.spec import BatchSpec
from core.recipes import Recipe, ReplyParseError, parse_reply

MAX_RATE_LIMIT_RETRIES = 20
PROGRESS_INTERVAL_S = 0.25


@dataclass(frozen=True)
class SampleResult:
    """What one sample ended as: parsed fields (ok) or the raw exchange and error (failed)."""

    plan: SamplePlan
    ok: bool
    fields: dict[str, str | list[str]]
    content: str
    response_raw: str
    error: str | None
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: float
    finish_reason: str


class ResultSink(Protocol):
    """Where finished samples go as they arrive (the store's ledger writer)."""

    def submit(self, result: SampleResult) -> None:
        """Accept one result; raise if results can no longer be kept."""
        ...


@dataclass
class Progress:
    """Live counters of a batch, passed to the progress callback."""

    total: int
    already_done: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    in_flight: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    errors: int = 0
    spent_usd: float = 0.0
    tokens: int = 0
    elapsed_s: float = 0.0
    concurrency_limit: int = 0
    stop_reason: str = ""

    @property
    def finished(self) -> int:
        """Return how many samples are settled: done earlier, ok, failed or skipped."""
        return self.already_done + self.ok + self.failed + self.skipped

    @property
    def results_per_s(self) -> float:
        """Return results (ok or failed) written per second in this run."""
        return (self.ok + self.failed) / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class Budget:
    """A dollar and/or token cap, checked before each request against spend plus in-flight reservations."""

    max_usd: float | None = None
    max_tokens: int | None = None
    spent_usd: float = 0.0
    spent_tokens: int = 0
    reserved_usd: float = field(default=0.0, repr=False)
    reserved_tokens: int = field(default=0, repr=False)

    def reserve(self, usd: float, tokens: int) -> bool:
        """Reserve a request's worst case; False when it would break a cap."""
        if self.max_usd is not None and self.spent_usd + self.reserved_usd + usd > self.max_usd:
            return False
        if self.max_tokens is not None and self.spent_tokens + self.reserved_tokens + tokens > self.max_tokens:
            return False
        self.reserved_usd += usd
        self.reserved_tokens += tokens
        return True

    def settle(self, reserved_usd: float, reserved_tokens: int, usd: float, tokens: int) -> None:
        """Replace a reservation by what the request actually cost (zero when it failed)."""
        self.reserved_usd -= reserved_usd
        self.reserved_tokens -= reserved_tokens
        self.spent_usd += usd
        self.spent_tokens += tokens


@dataclass
class _Tally:
    """Tokens, cost and attempts accumulated over the calls made for one sample."""

    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    transport_failures: int = 0
    parse_failures: int = 0
    rate_limited: int = 0


class Engine:
    """Runs the plans of one batch against a client and streams results into a sink."""

    def __init__(self, spec: BatchSpec, recipe: Recipe, client: ChatClient, sink: ResultSink,
                 price: Price | None, budget: Budget, progress: Progress) -> None:
        """Bind what one run needs; call run() inside an event loop."""
        self.spec, self.recipe, self.client, self.sink = spec, recipe, client, sink
        self.price, self.budget, self.progress = price, budget, progress
        self.limiter = AdaptiveLimiter(spec.concurrency)
        self.stop_reason = ""
        self._stopping: asyncio.Event | None = None

    def stop(self, reason: str) -> None:
        """Stop launching requests, keeping the first reason given."""
        if not self.stop_reason:
            self.stop_reason = reason
            self.progress.stop_reason = reason
            if self._stopping is not None:
                self._stopping.set()

    async def run(self, plans: Iterator[SamplePlan | Skipped], *, cancel: threading.Event | None = None,
                  on_progress: Callable[[Progress], None] | None = None, cancel_grace_s: float = 2.0) -> Progress:
        """Work through the plans until done, cancelled, out of budget or failed; return final counters."""
        self._stopping = asyncio.Event()
        started = time.monotonic()
        workers = [asyncio.create_task(self._worker(plans)) for _ in range(self.spec.concurrency)]
        deadline: float | None = None
        last_report = 0.0
        while True:
            _, pending = await asyncio.wait(workers, timeout=0.05)
            now = time.monotonic()
            if cancel is not None and cancel.is_set():
                self.stop("cancelled")
                deadline = deadline or now + cancel_grace_s
            if pending and deadline is not None and now > deadline:
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending)
                pending = set()
            self.progress.elapsed_s = now - started
            self.progress.in_flight = self.limiter.in_flight
            self.progress.concurrency_limit = self.limiter.limit
            if on_progress is not None and (not pending or now - last_report >= PROGRESS_INTERVAL_S):
                last_report = now
                on_progress(replace(self.progress))
            if not pending:
                return self.progress

    async def _worker(self, plans: Iterator[SamplePlan | Skipped]) -> None:
        """Take plans one at a time and run them until none are left or the batch stops."""
        try:
            while not self.stop_reason:
                plan = next(plans, None)
                if plan is None:
                    return
                if isinstance(plan, Skipped):
                    self.progress.skipped += 1
                    continue
                result = await self._run_sample(plan)
                if result is None:
                    continue
                self.sink.submit(result)
                if result.ok:
                    self.progress.ok += 1
                else:
                    self.progress.failed += 1
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001 - any worker crash stops the batch with its reason
            self.stop(f"failed: {type(error).__name__}: {error}")

    async def _pause(self, seconds: float) -> None:
        """Sleep, waking early if the batch stops."""
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _request(self, plan: SamplePlan) -> ChatRequest:
        """Build the chat request for a plan."""
        return ChatRequest(self.spec.model_name, plan.messages, float(plan.params["temperature"]),
                           float(plan.params["top_p"]), int(plan.params["max_tokens"]), self.spec.timeout_s,
                           tuple((f.name, f.type) for f in self.recipe.fields), plan.key)

    def _result(self, plan: SamplePlan, tally: _Tally, reply: ChatReply | None, raw: str,
                error: str | None, latency_ms: float, parsed: dict[str, str | list[str]] | None) -> SampleResult:
        """Assemble a result from the tally of its calls."""
        return SampleResult(
            plan=plan, ok=parsed is not None, fields=parsed or {}, content=reply.content if reply else "",
            response_raw=raw, error=error, attempts=tally.attempts, prompt_tokens=tally.prompt_tokens,
            completion_tokens=tally.completion_tokens, cost_usd=round(tally.cost_usd, 8),
            latency_ms=round(latency_ms, 2), finish_reason=reply.finish_reason if reply else "",
        )

    async def _call(self, request: ChatRequest) -> tuple[ChatReply | Exception, float]:
        """Make one call inside a limiter slot; return the reply or the error, and the latency in ms."""
        await self.limiter.acquire()
        self.progress.requests += 1
        started = time.perf_counter()
        try:
            outcome: ChatReply | Exception = await self.client.complete(request)
        except (RateLimitedError, TransientError, RejectedError, FatalError) as error:
            outcome = error
        finally:
            await self.limiter.release()
        return outcome, (time.perf_counter() - started) * 1000

    async def _run_sample(self, plan: SamplePlan) -> SampleResult | None:
        """Send one plan until it parses, fails for good, or the batch stops (None: not settled)."""
        request = self._request(plan)
        tally = _Tally()
        prompt_estimate = estimate_prompt_tokens(plan.messages)
        worst_tokens = prompt_estimate * 3 // 2 + request.max_tokens
        worst_usd = self.price.cost(prompt_estimate * 3 // 2, request.max_tokens) if self.price else 0.0
        while not self.stop_reason:
            if not self.budget.reserve(worst_usd, worst_tokens):
                self.stop("budget")
                return None
            outcome, latency_ms = await self._call(request)
            tally.attempts += 1
            if isinstance(outcome, Exception):
                self.budget.settle(worst_usd, worst_tokens, 0.0, 0)
                raw, error = getattr(outcome, "raw", ""), str(outcome)
                if isinstance(outcome, FatalError):
                    self.stop(f"failed: {outcome}")
                    return None
                if isinstance(outcome, RateLimitedError):
                    self.progress.rate_limited += 1
                    tally.rate_limited += 1
                    await self.limiter.on_rate_limited(outcome.retry_after)
                    if tally.rate_limited > MAX_RATE_LIMIT_RETRIES:
                        return self._result(plan, tally, None, raw, f"gave up: {error}", latency_ms, None)
                    continue
                self.progress.errors += 1
                tally.transport_failures += 1
                if isinstance(outcome, RejectedError) or tally.transport_failures > self.spec.max_retries:
                    return self._result(plan, tally, None, raw, error, latency_ms, None)
                self.progress.retries += 1
                await self._pause(backoff_delay(tally.transport_failures - 1, self.spec.retry_base_s))
                continue
            reply = outcome
            await self.limiter.on_success()
            prompt_tokens = reply.prompt_tokens if reply.usage_reported else prompt_estimate
            completion_tokens = reply.completion_tokens if reply.usage_reported else estimate_tokens(reply.content)
            cost = self.price.cost(prompt_tokens, completion_tokens) if self.price else 0.0
            self.budget.settle(worst_usd, worst_tokens, cost, prompt_tokens + completion_tokens)
            self.progress.spent_usd = self.budget.spent_usd
            self.progress.tokens = self.budget.spent_tokens
            tally.prompt_tokens += prompt_tokens
            tally.completion_tokens += completion_tokens
            tally.cost_usd += cost
            try:
                parsed = parse_reply(self.recipe, reply.content)
            except ReplyParseError as failure:
                tally.parse_failures += 1
                error = f"{failure} (finish_reason={reply.finish_reason or 'none'})"
                if tally.parse_failures > self.spec.parse_retries:
                    return self._result(plan, tally, reply, reply.raw, error, latency_ms, None)
                self.progress.retries += 1
                continue
            return self._result(plan, tally, reply, reply.raw, None, latency_ms, parsed)
        return None
