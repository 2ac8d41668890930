"""The OpenAI-compatible backend: AsyncOpenAI against any base URL, with our own retry policy."""

from __future__ import annotations

import json
import os

import httpx2
import openai
from openai import AsyncOpenAI
from openai._types import RequestOptions

from core.generation.client import (
    ChatReply,
    ChatRequest,
    FatalError,
    MissingKeyError,
    RateLimitedError,
    RejectedError,
    TransientError,
    parse_retry_after,
)

NO_KEY_PLACEHOLDER = "sk-no-key-set"
_FATAL_STATUSES = (401, 403, 404)
_RETRY_STATUSES = (408, 409, 425)


def resolve_api_key(env_name: str, *, required: bool) -> str:
    """Read the API key from the named environment variable; the key itself is never stored."""
    key = os.environ.get(env_name, "")
    if not key and required:
        raise MissingKeyError(f"environment variable {env_name} is not set; export the API key there")
    return key or NO_KEY_PLACEHOLDER


class OpenAIChatClient:
    """Talks to /v1/chat/completions of any OpenAI-compatible server."""

    def __init__(self, endpoint: str, api_key: str) -> None:
        """Create the async client; retries are the engine's job, so the client's own are off."""
        self.endpoint = endpoint
        self._secret = api_key
        self._client = AsyncOpenAI(api_key=api_key, base_url=endpoint, max_retries=0)

    def _redact(self, text: str) -> str:
        """Remove the API key from text that may be stored or shown."""
        return text.replace(self._secret, "***") if self._secret and self._secret in text else text

    async def complete(self, request: ChatRequest) -> ChatReply:
        """Run one chat completion, mapping failures onto the engine's error kinds.

        Goes through `AsyncOpenAI.post` (auth, base URL, pooling and error mapping) with a plain body
        and the raw response, skipping the per-call TypedDict transform and pydantic parse that cost
        several milliseconds of CPU per request.
        """
        body = {"model": request.model, "messages": request.messages, "temperature": request.temperature,
                "top_p": request.top_p, "max_tokens": request.max_tokens}
        options: RequestOptions = {"timeout": request.timeout_s}
        if request.request_id:
            options["idempotency_key"] = request.request_id
        try:
            response = await self._client.post("/chat/completions", cast_to=httpx2.Response, body=body,
                                               options=options)
        except openai.RateLimitError as error:
            retry = parse_retry_after(error.response.headers.get("retry-after"))
            ms = error.response.headers.get("retry-after-ms")
            if retry is None and ms:
                retry = (parse_retry_after(ms) or 0.0) / 1000
            raise RateLimitedError("HTTP 429 rate limited", retry, self._redact(error.response.text)) from None
        except openai.APIStatusError as error:
            status, text = error.status_code, self._redact(error.response.text)
            message = f"HTTP {status}: {self._redact(str(error.message))}"
            if status in _FATAL_STATUSES:
                raise FatalError(message, text) from None
            if status >= 500 or status in _RETRY_STATUSES:
                raise TransientError(message, text) from None
            raise RejectedError(message, text) from None
        except openai.APITimeoutError:
            raise TransientError(f"timed out after {request.timeout_s:g}s") from None
        except openai.APIConnectionError as error:
            raise TransientError(f"connection failed: {self._redact(str(error))}") from None
        return parse_completion(self._redact(response.text))

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()



def parse_completion(text: str) -> ChatReply:
    """Read an OpenAI chat.completion body, raising TransientError (with the body) when it is malformed."""
    try:
        data = json.loads(text)
        choice = data["choices"][0]
        content = (choice.get("message") or {}).get("content") or ""
        usage = data.get("usage") or {}
        if not isinstance(content, str):
            raise TypeError("message content is not text")
        return ChatReply(
            content=content,
            finish_reason=str(choice.get("finish_reason") or ""),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            raw=text,
            usage_reported="completion_tokens" in usage,
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise TransientError(f"malformed response body: {type(error).__name__}: {str(error)[:160]}", text) from None
