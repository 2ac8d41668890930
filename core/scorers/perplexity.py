"""Perplexity of the response under the embedded small LM (SmolLM2-135M), given its prompt.

Length-normalised: the mean negative log-likelihood per response token (nats), so a long answer is
not punished for its length. Items are scored in batches on CPU. The model is located and loaded by
core.generation.local_model, shared with the generation backend.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from core.scorers.base import Scorable, Scorer, ScoreResult, prompt_text, span_of

PROMPT_TOKENS = 64
"""The end of the prompt kept as context, in tokens."""
RESPONSE_TOKENS = 128
"""The start of the response scored, in tokens: enough to judge fluency, and CPU time grows with it."""


def model_available(model_dir: Path | None = None) -> bool:
    """Return True when the embedded model is set up and its Python packages are installed."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401

        from core.generation.local_model import model_files
    except ImportError:
        return False
    files = model_files(model_dir)
    return files["gguf"] is not None or files["converted"] is not None


class Perplexity(Scorer):
    """Mean per-token negative log-likelihood of the response; high means surprising text."""

    name = "perplexity"
    version = "1-smollm2-135m"
    kind = "model"
    label = "low_quality"
    threshold = 3.5
    """About perplexity 33: above it, SmolLM2 finds the answer unusually hard to predict."""
    description = "response perplexity under the embedded SmolLM2-135M, per token (needs the local model)"

    def __init__(self, model_dir: Path | None = None, batch_size: int = 8) -> None:
        """Remember where the model is; it loads on first use."""
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._tokenizer: Any = None
        self._model: Any = None

    def _load(self) -> None:
        """Load tokenizer and model once."""
        if self._model is None:
            from core.generation.local_model import load_model

            self._tokenizer, self._model = load_model(self.model_dir)

    def score(self, item: Scorable) -> ScoreResult:
        """Score one item (prefer score_many, which batches)."""
        return self.score_many([item])[0]

    def score_many(self, items: list[Scorable]) -> list[ScoreResult]:
        """Score items in batches of `batch_size`, grouping similar lengths to waste little padding."""
        self._load()
        order = sorted(range(len(items)), key=lambda i: len(items[i].response))
        results: dict[int, ScoreResult] = {}
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            results.update(zip(chunk, self._batch([items[i] for i in chunk]), strict=True))
        return [results[i] for i in range(len(items))]

    def _batch(self, items: list[Scorable]) -> list[ScoreResult]:
        """Compute the mean response-token NLL for a batch, right-padded."""
        import torch

        tok = self._tokenizer
        rows: list[tuple[list[int], int]] = []
        for item in items:
            context = tok(prompt_text(item) + "\n\n", add_special_tokens=False)["input_ids"][-PROMPT_TOKENS:]
            answer = tok(item.response, add_special_tokens=False)["input_ids"][:RESPONSE_TOKENS]
            rows.append((context + answer, len(context)))
        width = max(len(ids) for ids, _ in rows)
        pad = tok.pad_token_id if tok.pad_token_id is not None else 0
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        for row, (ids, context_len) in enumerate(rows):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
            labels[row, context_len : len(ids)] = torch.tensor(ids[context_len:])
        with torch.inference_mode():
            hidden = self._model.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            shift_labels = labels[:, 1:]
            scored = shift_labels != -100
            # the vocabulary projection is the costliest layer: apply it to scored positions only
            logits = self._model.lm_head(hidden[:, :-1][scored]).float()
            token_nll = torch.nn.functional.cross_entropy(logits, shift_labels[scored], reduction="none")
        nll = torch.zeros(shift_labels.shape)
        nll[scored] = token_nll
        counts = scored.sum(dim=1)
        results = []
        for row, item in enumerate(items):
            n = int(counts[row])
            if n == 0:
                results.append(self.result(0.0))
                continue
            mean = float(nll[row].sum()) / n
            results.append(
                self.result(
                    mean, f"perplexity {math.exp(mean):.1f} over {n} tokens", span_of("response", 0, len(item.response))
                )
            )
        return results
