"""Import throughput: the 16 AlpacaEval files and a generated 1M-row JSONL, against a naive baseline.

Run from the repository root:  .venv/bin/python bench/import_bench.py [--rows 1000000] [--baseline-rows 20000]

The baseline is what a first attempt looks like: `json.loads` per line, `content_hash` per item
and one `executemany` INSERT; it runs on a slice because it is far too slow for the full file.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import store.importer as importer  # noqa: E402
from core.normalize import content_hash  # noqa: E402
from store.connection import open_store  # noqa: E402

DATASETS = REPO.parent / "shared" / "datasets"
_WORD_TEXT = (
    "model data train answer question explain list steps write short story poem summary table code python "
    "function error value result first second because however therefore example simple quick careful review "
    "number total price market river mountain city history science energy water light sound music color"
)
_WORDS = _WORD_TEXT.split(" ")
_ODD = ["café", "naïve", "“quoted”", "it’s", "—", "über", "数据", "🙂", "Ωmega", "résumé"]
_VERBS = ["Explain", "Summarize", "List", "Describe", "Write", "Compare", "Translate", "Classify"]


def _sentence(rng: random.Random, words: int, odd: bool) -> str:
    """Return a pseudo-random sentence, with one non-ASCII word when asked."""
    picked = rng.choices(_WORDS, k=words)
    if odd:
        picked[rng.randrange(words)] = rng.choice(_ODD)
    return " ".join(picked).capitalize() + rng.choice([".", "!", "?", ";", "..."])


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write `rows` varied alpaca rows (about 200-byte responses, some non-ASCII) deterministically."""
    rng = random.Random(seed)
    dumps = json.dumps
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            instruction = f"{rng.choice(_VERBS)} {_sentence(rng, rng.randint(6, 14), rng.random() < 0.05)}"
            response = " ".join(_sentence(rng, rng.randint(5, 9), rng.random() < 0.05) for _ in range(4))
            row = {"id": f"gen-{i:07d}", "instruction": instruction,
                   "input": _sentence(rng, 5, False) if i % 4 == 0 else "", "output": response,
                   "topic": rng.choice(_WORDS)}
            out.write(dumps(row, ensure_ascii=False) + "\n")


def baseline(path: Path, db: Path, rows: int) -> float:
    """Insert the first `rows` rows the naive way and return items per second."""
    store = open_store(db)
    start = time.perf_counter()
    values = []
    with path.open(encoding="utf-8") as source:
        for i, line in zip(range(rows), source, strict=False):
            row = json.loads(line)
            extras = {k: v for k, v in row.items() if k not in ("id", "instruction", "input", "output")}
            values.append((i + 1, row.get("id"), "instruction", "synthetic", "train", row["instruction"],
                           row.get("input", ""), row["output"],
                           content_hash(row["instruction"], row.get("input", ""), row["output"]),
                           json.dumps(extras, ensure_ascii=False)))
    with store.transaction() as cur:
        cur.executemany(
            "INSERT INTO items (id, ext_id, kind, origin, split, instruction, input, response, content_hash, "
            "metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON)", values)
    elapsed = time.perf_counter() - start
    store.close()
    return len(values) / elapsed


def timed_import(db: Path, files: list[Path], force_python: bool = False) -> tuple[int, float, float, str]:
    """Import files into a fresh store; return items, wall seconds, CPU seconds and the reader used."""
    original = importer._parse_fast
    if force_python:
        importer._parse_fast = lambda *args, **kwargs: None  # type: ignore[assignment]
    store = open_store(db)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        items = sum(importer.import_file(store, f).rows_ok for f in files)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        readers = {r[0] for r in store.cursor().execute("SELECT params->>'reader' FROM batches").fetchall()}
    finally:
        importer._parse_fast = original
        store.close()
    return items, elapsed, cpu, "+".join(sorted(readers))


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--skip-python-path", action="store_true", help="skip the forced Python path run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        eval_files = sorted((DATASETS / "alpaca_eval").glob("*.json"))
        if eval_files:
            items, secs, cpu, reader = timed_import(tmp / "eval.duckdb", eval_files)
            print(f"alpaca_eval   {len(eval_files)} files {items:>9,} items {secs:6.2f} s "
                  f"{items / secs:>10,.0f} items/s  cpu {cpu:5.2f} s  reader={reader}")
        big = tmp / "generated.jsonl"
        start = time.perf_counter()
        generate(big, args.rows)
        print(f"generated     {args.rows:,} rows, {big.stat().st_size / 1e6:.0f} MB in "
              f"{time.perf_counter() - start:.1f} s (not timed below)")
        items, secs, cpu, reader = timed_import(tmp / "big.duckdb", [big])
        print(f"import        {items:>18,} items {secs:6.2f} s {items / secs:>10,.0f} items/s  "
              f"cpu {cpu:5.2f} s  reader={reader}")
        if not args.skip_python_path:
            items, secs, cpu, reader = timed_import(tmp / "big_py.duckdb", [big], force_python=True)
            print(f"import forced {items:>18,} items {secs:6.2f} s {items / secs:>10,.0f} items/s  "
                  f"cpu {cpu:5.2f} s  reader={reader} (the fallback for files with bad rows)")
        rate = baseline(big, tmp / "baseline.duckdb", args.baseline_rows)
        print(f"baseline      {args.baseline_rows:>18,} items (slice) {rate:>10,.0f} items/s  "
              f"json.loads + content_hash + executemany; 1M would take ~{args.rows / rate:,.0f} s")


if __name__ == "__main__":
    main()
