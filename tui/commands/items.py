"""`thresher items`: list items as text or JSON lines."""

from __future__ import annotations

import argparse
import sys

from core.safe_text import one_line
from store.items import ItemFilter, list_items
from tui.commands.common import CliError, open_from_args, print_json, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the items subcommand."""
    parser = subcommand(subparsers, "items", "list items with their status")
    parser.add_argument("--status", choices=["pending", "accepted", "rejected", "skipped"])
    parser.add_argument("--batch", type=int, help="batch id")
    parser.add_argument("--origin", choices=["synthetic", "real"])
    parser.add_argument("--split", choices=["train", "heldout"])
    parser.add_argument("--kind")
    parser.add_argument("--limit", type=int, default=50, help="at most this many (default 50, 0 = all)")
    parser.add_argument("--json", action="store_true", help="JSON lines with id, status and the text fields")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Stream matching items page by page."""
    if args.limit < 0:
        raise CliError("--limit must be 0 or more")
    flt = ItemFilter(status=args.status, batch_id=args.batch, origin=args.origin, split=args.split,
                     kind=args.kind)
    remaining = args.limit or None
    after = 0
    with open_from_args(args) as store:
        cur = store.cursor()
        while remaining is None or remaining > 0:
            page = list_items(cur, flt, after_id=after, limit=min(remaining or 1000, 1000))
            if not page:
                break
            for item in page:
                if args.json:
                    print_json({
                        "id": item.id, "ext_id": item.ext_id, "status": item.status,
                        "reason": item.status_reason, "origin": item.origin, "split": item.split,
                        "kind": item.kind, "batch": item.batch_id, "instruction": item.instruction,
                        "input": item.input, "response": item.response,
                        "conversation": [{"role": t.role, "content": t.content} for t in item.conversation]
                        if item.conversation else None,
                    })
                else:
                    preview = one_line(item.instruction, 60)
                    sys.stdout.write(f"{item.id:>8} {item.status:<9} {item.kind:<12} {preview}\n")
            after = page[-1].id
            if remaining is not None:
                remaining -= len(page)
    return 0
