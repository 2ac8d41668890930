"""`thresher demo`: build demo.duckdb from sample_data/ and open the app on it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from store.demo import build_demo, default_sample_dir
from tui.commands.common import CliError, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the demo subcommand."""
    parser = subcommand(subparsers, "demo", "build demo.duckdb from sample_data/ (idempotent) and open it")
    parser.add_argument("--no-open", action="store_true", help="only build the demo store")
    parser.add_argument("--data", type=Path, default=None, help="sample data folder (default: sample_data/)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the demo store if needed, then open the app unless --no-open."""
    path = Path(getattr(args, "store", None) or "demo.duckdb")
    result = build_demo(path, args.data or default_sample_dir())
    verb = "built" if result.built else "up to date:"
    sys.stderr.write(f"{verb} {result.path} with {result.items:,} items\n")
    if args.no_open:
        return 0
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("the app needs an interactive terminal; use --no-open to only build the demo")
    from store.connection import open_store
    from tui.app import run_app

    with open_store(path) as store:
        run_app(store)
    return 0
