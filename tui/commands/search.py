"""`thresher search`: run a query or a library query, count its hits, save it, or list the library with counts."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from core.dedup.embed import Embedder
from core.safe_text import one_line
from core.search.ast import QueryError
from core.search.evaluate import highlights
from core.search.library import LIBRARY, LIBRARY_VERSION
from core.search.record import Record
from store.search import Prepared, breakdown, count, page, prepare
from store.search_guard import view_help
from store.search_library import QueryCount, library_counts
from store.search_saved import delete_saved, save_query, saved_queries
from tui.commands.common import CliError, open_from_args, print_json, subcommand

PAGE = 1000
SNIPPET = 90
FIELDS = ("response", "instruction", "input")


SYNTAX = """query language (operators AND, OR, NOT in capitals; terms side by side mean AND; - negates):
  refusal                 whole word, any case and accent (cafe matches Café); refus* is a prefix
  "as an ai"              phrase: words in order, any whitespace between
  re:/as an ai/i          RE2 regex; flags i (ignore case), s (dot matches newline), m (multiline)
  response:sorry          scope a term to instruction, input, response, conversation (any turn) or metadata;
  field:response (a OR b) also scopes a group
  status:rejected origin:real split:heldout kind:chat batch:3 batch:NAME model:gpt-4*
  len:response>500 len:turns>=4 score:refusal>=0.5 flag:refusal flag:any
  check:math_mismatch     also repetition, unbalanced_fences, prompt_echo, script_mismatch
  sql:"response_len > 2000 AND model IS NULL"   read-only WHERE over the search_items view (--view-help)
  like:123~20 like:"tax questions"              nearest neighbours in the embeddings table
  lib:refusals saved:NAME                       a library query or a saved query
example: thresher search 'lib:refusals AND response:re:/as an ai/i NOT status:rejected' --count --by batch"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the search subcommand."""
    parser = subcommand(subparsers, "search", "search items with the query language or the failure-mode library")
    parser.epilog = SYNTAX
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("query", nargs="?", help="e.g. 'refusal AND response:re:/as an ai/i NOT status:rejected'")
    parser.add_argument("--library", metavar="NAME", help="run a library query (combined with QUERY by AND)")
    parser.add_argument("--count", action="store_true", help="print the hit count (per status, batch and model)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="JSON lines (or one JSON document with --count)")
    out.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.add_argument("--save", metavar="NAME", help="save the query under NAME (use it as saved:NAME)")
    parser.add_argument("--limit", type=int, default=50, help="at most this many hits (default 50, 0 = all)")
    parser.add_argument("--library-list", action="store_true", help="list library queries with hit counts")
    parser.add_argument("--saved", action="store_true", help="with --library-list: include saved queries")
    parser.add_argument("--by", choices=["batch", "model", "status"], help="break counts down by this")
    parser.add_argument("--saved-list", action="store_true", help="list saved queries")
    parser.add_argument("--delete-saved", metavar="NAME", help="delete a saved query")
    parser.add_argument("--view-help", action="store_true", help="list the columns sql: fragments can use")
    parser.set_defaults(handler=run)


def embedder_for(model: str) -> Embedder:
    """Return the dedup embedder that produced embeddings named `model`."""
    from core.dedup.embed import MINILM_NAME, STATIC_NAME, MiniLMEmbedder, StaticEmbedder

    if model == STATIC_NAME:
        return StaticEmbedder()
    if model == MINILM_NAME:
        return MiniLMEmbedder()
    raise QueryError(f"like: no embedder available for the stored model '{model}'")


def _query_text(args: argparse.Namespace) -> str:
    """Combine QUERY and --library into one query text."""
    parts = []
    if args.library:
        if args.library not in LIBRARY:
            raise CliError(f"no library query '{args.library}' (library: {', '.join(LIBRARY)})")
        parts.append(f"lib:{args.library}")
    if args.query:
        parts.append(f"({args.query})" if parts else args.query)
    if not parts:
        raise CliError("give a QUERY, --library NAME, --library-list or --saved-list")
    return " AND ".join(parts)


def _match(node: Any, record: Record) -> tuple[str, int, int] | None:
    """Return the first highlighted span as (field, start, end)."""
    for field in FIELDS:
        spans = highlights(node, record, field)
        if spans:
            return field, spans[0][0], spans[0][1]
    return None


def _snippet(record: Record, found: tuple[str, int, int] | None) -> str:
    """Return a one-line preview around the match, or of the response."""
    if found is None:
        return one_line(record.response or record.instruction, SNIPPET)
    field, start, end = found
    text = str(getattr(record, field))
    left = max(0, start - 30)
    return ("…" if left else "") + one_line(text[left:], SNIPPET)


def _print_hits(args: argparse.Namespace, records: list[Record], node: Any, writer: Any) -> None:
    """Print one page of hits in the chosen format."""
    for rec in records:
        found = _match(node, rec)
        if args.json:
            print_json({"id": rec.id, "status": rec.status, "batch": rec.batch_id, "model": rec.model,
                        "kind": rec.kind, "instruction": rec.instruction, "input": rec.input,
                        "response": rec.response,
                        "match": {"field": found[0], "start": found[1], "end": found[2]} if found else None})
        elif writer is not None:
            writer.writerow([rec.id, rec.status, rec.batch_id, rec.model or "", rec.kind, rec.instruction,
                             rec.input, rec.response])
        else:
            batch = "-" if rec.batch_id is None else rec.batch_id
            sys.stdout.write(f"{rec.id:>8} {rec.status:<9} {batch!s:>5} {one_line(rec.model or '-', 18):<18} "
                             f"{_snippet(rec, found)}\n")


def _run_query(args: argparse.Namespace, text: str) -> int:
    """Run one query: save it, count it or print its hits."""
    if args.limit < 0:
        raise CliError("--limit must be 0 or more")
    with open_from_args(args, read_only=not args.save) as store:
        if args.save:
            saved = save_query(store, args.save, text)
            sys.stderr.write(f"saved '{saved.name}': {saved.text}\n")
        cur = store.cursor()
        prepared = prepare(cur, text, embedders=embedder_for)
        if args.count:
            return _print_count(args, cur, prepared)
        writer = csv.writer(sys.stdout, lineterminator="\n") if args.csv else None
        if writer is not None:
            writer.writerow(["id", "status", "batch", "model", "kind", "instruction", "input", "response"])
        remaining, after = args.limit or None, 0
        while remaining is None or remaining > 0:
            records = page(cur, prepared, after_id=after, limit=min(remaining or PAGE, PAGE))
            if not records:
                break
            _print_hits(args, records, prepared.node, writer)
            after = records[-1].id
            if remaining is not None:
                remaining -= len(records)
    return 0


def _print_count(args: argparse.Namespace, cur: Any, prepared: Prepared) -> int:
    """Print the number of hits, broken down per status, batch and model for --json or --by."""
    if not (args.json or args.by):
        print(f"{count(cur, prepared):,}")
        return 0
    counts = breakdown(cur, prepared)
    if args.json:
        print_json({"query": prepared.text, "count": counts.total, "by_status": counts.by_status,
                    "by_batch": counts.by_batch, "by_model": counts.by_model})
        return 0
    print(f"{counts.total:,}")
    groups = {"batch": counts.by_batch, "model": counts.by_model, "status": counts.by_status}[args.by]
    for key, value in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"    {args.by} {one_line(key, 30):<30} {value:>9,}")
    return 0


def _groups(result: QueryCount, by: str | None) -> dict[str, int]:
    """Return the breakdown a --by option asks for."""
    counts = result.counts
    return {"batch": counts.by_batch, "model": counts.by_model, "status": counts.by_status}.get(by or "", {})


def _library_list(args: argparse.Namespace) -> int:
    """Print every library (and saved) query with its hit counts."""
    with open_from_args(args, read_only=True) as store:
        cur = store.cursor()
        total = int(cur.execute("SELECT count(*) FROM items").fetchall()[0][0])
        results = library_counts(cur, include_saved=args.saved)
    if args.json:
        print_json({"library_version": LIBRARY_VERSION, "items": total, "queries": [
            {"name": r.name, "description": r.description, "source": r.source, "version": r.version,
             "hits": r.counts.total, "by_status": r.counts.by_status, "by_batch": r.counts.by_batch,
             "by_model": r.counts.by_model, "seconds": round(r.seconds, 3)} for r in results]})
        return 0
    print(f"library v{LIBRARY_VERSION} over {total:,} items")
    for r in results:
        share = 100.0 * r.counts.total / total if total else 0.0
        name = r.name if r.source == "library" else f"{r.name} (saved)"
        print(f"{one_line(name, 28):<28} {r.counts.total:>9,} {share:6.2f}%  {one_line(r.description, 70)}")
        for key, value in sorted(_groups(r, args.by).items(), key=lambda kv: -kv[1]):
            print(f"    {args.by} {one_line(key, 30):<30} {value:>9,}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Dispatch to listing, saved-query management or running a query."""
    if args.view_help:
        print(view_help())
        return 0
    if args.library_list:
        return _library_list(args)
    if args.saved_list:
        with open_from_args(args, read_only=True) as store:
            queries = saved_queries(store.cursor())
        if args.json:
            print_json([{"name": q.name, "query": q.text, "created_at": q.created_at} for q in queries])
        for q in [] if args.json else queries:
            print(f"{one_line(q.name, 24):<24} {one_line(q.text, 100)}")
        return 0
    if args.delete_saved:
        with open_from_args(args) as store:
            if not delete_saved(store, args.delete_saved):
                raise CliError(f"no saved query '{args.delete_saved}'")
        return 0
    try:
        return _run_query(args, _query_text(args))
    except QueryError as error:
        raise CliError(f"bad query: {error}") from None
