"""`thresher filter`: run quality filters and failure-mode detectors over the store, print hit counts."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from core.scorers import UnknownScorerError, all_scorer_names, build_scorers, rule_scorer_names, scorer_class
from core.scorers.base import Scorer
from store.connection import Store
from store.scores import hit_counts, load_items, missing_ids, run_scorers
from tui.commands.common import CliError, open_from_args, print_json, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the filter subcommand."""
    parser = subcommand(subparsers, "filter", "run quality filters and failure detectors; print hits per filter")
    parser.add_argument(
        "--scorer",
        action="append",
        metavar="NAME",
        help="run only this scorer (repeatable); default: every rule-based scorer. "
        "'perplexity' and 'judge' need a model and run only when named",
    )
    parser.add_argument("--list", action="store_true", help="list the scorers and exit")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU count)")
    parser.add_argument("--batch-size", type=int, default=20_000, help="items per transaction")
    parser.add_argument(
        "--judge-endpoint",
        default=os.environ.get("THRESHER_JUDGE_ENDPOINT", ""),
        help="OpenAI-compatible base URL for the judge (or $THRESHER_JUDGE_ENDPOINT)",
    )
    parser.add_argument(
        "--judge-model",
        default=os.environ.get("THRESHER_JUDGE_MODEL", ""),
        help="model name for the judge (or $THRESHER_JUDGE_MODEL)",
    )
    parser.add_argument(
        "--judge-key-env", default="OPENAI_API_KEY", help="environment variable holding the judge's API key"
    )
    parser.add_argument("--yes", action="store_true", help="run the judge without asking after the cost estimate")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(handler=run)


def _list() -> int:
    """Print every scorer with its version and description."""
    for name in all_scorer_names():
        cls = scorer_class(name)
        print(f"{name:<20} {cls.version:<18} {cls.kind:<10} {cls.description}")
    return 0


def _build(args: argparse.Namespace) -> list[Scorer]:
    """Instantiate the chosen scorers, wiring the judge to its endpoint."""
    names = args.scorer or rule_scorer_names()
    try:
        scorers = build_scorers([n for n in names if n != "judge"])
    except UnknownScorerError as error:
        raise CliError(str(error)) from None
    if "judge" in names:
        scorers.append(_judge(args))
    return scorers


def _judge(args: argparse.Namespace) -> Scorer:
    """Build the LLM judge from the command-line endpoint options."""
    from core.generation.openai_client import OpenAIChatClient, resolve_api_key
    from core.scorers.judge import Judge

    if not args.judge_endpoint or not args.judge_model:
        raise CliError("the judge needs --judge-endpoint and --judge-model")
    client = OpenAIChatClient(args.judge_endpoint, resolve_api_key(args.judge_key_env, required=False))
    return Judge(client, args.judge_model)


def _confirm_judge(store: Store, scorers: list[Scorer], args: argparse.Namespace) -> None:
    """Show what the judge would cost and ask (or require --yes) before it runs."""
    from core.scorers.judge import Judge, estimate_cost

    for scorer in scorers:
        if not isinstance(scorer, Judge):
            continue
        ids = missing_ids(store.cursor(), scorer.name, scorer.version)
        items = [item for _, item in load_items(store.cursor(), ids)]
        cost = estimate_cost(items, scorer.model)
        usd = f"${cost.usd:.4f}" if cost.usd is not None else "unknown (model not in the price table)"
        sys.stderr.write(
            f"judge: {cost.calls} calls to {scorer.model}, ~{cost.prompt_tokens:,} prompt + "
            f"~{cost.completion_tokens:,} completion tokens, estimated cost {usd}\n"
        )
        if cost.calls and not args.yes:
            if not sys.stdin.isatty():
                raise CliError("rerun with --yes to run the judge at that cost")
            if input("run the judge? [y/N] ").strip().lower() not in ("y", "yes"):
                raise CliError("judge not run")


def _progress(done: int, total: int) -> None:
    """Show how far a run has got on one terminal line."""
    sys.stderr.write(f"\rscored {done:,}/{total:,} items")


def run(args: argparse.Namespace) -> int:
    """Score every item each scorer has not scored yet, then print hit counts."""
    if args.list:
        return _list()
    scorers = _build(args)
    with open_from_args(args) as store:
        _confirm_judge(store, scorers, args)
        start = time.perf_counter()
        show = not args.json and sys.stderr.isatty()
        runs = run_scorers(
            store, scorers, batch_size=args.batch_size, workers=args.workers, progress=_progress if show else None
        )
        seconds = time.perf_counter() - start
        counts = hit_counts(store.cursor(), scorers)
        total = int(store.cursor().execute("SELECT count(*) FROM items").fetchall()[0][0])
    rows: list[dict[str, Any]] = [
        {
            "name": c.name,
            "version": c.version,
            "new": r.new,
            "scored": c.scored,
            "flagged": c.flagged,
            "threshold": c.threshold,
        }
        for r, c in zip(runs, counts, strict=True)
    ]
    if args.json:
        print_json({"items": total, "seconds": round(seconds, 3), "scorers": rows})
        return 0
    if show:
        sys.stderr.write("\n")
    print(f"{total:,} items; {sum(r['new'] for r in rows):,} new results in {seconds:.1f}s")
    print(f"{'scorer':<20} {'version':<18} {'new':>8} {'scored':>8} {'flagged':>8} {'share':>7}  threshold")
    for row in rows:
        share = row["flagged"] / row["scored"] if row["scored"] else 0.0
        print(
            f"{row['name']:<20} {row['version']:<18} {row['new']:>8,} {row['scored']:>8,} {row['flagged']:>8,} "
            f"{share:>7.1%}  {row['threshold']:g}"
        )
    return 0
