"""`thresher generate`: estimate, start or resume a synthetic data generation batch."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any, TypeAlias

from core.generation.batch import GenerationError
from core.generation.client import MissingKeyError
from core.generation.engine import Progress
from core.generation.local_model import LocalModelMissingError
from core.generation.pricing import PriceError, load_price_file
from core.generation.report import format_estimate, format_progress, format_result
from core.generation.spec import LOCAL_ENDPOINT, BatchSpec, SpecError, parse_param
from core.recipes import RecipeError
from core.safe_text import one_line
from store.generation import estimate, resume_batch, run_batch, set_prices
from store.generation_ledger import failure_summary
from tui.commands.common import CliError, open_from_args, print_json, subcommand
from tui.commands.recipes import run_local_model, run_prices, run_recipes, run_spend

__all__ = ["ProgressPrinter", "register", "run_generate", "run_local_model", "run_prices", "run_recipes", "run_spend",
           "spec_from_args"]

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
_EXPECTED = (GenerationError, SpecError, RecipeError, PriceError, MissingKeyError, LocalModelMissingError)


def register(subparsers: Subparsers) -> None:
    """Register the generate subcommand and its options."""
    parser = subcommand(subparsers, "generate", "generate a batch of synthetic items into the store")
    parser.add_argument("--recipe", help="recipe name (see 'thresher recipes')")
    parser.add_argument("--n", type=int, help="number of samples")
    parser.add_argument("--endpoint", default=LOCAL_ENDPOINT, help="OpenAI-compatible base URL, or 'local'")
    parser.add_argument("--model", default="", help="model name (required with --endpoint)")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY", metavar="NAME",
                        help="environment variable holding the API key (never stored)")
    parser.add_argument("--budget", type=float, help="stop before spending more than this many USD")
    parser.add_argument("--budget-tokens", type=int, help="stop before using more than this many tokens")
    parser.add_argument("--concurrency", type=int, help="requests in flight at most (default 8)")
    parser.add_argument("--timeout", type=float, help="seconds per request (default 120)")
    parser.add_argument("--max-retries", type=int, help="retries on 5xx and timeouts (default 4)")
    parser.add_argument("--parse-retries", type=int, help="re-sends when a reply does not parse (default 2)")
    parser.add_argument("--temperature", help="0.7 | 0.2,0.7,1.0 (sweep) | choice:.. | uniform:LO,HI | normal:M,SD")
    parser.add_argument("--top-p", help="same forms as --temperature")
    parser.add_argument("--max-tokens", type=int, help="completion tokens per request")
    parser.add_argument("--topic", action="append", default=[], help="a topic; repeatable")
    parser.add_argument("--topics-file", type=Path, help="topics, one per line")
    parser.add_argument("--persona", action="append", default=[], help="a persona; repeatable")
    parser.add_argument("--personas-file", type=Path, help="personas, one per line")
    parser.add_argument("--domain", default="", help="domain for domain-qa")
    parser.add_argument("--seed-count", type=int, help="seed items per prompt")
    parser.add_argument("--operators", default="", help="evol operators or kinds, e.g. depth or mutate,deepen")
    parser.add_argument("--near-dup", type=float, help="near-duplicate prompt threshold 0..1, 0 = off (0.95)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default: random, recorded)")
    parser.add_argument("--name", default="", help="batch name")
    parser.add_argument("--dry-run", action="store_true", help="print the estimate and exit")
    parser.add_argument("--resume", type=int, metavar="BATCH", help="resume a batch")
    parser.add_argument("--retry-failed", action="store_true", help="with --resume: re-send failed rows too")
    parser.add_argument("--prices", type=Path, help="merge a JSON/TOML price file into the store's table first")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run_generate)


def _lines(values: list[str], path: Path | None) -> tuple[str, ...]:
    """Join repeated options with a one-per-line file, dropping blanks."""
    if path is not None:
        try:
            values = values + path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise CliError(f"cannot read {path}: {error.strerror}") from None
    return tuple(v.strip() for v in values if v.strip())


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Return the spec fields given on the command line that a resume may change."""
    pairs = {"budget_usd": args.budget, "budget_tokens": args.budget_tokens, "concurrency": args.concurrency,
             "timeout_s": args.timeout, "max_retries": args.max_retries, "parse_retries": args.parse_retries}
    return {k: v for k, v in pairs.items() if v is not None}


def spec_from_args(args: argparse.Namespace) -> BatchSpec:
    """Build a BatchSpec from generate's options."""
    if not args.recipe or not args.n:
        raise CliError("generate needs --recipe and --n (or --resume BATCH)")
    optional: dict[str, Any] = {"near_dup_threshold": args.near_dup, "seed_count": args.seed_count,
                                "max_tokens": args.max_tokens}
    return BatchSpec(
        recipe=args.recipe, n=args.n, endpoint=args.endpoint, model=args.model, api_key_env=args.api_key_env,
        name=args.name, temperature=parse_param(args.temperature) if args.temperature else None,
        top_p=parse_param(args.top_p) if args.top_p else None, topics=_lines(args.topic, args.topics_file),
        personas=_lines(args.persona, args.personas_file), domain=args.domain,
        operators=tuple(o.strip() for o in args.operators.split(",") if o.strip()), seed=args.seed,
        **{k: v for k, v in optional.items() if v is not None}, **_overrides(args),
    )


class ProgressPrinter:
    """Redraws one progress line on a terminal, or prints a line every few seconds otherwise."""

    def __init__(self, enabled: bool) -> None:
        """Decide how to draw from whether stderr is a terminal."""
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._last_shown = 0.0
        self._latest: Progress | None = None

    def __call__(self, progress: Progress) -> None:
        """Show the latest counters."""
        self._latest = progress
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + format_progress(progress))
        elif now - self._last_shown >= 2.0:
            sys.stderr.write(format_progress(progress) + "\n")
        else:
            return
        self._last_shown = now
        sys.stderr.flush()

    def done(self) -> None:
        """End the progress line, printing the final counters when lines are throttled."""
        if not self.enabled or self._latest is None:
            return
        sys.stderr.write("\n" if self.tty else format_progress(self._latest) + "\n")


def _cancel_on_signals(cancel: threading.Event) -> None:
    """First Ctrl-C or SIGTERM stops the batch gracefully; a second Ctrl-C quits at once."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        cancel.set()
        sys.stderr.write("\nthresher: stopping after in-flight requests; Ctrl-C again to quit now\n")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handle)
        signal.signal(signal.SIGTERM, handle)


def run_generate(args: argparse.Namespace) -> int:
    """Estimate, start or resume a batch."""
    cancel = threading.Event()
    printer = ProgressPrinter(not args.no_progress and not args.dry_run)
    try:
        with open_from_args(args) as store:
            if args.prices is not None:
                set_prices(store, dict(load_price_file(args.prices)))
            if args.dry_run:
                if args.resume is not None:
                    raise CliError("--dry-run estimates a new batch; drop --resume")
                found = estimate(store, spec_from_args(args))
                if args.json:
                    print_json(asdict(found))
                else:
                    print(format_estimate(found))
                return 0
            _cancel_on_signals(cancel)
            if args.resume is not None:
                result = resume_batch(store, args.resume, overrides=_overrides(args), retry_failed=args.retry_failed,
                                      on_progress=printer, cancel=cancel)
            else:
                result = run_batch(store, spec_from_args(args), on_progress=printer, cancel=cancel)
            failures = failure_summary(store.cursor(), result.batch_id) if result.failed else []
    except _EXPECTED as error:
        raise CliError(str(error)) from None
    finally:
        printer.done()
    if args.json:
        print_json(asdict(result))
    else:
        print(format_result(result))
    where = f" at {args.endpoint}" if getattr(args, "endpoint", None) else ""
    for message, count in failures:
        sys.stderr.write(f"thresher: {count} request(s) of batch {result.batch_id} failed{where}: "
                         f"{one_line(message, 200)}\n")
    if failures and result.ok == 0:
        sys.stderr.write(f"thresher: error: no request of batch {result.batch_id} succeeded; fix the cause above, "
                         f"then: thresher generate --resume {result.batch_id} --retry-failed\n")
        return 1
    return 0 if result.status == "done" else 3 if result.status == "cancelled" else 1
