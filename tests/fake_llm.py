"""A real OpenAI-compatible HTTP server (asyncio, HTTP/1.1 keep-alive) on 127.0.0.1 for tests and
benchmarks, with scriptable faults.

Faults, consumed one per request from a global queue or from a per-prompt-substring rule:
`429` (with Retry-After), `500`, `hang` (sleeps past the client's timeout), `malformed` (body is not
JSON), `length` (truncated content, finish_reason "length"), `empty` (empty content), `prose` (no JSON
in the content), `401`, `ok`. Run standalone with `python -m tests.fake_llm --latency 0.2`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

_SHAPE = re.compile(r"Reply with only a JSON object of this shape and no other text:\n(\{.*\})")


@dataclass
class LogEntry:
    """One request the server received and how it answered."""

    started: float
    finished: float
    prompt_hash: str
    user_text: str
    fault: str
    status: int
    authorization: str
    body: dict[str, Any] = field(default_factory=dict)


def prompt_hash(messages: list[dict[str, Any]]) -> str:
    """Return the hash the server logs for a list of chat messages."""
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:16]


def _reply_content(user_text: str, digest: str) -> str:
    """Return a valid JSON reply for the shape the prompt asks for, distinct per prompt."""
    match = _SHAPE.search(user_text)
    shape = json.loads(match.group(1)) if match else {"instruction": "", "response": ""}
    reply: dict[str, Any] = {}
    for key, kind in shape.items():
        reply[key] = [f"step {i} of {digest}" for i in (1, 2)] if isinstance(kind, list) else f"{key} {digest}"
    return json.dumps(reply)


_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}


class FakeLLM:
    """An asyncio /v1/chat/completions server (own thread and loop) with latency, faults and a request log."""

    def __init__(self, latency_s: float = 0.0, hang_s: float = 3.0, retry_after_s: float = 0.2) -> None:
        """Configure latency and fault timings; call start() to listen."""
        self.latency_s = latency_s
        self.hang_s = hang_s
        self.retry_after_s = retry_after_s
        self.faults: deque[str] = deque()
        self.rules: list[tuple[str, deque[str]]] = []
        self.log: list[LogEntry] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    def add_rule(self, substring: str, *faults: str) -> None:
        """Answer the next requests whose prompt contains `substring` with these faults, in order."""
        self.rules.append((substring, deque(faults)))

    def next_fault(self, user_text: str) -> str:
        """Pop the fault for a request: a matching rule first, then the global queue, else `ok`."""
        with self._lock:
            for substring, queue in self.rules:
                if substring in user_text and queue:
                    return queue.popleft()
            return self.faults.popleft() if self.faults else "ok"

    def record(self, entry: LogEntry) -> None:
        """Append to the request log."""
        with self._lock:
            self.log.append(entry)

    @property
    def base_url(self) -> str:
        """Return the `http://127.0.0.1:PORT/v1` URL clients use."""
        assert self._port, "server not started"
        return f"http://127.0.0.1:{self._port}/v1"

    def start(self) -> FakeLLM:
        """Listen on a free port with an event loop in a background thread."""
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=512))
            self._port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-llm", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        """Stop listening, cancel open connections and end the loop."""
        if self._loop is None or self._server is None:
            return
        server = self._server

        async def shutdown() -> None:
            server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeLLM:
        """Start on entering a with-block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving it."""
        self.stop()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve keep-alive HTTP/1.1 requests on one connection until the client closes it."""
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, payload, extra = await self._respond(body, headers.get("authorization", ""))
                lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Content-Type: application/json",
                         f"Content-Length: {len(payload)}", *(f"{k}: {v}" for k, v in extra.items())]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _respond(self, raw_body: bytes, authorization: str) -> tuple[int, bytes, dict[str, str]]:
        """Answer one chat completion, applying the next fault, and log it."""
        started = time.time()
        body = json.loads(raw_body or b"{}")
        messages = body.get("messages", [])
        user_text = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
        digest = prompt_hash(messages)
        fault = self.next_fault(user_text)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.hang_s if fault == "hang" else self.latency_s)
            status, payload, headers = _answer(self, fault, body, user_text, digest)
        finally:
            with self._lock:
                self.in_flight -= 1
        self.record(LogEntry(started, time.time(), digest, user_text, fault, status, authorization, body))
        return status, payload, headers


def _answer(fake: FakeLLM, fault: str, body: dict[str, Any], user_text: str,
            digest: str) -> tuple[int, bytes, dict[str, str]]:
    """Return status, body and headers for a fault."""
    if fault == "429":
        error = {"error": {"message": "rate limited", "type": "rate_limit_error"}}
        return 429, json.dumps(error).encode(), {"Retry-After": f"{fake.retry_after_s:g}"}
    if fault in ("500", "401"):
        error = {"error": {"message": f"fault {fault}", "type": "server_error"}}
        return int(fault), json.dumps(error).encode(), {}
    if fault == "malformed":
        return 200, b'{"id": "x", "choices": [ this is not json', {}
    content, finish = _reply_content(user_text, digest), "stop"
    if fault == "length":
        content, finish = content[: max(5, len(content) // 2)], "length"
    elif fault == "empty":
        content = ""
    elif fault == "prose":
        content = "Sure! Here is a great example of a task, written in prose."
    prompt_tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4 + 1
    completion_tokens = len(content) // 4 + 1
    reply = {
        "id": f"chatcmpl-{digest}", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }
    return 200, json.dumps(reply).encode(), {}


def main() -> None:
    """Serve until killed, printing the base URL on the first line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    fake = FakeLLM(latency_s=args.latency).start()
    sys.stdout.write(fake.base_url + "\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()


TOPICS = (
    "astronomy", "baking", "chess", "dentistry", "economics", "falconry", "geology", "harmonica",
    "irrigation", "jazz", "knitting", "linguistics", "meteorology", "navigation", "origami", "pottery",
    "quilting", "radiology", "sailing", "taxidermy", "upholstery", "viticulture", "welding", "xylography",
    "yodeling", "zoology", "archery", "beekeeping", "calligraphy", "dressage", "etymology", "fencing",
    "gardening", "hydraulics", "ichthyology", "juggling", "kayaking", "lacrosse", "mycology", "numismatics",
    "oceanography", "philately", "quarrying", "rowing", "surveying", "topiary", "ufology", "ventriloquism",
    "woodturning", "xeriscaping",
)
"""Distinct one-word topics, so every sample of a test batch renders a different prompt."""


def spec_for(server: FakeLLM, **overrides: Any) -> Any:
    """Return a domain-qa BatchSpec against the fake server with fast retries; override any field."""
    from core.generation.spec import BatchSpec

    values: dict[str, Any] = {
        "recipe": "domain-qa", "n": 10, "endpoint": server.base_url, "model": "gpt-4o-mini",
        "domain": "hobbies", "topics": TOPICS, "concurrency": 4, "timeout_s": 2.0, "retry_base_s": 0.01,
        "seed": 7,
    }
    values.update(overrides)
    return BatchSpec(**values)
