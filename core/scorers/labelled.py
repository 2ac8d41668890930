"""Labelled samples of public data: read items by (source, index) and measure scorers against labels."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.models import Item
from core.scorers.base import Scorer

REAL_SOURCES = (
    *(
        f"alpaca_eval/{name}.json"
        for name in (
            "Qwen1.5-1.8B-Chat",
            "alpaca-7b",
            "baize-v2-7b",
            "chatglm2-6b",
            "claude-2",
            "falcon-7b-instruct",
            "gemma-2b-it",
            "gpt4",
            "guanaco-7b",
            "llama-2-7b-chat-hf",
            "oasst-sft-pythia-12b",
            "phi-2",
            "pythia-12b-mix-sft",
            "text_davinci_003",
            "vicuna-7b",
            "zephyr-7b-beta",
        )
    ),
    *(
        f"self_instruct/predictions/{name}_predictions.jsonl"
        for name in (
            "davinci",
            "davinci-self-instruct",
            "davinci-self-instruct-and-superni-ft",
            "davinci-superni-ft",
            "davinci-t0-ft",
            "text-davinci-001",
            "text-davinci-002",
            "text-davinci-003",
        )
    ),
    "gsm8k/train.jsonl",
    "gsm8k/test.jsonl",
)
"""Every file of the shared data sets whose records are instruction/response pairs."""


def _records(path: Path) -> list[dict[str, Any]]:
    """Read a JSON array or a JSON-lines file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        return list(data) if isinstance(data, list) else []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def to_item(source: str, index: int, record: dict[str, Any]) -> Item:
    """Map one record of a known public data set to an Item."""
    ext_id = f"{source}#{index}"
    if "question" in record and "answer" in record:
        return Item(
            str(record["question"]), str(record["answer"]), ext_id=ext_id, origin="real", metadata={"source": source}
        )
    if "output" in record:
        return Item(
            str(record["instruction"]),
            str(record["output"]),
            ext_id=ext_id,
            metadata={"source": source, "generator": record.get("generator")},
        )
    return Item(
        str(record.get("instruction", "")).strip(),
        str(record.get("response", "")).strip(),
        input=str(record.get("input", "")).strip(),
        ext_id=ext_id,
        metadata={"source": source},
    )


def read_source(root: Path, source: str) -> list[Item]:
    """Return every item of one data set file, in file order (the index is the position)."""
    return [to_item(source, i, record) for i, record in enumerate(_records(root / source))]


@dataclass(frozen=True, slots=True)
class Labelled:
    """One item of a labelled sample: where it is, and the defects a person saw in it."""

    source: str
    index: int
    labels: frozenset[str]


def load_labels(path: Path) -> list[Labelled]:
    """Read a fixture of `{source, index, labels}` records."""
    return [
        Labelled(r["source"], int(r["index"]), frozenset(r["labels"]))
        for r in json.loads(path.read_text(encoding="utf-8"))
    ]


def resolve(root: Path, labelled: Iterable[Labelled]) -> list[tuple[Item, frozenset[str]]]:
    """Load the items a labelled sample points to."""
    cache: dict[str, list[Item]] = {}
    pairs = []
    for entry in labelled:
        if entry.source not in cache:
            cache[entry.source] = read_source(root, entry.source)
        pairs.append((cache[entry.source][entry.index], entry.labels))
    return pairs


@dataclass(frozen=True, slots=True)
class Agreement:
    """How one scorer's flags agree with one label on a labelled sample."""

    scorer: str
    label: str
    true_pos: int
    false_pos: int
    false_neg: int

    @property
    def precision(self) -> float:
        """Return TP / (TP + FP), 1.0 when nothing was flagged."""
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        """Return TP / (TP + FN), 1.0 when nothing carries the label."""
        positives = self.true_pos + self.false_neg
        return self.true_pos / positives if positives else 1.0


def agreement(scorers: Sequence[Scorer], pairs: Sequence[tuple[Item, frozenset[str]]]) -> list[Agreement]:
    """Measure each scorer's flags against the label it predicts."""
    rows = []
    for scorer in scorers:
        tp = fp = fn = 0
        for item, labels in pairs:
            flagged = scorer.score(item).flagged
            wanted = scorer.label in labels
            tp += flagged and wanted
            fp += flagged and not wanted
            fn += wanted and not flagged
        rows.append(Agreement(scorer.name, scorer.label, tp, fp, fn))
    return rows
