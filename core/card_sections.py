"""The dataset card's sections, one Markdown renderer each, from mix and generation to cost and limitations."""

from __future__ import annotations

from typing import Any

from core.card_data import CardData
from core.card_text import block_bar, md_code, md_table, md_text, pct
from core.costs import CostSummary, ManualRates, usd
from core.diversity import HASHED_METHOD, DiversityReport, fmt

PROMPT_CHARS = 2000


def mix_section(data: CardData) -> str:
    """Return the training-mix section: ratio asked and achieved, exclusions, the evaluation set."""
    syn, real = data.pool.get("synthetic", 0), data.pool.get("real", 0)
    lines = ["## Training mix", ""]
    m = data.mix
    if m:
        achieved = m.get("achieved") or [0, 0]
        lines += [
            f"- Target synthetic:real ratio **{md_text(m.get('ratio'))}**, "
            f"achieved **{achieved[0]:g}:{achieved[1]:g}** "
            f"({m.get('synthetic', 0):,} synthetic + {m.get('real', 0):,} real = "
            f"{m.get('synthetic', 0) + m.get('real', 0):,} items).",
            f"- Stratified by: {md_text(m.get('stratify') or 'not stratified')}; seed {m.get('seed')}; "
            f"shortfall policy {md_text(m.get('policy'))}; size {md_text(m.get('size') or 'all')}.",
            "- Shortfall: " + ("; ".join(md_text(s) for s in m.get("shortfalls") or []) or "none, the ratio was met."),
            f"- Written to {md_text(m.get('out'))} as {md_text(m.get('format'))}; evaluation set: "
            f"{m.get('eval', 0):,} held-out real items in {md_text(m.get('eval_out'))}.",
        ]
    else:
        lines.append("- No mix export yet (`thresher export OUT --mix 75:25`).")
    lines += [
        f"- Pool a mix draws from (accepted training items, contamination flags excluded): {syn:,} synthetic, "
        f"{real:,} real.",
        f"- Never exported for training: {data.heldout:,} held-out items; {data.contaminated_in_pool:,} accepted "
        f"training items flagged as contaminated ({data.contaminated:,} flags in all); every item not accepted.",
    ]
    return "\n".join(lines)


def _models(data: CardData) -> str:
    """Return the generator models and endpoints table."""
    rows: dict[tuple[str, str], list[float]] = {}
    for r in data.costs.rows:
        acc = rows.setdefault((r.model, r.endpoint), [0, 0, 0, 0, 0, 0, 0.0, 0])
        for i, v in enumerate((1, r.requests, r.ok, r.failed, r.prompt_tokens, r.completion_tokens, r.cost_usd,
                               r.unpriced)):
            acc[i] += v
    if not rows:
        return "## Generator models and endpoints\n\nNot run yet: the store has no generation batches."
    body = [[md_text(model), md_text(endpoint), *(f"{int(v):,}" for v in acc[:6]), usd(acc[6]), f"{int(acc[7]):,}"]
            for (model, endpoint), acc in sorted(rows.items())]
    return "## Generator models and endpoints\n\n" + md_table(
        ["model", "endpoint", "batches", "requests", "ok", "failed", "prompt tokens", "completion tokens", "cost",
         "unpriced requests"], body)


def _recipes(data: CardData) -> str:
    """Return each recipe version used, its hash and one prompt it rendered."""
    if not data.recipes:
        return "## Recipes\n\nNot run yet: no generation batch has used a recipe."
    parts = ["## Recipes"]
    for r in data.recipes:
        parts.append(f"### {md_text(r.name)} (hash {md_text(r.content_hash)})\n\n{md_text(r.description)}\n\n"
                     f"Used by batches {', '.join(str(b) for b in r.batches)}. A prompt it rendered:")
        text = "\n\n".join(f"[{role}]\n{content}" for role, content in r.sample_prompt) or "(no request recorded)"
        clipped = text[:PROMPT_CHARS] + (f"\n... ({len(text) - PROMPT_CHARS:,} more characters)"
                                         if len(text) > PROMPT_CHARS else "")
        parts.append(md_code(clipped, "text"))
    return "\n\n".join(parts)


def _listing(values: Any, shown: int = 5) -> str:
    """Return a count and the first few values of a list setting."""
    items = [str(v) for v in values or []]
    if not items:
        return "-"
    head = ", ".join(md_text(v, 40) for v in items[:shown])
    return f"{len(items)}: {head}" + (", ..." if len(items) > shown else "")


def _diversification(data: CardData) -> str:
    """Return the diversification settings of each generation batch."""
    if not data.batches:
        return "## Diversification settings\n\nNot run yet."
    rows = []
    for b in data.batches:
        s = b.spec
        rows.append([str(b.id), md_text(b.name, 60), md_text(s.get("recipe", "")), f"{s.get('n', 0):,}",
                     md_text(s.get("temperature") or "recipe default"), md_text(s.get("top_p") or "recipe default"),
                     _listing(s.get("topics")), _listing(s.get("personas")), md_text(s.get("domain") or "-"),
                     _listing(s.get("operators")), md_text(s.get("seed_count") or "recipe default"),
                     md_text(s.get("near_dup_threshold", "-")), md_text(s.get("seed", "-"))])
    return "## Diversification settings\n\n" + md_table(
        ["batch", "name", "recipe", "n", "temperature", "top_p", "topics", "personas", "domain", "operators",
         "seed examples", "near-dup prompt threshold", "seed"], rows)


def generation_sections(data: CardData) -> list[str]:
    """Return the models, recipes and diversification sections."""
    return [_models(data), _recipes(data), _diversification(data)]


def scorer_section(data: CardData) -> str:
    """Return the scorers with versions and thresholds, and their calibration against people."""
    if not data.scorers:
        return "## Quality scorers\n\nNot run yet: no scores are stored (`thresher filter`)."
    rows = [[md_text(s.name), md_text(s.version), f"{s.scored:,}", f"{s.flagged:,}",
             "-" if s.threshold is None else f"{s.threshold:g} ({md_text(s.threshold_source)})"] for s in data.scorers]
    text = "## Quality scorers\n\n" + md_table(["scorer", "version", "items scored", "flagged", "threshold"], rows)
    if not data.calibration:
        return text + "\n\nCalibration: no item both scored and accepted or rejected by a person yet."
    cal = [[md_text(c.scorer), md_text(c.version), f"{c.threshold:g}", f"{c.labelled:,}", f"{c.flagged:,}",
            f"{pct(c.precision)} [{pct(c.precision_ci[0])}, {pct(c.precision_ci[1])}]",
            f"{pct(c.recall)} [{pct(c.recall_ci[0])}, {pct(c.recall_ci[1])}]"] for c in data.calibration]
    return text + "\n\nCalibration against human decisions (95% Wilson intervals):\n\n" + md_table(
        ["scorer", "version", "threshold", "labelled", "flagged", "precision", "recall"], cal)


def dedup_section(data: CardData) -> str:
    """Return the dedup runs and the decontamination flags."""
    lines = ["## Deduplication and decontamination", ""]
    if data.dedup:
        lines.append(md_table(
            ["run", "method", "field", "threshold", "settings", "clusters", "duplicates found",
             "rejected as duplicates"],
            [[str(d.run_id), md_text(d.method), md_text(d.field), f"{d.threshold:g}",
              md_text(", ".join(f"{k}={v}" for k, v in sorted(d.params.items()) if k in _DEDUP_KEYS) or "-"),
              f"{d.clusters:,}", f"{d.duplicates:,}", f"{d.removed:,}"] for d in data.dedup]))
    else:
        lines.append("Dedup not run yet (`thresher dedup`).")
    lines += ["", f"Decontamination: {data.contaminated:,} training items flagged as overlapping held-out items "
                  f"({data.contaminated_in_pool:,} of them accepted, all left out of mixes)." if data.contaminated
              else "Decontamination: no flags stored (not run yet, or it found nothing)."]
    return "\n".join(lines)


_DEDUP_KEYS = {"model", "ngram", "jaccard", "verify", "normalise", "items", "pairs"}


def review_section(data: CardData) -> str:
    """Return review counts, the acceptance rate and the reject-reason histogram."""
    counts = ", ".join(f"{n:,} {md_text(s)}" for s, n in data.by_status.items())
    text = (f"## Review\n\n- Items: {sum(data.by_status.values()):,} ({counts}).\n"
            f"- Acceptance rate (accepted / accepted + rejected): {pct(data.acceptance_rate)}.")
    if not data.reasons:
        return text + "\n- No rejections yet."
    largest = max(n for _, n in data.reasons)
    total = sum(n for _, n in data.reasons)
    return text + "\n\nReject reasons:\n\n" + md_table(["reason", "items", "share", ""], [
        [md_text(r, 80), f"{n:,}", pct(n / total), block_bar(n, largest)] for r, n in data.reasons])


def diversity_section(report: DiversityReport | None) -> str:
    """Return the diversity table per batch against real data, and any narrowing warnings."""
    if report is None or not report.groups:
        return "## Diversity\n\nNot measured: the store has no items."
    rows = [[md_text(g.label, 60), f"{g.items:,}", f"{g.sampled:,}", fmt(g.distinct_1), fmt(g.distinct_2),
             fmt(g.distinct_3), fmt(g.self_similarity), f"{g.vocabulary:,}", f"{g.length_mean:.1f}",
             f"{g.length_std:.1f}", f"{g.length_iqr:.1f}", f"{g.clusters_covered}/{g.clusters_total}",
             "-" if g.metadata_topics is None else str(g.metadata_topics)] for g in report.groups]
    text = (f"## Diversity\n\nSelf-similarity (mean nearest-neighbour cosine) from {md_text(report.method)}; "
            "distinct-n and self-similarity are averaged over chunks of 100 items.\n\n" + md_table(
                ["group", "items", "sampled", "distinct-1", "distinct-2", "distinct-3", "self-similarity",
                 "vocabulary", "mean words", "std", "IQR", "topic clusters", "metadata topics"], rows))
    warnings = "\n".join(f"- **Warning:** {md_text(w, 300)}" for w in report.warnings)
    return text + ("\n\n" + warnings if warnings else "\n\nNo batch is narrower than the real data or earlier batches.")


def cost_section(costs: CostSummary) -> str:
    """Return spend, cost per accepted item and the manual-writing comparison."""
    m: ManualRates = costs.manual
    low, high = m.per_item()
    manual = (f"- Writing by hand: {usd(low)}-{usd(high)} per item (expert at ${m.rate_low:g}-${m.rate_high:g} "
              f"per hour, {m.per_hour_low:g}-{m.per_hour_high:g} items per hour)")
    if not costs.rows:
        return f"## Cost\n\nNo generation spend yet.\n\n{manual}."
    mlow, mhigh = m.for_items(costs.accepted)
    lines = [
        "## Cost", "",
        f"- Tokens: {costs.prompt_tokens:,} prompt + {costs.completion_tokens:,} completion = {costs.tokens:,}.",
        f"- Spend: {usd(costs.cost_usd)} for {costs.generated:,} generated items ({usd(costs.cost_per_generated)} "
        f"each); {costs.accepted:,} accepted, {usd(costs.cost_per_accepted)} per accepted item.",
        f"{manual}; the {costs.accepted:,} accepted items would have cost {usd(mlow)}-{usd(mhigh)}.",
    ]
    if costs.unpriced:
        lines.append(f"- {costs.unpriced:,} requests had no price (cost unknown and counted as $0).")
    p = costs.projection
    if p is not None:
        lines.append(f"- To reach {p.target:,} accepted items: {p.remaining:,} more, about "
                     f"{'-' if p.to_generate is None else f'{p.to_generate:,}'} more generated items costing "
                     f"{usd(p.cost_usd)} at the current acceptance rate {pct(p.acceptance_rate)}.")
    return "\n".join(lines)


def limitations(data: CardData) -> list[str]:
    """Return the known limitations that follow from what the store holds, then the general ones."""
    out = []
    if data.mix and data.mix.get("shortfalls"):
        out.append("The requested synthetic:real ratio could not be met (see Training mix).")
    if not data.pool.get("real"):
        out.append("No accepted real training items: nothing anchors the synthetic data to real data.")
    if not data.calibration:
        out.append("Scorer thresholds are not validated against human decisions.")
    if not data.dedup:
        out.append("No dedup run is recorded; near-duplicates may remain.")
    if not data.contaminated:
        out.append("No contamination flags are stored; overlap with held-out data may be unchecked.")
    if data.costs.unpriced:
        out.append("Some requests had no price, so the dollar cost is a lower bound.")
    if data.diversity is not None:
        if data.diversity.method == HASHED_METHOD:
            out.append("Self-similarity uses bag-of-words vectors, which see wording, not meaning.")
        out += [md_text(w, 300) for w in data.diversity.warnings]
    out += ["Synthetic items carry the errors, biases and style of the generator models named above.",
            "Quality scorers are heuristics; accepted items were reviewed by people or rules, not verified.",
            "Metrics here describe the store when the card was written, not any later edit."]
    return out
