"""`thresher card` and the `--mix` options of `thresher export`: the training mix and its dataset card."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.card import render_card
from core.costs import DEFAULT_HOURLY_RATE, DEFAULT_ITEMS_PER_HOUR, ManualRates, parse_range
from core.mix import POLICIES, STRATIFY_CHOICES, MixError, parse_ratio, ratio_text
from store.mix import export_mix
from store.report import gather_card
from tui.commands.common import CliError, open_from_args, print_json, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the card subcommand."""
    parser = subcommand(subparsers, "card", "write the dataset card (Markdown) for the store")
    parser.add_argument("--out", type=Path, metavar="PATH", help="write the card here (default: print it)")
    parser.add_argument("--title", help="the card's title (default: the store's file name)")
    add_manual_arguments(parser)
    parser.add_argument("--target", type=int, metavar="N", help="also project the cost of reaching N accepted items")
    parser.set_defaults(handler=run_card)


def add_manual_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the expert hourly rate and writing speed behind the manual-writing estimate."""
    parser.add_argument("--rate", default=f"{DEFAULT_HOURLY_RATE[0]:g}-{DEFAULT_HOURLY_RATE[1]:g}", metavar="LOW-HIGH",
                        help="expert hourly rate in USD for the manual estimate (default %(default)s)")
    parser.add_argument("--items-per-hour", default=f"{DEFAULT_ITEMS_PER_HOUR[0]:g}-{DEFAULT_ITEMS_PER_HOUR[1]:g}",
                        metavar="LOW-HIGH", help="items an expert writes per hour (default %(default)s)")


def manual_rates(args: argparse.Namespace) -> ManualRates:
    """Return the manual-writing rates chosen on the command line."""
    try:
        rate, speed = parse_range(args.rate), parse_range(args.items_per_hour)
    except ValueError as error:
        raise CliError(f"--rate/--items-per-hour: {error}") from None
    return ManualRates(rate[0], rate[1], speed[0], speed[1])


def run_card(args: argparse.Namespace) -> int:
    """Print the card, or write it to --out."""
    manual = manual_rates(args)
    with open_from_args(args, read_only=True) as store:
        card = render_card(gather_card(store.cursor(), store_name=store.path.name, title=args.title, manual=manual,
                                       target=args.target))
    if args.out is None:
        sys.stdout.write(card)
        return 0
    try:
        args.out.write_text(card, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {args.out}: {error.strerror}") from None
    print(f"wrote the dataset card to {args.out}")
    return 0


def add_mix_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--mix` and its options to `thresher export`."""
    group = parser.add_argument_group("training mix (with --mix; writes OUT, OUT.eval.* and OUT.card.md)")
    group.add_argument("--mix", metavar="SYN:REAL", help="export accepted training items at this ratio, e.g. 75:25")
    group.add_argument("--stratify", choices=STRATIFY_CHOICES, help="spread each origin's picks over these strata")
    group.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    group.add_argument("--size", type=int, metavar="N", help="total items wanted (default: every synthetic item)")
    group.add_argument("--shortfall", choices=POLICIES, default="keep-ratio",
                       help="when an origin is short: shrink the mix to keep the ratio, or fill up to the "
                            "targets (default %(default)s)")
    group.add_argument("--strict", action="store_true", help="refuse (write nothing) when the ratio cannot be met")
    group.add_argument("--eval-out", type=Path, metavar="PATH", help="where the held-out evaluation set goes")
    group.add_argument("--title", help="the dataset card's title")


def run_mix(args: argparse.Namespace) -> int:
    """Export a training mix, its evaluation set and its card, and say what was written."""
    if args.status != "accepted" or args.include_heldout:
        raise CliError("--mix exports accepted training items only; drop --status and --include-heldout")
    try:
        ratio = parse_ratio(args.mix)
    except MixError as error:
        raise CliError(str(error)) from None
    with open_from_args(args) as store:
        result = export_mix(store, args.out, ratio=ratio, fmt=args.fmt, seed=args.seed, stratify=args.stratify,
                            size=args.size, policy=args.shortfall, strict=args.strict, eval_out=args.eval_out,
                            card_title=args.title)
    plan = result.plan
    if result.message:
        sys.stderr.write(f"thresher: warning: {result.message}\n")
    if args.json:
        print_json({"out": str(result.out), "format": args.fmt, "rows": result.rows, "ratio": ratio_text(ratio),
                    "synthetic": plan.count("synthetic"), "real": plan.count("real"), "achieved": list(plan.achieved),
                    "met": plan.met, "shortfalls": [{"origin": s.origin, "needed": s.needed, "available": s.available,
                                                     "short": s.short} for s in plan.shortfalls],
                    "available": plan.available, "targets": plan.targets, "strata": plan.strata,
                    "eval_out": str(result.eval_out), "eval_rows": result.eval_rows, "card": str(result.card)})
        return 0
    print(f"wrote {result.rows:,} items ({plan.count('synthetic'):,} synthetic + {plan.count('real'):,} real, "
          f"{plan.achieved[0]:g}:{plan.achieved[1]:g}) to {result.out} as {args.fmt}")
    print(f"wrote {result.eval_rows:,} held-out real items to {result.eval_out}; dataset card: {result.card}")
    return 0
