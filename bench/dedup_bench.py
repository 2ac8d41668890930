"""Dedup benchmark on real and planted data; run once, results go to bench/RESULTS.md '## Dedup'.

Usage: python bench/dedup_bench.py [--out /tmp/dedup_bench.json] [--big 1000000] [--sections ...]
Sections: minilm planted compare toolformer alpaca decontam (default), fields floors (extra).
Needs `pip install datasketch` for the comparison (bench only). Reads ../shared/datasets.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.dedup.embed import MiniLMEmbedder, StaticEmbedder, centred  # noqa: E402
from core.dedup.lexical import LexicalParams, lexical_pairs, verify  # noqa: E402
from core.dedup.minhash import candidate_pairs, shingles, signatures  # noqa: E402
from core.dedup.neighbours import cosine_pairs  # noqa: E402
from core.dedup.spec import DedupSpec  # noqa: E402
from core.models import Item, Split  # noqa: E402
from core.normalize import normalize_text  # noqa: E402
from store.connection import Store, open_store  # noqa: E402
from store.dedup import decontaminate, run_dedup  # noqa: E402
from store.items import insert_items  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
RESULTS: dict[str, Any] = {}


CPU: dict[str, float] = {}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run fn and return its result and wall seconds; its CPU seconds (all threads) go to CPU['last']."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU["last"] = round(time.process_time() - cpu, 2)
    return out, round(time.perf_counter() - start, 2)


def new_store(items: list[Item], name: str) -> Store:
    """Create a fresh store file in a temp folder holding the items."""
    path = Path(tempfile.mkdtemp(prefix="dedup-bench-")) / f"{name}.duckdb"
    store = open_store(path)
    for start in range(0, len(items), 200_000):
        with store.transaction() as cur:
            insert_items(cur, None, items[start : start + 200_000])
    return store


def sentence_pool() -> tuple[list[str], list[str]]:
    """Return real English sentences and words from alpaca_eval answers, for realistic synthetic items."""
    sentences: set[str] = set()
    for path in sorted((DATA / "alpaca_eval").glob("*.json")):
        for row in json.loads(path.read_text()):
            for part in re.split(r"(?<=[.!?])\s+|\n+", row["output"]):
                if 5 <= len(part.split()) <= 40:
                    sentences.add(part.strip())
    pool = sorted(sentences)
    return pool, sorted({w for s in pool[:20000] for w in s.split()})


def planted_items(n: int, seed: int = 0) -> tuple[list[Item], dict[int, int]]:
    """Return n items where 5% are 1-3-word edits (plus case/punctuation noise) of an earlier item."""
    rng = random.Random(seed)
    pool, words = sentence_pool()
    items: list[Item] = []
    source: dict[int, int] = {}
    for index in range(n):
        if index > 100 and rng.random() < 0.05:
            base = rng.randrange(index)
            text = items[base].response.split()
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(text))
                op = rng.random()
                if op < 0.5:
                    text[at] = rng.choice(words)
                elif op < 0.75 and len(text) > 5:
                    del text[at]
                else:
                    text.insert(at, rng.choice(words))
            instruction = items[base].instruction
            instruction = instruction.upper() if rng.random() < 0.2 else instruction.rstrip("?.!") + "!"
            items.append(Item(instruction, " ".join(text)))
            source[index + 1] = source.get(base + 1, base + 1)
        else:
            items.append(Item(rng.choice(pool), " ".join(rng.choice(pool) for _ in range(rng.randint(2, 4)))))
    return items, source


def planted_scores(clusters: list[Any], source: dict[int, int]) -> dict[str, float]:
    """Return recall (copies clustered with their source) and precision of keeper-member pairs."""
    group = {item: source.get(item, item) for c in clusters for item in c.item_ids}
    home = {item: c.cluster_id for c in clusters for item in c.item_ids}
    found = sum(1 for copy, origin in source.items() if copy in home and home.get(origin) == home[copy])
    pairs = [(c.keeper, m) for c in clusters for m, _ in c.members]
    right = sum(1 for k, m in pairs if group[k] == group[m])
    return {"planted": len(source), "recall": round(found / max(1, len(source)), 4),
            "precision": round(right / max(1, len(pairs)), 4), "removed": len(pairs)}


def bench_planted(mid: int, big: int) -> None:
    """Lexical at `mid` and `big` items, semantic fast at `mid`: time, recall and precision on planted copies."""
    for size in (mid, big):
        items, source = planted_items(size)
        store = new_store(items, f"planted{size}")
        result, secs = timed(lambda s=store: run_dedup(s, DedupSpec("lexical", "both")))
        RESULTS[f"lexical_{size}"] = {"seconds": secs, "steps": result.seconds, "clusters": len(result.clusters),
                                      **planted_scores(result.clusters, source)}
        print("lexical", size, RESULTS[f"lexical_{size}"], flush=True)
        recut, secs = timed(lambda s=store: run_dedup(s, DedupSpec("lexical", "both", threshold=0.9)))
        RESULTS[f"lexical_{size}_recut_0.9"] = {"seconds": secs, "cache_hit": recut.cache_hit,
                                                "clusters": len(recut.clusters)}
        if size == mid:
            _, distil = timed(lambda: StaticEmbedder().table())
            result, secs = timed(lambda s=store: run_dedup(s, DedupSpec("semantic", "both", fast=True)))
            RESULTS[f"semantic_fast_{size}"] = {"seconds": secs, "steps": result.seconds, "distil_or_load": distil,
                                               "clusters": len(result.clusters),
                                               **planted_scores(result.clusters, source)}
            print("semantic fast", RESULTS[f"semantic_fast_{size}"], flush=True)
        store.close()


def jaccard_truth(texts: list[str], ngram: int, threshold: float) -> set[tuple[int, int]]:
    """Return all pairs whose exact shingle-set Jaccard reaches the threshold (quadratic; small samples)."""
    sets = [set(shingles(t.split(), ngram)) for t in texts]
    out = set()
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            inter = len(sets[i] & sets[j])
            if inter and inter / (len(sets[i]) + len(sets[j]) - inter) >= threshold:
                out.add((i, j))
    return out


def datasketch_candidates(texts: list[str], params: LexicalParams) -> set[tuple[int, int]]:
    """Return candidate pairs from datasketch's MinHashLSH over the same shingles."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=params.jaccard, num_perm=params.num_perm)
    hashes = []
    for i, text in enumerate(texts):
        mh = MinHash(num_perm=params.num_perm, seed=1)
        mh.update_batch([s.encode() for s in shingles(text.split(), params.ngram)])
        lsh.insert(i, mh)
        hashes.append(mh)
    return {(min(i, j), max(i, j)) for i, mh in enumerate(hashes) for j in lsh.query(mh) if i != j}


def compare(name: str, texts: list[str], threshold: float = 0.8) -> None:
    """Compare our LSH, datasketch and all-pairs rapidfuzz on one text set (unique normalised texts)."""
    from rapidfuzz import fuzz, process

    texts = list(dict.fromkeys(normalize_text(t) for t in texts))
    params = LexicalParams()
    matrix, t_all = timed(lambda: process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=threshold * 100,
                                                dtype=np.uint8, workers=1))
    ii, jj = np.nonzero(np.triu(matrix, 1))
    truth = set(zip(ii.tolist(), jj.tolist(), strict=True))
    del matrix
    (ours, _), t_ours = timed(lambda: lexical_pairs(texts, threshold, params))
    ours_set = {tuple(p) for p in ours.tolist()}
    cands, t_ds = timed(lambda: datasketch_candidates(texts, params))
    arr = np.array(sorted(cands), np.int64).reshape(-1, 2)
    sims, t_ds_verify = timed(lambda: verify(texts, arr, threshold))
    ds_set = {tuple(p) for p, s in zip(arr.tolist(), sims.tolist(), strict=True) if s >= threshold}
    row: dict[str, Any] = {
        "texts": len(texts), "allpairs_seconds": t_all, "allpairs_pairs": len(truth),
        "ours_seconds": t_ours, "ours_pairs": len(ours_set),
        "ours_recall": round(len(ours_set & truth) / max(1, len(truth)), 4),
        "datasketch_seconds": round(t_ds + t_ds_verify, 2), "datasketch_pairs": len(ds_set),
        "datasketch_recall": round(len(ds_set & truth) / max(1, len(truth)), 4),
        "ours_vs_datasketch_overlap": round(len(ours_set & ds_set) / max(1, len(ours_set | ds_set)), 4),
    }
    sample = texts[:1500]
    exact = jaccard_truth(sample, params.ngram, params.jaccard)
    sig = signatures(sample, ngram=params.ngram, num_perm=params.num_perm)
    mine = {tuple(p) for p in candidate_pairs(sig, *params.bands_rows()).tolist()}
    theirs = {p for p in cands if p[0] < 1500 and p[1] < 1500}
    for label, got in (("ours", mine), ("datasketch", theirs)):
        row[f"{label}_lsh_vs_exact_jaccard"] = {
            "truth": len(exact), "candidates": len(got),
            "precision": round(len(got & exact) / max(1, len(got)), 4),
            "recall": round(len(got & exact) / max(1, len(exact)), 4)}
    RESULTS[f"compare_{name}"] = row
    print("compare", name, row, flush=True)


def kept_vs_peer(store: Store, run_clusters: list[Any], rows: list[dict[str, str]]) -> dict[str, Any]:
    """Compare what a run removes on GPTeacher-toolformer with what the peer's 0.9/0.8/0.7 files kept."""
    removed = {m for c in run_clusters for m, _ in c.members}
    key_of = {i + 1: (r["instruction"], r["input"], r["output"]) for i, r in enumerate(rows)}
    out: dict[str, Any] = {"kept": len(rows) - len(removed)}
    for level in ("0.9", "0.8", "0.7"):
        peer = json.loads((DATA / "gpteacher_toolformer" / f"toolformer-similarity-{level}-dataset.json").read_text())
        kept = {(r["instruction"], r["input"], r["output"]) for r in peer}
        peer_removed = {i for i, k in key_of.items() if k not in kept}
        both = removed & peer_removed
        out[level] = {"peer_kept": len(peer), "agree_removed": round(len(both) / max(1, len(removed)), 3),
                      "jaccard_removed": round(len(both) / max(1, len(removed | peer_removed)), 3)}
    return out


def bench_toolformer() -> None:
    """GPTeacher toolformer: lexical and semantic (fast and full MiniLM) at 0.9/0.8/0.7 against the peer."""
    rows = json.loads((DATA / "gpteacher_toolformer" / "toolformer-dedupe-only-dataset.json").read_text())
    store = new_store([Item(r["instruction"], r["output"], input=r["input"]) for r in rows], "toolformer")
    minilm = MiniLMEmbedder()
    for method, fast in (("lexical", False), ("semantic", True), ("semantic", False)):
        for t in (0.9, 0.8, 0.7):
            spec = DedupSpec(method, "both", threshold=t, fast=fast)
            model = minilm if method == "semantic" and not fast else None
            result, secs = timed(lambda s=spec, m=model: run_dedup(store, s, embedder=m))
            label = f"toolformer_{method}{'_fast' if fast else ''}_{spec.cut}"
            RESULTS[label] = {"seconds": secs, "clusters": len(result.clusters), "duplicates": result.duplicates,
                              "cache_hit": result.cache_hit, **kept_vs_peer(store, result.clusters, rows)}
            print(label, RESULTS[label], flush=True)
    agreement(store, "toolformer")
    compare("toolformer_both", [f"{r['instruction']}\n{r['input']}\n{r['output']}" for r in rows])
    store.close()


def agreement(store: Store, name: str) -> None:
    """Compare static-model pairs with full MiniLM pairs on the same items (cached embeddings)."""
    from store.embeddings import embed_cached, load_texts

    texts = load_texts(store.cursor(), "both")
    positions = list(range(len(texts.ids)))
    full = embed_cached(store, texts, positions, MiniLMEmbedder(), "both")
    fast = centred(embed_cached(store, texts, positions, StaticEmbedder(), "both"))
    fi, fs = cosine_pairs(full, 0.7, max_per_row=0)
    si, ss = cosine_pairs(fast, 0.6, max_per_row=0)
    out = {}
    for t in (0.9, 0.8):
        truth = {tuple(p) for p, s in zip(fi.tolist(), fs.tolist(), strict=True) if s >= t}
        order = np.argsort(-ss)
        matched = {tuple(p) for p in si[order[: len(truth)]].tolist()}
        cut = float(ss[order[len(truth) - 1]]) if truth and len(order) >= len(truth) else None
        default = {tuple(p) for p, s in zip(si.tolist(), ss.tolist(), strict=True) if s >= t}
        out[str(t)] = {"minilm_pairs": len(truth), "static_cut_same_count": cut and round(cut, 4),
                       "agreement_at_same_count": round(len(truth & matched) / max(1, len(truth)), 4),
                       "static_pairs_same_threshold": len(default),
                       "precision_same_threshold": round(len(default & truth) / max(1, len(default)), 4),
                       "recall_same_threshold": round(len(default & truth) / max(1, len(truth)), 4)}
    RESULTS[f"agreement_{name}"] = out
    print("agreement", name, out, flush=True)


def bench_fields() -> None:
    """GPTeacher toolformer compared on each field alone (which field did the peer's dedup look at?)."""
    rows = json.loads((DATA / "gpteacher_toolformer" / "toolformer-dedupe-only-dataset.json").read_text())
    store = new_store([Item(r["instruction"], r["output"], input=r["input"]) for r in rows], "fields")
    for method, fld, fast in (("lexical", "instruction", False), ("lexical", "response", False),
                              ("semantic", "response", True), ("semantic", "instruction", True)):
        for t in (0.9, 0.8, 0.7):
            spec = DedupSpec(method, fld, threshold=t, fast=fast)
            result, secs = timed(lambda s=spec: run_dedup(store, s))
            label = f"toolformer_{method}{'_fast' if fast else ''}_{fld}_{t}"
            RESULTS[label] = {"seconds": secs, "duplicates": result.duplicates,
                              **kept_vs_peer(store, result.clusters, rows)}
            print(label, RESULTS[label], flush=True)
    store.close()


def bench_floors() -> None:
    """The speed floors again with CPU time: lexical at 100k and semantic fast at 100k."""
    items, _ = planted_items(100_000)
    store = new_store(items, "floors")
    for spec in (DedupSpec("lexical", "both"), DedupSpec("semantic", "both", fast=True)):
        result, secs = timed(lambda s=spec: run_dedup(store, s))
        RESULTS[f"floor_{spec.flavour}_100000"] = {"seconds": secs, "cpu_seconds": CPU["last"],
                                                   "load": os.getloadavg()[0], "steps": result.seconds}
        print("floor", spec.flavour, RESULTS[f"floor_{spec.flavour}_100000"], flush=True)
    store.close()


def bench_alpaca() -> None:
    """alpaca_eval: 16 answers to each of 805 instructions."""
    items = []
    for path in sorted((DATA / "alpaca_eval").glob("*.json")):
        items += [Item(r["instruction"], r["output"], metadata={"generator": r["generator"]})
                  for r in json.loads(path.read_text())]
    store = new_store(items, "alpaca")
    for spec in (DedupSpec("exact", "instruction"), DedupSpec("lexical", "response"),
                 DedupSpec("lexical", "response", threshold=0.9), DedupSpec("semantic", "response", fast=True)):
        result, secs = timed(lambda s=spec: run_dedup(store, s))
        label = f"alpaca_{spec.method}{'_fast' if spec.fast else ''}_{spec.field}_{spec.cut}"
        RESULTS[label] = {"items": result.items, "seconds": secs, "clusters": len(result.clusters),
                          "duplicates": result.duplicates, "largest": len(result.clusters[0]) if result.clusters else 0}
        print(label, RESULTS[label], flush=True)
    store.close()


def bench_minilm() -> None:
    """Full MiniLM throughput on texts of about 80 tokens."""
    pool, _ = sentence_pool()
    rng = random.Random(3)
    texts = [" ".join(rng.choice(pool) for _ in range(3)) for _ in range(600)]
    model = MiniLMEmbedder()
    model.embed(texts[:16])
    tokens = np.mean([min(256, len(model.model().tokenizer(t)["input_ids"])) for t in texts])
    _, secs = timed(lambda: model.embed(texts))
    static = StaticEmbedder()
    _, static_secs = timed(lambda: static.embed(texts * 20))
    RESULTS["minilm_throughput"] = {"texts": len(texts), "mean_tokens": round(float(tokens), 1),
                                    "items_per_s": round(len(texts) / secs, 1),
                                    "static_items_per_s": round(len(texts) * 20 / static_secs, 1)}
    print("minilm", RESULTS["minilm_throughput"], flush=True)


def bench_decontam() -> None:
    """GSM8K: train split against the test split as held-out."""
    def read(name: str, split: str) -> list[Item]:
        rows = [json.loads(line) for line in (DATA / "gsm8k" / name).read_text().splitlines() if line.strip()]
        return [Item(r["question"], r["answer"], split=split) for r in rows]
    store = new_store(read("train.jsonl", Split.TRAIN.value) + read("test.jsonl", Split.HELDOUT.value), "gsm8k")
    (train, held, flags), secs = timed(lambda: decontaminate(store, fast=True))
    kinds = {k: sum(1 for f in flags if f.kind == k) for k in ("ngram", "semantic")}
    RESULTS["decontam_gsm8k"] = {"train": train, "heldout": held, "seconds": secs, **kinds,
                                 "examples": [f.reason[:160] for f in flags[:3]]}
    print("decontam", RESULTS["decontam_gsm8k"], flush=True)
    store.close()


def main() -> None:
    """Run the chosen sections and write the results as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("/tmp/dedup_bench.json"))
    parser.add_argument("--mid", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--sections", nargs="*",
                        default=["minilm", "planted", "compare", "toolformer", "alpaca", "decontam"])
    args = parser.parse_args()
    RESULTS["load_before"] = os.getloadavg()
    start = time.perf_counter()
    for section in args.sections:
        if section == "compare":
            items, _ = planted_items(5000, seed=5)
            compare("planted5k_both", [f"{i.instruction}\n{i.response}" for i in items])
        else:
            sections = {"minilm": bench_minilm, "planted": lambda: bench_planted(args.mid, args.big),
                        "toolformer": bench_toolformer, "alpaca": bench_alpaca, "decontam": bench_decontam,
                        "fields": bench_fields, "floors": bench_floors}
            sections[section]()
        args.out.write_text(json.dumps(RESULTS, indent=1))
    RESULTS["load_after"] = os.getloadavg()
    RESULTS["total_seconds"] = round(time.perf_counter() - start, 1)
    args.out.write_text(json.dumps(RESULTS, indent=1))
    print(json.dumps(RESULTS, indent=1))


if __name__ == "__main__":
    main()
