"""Model scorers: the LLM judge against a real HTTP server on 127.0.0.1, and perplexity (slow)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.models import Item
from core.scorers.judge import Judge, estimate_cost, parse_rating
from core.scorers.perplexity import Perplexity, model_available
from store.connection import Store
from store.items import insert_items
from store.scores import missing_ids, run_scorers


class _JudgeHandler(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions: rating 1 for apologies, 5 otherwise; 500 when asked to fail."""

    calls: list[dict[str, Any]] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet."""

    def do_POST(self) -> None:  # noqa: N802
        """Rate the response in the user message."""
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(body)
        text = body["messages"][-1]["content"]
        if "FAIL" in text:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "boom"}}')
            return
        rating = 1 if "sorry" in text.split("### Response", 1)[1] else 5
        content = json.dumps({"rating": rating, "reason": "apologises" if rating == 1 else "fine"})
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def judge_url() -> Iterator[str]:
    """Run the judge server on a free port of 127.0.0.1."""
    _JudgeHandler.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JudgeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _judge(url: str) -> Judge:
    from core.generation.openai_client import OpenAIChatClient

    return Judge(OpenAIChatClient(url, "sk-test"), "gpt-4o-mini", concurrency=4, timeout_s=10)


def test_parse_rating() -> None:
    assert parse_rating('{"rating": 4, "reason": "ok"}') == (4.0, "ok")
    assert parse_rating('```json\n{"rating": 2}\n```') == (2.0, "")
    assert parse_rating("Rating: 3\nReason: meh")[0] == 3.0  # type: ignore[index]
    assert parse_rating("I'd give it 5/5.")[0] == 5.0  # type: ignore[index]
    assert parse_rating("no idea") is None


def test_judge_batches_caches_and_stores(store: Store, judge_url: str) -> None:
    with store.transaction() as cur:
        insert_items(cur, None, [Item("Bake bread?", "I'm sorry, I can't."), Item("Bake bread?", "I'm sorry, I can't."),
                                 Item("FAIL please", "anything")])
    judge = _judge(judge_url)
    runs = run_scorers(store, [judge], workers=1)
    assert runs[0].new == 13 and runs[0].flagged == 2
    assert len(_JudgeHandler.calls) == 13, "identical texts are judged once, the failure once"
    assert missing_ids(store.cursor(), "judge", judge.version) == [14], "a failed call is retried next run"
    row = store.cursor().execute(
        "SELECT score, reason FROM scores WHERE scorer = 'judge' AND item_id = 12").fetchall()[0]
    assert row[0] == pytest.approx(0.8) and row[1].startswith("rated 1/5")


def test_cost_estimate_before_running() -> None:
    items = [Item("Question?", "Answer." * 100)] * 10
    cost = estimate_cost(items, "gpt-4o-mini")
    assert cost.calls == 10 and cost.prompt_tokens > 2000 and cost.usd is not None and cost.usd > 0
    assert estimate_cost(items, "some-unknown-model").usd is None


def test_judge_needs_an_endpoint() -> None:
    with pytest.raises(ValueError):
        Judge().score_many([Item("q", "a")])


@pytest.mark.slow
@pytest.mark.skipif(not model_available(), reason="embedded SmolLM2 model not set up (thresher local-model setup)")
def test_perplexity_ranks_fluent_text_below_gibberish() -> None:
    scorer = Perplexity(batch_size=4)
    items = [
        Item("What is the capital of France?", "The capital of France is Paris."),
        Item("What is the capital of France?", "Paris capital the France of is banana seven purple."),
        Item("Count to five.", "One, two, three, four, five."),
        Item("Count to five.", "Zxq vbn qwe rty uio pas dfg hjk."),
        Item("Say nothing.", ""),
    ]
    results = scorer.score_many(items)
    assert results[0].score < results[1].score and results[2].score < results[3].score
    assert results[4].score == 0.0
    assert results[1].reason.startswith("perplexity")
