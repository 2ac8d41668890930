"""Turning a finished sample into an item with full provenance, and into its ledger row."""

from __future__ import annotations

from typing import Any

from core.generation.engine import SampleResult
from core.generation.spec import BatchSpec
from core.models import Item, Origin
from core.recipes import Recipe, item_texts


def provenance(result: SampleResult, spec: BatchSpec, recipe: Recipe) -> dict[str, Any]:
    """Return where a generated item came from: endpoint, model, recipe, prompt, sampling and usage."""
    plan = result.plan
    return {
        "endpoint": spec.endpoint,
        "model": spec.model_name,
        "recipe": recipe.name,
        "recipe_hash": recipe.content_hash,
        "sample_index": plan.index,
        "request_key": plan.key,
        "prompt": plan.messages,
        "params": plan.params,
        **{k: v for k, v in plan.context.items() if k != "variant"},
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "latency_ms": result.latency_ms,
        "cost_usd": result.cost_usd,
        "finish_reason": result.finish_reason,
        "attempts": result.attempts,
    }


def item_from_result(result: SampleResult, spec: BatchSpec, recipe: Recipe, batch_id: int) -> Item:
    """Build the pending synthetic item for an ok result; reply fields not mapped go to metadata."""
    texts = item_texts(recipe, result.fields)
    used = {name for text in recipe.output.values() for name in result.fields if f"${{{name}}}" in text}
    metadata: dict[str, Any] = {"generation": provenance(result, spec, recipe)}
    extra = {k: v for k, v in result.fields.items() if k not in used}
    if extra:
        metadata["fields"] = extra
    return Item(
        instruction=texts.get("instruction", ""),
        response=texts.get("response", ""),
        input=texts.get("input", ""),
        kind=recipe.kind,
        origin=Origin.SYNTHETIC.value,
        metadata=metadata,
        ext_id=f"gen-{batch_id}-{result.plan.index}",
    )


def ledger_params(result: SampleResult) -> dict[str, Any]:
    """Return what the ledger's params column keeps: the values sent plus what was sampled."""
    return {**result.plan.params, "context": result.plan.context, "fingerprint": result.plan.fingerprint}
