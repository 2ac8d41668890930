"""Scorer speed on 100k real items against a naive baseline, and detector quality on the labelled sample.

Run from the repository root:  .venv/bin/python bench/scorers_bench.py [--items 100000] [--baseline 20000]
                               [--quality] [--store] [--perplexity 64]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.calibration import suggest_threshold  # noqa: E402
from core.models import Item  # noqa: E402
from core.scorers import build_scorers  # noqa: E402
from core.scorers.labelled import REAL_SOURCES, Labelled, agreement, read_source, resolve  # noqa: E402
from core.scorers.runner import ScoringPool, score_items  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
FIXTURE = ROOT / "tests" / "fixtures" / "labels_real.json"


def workload(count: int) -> list[Item]:
    """Cycle the real data up to `count` items; copies differ by trailing spaces so no cache is reused."""
    real = [item for source in REAL_SOURCES for item in read_source(DATASETS, source)]
    items = []
    for k in range(count):
        base = real[k % len(real)]
        copy = k // len(real)
        items.append(Item(base.instruction, base.response + " " * copy, input=base.input, metadata=base.metadata))
    return items


def naive(items: list[Item]) -> float:
    """Baseline: one scorer at a time over every item, one process, memoised analyses cleared per scorer."""
    from core.scorers import langid, text

    start = time.perf_counter()
    for scorer in build_scorers():
        for cache in (text.analyze, text.lower, text.ngram_stats, langid.identify):
            cache.cache_clear()
        for item in items:
            scorer.score(item)
    return time.perf_counter() - start


def cpu_seconds() -> float:
    """Return CPU seconds used so far by this process and its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(label: str, seconds: float, count: int, cpu: float | None = None) -> None:
    """Print one timing line: wall clock, items/s, and CPU seconds when known."""
    extra = f"  (CPU {cpu:.1f} s)" if cpu is not None else ""
    print(f"{label:<48} {count:>8,} items {seconds:>8.2f} s {count / seconds:>10,.0f} items/s{extra}")


def speed(args: argparse.Namespace) -> None:
    """Time the baseline, one process, and the worker pool."""
    items = workload(args.items)
    scorers = build_scorers()
    cpu = os.cpu_count()
    print(f"{len(scorers)} rule scorers; {cpu} CPUs; load average {os.getloadavg()[0]:.1f}")
    subset = items[: args.baseline]
    before = cpu_seconds()
    timed("naive baseline (scorer by scorer, 1 process)", naive(subset), len(subset), cpu_seconds() - before)
    start, before = time.perf_counter(), cpu_seconds()
    score_items(scorers, subset)
    timed("shared analyses, item by item, 1 process", time.perf_counter() - start, len(subset),
          cpu_seconds() - before)
    start, before = time.perf_counter(), cpu_seconds()
    with ScoringPool(workers=cpu) as pool:
        pool.score(scorers, items)
    seconds = time.perf_counter() - start
    timed(f"shared analyses, {cpu} worker processes", seconds, len(items), cpu_seconds() - before)
    verdict = "PASS" if seconds < 60 else "FAIL"
    print(f"speed floor (all rule scorers, {len(items):,} items < 60 s): {verdict} ({seconds:.1f} s)")
    if args.store:
        from store.connection import open_store
        from store.items import insert_items
        from store.scores import run_scorers

        with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "b.duckdb") as store:
            with store.transaction() as cur:
                insert_items(cur, None, items)
            start = time.perf_counter()
            run_scorers(store, scorers)
            timed("thresher filter path (read, score, write)", time.perf_counter() - start, len(items))
            start = time.perf_counter()
            run_scorers(store, scorers)
            print(f"re-run with nothing new: {time.perf_counter() - start:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")


def quality() -> None:
    """Print precision and recall per detector on the labelled sample, overall and by stratum."""
    import json

    rows = json.loads(FIXTURE.read_text())
    print(f"labelled sample: {len(rows)} items")
    strata = {"all": None, "random+flagged": {"random", "flagged"}, "detector_hit+near_miss (held out)":
              {"detector_hit", "near_miss"}}
    scorers = build_scorers()
    for title, keep in strata.items():
        chosen = [r for r in rows if keep is None or r["stratum"] in keep]
        pairs = resolve(DATASETS, [Labelled(r["source"], r["index"], frozenset(r["labels"])) for r in chosen])
        print(f"\n{title}: {len(pairs)} items")
        print("| scorer | label | positives | flagged | precision | recall |\n|---|---|---|---|---|---|")
        for a in agreement(scorers, pairs):
            print(f"| {a.scorer} | {a.label} | {a.true_pos + a.false_neg} | {a.true_pos + a.false_pos} | "
                  f"{a.precision:.2f} | {a.recall:.2f} |")
        if keep is None:
            for scorer in scorers:
                if scorer.kind != "heuristic":
                    continue
                points = [(scorer.score(item).score, scorer.label in labels) for item, labels in pairs]
                best = suggest_threshold(points, 0.9, min_flagged=3)
                hint = (f"threshold {best.threshold:.2f} gives precision {best.confusion.precision:.2f}, "
                        f"recall {best.confusion.recall:.2f}") if best else "no threshold reaches precision 0.9"
                print(f"calibrated {scorer.name} (default {scorer.threshold:g}) for precision 0.9: {hint}")


def perplexity(count: int) -> None:
    """Time the perplexity scorer on real responses."""
    from core.scorers.perplexity import Perplexity, model_available

    if not model_available():
        print("perplexity: embedded model not set up; skipped")
        return
    scorer = Perplexity(batch_size=8)
    start = time.perf_counter()
    scorer.score_many([Item("q", "warm up")])
    print(f"perplexity model load: {time.perf_counter() - start:.1f} s")
    items = workload(count)
    start = time.perf_counter()
    scorer.score_many(items)
    timed("perplexity (SmolLM2-135M, CPU, batch 8)", time.perf_counter() - start, len(items))


def main() -> None:
    """Parse options and run the chosen parts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=20_000, help="items for the slower single-process runs")
    parser.add_argument("--quality", action="store_true", help="also print precision/recall on the labelled sample")
    parser.add_argument("--store", action="store_true", help="also time the full store path (thresher filter)")
    parser.add_argument("--perplexity", type=int, default=0, help="also time perplexity on this many items")
    args = parser.parse_args()
    if not DATASETS.is_dir():
        sys.exit(f"{DATASETS} is missing")
    speed(args)
    if args.quality:
        quality()
    if args.perplexity:
        perplexity(args.perplexity)


if __name__ == "__main__":
    main()
