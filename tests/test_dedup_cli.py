"""`thresher dedup` and `thresher decontaminate` end to end, plus the embedders loaded offline."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from core.dedup.embed import MiniLMEmbedder, StaticEmbedder
from core.models import Item
from store.connection import open_store
from store.items import insert_items
from tui.cli import main


@pytest.fixture
def cli_store(tmp_path: Path) -> Path:
    """Return a store path holding a near-duplicate pair, an exact pair and a contaminated item."""
    path = tmp_path / "cli.duckdb"
    with open_store(path) as store, store.transaction() as cur:
        insert_items(cur, None, [
            Item("Explain how photosynthesis works in green plants and algae",
                 "Photosynthesis converts light energy into chemical energy stored in glucose."),
            Item("Explain how photosynthesis works in green plants and algae!",
                 "Photosynthesis converts light energy into chemical energy, stored in glucose."),
            Item("Explain how photosynthesis works in green plants",
                 "Photosynthesis converts light energy into chemical energy stored in sugars."),
            Item("Write a poem about the sea", "The waves roll in under a silver moon."),
            Item("the quick brown fox jumps over the lazy dog while the farmer sleeps in the barn", "ok",
                 split="heldout"),
            Item("Repeat: the quick brown fox jumps over the lazy dog while the farmer sleeps in the barn", "ok"),
        ])
    return path


def test_dedup_json_lists_clusters_and_pairs(cli_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", str(cli_store), "dedup", "--method", "lexical", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["method"] == "lexical" and body["threshold"] == 0.8 and body["items"] == 5
    [cluster] = body["clusters"]
    assert sorted([cluster["keeper"], *(m["item"] for m in cluster["members"])]) == [1, 2, 3]
    assert [1, 2, 1.0] in body["pairs"]


def test_dedup_text_output_reject_and_undo(cli_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dedup", "--store", str(cli_store), "--method", "exact", "--reject"]) == 0
    out = capsys.readouterr().out
    assert "1 clusters, 1 duplicates among 5 items" in out and "reject 1 item" in out
    assert main(["--store", str(cli_store), "undo"]) == 0
    assert main(["--store", str(cli_store), "dedup", "--method", "exact", "--threshold", "1.5"]) == 1


def test_decontaminate_json(cli_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", str(cli_store), "decontaminate", "--no-semantic", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["flagged"] == 1 and body["flags"][0]["item"] == 6 and body["flags"][0]["heldout"] == 5


def test_minilm_loads_offline_from_the_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    model = MiniLMEmbedder()
    vectors = model.embed(["How do I bake bread?", "What is the way to bake a loaf of bread?", "Tax law in Peru"])
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    assert time.perf_counter() - start < 60


def test_static_embedder_averages_token_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.save(tmp_path / "minilm-static256-v1.npy", rng.normal(size=(30522, 8)).astype(np.float32))
    model = StaticEmbedder(tmp_path)
    vectors = model.embed(["Hello world", "hello WORLD", "", "something else entirely"])
    assert vectors.shape == (4, 8)
    assert np.allclose(vectors[0], vectors[1]) and not vectors[2].any()


@pytest.mark.slow
def test_static_model_distils_from_minilm_and_agrees_on_paraphrases(tmp_path: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = StaticEmbedder(tmp_path)
    vectors = model.embed(["How do I bake bread?", "How can I bake a loaf of bread?", "Tax law in Peru"])
    assert (tmp_path / "minilm-static256-v1.npy").exists()
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
