"""Helpers shared by CLI subcommands: the --store option, errors and JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.safe_text import json_safe
from store.connection import Store, default_store_path, open_store


class CliError(Exception):
    """A failure reported to the user as one line on stderr with a non-zero exit."""


def add_store_option(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    """Add `--store PATH`, defaulting to $THRESHER_STORE or ./thresher.duckdb."""
    parser.add_argument(
        "--store",
        type=Path,
        default=argparse.SUPPRESS if subcommand else None,
        help="store file (default: $THRESHER_STORE or ./thresher.duckdb)",
    )


def store_path(args: argparse.Namespace) -> Path:
    """Return the store path chosen on the command line or by default."""
    chosen = getattr(args, "store", None)
    return Path(chosen) if chosen else default_store_path()


def open_from_args(args: argparse.Namespace, *, read_only: bool = False) -> Store:
    """Open the store named by the arguments; errors surface as one-line StoreErrors."""
    path = store_path(args)
    if read_only and not path.exists():
        raise CliError(f"store {path} does not exist; create it with 'thresher import' or 'thresher demo'")
    return open_store(path, read_only=read_only)


def print_json(value: Any) -> None:
    """Print a value as compact JSON on one line."""
    sys.stdout.write(json_safe(json.dumps(value, ensure_ascii=False)) + "\n")


def subcommand(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    """Add a subcommand parser that also accepts --store after the command name."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    add_store_option(parser, subcommand=True)
    return parser
