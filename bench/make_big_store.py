"""Create a large store of varied synthetic items directly in DuckDB, for benchmarks.

Usage: python bench/make_big_store.py OUT.duckdb [--items 1000000]
The content hash here is DuckDB's md5 of the texts (bench data only, not the import path).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from store.connection import open_store

_SQL = """
INSERT INTO items (id, ext_id, kind, origin, split, batch_id, instruction, input, response,
                   content_hash, metadata)
SELECT i, 'big-' || i,
       ['instruction', 'qa', 'reasoning', 'chat'][1 + i % 4],
       CASE WHEN i % 10 = 0 THEN 'real' ELSE 'synthetic' END,
       CASE WHEN i % 50 = 0 THEN 'heldout' ELSE 'train' END,
       1 + (i % 8),
       ['Explain', 'Summarise', 'List three facts about', 'Write a haiku about', 'Compare'][1 + i % 5]
           || ' ' || ['photosynthesis', 'compound interest', 'the Treaty of Westphalia', 'binary search',
                      'sourdough baking', 'tidal energy', 'the Krebs cycle'][1 + (i // 5) % 7]
           || ' (variant ' || i || ')',
       CASE WHEN i % 3 = 0 THEN 'Context number ' || (i % 997) ELSE '' END,
       'Item ' || i || ' answer. ' || repeat('This is a plausible generated sentence. ', 1 + i % 6)
           || CASE WHEN i % 17 = 0 THEN 'As an AI language model, I cannot browse.' ELSE 'Done.' END,
       md5('item' || i),
       NULL
FROM range(?, ?) t(i)
"""


def main() -> None:
    """Fill a new store with the requested number of items in chunks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    start = time.perf_counter()
    with open_store(args.out) as store:
        with store.transaction() as cur:
            for batch in range(1, 9):
                cur.execute("INSERT INTO batches (id, name, kind, status) VALUES (?, ?, 'import', 'done')",
                            [batch, f"bench-batch-{batch}"])
        chunk = 250_000
        for low in range(1, args.items + 1, chunk):
            with store.transaction() as cur:
                cur.execute(_SQL, [low, min(low + chunk, args.items + 1)])
        store.checkpoint()
    print(f"wrote {args.items:,} items to {args.out} in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
