"""Batched generation for the embedded model (torch): per-row temperature, top_p and max_tokens, and
JSON-guided decoding that writes the reply object's scaffold itself and lets the model fill each value."""

from __future__ import annotations

import json
from typing import Any

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, StoppingCriteria

from core.generation.client import ChatReply, ChatRequest

_GREEDY_BELOW = 1e-4
_NUCLEUS_WINDOW = 1024
_REPETITION_PENALTY = 1.1


class PerRowSampling(LogitsProcessor):  # type: ignore[misc]
    """Applies each row's own temperature and nucleus (top_p) cut; temperature 0 means greedy."""

    def __init__(self, temperatures: list[float], top_ps: list[float]) -> None:
        """Keep one temperature and one top_p per row."""
        self.temperatures = torch.tensor(temperatures, dtype=torch.float32)
        self.top_ps = torch.tensor(top_ps, dtype=torch.float32)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """Return the warped scores for one decoding step (the nucleus is searched in the top 1024 tokens)."""
        greedy = self.temperatures < _GREEDY_BELOW
        scaled = scores / self.temperatures.clamp(min=_GREEDY_BELOW).unsqueeze(1)
        window = min(_NUCLEUS_WINDOW, scaled.shape[-1])
        top_scores, top_ids = torch.topk(scaled, window, dim=-1)
        top_probs = (top_scores - torch.logsumexp(scaled, dim=-1, keepdim=True)).exp()
        drop = (top_probs.cumsum(dim=-1) - top_probs) > self.top_ps.unsqueeze(1)
        drop[:, 0] = False
        drop |= greedy.unsqueeze(1) & (torch.arange(window) > 0).unsqueeze(0)
        warped = torch.full_like(scaled, float("-inf")).scatter(1, top_ids, top_scores.masked_fill(drop, float("-inf")))
        untouched = (self.top_ps >= 1.0) & ~greedy
        return torch.where(untouched.unsqueeze(1), scaled, warped)


class StopOnTokens(StoppingCriteria):  # type: ignore[misc]
    """Marks a row done once it emits any of the given token ids (here: tokens holding a double quote)."""

    def __init__(self, token_ids: torch.Tensor) -> None:
        """Keep the stop token ids."""
        self.token_ids = token_ids

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        """Return a per-row done flag."""
        return torch.isin(input_ids[:, -1], self.token_ids)


def _quote_tokens(tokenizer: Any) -> torch.Tensor:
    """Return (and cache on the tokenizer) the ids of tokens whose text contains a double quote."""
    cached = getattr(tokenizer, "_thresher_quote_ids", None)
    if cached is None:
        ids = [i for i in range(len(tokenizer)) if '"' in tokenizer.decode([i])]
        cached = torch.tensor(ids, dtype=torch.long)
        tokenizer._thresher_quote_ids = cached
    return cached


def _generate(tokenizer: Any, model: Any, texts: list[str], requests: list[ChatRequest], limits: list[int],
              stop: StoppingCriteria | None) -> tuple[list[list[int]], list[int]]:
    """Run one left-padded generate call; return each row's new tokens (cut to its limit) and prompt size."""
    encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    config = GenerationConfig(do_sample=True, temperature=1.0, top_p=1.0, top_k=0, max_new_tokens=max(limits),
                              repetition_penalty=_REPETITION_PENALTY, pad_token_id=tokenizer.pad_token_id,
                              eos_token_id=tokenizer.eos_token_id)
    processor = PerRowSampling([r.temperature for r in requests], [r.top_p for r in requests])
    with torch.inference_mode():
        output = model.generate(**encoded, generation_config=config, logits_processor=LogitsProcessorList([processor]),
                                stopping_criteria=[stop] if stop is not None else None)
    width = encoded["input_ids"].shape[1]
    rows = [output[row, width:].tolist()[: limits[row]] for row in range(len(texts))]
    return rows, [int(m.sum()) for m in encoded["attention_mask"]]


def _until(tokens: list[int], stop_id: int) -> tuple[list[int], bool]:
    """Cut tokens at the first `stop_id` (pad/eos); return them and whether the stop was found."""
    return (tokens[: tokens.index(stop_id)], True) if stop_id in tokens else (tokens, False)


def _reply(request: ChatRequest, text: str, finish: str, prompt_tokens: int, completion_tokens: int) -> ChatReply:
    """Build a reply with an OpenAI-shaped raw body."""
    raw = json.dumps({"model": request.model, "choices": [{"finish_reason": finish, "message": {
        "role": "assistant", "content": text}}], "usage": {"prompt_tokens": prompt_tokens,
                                                           "completion_tokens": completion_tokens}})
    return ChatReply(text, finish, prompt_tokens, completion_tokens, raw)


def _free_rows(tokenizer: Any, model: Any, requests: list[ChatRequest], prompts: list[str]) -> list[ChatReply]:
    """Generate free text, one row per request."""
    limits = [max(1, r.max_tokens) for r in requests]
    rows, prompt_sizes = _generate(tokenizer, model, prompts, requests, limits, None)
    replies = []
    for request, tokens, prompt_tokens in zip(requests, rows, prompt_sizes, strict=True):
        kept, stopped = _until(tokens, tokenizer.eos_token_id)
        text = tokenizer.decode(kept, skip_special_tokens=True)
        replies.append(_reply(request, text, "stop" if stopped else "length", prompt_tokens, len(kept)))
    return replies


def _guided_rows(tokenizer: Any, model: Any, requests: list[ChatRequest], prompts: list[str]) -> list[ChatReply]:
    """Write `{"field": "` scaffolds and let the model fill each string value up to its closing quote."""
    fields = requests[0].json_fields
    values: list[dict[str, Any]] = [{} for _ in requests]
    used = [0] * len(requests)
    truncated = [False] * len(requests)
    prompt_sizes = [0] * len(requests)
    stop = StopOnTokens(_quote_tokens(tokenizer))
    for name, kind in fields:
        live = [i for i in range(len(requests)) if not truncated[i]]
        if not live:
            break
        texts = [prompts[i] + _partial_json(values[i], name) for i in live]
        limits = [max(1, requests[i].max_tokens - used[i]) for i in live]
        rows, sizes = _generate(tokenizer, model, texts, [requests[i] for i in live], limits, stop)
        for i, tokens, size in zip(live, rows, sizes, strict=True):
            prompt_sizes[i] = prompt_sizes[i] or size
            kept, _ = _until(tokens, tokenizer.eos_token_id)
            used[i] += len(kept)
            text = tokenizer.decode(kept, skip_special_tokens=True)
            closed = '"' in text
            value = text.split('"', 1)[0].rstrip("\\").replace("\\n", "\n").strip()
            values[i][name] = [v.strip(" -*0123456789.") for v in value.split("\n") if v.strip()] \
                if kind == "list" else value
            if not closed and len(kept) >= limits[live.index(i)]:
                truncated[i] = True
    replies = []
    for i, request in enumerate(requests):
        text = json.dumps(values[i], ensure_ascii=False)
        if truncated[i]:
            text = text[: max(1, len(text) - 2)]
        replies.append(_reply(request, text, "length" if truncated[i] else "stop", prompt_sizes[i], used[i]))
    return replies


def _partial_json(values: dict[str, Any], next_field: str) -> str:
    """Return the reply so far as JSON text, open at the start of the next field's string value."""
    done = json.dumps(values, ensure_ascii=False)[:-1] if values else "{"
    return done + (", " if values else "") + json.dumps(next_field) + ': "'


def generate_rows(tokenizer: Any, model: Any, requests: list[ChatRequest]) -> list[ChatReply]:
    """Generate one reply per request; requests that name JSON fields are decoded field by field."""
    prompts = [tokenizer.apply_chat_template(r.messages, add_generation_prompt=True, tokenize=False)
               for r in requests]
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault(request.json_fields, []).append(index)
    replies: dict[int, ChatReply] = {}
    for json_fields, group in groups.items():
        runner = _guided_rows if json_fields else _free_rows
        answers = runner(tokenizer, model, [requests[i] for i in group], [prompts[i] for i in group])
        replies.update(zip(group, answers, strict=True))
    return [replies[i] for i in range(len(requests))]
