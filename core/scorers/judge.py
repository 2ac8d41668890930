"""LLM-as-judge: a 0-5 quality rating with a written rubric (AlpaGasus-style), through any ChatClient.

Batched (concurrent requests), cached by content, and with a cost estimate to show before it runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.generation.client import ChatClient, ChatError, ChatRequest
from core.generation.pricing import PriceTable, estimate_prompt_tokens
from core.scorers.base import UNSCORED, Scorable, Scorer, ScoreResult, prompt_text, span_of

RUBRIC_VERSION = "1"
RUBRIC = """You are grading one response to an instruction for use as training data.
Rate it on an integer scale from 0 to 5 for accuracy, helpfulness and completeness:
5 - fully correct, complete and directly answers the instruction; nothing to fix.
4 - correct and helpful, with small omissions or style issues.
3 - partly helpful: some errors, padding, or misses part of the instruction.
2 - mostly unhelpful: major errors, off-topic, or heavily hedged.
1 - a refusal, an apology, a generic non-answer, or nonsense.
0 - empty, cut off before answering, repetitive loops, or in the wrong language.
Reply with only a JSON object: {"rating": <0-5>, "reason": "<one short sentence>"}"""
MAX_CHARS = 6000
"""Prompt and response are cut to this many characters each before judging."""
REPLY_TOKENS = 60


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """What judging some items would cost: calls, estimated tokens and dollars (None if unpriced)."""

    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float | None


def judge_messages(item: Scorable) -> list[dict[str, str]]:
    """Build the chat messages that ask the judge to rate one item."""
    body = f"### Instruction\n{prompt_text(item)[:MAX_CHARS]}\n\n### Response\n{item.response[:MAX_CHARS]}"
    return [{"role": "system", "content": RUBRIC}, {"role": "user", "content": body}]


def estimate_cost(items: Sequence[Scorable], model: str, prices: PriceTable | None = None) -> CostEstimate:
    """Estimate tokens and dollars for judging the items (four characters a token)."""
    prompt = sum(estimate_prompt_tokens(judge_messages(item)) for item in items)
    completion = REPLY_TOKENS * len(items)
    price = (prices or PriceTable()).lookup(model)
    return CostEstimate(len(items), prompt, completion, price.cost(prompt, completion) if price else None)


_RATING = re.compile(r'"?rating"?\s*[:=]\s*"?([0-5](?:\.\d+)?)|\b([0-5])\s*/\s*5\b|^\s*([0-5])\b', re.I | re.M)


def parse_rating(text: str) -> tuple[float, str] | None:
    """Read (rating, reason) from a judge reply: JSON first, then `rating: N` or `N/5` in prose."""
    body = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        data: Any = json.loads(body)
        if isinstance(data, dict) and "rating" in data:
            rating = float(data["rating"])
            if 0 <= rating <= 5:
                return rating, str(data.get("reason", ""))
    except (ValueError, TypeError):
        pass
    found = _RATING.search(text)
    if not found:
        return None
    return float(next(g for g in found.groups() if g)), text.strip()[:200]


class Judge(Scorer):
    """Rates responses 0-5 with an LLM; the score is (5 - rating) / 5, so higher is worse."""

    name = "judge"
    version = f"1-rubric{RUBRIC_VERSION}"
    kind = "model"
    label = "low_quality"
    threshold = 0.3
    """Flag ratings of 3.5 and below; AlpaGasus kept only ratings of 4.5 and above."""
    description = "LLM judge rating 0-5 with a written rubric (AlpaGasus-style); needs an endpoint"

    def __init__(
        self, client: ChatClient | None = None, model: str = "", *, concurrency: int = 8, timeout_s: float = 60.0
    ) -> None:
        """Judge through a chat client and model; nothing runs until items are scored."""
        self.client = client
        self.model = model
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.cache: dict[str, ScoreResult] = {}
        self.calls = 0

    def _key(self, item: Scorable) -> str:
        """Return the cache key of an item's judgement: model, rubric and text."""
        raw = json.dumps([self.model, RUBRIC_VERSION, prompt_text(item), item.response])
        return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()

    def score(self, item: Scorable) -> ScoreResult:
        """Judge one item (prefer score_many, which batches the calls)."""
        return self.score_many([item])[0]

    def score_many(self, items: list[Scorable]) -> list[ScoreResult]:
        """Judge items concurrently, reusing cached judgements of identical texts."""
        if self.client is None or not self.model:
            raise ValueError("the judge needs a chat endpoint and a model")
        keys = [self._key(item) for item in items]
        todo = {key: item for key, item in zip(keys, items, strict=True) if key not in self.cache}
        if todo:
            results = asyncio.run(self._judge_all(list(todo.values())))
            self.cache.update(zip(todo, results, strict=True))
        return [self.cache[key] for key in keys]

    async def _judge_all(self, items: list[Scorable]) -> list[ScoreResult]:
        """Run the calls with at most `concurrency` in flight."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(item: Scorable) -> ScoreResult:
            async with gate:
                return await self._judge(item)

        return list(await asyncio.gather(*(one(item) for item in items)))

    async def _judge(self, item: Scorable) -> ScoreResult:
        """Ask the judge about one item and turn its rating into a score."""
        assert self.client is not None
        request = ChatRequest(
            self.model,
            judge_messages(item),
            temperature=0.0,
            top_p=1.0,
            max_tokens=REPLY_TOKENS,
            timeout_s=self.timeout_s,
            json_fields=(("rating", "integer"), ("reason", "string")),
        )
        self.calls += 1
        try:
            reply = await self.client.complete(request)
        except ChatError as error:
            return ScoreResult(UNSCORED, "pass", f"judge failed: {error}"[:200])
        parsed = parse_rating(reply.content)
        if parsed is None:
            return ScoreResult(UNSCORED, "pass", f"unreadable judge reply: {reply.content[:120]!r}")
        rating, reason = parsed
        value = (5.0 - rating) / 5.0
        return self.result(value, f"rated {rating:g}/5: {reason}"[:300], span_of("response", 0, len(item.response)))
