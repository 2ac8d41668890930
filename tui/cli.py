"""The `thresher` command line: a headless twin for every action of the app."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from store.connection import StoreError
from tui.commands import COMMAND_MODULES
from tui.commands.common import CliError, add_store_option, open_from_args


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="thresher",
        description="Generate and curate synthetic LLM training data. Without a command, open the app.",
    )
    add_store_option(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _open_app(args: argparse.Namespace) -> int:
    """Open the Textual app on the chosen store."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("the app needs an interactive terminal; see 'thresher --help' for headless commands")
    from tui.app import run_app

    store = open_from_args(args)
    try:
        run_app(store)
    finally:
        store.close()
    return 0


def _parse_app_only(argv: list[str]) -> argparse.Namespace | None:
    """Parse `thresher [--store PATH]` without importing any subcommand; None if argv names a command."""
    if any(arg in ("-h", "--help") for arg in argv):
        return None
    parser = argparse.ArgumentParser(prog="thresher", add_help=False)
    add_store_option(parser)
    args, rest = parser.parse_known_args(argv)
    return None if rest else args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the process exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = _parse_app_only(words)
    if args is None:
        args = build_parser().parse_args(words)
    handler = getattr(args, "handler", None) or _open_app
    try:
        return int(handler(args) or 0)
    except (CliError, StoreError) as error:
        sys.stderr.write(f"thresher: error: {error}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("thresher: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
