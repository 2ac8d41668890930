"""Adaptive concurrency: halve on 429 and pause for Retry-After, double back after a run of successes."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time


def backoff_delay(attempt: int, base_s: float, cap_s: float = 30.0, rng: random.Random | None = None) -> float:
    """Return a full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    ceiling = min(cap_s, base_s * (2 ** max(0, attempt)))
    return (rng or random).uniform(0.0, ceiling)


class AdaptiveLimiter:
    """A semaphore whose limit shrinks on rate limiting and grows back as calls succeed."""

    def __init__(self, max_limit: int, *, recover_after: int = 8, default_pause_s: float = 1.0,
                 max_pause_s: float = 120.0) -> None:
        """Start at the full limit; `recover_after` successes in a row double the limit again."""
        self.max_limit = max_limit
        self.limit = max_limit
        self.in_flight = 0
        self.recover_after = recover_after
        self.default_pause_s = default_pause_s
        self.max_pause_s = max_pause_s
        self.paused_until = 0.0
        self.rate_limited = 0
        self._streak = 0
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        """Return the condition, created inside the running loop."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def acquire(self) -> None:
        """Wait until a slot is free and no rate-limit pause is in force, then take the slot."""
        changed = self._condition()
        async with changed:
            while True:
                wait_s = self.paused_until - time.monotonic()
                if wait_s > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), wait_s)
                    continue
                if self.in_flight < self.limit:
                    self.in_flight += 1
                    return
                await changed.wait()

    async def release(self) -> None:
        """Give a slot back and wake the waiters."""
        changed = self._condition()
        async with changed:
            self.in_flight -= 1
            changed.notify_all()

    async def on_rate_limited(self, retry_after_s: float | None) -> float:
        """Halve the limit and pause every caller for Retry-After (or a default); return the pause."""
        pause_s = min(self.max_pause_s, retry_after_s if retry_after_s is not None else self.default_pause_s)
        changed = self._condition()
        async with changed:
            self.rate_limited += 1
            self._streak = 0
            self.limit = max(1, self.limit // 2)
            self.paused_until = max(self.paused_until, time.monotonic() + pause_s)
            changed.notify_all()
        return pause_s

    async def on_success(self) -> None:
        """Count a success; after `recover_after` in a row, double the limit up to the maximum."""
        if self.limit >= self.max_limit:
            return
        self._streak += 1
        if self._streak >= self.recover_after:
            self._streak = 0
            changed = self._condition()
            async with changed:
                self.limit = min(self.max_limit, self.limit * 2)
                changed.notify_all()
