"""Plain-text renderings of progress, results and estimates for the CLI and logs."""

from __future__ import annotations

from core.generation.batch import BatchResult, Estimate
from core.generation.engine import Progress


def format_progress(progress: Progress, bar_width: int = 24) -> str:
    """Return one status line: bar, counts, rate, retries, errors and spend."""
    total = max(1, progress.total)
    filled = int(bar_width * min(progress.finished, total) / total)
    bar = "#" * filled + "-" * (bar_width - filled)
    return (
        f"[{bar}] {progress.finished}/{progress.total} | {progress.results_per_s:.1f}/s | "
        f"ok {progress.ok} failed {progress.failed} skipped {progress.skipped} | "
        f"in flight {progress.in_flight}/{progress.concurrency_limit} | retries {progress.retries} "
        f"429s {progress.rate_limited} errors {progress.errors} | ${progress.spent_usd:.4f} "
        f"{progress.tokens:,} tok | {progress.elapsed_s:.0f}s"
    )


def format_result(result: BatchResult) -> str:
    """Return a short multi-line summary of how a run ended."""
    why = f" ({result.stop_reason})" if result.stop_reason and result.stop_reason != result.status else ""
    lines = [
        f"batch {result.batch_id}: {result.status}{why}",
        f"  items {result.ok} new, failed rows {result.failed}, near-duplicates skipped {result.skipped}, "
        f"done earlier {result.already_done}, not sent {result.not_sent} of {result.requested}",
        f"  this run: {result.requests} requests in {result.elapsed_s:.1f}s; batch total: "
        f"{result.tokens:,} tokens, ${result.spent_usd:.4f}",
    ]
    if result.not_sent:
        lines.append(f"  resume with: thresher generate --resume {result.batch_id}")
    return "\n".join(lines)


def format_estimate(estimate: Estimate) -> str:
    """Return the dry-run report: what would be sent and what it would cost."""
    lines = [
        f"recipe {estimate.recipe} ({estimate.recipe_hash}) via {estimate.model} at {estimate.endpoint}",
        f"  samples {estimate.n}: {estimate.planned} prompts to send, {estimate.skipped} near-duplicates skipped",
        f"  tokens: prompt ~{estimate.prompt_tokens:,}, completion ~{estimate.completion_tokens_expected:,} "
        f"expected (at most {estimate.completion_tokens_max:,})",
        f"  cost: ~${estimate.cost_expected_usd:.4f} expected, at most ${estimate.cost_max_usd:.4f}"
        + ("" if estimate.price_known else " (no price known)"),
    ]
    if estimate.items_within_budget is not None:
        lines.append(f"  the budget covers about {estimate.items_within_budget} items")
    lines.extend(f"  note: {note}" for note in estimate.notes)
    return "\n".join(lines)
