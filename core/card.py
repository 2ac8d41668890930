"""Render the dataset card (Markdown) from a CardData object; every text from the store is escaped."""

from __future__ import annotations

from core.card_data import CalibrationInfo, CardData, DedupInfo, GenerationBatch, RecipeUse, ScorerInfo
from core.card_reproduce import LIST_LINES, list_files, reproduce_commands
from core.card_sections import (
    PROMPT_CHARS,
    cost_section,
    dedup_section,
    diversity_section,
    generation_sections,
    limitations,
    mix_section,
    review_section,
    scorer_section,
)
from core.card_text import block_bar, md_code, md_text, pct

__all__ = [
    "LIST_LINES", "PROMPT_CHARS", "CalibrationInfo", "CardData", "DedupInfo", "GenerationBatch", "RecipeUse",
    "ScorerInfo", "block_bar", "cost_section", "dedup_section", "diversity_section", "generation_sections",
    "limitations", "md_code", "md_text", "mix_section", "pct", "render_card", "reproduce_commands", "review_section",
    "scorer_section",
]


def render_card(data: CardData) -> str:
    """Return the whole card as Markdown."""
    parts = [
        f"# Dataset card: {md_text(data.title)}",
        f"Generated {md_text(data.generated_at)} by Thresher from the store {md_text(data.store)}.",
        mix_section(data),
        *generation_sections(data),
        scorer_section(data),
        dedup_section(data),
        review_section(data),
        diversity_section(data.diversity),
        cost_section(data.costs),
        "## Known limitations\n\n" + "\n".join(f"- {line}" for line in limitations(data)),
        "## Reproduce\n\nThe commands that rebuild this dataset from the same store contents:\n\n"
        + md_code("\n".join(reproduce_commands(data)) or "# nothing to reproduce yet", "sh"),
        *list_files(data),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"
