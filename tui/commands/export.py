"""`thresher export`: write accepted items as Alpaca, ShareGPT, OpenAI chat JSONL or Parquet."""

from __future__ import annotations

import argparse
from pathlib import Path

from store.exporter import EXPORT_FORMATS, export_items
from tui.commands.card import add_mix_arguments, run_mix
from tui.commands.common import open_from_args, print_json, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the export subcommand."""
    parser = subcommand(subparsers, "export", "export items (accepted by default) to a file")
    parser.add_argument("out", type=Path, metavar="OUT")
    parser.add_argument("--format", dest="fmt", choices=EXPORT_FORMATS, default="alpaca")
    parser.add_argument("--status", default="accepted", choices=["accepted", "rejected", "pending", "skipped"])
    parser.add_argument("--include-heldout", action="store_true", help="also export held-out items")
    parser.add_argument("--include-contaminated", action="store_true",
                        help="also export items flagged as overlapping the held-out split")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_mix_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Export the chosen items and say how many were written."""
    if args.mix is not None:
        return run_mix(args)
    with open_from_args(args) as store:
        written = export_items(store, args.out, fmt=args.fmt, status=args.status,
                               include_heldout=args.include_heldout,
                               include_contaminated=args.include_contaminated)
    if args.json:
        print_json({"out": str(args.out), "format": args.fmt, "rows": written})
    else:
        print(f"wrote {written:,} {args.status} items to {args.out} as {args.fmt}")
    return 0
