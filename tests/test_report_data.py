"""A store built for the mix, card and report tests: real and held-out items, two generation batches with
ledger rows (one on a model with no price), decisions with reasons, scores, contamination flags and a dedup run.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from core.dedup.spec import DedupSpec
from core.generation.builtin_recipes import builtin_recipes
from core.generation.spec import BatchSpec, parse_param
from core.models import Action, Item
from core.scorers import build_scorers
from store.batches import create_batch
from store.connection import Store, open_store
from store.decisions import decide
from store.dedup import reject_all_but_keeper, run_dedup
from store.generation import save_recipe
from store.items import insert_items
from store.scores import run_scorers, save_thresholds

WORDS = ["river", "stone", "garden", "signal", "copper", "planet", "cloud", "harbor", "valley", "winter", "summer",
         "meadow", "forest", "lantern", "engine", "violin", "marble", "desert", "glacier", "canyon", "orchard",
         "falcon", "thunder", "compass", "anchor", "beacon"]
VOCAB = [a + b for a in ("ka", "lo", "mi", "ne", "su", "ta", "vo", "ri", "de", "pu", "zo", "he") for b in
         ("ran", "lek", "mop", "dus", "vin", "tor", "gal", "bex", "sim", "fup", "wol", "nar")]
HOSTILE_TOPIC = "<script>alert(1)</script> ```` \x1b[31m | # **bold** [x](http://evil)"


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run a query on a fresh cursor and return every row."""
    with store.cursor() as cur:
        return cur.execute(sql, params or []).fetchall()


def one(store: Store, sql: str, params: list[Any] | None = None) -> Any:
    """Return the single value of a query."""
    return rows(store, sql, params)[0][0]


def _real(i: int) -> Item:
    """Return a varied real item."""
    pick = random.Random(100 + i).sample
    return Item(" ".join(pick(WORDS, 6)) + "?", " ".join(pick(VOCAB, 8) + pick(WORDS, 4)) + ".", origin="real",
                kind="chat" if i % 4 == 0 else "instruction", metadata={"domain": "nature" if i % 2 else "city"})


def _generation_batch(store: Store, name: str, model: str, texts: list[tuple[str, str]], price: float,
                      topic: str) -> list[int]:
    """Insert a generation batch with ledger rows (ok ones with items, two failed) and return the item ids."""
    recipe = next(r for r in builtin_recipes() if r.name == "domain-qa")
    spec = BatchSpec("domain-qa", len(texts), endpoint="https://llm.example/v1", model=model, domain="hobbies",
                     topics=(topic,), personas=("a nurse",), temperature=parse_param("0.2,0.9"), seed=11,
                     recipe_hash=recipe.content_hash)
    with store.transaction() as cur:
        save_recipe(cur, recipe)
        batch = create_batch(cur, name, "generation", source=spec.endpoint, fmt="recipe:domain-qa",
                             params={"spec": spec.to_json()})
        items = [Item(q, a, metadata={"generation": {"model": model, "topic": topic}},
                      kind="chat" if i % 3 == 0 else "instruction") for i, (q, a) in enumerate(texts)]
        ids = insert_items(cur, batch, items)
        prompt = json.dumps([{"role": "user", "content": f"Write a question about {topic}.\nThen answer it."}])
        for index, item_id in enumerate([*ids, None, None]):
            status = "ok" if item_id else "failed"
            cur.execute(
                "INSERT INTO generation_requests (request_key, batch_id, sample_index, endpoint, model, prompt, "
                "params, status, prompt_tokens, completion_tokens, cost_usd, item_id, attempts) "
                "VALUES (?, ?, ?, ?, ?, ?::JSON, '{}', ?, ?, ?, ?, ?, 1)",
                [f"{batch}-{index}", batch, index, spec.endpoint, model, prompt, status, 100 + index, 40 + index,
                 price * (140 + 2 * index) if item_id else 0.0, item_id])
    return ids


def build_store(path: Path) -> Store:
    """Build the shared test store (see the module docstring)."""
    store = open_store(path)
    with store.transaction() as cur:
        batch = create_batch(cur, "real import", "import")
        real = insert_items(cur, batch, [_real(i) for i in range(40)])
        held = insert_items(cur, batch, [Item(f"Held question {i} on {WORDS[i]}?", f"Held answer {i}.", origin="real",
                                              split="heldout") for i in range(6)])
        held_synthetic = insert_items(cur, batch, [Item("Held synthetic?", "Held synthetic answer.", split="heldout")])
    pick = random.Random(5).sample
    wide = [(" ".join(pick(VOCAB, 6)) + "?", " ".join(pick(VOCAB, 10)) + ".") for _ in range(60)]
    first = _generation_batch(store, "wide batch", "gpt-4o-mini", wide, 1e-6, HOSTILE_TOPIC)
    narrow = [("Tell me about the river.", "The river is long and the river is wide.")] * 28 + \
             [("Tell me about the river today.", "The river is long and the river is wide today.")] * 2
    second = _generation_batch(store, "narrow batch", "mystery-model", narrow, 0.0, "rivers")
    decide(store, real[:36], Action.ACCEPT)
    decide(store, real[36:38], Action.REJECT, reason="off-topic")
    decide(store, held[:5], Action.ACCEPT)
    decide(store, held[5:] + held_synthetic, Action.REJECT, reason="factual error")
    decide(store, first[:50], Action.ACCEPT)
    decide(store, first[50:55], Action.REJECT, reason="refusal")
    decide(store, second[:12], Action.ACCEPT)
    run_scorers(store, build_scorers(["refusal", "truncation"]), workers=1)
    save_thresholds(store, {"refusal": 0.4})
    run_dedup(store, DedupSpec("exact", "both"))
    reject_all_but_keeper(store, 1)
    flagged = [first[0], first[1], real[0], first[52]]
    with store.transaction() as cur:
        cur.executemany("INSERT INTO scores (item_id, scorer, scorer_version, score, verdict, reason) "
                        "VALUES (?, 'contamination', '1', 1.0, 'flag', 'overlap')", [[i] for i in flagged])
    return store
