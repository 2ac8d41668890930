"""`thresher import`: read dataset files into the store, one batch per file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from store.importer import FORMATS, ImportReport, import_file
from tui.commands.common import CliError, open_from_args, print_json, subcommand

MAX_ERRORS_SHOWN = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the import subcommand."""
    parser = subcommand(subparsers, "import", "import JSONL, JSON, Parquet or CSV files (one batch each)")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, help="shape of the rows (default: detect)")
    parser.add_argument("--origin", choices=["synthetic", "real"], default="synthetic")
    parser.add_argument("--split", choices=["train", "heldout"], default="train")
    parser.add_argument("--kind", help="item kind (default: from the format)")
    parser.add_argument(
        "--map", action="append", default=[], metavar="FIELD=SOURCE",
        help="take FIELD (instruction, input, response, ...) from column SOURCE; repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON report per file")
    parser.set_defaults(handler=run)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """Turn ['field=source', ...] into a dict, rejecting malformed pairs in one line."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, source = pair.partition("=")
        if not sep or not field.strip() or not source.strip():
            raise CliError(f"--map expects FIELD=SOURCE, got '{pair}'")
        mapping[field.strip()] = source.strip()
    return mapping


def _report_json(report: ImportReport) -> dict[str, object]:
    """Return a JSON-ready summary of one file's import."""
    return {
        "file": report.source, "batch": report.batch_id, "format": report.format,
        "rows_total": report.rows_total, "rows_ok": report.rows_ok, "rows_bad": report.rows_bad,
        "errors": [str(e) for e in report.errors],
        "warnings": [str(w) for w in report.warnings],
    }


def run(args: argparse.Namespace) -> int:
    """Import each file in turn; a file that fails entirely does not stop the others."""
    mapping = parse_mapping(args.map)
    failures = 0
    with open_from_args(args) as store:
        for path in args.files:
            try:
                report = import_file(store, path, fmt=args.fmt, origin=args.origin, split=args.split,
                                     kind=args.kind, mapping=mapping or None)
            except Exception as error:  # a whole-file failure: one line, then the next file
                failures += 1
                message = str(error).splitlines()[0] if str(error) else type(error).__name__
                sys.stderr.write(f"thresher: error: {message}\n")
                if args.json:
                    print_json({"file": str(path), "error": message})
                continue
            if args.json:
                print_json(_report_json(report))
                continue
            print(f"{path}: {report.rows_ok:,} items imported as {report.format} "
                  f"(batch {report.batch_id}), {report.rows_bad:,} bad rows")
            for row_error in report.errors[:MAX_ERRORS_SHOWN]:
                sys.stderr.write(f"  {row_error}\n")
            for warning in report.warnings[:MAX_ERRORS_SHOWN]:
                sys.stderr.write(f"  warning: {warning}\n")
            if len(report.errors) > MAX_ERRORS_SHOWN:
                sys.stderr.write(f"  ... and {len(report.errors) - MAX_ERRORS_SHOWN} more\n")
    return 1 if failures else 0
