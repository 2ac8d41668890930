"""`thresher stats`: totals by status, origin, split, kind and batch."""

from __future__ import annotations

import argparse

from store.stats import store_stats
from tui.commands.common import open_from_args, print_json, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the stats subcommand."""
    parser = subcommand(subparsers, "stats", "show totals by status, origin, split, kind and batch")
    parser.add_argument("--json", action="store_true", help="print the stable JSON shape (see README)")
    parser.set_defaults(handler=run)


def _table(title: str, counts: dict[str, int]) -> str:
    """Format one group of counts as an aligned block."""
    lines = [f"{title}:"] + [f"  {key:<14} {value:>10,}" for key, value in counts.items()]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the store's totals."""
    with open_from_args(args, read_only=False) as store:
        stats = store_stats(store.cursor())
    if args.json:
        print_json(stats)
        return 0
    print(f"{stats['total']:,} items in {args.store if getattr(args, 'store', None) else 'the store'}")
    for key in ("by_status", "by_origin", "by_split", "by_kind"):
        print(_table(key.removeprefix("by_"), stats[key]))
    print("batches:")
    for batch in stats["batches"]:
        counts = " ".join(f"{k}={v}" for k, v in batch["by_status"].items())
        print(f"  #{batch['id']:<4} {batch['name'][:40]:<40} {batch['kind']:<10} {batch['items']:>8,}  {counts}")
    return 0
