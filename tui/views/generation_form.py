"""The generation view's data: its form fields, turning them into a BatchSpec, the recipe and resumable-batch
listings it reads in workers, and the plain Text renderings of estimates, progress and results."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
from rich.text import Text

from core.costs import usd
from core.generation.batch import BatchResult, Estimate
from core.generation.engine import Progress
from core.generation.spec import BatchSpec, SpecError, parse_param
from core.safe_text import one_line
from store.batches import list_batches
from store.connection import Store
from store.generation import ensure_builtin_recipes, generation_spend, get_recipe, list_recipes

RESUMABLE_STATUSES = ("cancelled", "failed", "running")
InputType = Literal["integer", "number", "text"]


class FormError(ValueError):
    """A form value that cannot become part of a batch spec, with a one-line reason naming the field."""


@dataclass(frozen=True, slots=True)
class FormField:
    """One labelled input of the form; `needs` names the recipe trait that makes it appear (or "")."""

    key: str
    label: str
    default: str = ""
    placeholder: str = ""
    kind: InputType = "text"
    needs: str = ""


PARAM_HINT = "0.7 | 0.2,0.7,1.0 | uniform:LO,HI | normal:M,SD"
FIELDS: tuple[FormField, ...] = (
    FormField("n", "Samples", "10", "how many samples to generate", "integer"),
    FormField("endpoint", "Endpoint", "local", "OpenAI-compatible base URL, or local"),
    FormField("model", "Model", "", "model name (required with a URL)"),
    FormField("api_key_env", "API key var", "OPENAI_API_KEY", "environment variable holding the key"),
    FormField("budget", "Budget USD", "", "stop before spending this much; blank: none", "number"),
    FormField("concurrency", "Concurrency", "8", "requests in flight at most", "integer"),
    FormField("temperature", "Temperature", "", PARAM_HINT),
    FormField("top_p", "Top p", "", PARAM_HINT),
    FormField("topics", "Topics", "", "comma-separated, or @file (one per line)"),
    FormField("personas", "Personas", "", "comma-separated, or @file (one per line)"),
    FormField("domain", "Domain", "", "what the questions are about (required)", needs="domain"),
    FormField("operators", "Operators", "", "depth, breadth or operator names, comma-separated",
              needs="operators"),
    FormField("seed_count", "Seed items", "", "seed items per prompt", "integer", needs="seeds"),
    FormField("max_tokens", "Max tokens", "", "completion tokens per request", "integer"),
    FormField("budget_tokens", "Token budget", "", "stop before using this many tokens; blank: none", "integer"),
    FormField("near_dup", "Near-dup", "", "prompt near-duplicate threshold 0..1, 0 = off (0.95)", "number"),
    FormField("seed", "Seed", "", "sampling seed", "integer"),
    FormField("name", "Batch name", "", "blank: recipe x N via model"),
    FormField("timeout", "Timeout s", "", "seconds per request (120)", "number"),
    FormField("max_retries", "Retries", "", "retries on 5xx and timeouts (4)", "integer"),
    FormField("parse_retries", "Parse retries", "", "re-sends when a reply does not parse (2)", "integer"),
)
FIELD_LABELS = {f.key: f.label for f in FIELDS}


@dataclass(frozen=True, slots=True)
class RecipeChoice:
    """A recipe offered in the list: its newest version and the traits that decide which fields show."""

    name: str
    content_hash: str
    description: str
    versions: int
    requires: tuple[str, ...]
    seed: str
    operators: tuple[str, ...]
    defaults: dict[str, Any]

    def needs(self, trait: str) -> bool:
        """Return True when a field marked with `trait` applies to this recipe."""
        if trait == "domain":
            return "domain" in self.requires
        if trait == "operators":
            return bool(self.operators)
        if trait == "seeds":
            return self.seed != "none"
        return True

    def about(self) -> Text:
        """Return the description and traits, escaped."""
        text = Text(one_line(self.description or "(no description)", 300))
        traits = [f"v{self.versions} {self.content_hash}"]
        if self.seed != "none":
            traits.append(f"seeds: {self.seed}")
        if self.requires:
            traits.append("needs " + ", ".join(self.requires))
        defaults = ", ".join(f"{k} {v}" for k, v in self.defaults.items())
        if defaults:
            traits.append(defaults)
        text.append("\n" + one_line(" · ".join(traits), 300), style="dim")
        return text


@dataclass(frozen=True, slots=True)
class ResumableBatch:
    """A generation batch that stopped before its end: cancelled, failed, or left running by a crash."""

    id: int
    name: str
    status: str
    n: int
    settled: int
    ok: int
    failed: int
    cost_usd: float
    stop_reason: str
    budget_usd: float | None


def load_recipes(store: Store) -> list[RecipeChoice]:
    """Return every recipe (adding the built-in ones to a store that lacks them), by name."""
    ensure_builtin_recipes(store)
    with store.cursor() as cur:
        choices = []
        for info in list_recipes(cur):
            recipe = get_recipe(cur, info.name, info.content_hash)
            if recipe is None:
                continue
            choices.append(RecipeChoice(info.name, info.content_hash, info.description, info.versions,
                                        recipe.requires, recipe.seed, tuple(o.name for o in recipe.operators),
                                        dict(recipe.defaults)))
    return choices


def load_resumable(cur: duckdb.DuckDBPyConnection) -> list[ResumableBatch]:
    """Return generation batches that stopped early, newest first (running ones may be dead or live)."""
    spend = {int(r["batch_id"]): r for r in generation_spend(cur)}
    found = []
    for batch in list_batches(cur):
        if batch.kind != "generation" or batch.status not in RESUMABLE_STATUSES or batch.id not in spend:
            continue
        spec = batch.params.get("spec", {})
        row = spend[batch.id]
        budget = spec.get("budget_usd")
        found.append(ResumableBatch(
            batch.id, batch.name, batch.status, int(spec.get("n", 0)), int(row["samples"]), int(row["ok"]),
            int(row["failed"]), float(row["cost_usd"]), str(batch.params.get("last_run", {}).get("stop_reason", "")),
            float(budget) if budget is not None else None,
        ))
    return sorted(found, key=lambda b: -b.id)


def _number(values: dict[str, str], key: str, kind: type[int] | type[float]) -> Any:
    """Return a field as int or float, None when blank; raise FormError naming the field."""
    text = values.get(key, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise FormError(f"{FIELD_LABELS[key]}: {one_line(text, 30)!r} is not {noun}") from None


def _lines(values: dict[str, str], key: str) -> tuple[str, ...]:
    """Return a comma-separated field as a tuple, or the lines of the file named after `@`."""
    text = values.get(key, "").strip()
    if text.startswith("@"):
        path = Path(text[1:].strip()).expanduser()
        try:
            parts = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise FormError(f"{FIELD_LABELS[key]}: cannot read {one_line(str(path), 60)}: {error.strerror}") from None
    else:
        parts = text.split(",")
    return tuple(p.strip() for p in parts if p.strip())


def _param(values: dict[str, str], key: str) -> Any:
    """Return a sampling parameter field parsed with parse_param, None when blank."""
    text = values.get(key, "").strip()
    if not text:
        return None
    try:
        return parse_param(text)
    except SpecError as error:
        raise FormError(f"{FIELD_LABELS[key]}: {error}") from None


def spec_from_form(recipe: RecipeChoice, values: dict[str, str], seed: int) -> BatchSpec:
    """Build the batch spec the form describes (the twin of `thresher generate`'s options); fields the
    recipe does not use are ignored, and a blank seed uses `seed` so the estimate matches the launch."""
    shown = {f.key for f in FIELDS if not f.needs or recipe.needs(f.needs)}
    values = {k: v for k, v in values.items() if k in shown}
    n = _number(values, "n", int)
    if not n:
        raise FormError("Samples: give how many samples to generate")
    optional: dict[str, Any] = {
        "budget_usd": _number(values, "budget", float), "budget_tokens": _number(values, "budget_tokens", int),
        "concurrency": _number(values, "concurrency", int), "timeout_s": _number(values, "timeout", float),
        "max_retries": _number(values, "max_retries", int), "parse_retries": _number(values, "parse_retries", int),
        "near_dup_threshold": _number(values, "near_dup", float), "seed_count": _number(values, "seed_count", int),
        "max_tokens": _number(values, "max_tokens", int), "temperature": _param(values, "temperature"),
        "top_p": _param(values, "top_p"),
    }
    try:
        return BatchSpec(
            recipe=recipe.name, n=n, endpoint=values.get("endpoint", "").strip() or "local",
            model=values.get("model", "").strip(),
            api_key_env=values.get("api_key_env", "").strip() or "OPENAI_API_KEY", name=values.get("name", "").strip(),
            topics=_lines(values, "topics"), personas=_lines(values, "personas"),
            domain=values.get("domain", "").strip(), operators=_lines(values, "operators"),
            seed=_number(values, "seed", int) or seed, **{k: v for k, v in optional.items() if v is not None},
        ).validate()
    except SpecError as error:
        raise FormError(str(error)) from None


def error_text(error: BaseException) -> str:
    """Return an engine or form error as one escaped line, naming form fields instead of CLI options."""
    text = str(error).replace("--api-key-env", "API key var")
    return one_line(re.sub(r"--([a-z][a-z-]*)", r"\1", text), 300)


def resume_overrides(values: dict[str, str]) -> dict[str, Any]:
    """Return the limits a resume takes from the form: a budget typed there replaces the batch's own."""
    budget = _number(values, "budget", float)
    return {} if budget is None else {"budget_usd": budget}


def estimate_text(found: Estimate) -> Text:
    """Return what a batch would send and cost, before launching it (three short lines and any warning)."""
    text = Text("Estimate  ", style="bold")
    text.append(f"{found.planned:,} prompts", style="bold green")
    text.append(f" · {found.skipped:,} near-dup skipped\n")
    text.append(f"~{found.prompt_tokens:,} in + ~{found.completion_tokens_expected:,} out tokens "
                f"(max {found.completion_tokens_max:,})\n")
    if found.price_known:
        text.append(f"cost ~{usd(found.cost_expected_usd)}", style="bold")
        text.append(f" (max {usd(found.cost_max_usd)})")
    else:
        text.append("cost unknown: no price for this model", style="yellow")
    if found.items_within_budget is not None:
        text.append(f" · budget: ~{found.items_within_budget:,} items")
    for note in found.notes:
        if "skipped as near-duplicates" in note:
            text.append("\n" + one_line(note, 200), style="yellow")
    return text


def resumable_text(batch: ResumableBatch) -> Text:
    """Return what a stopped batch holds and what resuming it does."""
    why = f" ({one_line(batch.stop_reason, 80)})" if batch.stop_reason and batch.stop_reason != batch.status else ""
    state = "left running by a crash" if batch.status == "running" else batch.status
    text = Text(f"Batch {batch.id} {state}{why}: ", style="bold")
    text.append(one_line(batch.name, 80) + "\n")
    budget = f" of {usd(batch.budget_usd)}" if batch.budget_usd is not None else ""
    text.append(f"{batch.settled:,}/{batch.n:,} done ({batch.ok:,} ok, {batch.failed:,} failed) · "
                f"{usd(batch.cost_usd)}{budget}\n")
    text.append("R sends the rest; Budget USD above overrides", style="dim")
    return text


def progress_text(progress: Progress, label: str) -> Text:
    """Return the live counters of a running batch: rate, errors, spend and items written."""
    rate = progress.requests / progress.elapsed_s if progress.elapsed_s > 0 else 0.0
    text = Text(f"{label}  ", style="bold")
    text.append(f"{progress.finished:,}/{progress.total:,} · {rate:.1f} req/s · "
                f"{progress.in_flight}/{progress.concurrency_limit} in flight\n")
    text.append(f"written {progress.ok:,}", style="green")
    text.append(f" · failed {progress.failed:,}", style="red" if progress.failed else "")
    text.append(f" · errors {progress.errors:,}", style="yellow" if progress.errors else "")
    text.append(f" · 429s {progress.rate_limited:,}\n")
    skipped = f" · skipped {progress.skipped:,}" if progress.skipped else ""
    text.append(f"{usd(progress.spent_usd)} · {progress.tokens:,} tok · retries {progress.retries:,}{skipped} · "
                f"{progress.elapsed_s:.0f}s")
    return text


def result_text(result: BatchResult) -> Text:
    """Return how a run ended and, when it stopped early, how to go on."""
    style = "bold green" if result.status == "done" else "bold yellow" if result.status == "cancelled" else "bold red"
    stopped = result.stop_reason and result.stop_reason != result.status
    why = f" ({one_line(result.stop_reason, 120)})" if stopped else ""
    text = Text(f"Batch {result.batch_id} {result.status}{why}\n", style=style)
    text.append(f"items written {result.ok:,} · failed {result.failed:,} · near-dup skipped {result.skipped:,}\n")
    text.append(f"{result.requested - result.not_sent:,}/{result.requested:,} done · {result.requests:,} requests "
                f"in {result.elapsed_s:.1f}s · {usd(result.spent_usd)}")
    if result.not_sent:
        text.append(" · R resumes", style="bold")
    return text
