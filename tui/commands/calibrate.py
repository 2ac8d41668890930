"""`thresher calibrate`: measure filters against human decisions, suggest thresholds, apply them as rules."""

from __future__ import annotations

import argparse
from typing import Any

from core.calibration import Calibration, bar
from core.scorers import UnknownScorerError, build_scorers
from store.calibration import apply_thresholds, calibrate_store, human_labels
from store.scores import save_thresholds
from tui.commands.common import CliError, open_from_args, print_json, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the calibrate subcommand."""
    parser = subcommand(
        subparsers, "calibrate", "measure each filter's precision/recall on human decisions and suggest thresholds"
    )
    parser.add_argument(
        "--target-precision",
        type=float,
        default=0.9,
        metavar="P",
        help="precision a suggested threshold must reach (default 0.9)",
    )
    parser.add_argument("--scorer", action="append", metavar="NAME", help="calibrate only this scorer (repeatable)")
    parser.add_argument("--audit", type=int, metavar="ID", help="use only this audit's sample as labels")
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="use this threshold for a scorer instead of the saved or suggested one",
    )
    parser.add_argument(
        "--min-flagged",
        type=int,
        default=3,
        help="a suggested threshold must flag at least this many labelled items (default 3)",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="reject pending items that reach each threshold: one undoable rule group per filter",
    )
    parser.add_argument("--histograms", action="store_true", help="also print score histograms")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(handler=run)


def _parse_thresholds(pairs: list[str]) -> dict[str, float]:
    """Parse NAME=VALUE pairs into a dict."""
    chosen: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            chosen[name.strip()] = float(value)
        except ValueError:
            raise CliError(f"--threshold wants NAME=VALUE, got '{pair}'") from None
        if not sep:
            raise CliError(f"--threshold wants NAME=VALUE, got '{pair}'")
    return chosen


def _interval(ci: tuple[float, float]) -> list[float]:
    """Round an interval for output."""
    return [round(ci[0], 4), round(ci[1], 4)]


def calibration_json(cal: Calibration) -> dict[str, Any]:
    """Return the stable JSON shape of one filter's calibration."""
    cur = cal.current
    suggestion = None
    if cal.suggestion is not None:
        s = cal.suggestion.confusion
        suggestion = {
            "threshold": cal.suggestion.threshold,
            "precision": s.precision,
            "recall": s.recall,
            "flagged": s.flagged,
            "precision_ci": _interval(s.precision_ci()),
        }
    return {
        "scorer": cal.scorer,
        "version": cal.version,
        "threshold": cal.threshold,
        "labelled": cal.labelled,
        "flagged": cur.flagged,
        "tp": cur.true_pos,
        "fp": cur.false_pos,
        "fn": cur.false_neg,
        "tn": cur.true_neg,
        "precision": cur.precision,
        "precision_ci": _interval(cur.precision_ci()),
        "recall": cur.recall,
        "recall_ci": _interval(cur.recall_ci()),
        "histogram": {
            "edges": [round(e, 4) for e in cal.histogram.edges],
            "accepted": list(cal.histogram.accepted),
            "rejected": list(cal.histogram.rejected),
        },
        "suggested": suggestion,
    }


def _fmt(value: float | None, ci: tuple[float, float]) -> str:
    """Format a proportion with its interval, or a dash."""
    if value is None:
        return f"{'-':<20}"
    return f"{value:.2f} [{ci[0]:.2f},{ci[1]:.2f}]".ljust(20)


def _print_table(cals: list[Calibration]) -> None:
    """Print one line per filter."""
    print(
        f"{'filter':<20} {'flagged':>7}  {'precision [95% CI]':<20} {'recall [95% CI]':<20} "
        f"{'threshold':>9}  suggested (precision/recall)"
    )
    for cal in cals:
        cur = cal.current
        if cal.suggestion is None:
            hint = "-"
        else:
            s = cal.suggestion.confusion
            hint = f"{cal.suggestion.threshold:g} ({s.precision or 0:.2f}/{s.recall or 0:.2f})"
        print(
            f"{cal.scorer:<20} {cur.flagged:>7}  {_fmt(cur.precision, cur.precision_ci())} "
            f"{_fmt(cur.recall, cur.recall_ci())} {cal.threshold:>9g}  {hint}"
        )


def _print_histograms(cals: list[Calibration]) -> None:
    """Print accepted/rejected score histograms for each filter."""
    for cal in cals:
        hist = cal.histogram
        largest = max([*hist.accepted, *hist.rejected, 1])
        print(f"\n{cal.scorer}: score histogram (accepted | rejected)")
        for i, (acc, rej) in enumerate(zip(hist.accepted, hist.rejected, strict=True)):
            low, high = hist.edges[i], hist.edges[i + 1]
            print(f"  {low:7.3g}-{high:<7.3g} {acc:>5} {bar(acc, largest):<20} | {rej:>5} {bar(rej, largest)}")


def run(args: argparse.Namespace) -> int:
    """Calibrate the filters, and with --apply turn thresholds into rule decisions."""
    if not 0 < args.target_precision <= 1:
        raise CliError("--target-precision must be in (0, 1]")
    explicit = _parse_thresholds(args.threshold)
    try:
        scorers = build_scorers(args.scorer)
    except UnknownScorerError as error:
        raise CliError(str(error)) from None
    with open_from_args(args) as store:
        labels = human_labels(store.cursor(), args.audit)
        cals = calibrate_store(
            store,
            scorers,
            target_precision=args.target_precision,
            audit_id=args.audit,
            thresholds=explicit,
            min_flagged=args.min_flagged,
        )
        applied = []
        if args.apply:
            chosen = {c.scorer: c.suggestion.threshold for c in cals if c.suggestion is not None}
            chosen.update(explicit)
            applied = apply_thresholds(store, scorers, chosen)
            if chosen:
                save_thresholds(store, chosen)
    rejected = sum(labels.values())
    if args.json:
        print_json(
            {
                "labelled": len(labels),
                "rejected": rejected,
                "target_precision": args.target_precision,
                "filters": [calibration_json(c) for c in cals],
                "applied": [
                    {
                        "scorer": a.scorer,
                        "threshold": a.threshold,
                        "group": a.group.group_id if a.group else None,
                        "items": a.group.size if a.group else 0,
                    }
                    for a in applied
                ],
            }
        )
        return 0
    print(
        f"{len(labels):,} items decided by people ({rejected:,} rejected); target precision {args.target_precision:g}"
    )
    if not labels:
        print("no human decisions yet: review an audit sample first, then calibrate")
    _print_table(cals)
    if args.histograms:
        _print_histograms(cals)
    for a in applied:
        if a.group:
            print(f"applied {a.scorer} >= {a.threshold:g}: {a.group.label} (group {a.group.group_id}, undo to revert)")
        else:
            print(f"applied {a.scorer} >= {a.threshold:g}: no pending items reach it")
    return 0
