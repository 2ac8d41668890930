"""`thresher report`: acceptance, reject reasons, diversity per batch against real data, and cost."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from core.card import block_bar, pct
from core.costs import CostSummary, usd
from core.diversity import DiversityReport, fmt
from core.safe_text import one_line
from store.report import DIVERSITY_SAMPLE, Report, gather_report
from tui.commands.card import add_manual_arguments, manual_rates
from tui.commands.common import open_from_args, print_json, subcommand


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the report subcommand."""
    parser = subcommand(subparsers, "report", "acceptance, reject reasons, diversity per batch and generation cost")
    parser.add_argument("--target", type=int, metavar="N", help="project the cost of reaching N accepted items")
    parser.add_argument("--sample", type=int, default=DIVERSITY_SAMPLE, metavar="N",
                        help="items measured per batch for diversity (default %(default)s)")
    add_manual_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.set_defaults(handler=run)


def _rounded(value: Any) -> Any:
    """Round floats (also inside lists and dicts) to 6 places for JSON."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def cost_json(costs: CostSummary) -> dict[str, Any]:
    """Return the stable JSON shape of the cost summary."""
    low, high = costs.manual.per_item()
    return {
        "rows": [{**asdict(r), "tokens": r.tokens, "cost_per_accepted_usd": r.cost_per_accepted} for r in costs.rows],
        "cost_usd": costs.cost_usd, "prompt_tokens": costs.prompt_tokens, "completion_tokens": costs.completion_tokens,
        "generated": costs.generated, "accepted": costs.accepted, "rejected": costs.rejected,
        "unpriced_requests": costs.unpriced, "acceptance_rate": costs.acceptance_rate,
        "cost_per_generated_usd": costs.cost_per_generated, "cost_per_accepted_usd": costs.cost_per_accepted,
        "manual": {**asdict(costs.manual), "per_item_usd": [low, high],
                   "accepted_items_usd": list(costs.manual.for_items(costs.accepted))},
        "projection": asdict(costs.projection) if costs.projection else None,
    }


def report_json(report: Report) -> dict[str, Any]:
    """Return the stable JSON shape of `thresher report --json`."""
    return _rounded({
        "review": {
            "by_status": report.by_status, "acceptance_rate": report.acceptance_rate,
            "reasons": [{"reason": r, "items": n} for r, n in report.reasons],
            "batches": [{**asdict(b), "acceptance_rate": b.acceptance_rate} for b in report.batches],
        },
        "diversity": {"method": report.diversity.method, "groups": [asdict(g) for g in report.diversity.groups],
                      "warnings": report.diversity.warnings},
        "cost": cost_json(report.costs),
    })


def diversity_lines(div: DiversityReport) -> list[str]:
    """Return the diversity table as text lines, with the warnings after it."""
    lines = [f"Diversity ({div.method}; metrics averaged over chunks of 100 items)",
             f"  {'group':<40} {'items':>7} {'d-1':>6} {'d-2':>6} {'d-3':>6} {'self-sim':>8} {'vocab':>7} "
             f"{'words':>6} {'std':>6} {'IQR':>6} {'topics':>7}"]
    for g in div.groups:
        flag = " !" if g.narrower_than_real or g.narrower_than_earlier else ""
        lines.append(f"  {one_line(g.label, 40):<40} {g.items:>7,} {fmt(g.distinct_1):>6} {fmt(g.distinct_2):>6} "
                     f"{fmt(g.distinct_3):>6} {fmt(g.self_similarity):>8} {g.vocabulary:>7,} {g.length_mean:>6.1f} "
                     f"{g.length_std:>6.1f} {g.length_iqr:>6.1f} {g.clusters_covered:>3}/{g.clusters_total:<3}{flag}")
    lines += [f"  warning: {one_line(w, 200)}" for w in div.warnings]
    return lines


def cost_lines(costs: CostSummary) -> list[str]:
    """Return the spend per batch and model, the totals and the manual comparison as text lines."""
    low, high = costs.manual.per_item()
    manual = f"by hand {usd(low)}-{usd(high)} per item"
    if not costs.rows:
        return ["Cost: no generation spend yet; " + manual]
    lines = ["Cost per batch and model",
             f"  {'batch':>5} {'model':<24} {'requests':>8} {'tokens':>10} {'cost':>12} {'accepted':>8} "
             f"{'per acc.':>12}"]
    for r in costs.rows:
        lines.append(f"  {r.batch_id:>5} {one_line(r.model, 24):<24} {r.requests:>8,} {r.tokens:>10,} "
                     f"{usd(r.cost_usd):>12} {r.accepted:>8,} {usd(r.cost_per_accepted):>12}")
    mlow, mhigh = costs.manual.for_items(costs.accepted)
    lines.append(f"  total {usd(costs.cost_usd)} for {costs.generated:,} items, {usd(costs.cost_per_accepted)} per "
                 f"accepted item; {manual}: {usd(mlow)}-{usd(mhigh)} for the {costs.accepted:,} accepted")
    if costs.unpriced:
        lines.append(f"  {costs.unpriced:,} requests had no price (counted as $0)")
    p = costs.projection
    if p is not None:
        gen = "-" if p.to_generate is None else f"{p.to_generate:,}"
        lines.append(f"  to reach {p.target:,} accepted: {p.remaining:,} more, ~{gen} items to generate, "
                     f"~{usd(p.cost_usd)} at acceptance {pct(p.acceptance_rate)}")
    return lines


def report_lines(report: Report) -> list[str]:
    """Return the whole text report."""
    counts = ", ".join(f"{n:,} {s}" for s, n in report.by_status.items())
    lines = [f"Review: {sum(report.by_status.values()):,} items ({counts}); acceptance {pct(report.acceptance_rate)}"]
    largest = max((n for _, n in report.reasons), default=0)
    lines += [f"  {one_line(r, 40):<40} {n:>7,} {block_bar(n, largest)}" for r, n in report.reasons]
    lines.append("Batches")
    for b in report.batches:
        ident = "-" if b.id is None else str(b.id)
        lines.append(f"  {ident:>5} {one_line(b.name, 40):<40} {one_line(b.kind, 10):<10} {b.items:>7,} items "
                     f"{b.accepted:>7,} accepted {b.rejected:>7,} rejected  {pct(b.acceptance_rate):>6}")
    return lines + diversity_lines(report.diversity) + cost_lines(report.costs)


def run(args: argparse.Namespace) -> int:
    """Print the report."""
    manual = manual_rates(args)
    with open_from_args(args, read_only=True) as store:
        report = gather_report(store.cursor(), manual=manual, target=args.target, sample=max(2, args.sample))
    if args.json:
        print_json(report_json(report))
    else:
        print("\n".join(report_lines(report)))
    return 0
