"""The chat-completion protocol every backend implements, and the errors the engine reacts to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion call: model, messages, the sampling values used, and the reply fields expected
    (a hint backends may use for guided decoding; the OpenAI-compatible client does not send it)."""

    model: str
    messages: list[dict[str, str]]
    temperature: float
    top_p: float
    max_tokens: int
    timeout_s: float
    json_fields: tuple[tuple[str, str], ...] = ()
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class ChatReply:
    """A completed call: the text, why it stopped, token usage and the raw body as received."""

    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    raw: str
    usage_reported: bool = True


class ChatError(Exception):
    """A call that did not produce a reply; `raw` keeps whatever the server sent."""

    def __init__(self, message: str, raw: str = "") -> None:
        """Keep the message and the raw body."""
        super().__init__(message)
        self.raw = raw


class RateLimitedError(ChatError):
    """HTTP 429: slow down, and wait `retry_after` seconds when the server says so."""

    def __init__(self, message: str, retry_after: float | None = None, raw: str = "") -> None:
        """Keep the server's Retry-After, if any."""
        super().__init__(message, raw)
        self.retry_after = retry_after


class TransientError(ChatError):
    """A failure worth retrying: 5xx, timeout, dropped connection, or a malformed body."""


class RejectedError(ChatError):
    """The server refused this one request (HTTP 400, 413, 422...): kept as a failed row, not retried."""


class FatalError(ChatError):
    """A failure no retry fixes (bad key, unknown model, bad request): the batch stops."""


class MissingKeyError(ValueError):
    """The environment variable named for the API key is not set."""


class ChatClient(Protocol):
    """Anything that answers chat completions: the OpenAI-compatible client or the embedded model."""

    endpoint: str

    async def complete(self, request: ChatRequest) -> ChatReply:
        """Run one call, raising a ChatError subclass when it fails."""
        ...

    async def aclose(self) -> None:
        """Release connections or workers."""
        ...


def parse_retry_after(value: str | None) -> float | None:
    """Return seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
