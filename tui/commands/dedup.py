"""`thresher dedup` and `thresher decontaminate`: near-duplicate clusters and held-out overlap flags."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.dedup.embed import StaticEmbedder
from core.dedup.lexical import LexicalParams
from core.dedup.spec import FIELDS, METHODS, DedupSpec
from core.safe_text import one_line
from store.connection import Store
from store.dedup import DedupRun, decontaminate, reject_all_but_keeper, run_dedup
from tui.commands.common import CliError, open_from_args, print_json, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register dedup and decontaminate."""
    parser = subcommand(subparsers, "dedup", "find near-duplicate clusters (exact, lexical or semantic)")
    parser.add_argument("--method", choices=METHODS, default="lexical")
    parser.add_argument("--threshold", type=float, help="similarity to cluster at (default per method)")
    parser.add_argument("--field", choices=FIELDS, default="both", help="compared text (default both)")
    parser.add_argument("--fast", action="store_true", help="semantic: static model distilled from MiniLM")
    parser.add_argument("--ngram", type=int, default=LexicalParams().ngram, help="lexical: words per shingle")
    parser.add_argument("--jaccard", type=float, default=LexicalParams().jaccard,
                        help="lexical: Jaccard threshold the LSH bands are tuned for")
    parser.add_argument("--limit", type=int, default=20, help="clusters to print (default 20, 0 = all)")
    parser.add_argument("--reject", action="store_true",
                        help="reject every non-keeper as one undoable group (see `thresher undo`)")
    parser.add_argument("--json", action="store_true", help="print the run, clusters and pairs as JSON")
    parser.set_defaults(handler=run)
    decon = subcommand(subparsers, "decontaminate", "flag training items overlapping held-out items")
    decon.add_argument("--threshold", type=float, help="semantic cosine to flag at (default per model)")
    decon.add_argument("--fast", action="store_true", help="use the static model for the semantic check")
    decon.add_argument("--no-semantic", action="store_true", help="13-gram overlap only")
    decon.add_argument("--json", action="store_true", help="print counts and flags as JSON")
    decon.set_defaults(handler=run_decontaminate)


def _spec(args: argparse.Namespace) -> DedupSpec:
    """Build the dedup request from the arguments, with one-line errors."""
    try:
        lexical = LexicalParams(ngram=args.ngram, jaccard=args.jaccard)
        if not 1 <= args.ngram <= 13 or not 0.0 < args.jaccard < 1.0:
            raise ValueError("--ngram must be 1..13 and --jaccard in (0, 1)")
        return DedupSpec(args.method, args.field, args.threshold, args.fast, lexical)
    except ValueError as error:
        raise CliError(str(error)) from None


def _snippets(store: Store, ids: list[int]) -> dict[int, str]:
    """Return a one-line preview of each item's instruction."""
    rows = store.cursor().execute(
        "SELECT id, instruction FROM items WHERE id IN (SELECT unnest(?::BIGINT[]))", [ids]).fetchall()
    return {int(r[0]): one_line(r[1], 70) for r in rows}


def _as_json(result: DedupRun) -> dict[str, Any]:
    """Return the run as a JSON-ready dict."""
    near = result.pairs.at_least(result.spec.cut)
    return {
        "run": result.run_id, "method": result.spec.method, "field": result.spec.field,
        "threshold": result.spec.cut, "fast": result.spec.fast, "items": result.items,
        "duplicates": result.duplicates, "cache_hit": result.cache_hit, "seconds": result.seconds,
        "clusters": [{"id": c.cluster_id, "keeper": c.keeper,
                      "members": [{"item": i, "similarity": round(s, 4)} for i, s in c.members]}
                     for c in result.clusters],
        "pairs": [[a, b, round(s, 4)] for a, b, s in zip(near.a.tolist(), near.b.tolist(), near.sim.tolist(),
                                                          strict=True)],
    }


def run(args: argparse.Namespace) -> int:
    """Run dedup, print its clusters, and optionally reject the duplicates."""
    spec = _spec(args)
    _note_distillation(spec.method == "semantic" and spec.fast)
    with open_from_args(args) as store:
        result = run_dedup(store, spec)
        rejected = reject_all_but_keeper(store, result.run_id) if args.reject and result.duplicates else None
        if args.json:
            body = _as_json(result)
            body["rejected_group"] = rejected.group_id if rejected else None
            print_json(body)
            return 0
        shown = result.clusters[: args.limit or None]
        text = _snippets(store, [i for c in shown for i in c.item_ids])
    cached = " (cached pairs)" if result.cache_hit else ""
    sys.stdout.write(
        f"run {result.run_id}: {spec.method} on {spec.field} at {spec.cut:g}{cached}: {len(result.clusters)} "
        f"clusters, {result.duplicates} duplicates among {result.items} items, "
        f"{len(result.pairs.at_least(spec.cut))} pairs\n")
    for cluster in shown:
        sys.stdout.write(f"cluster {cluster.cluster_id} ({len(cluster)} items)\n")
        sys.stdout.write(f"  keep   {cluster.keeper:>8}  {text.get(cluster.keeper, '')}\n")
        for item, sim in cluster.members:
            sys.stdout.write(f"  {sim:6.3f} {item:>8}  {text.get(item, '')}\n")
    if len(result.clusters) > len(shown):
        sys.stdout.write(f"... {len(result.clusters) - len(shown)} more clusters (--limit 0 shows all)\n")
    if rejected:
        sys.stdout.write(f"{rejected.label} (group {rejected.group_id}; `thresher undo` reverts it)\n")
    return 0


def _note_distillation(fast: bool) -> None:
    """Say on stderr when the static model must first be distilled (once, about a minute)."""
    if fast and not StaticEmbedder().path.exists():
        sys.stderr.write("distilling the static model from all-MiniLM-L6-v2 once (about a minute)...\n")


def run_decontaminate(args: argparse.Namespace) -> int:
    """Flag contaminated training items in the scores table and report them."""
    _note_distillation(args.fast and not args.no_semantic)
    with open_from_args(args) as store:
        train, held, flags = decontaminate(store, semantic=not args.no_semantic, fast=args.fast,
                                           threshold=args.threshold)
    if args.json:
        print_json({"train": train, "heldout": held, "flagged": len(flags),
                    "flags": [{"item": f.item_id, "heldout": f.heldout_id, "kind": f.kind,
                               "score": round(f.score, 4), "reason": f.reason} for f in flags]})
        return 0
    sys.stdout.write(f"{len(flags)} of {train} training items overlap {held} held-out items\n")
    for flag in flags:
        sys.stdout.write(f"{flag.item_id:>8}  {one_line(flag.reason, 100)}\n")
    return 0
