"""Export a training mix at a synthetic:real ratio, its held-out evaluation set, and its dataset card.

Only accepted training items that carry no contamination flag are candidates; held-out real items
that were not rejected form the evaluation set.  Files are written by store.exporter, so the formats
are exactly those of `thresher export`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from core.mix import LAST_MIX_KEY, Candidate, MixError, MixPlan, plan_mix, ratio_text, shortfall_message
from store.connection import Store, StoreError
from store.exporter import export_items
from store.settings import put_setting

CONTAMINATED_SQL = "SELECT item_id FROM scores WHERE scorer = 'contamination' AND verdict = 'flag'"
"""Ids of items the decontamination check flagged (stored by store.dedup as scorer `contamination`)."""


def pool_sql(alias: str = "") -> str:
    """Return the condition on `items` (optionally aliased) for the items a mix may draw from."""
    a = f"{alias}." if alias else ""
    return f"{a}status = 'accepted' AND {a}split = 'train' AND {a}id NOT IN ({CONTAMINATED_SQL})"


EVAL_SQL = "origin = 'real' AND split = 'heldout' AND status <> 'rejected'"
"""The items of the evaluation set."""
_NULL = "NULLIF(trim({}), '')"
STRATUM_SQL = {
    None: "'all'",
    "kind": "i.kind",
    "domain": "coalesce({}, {}, {}, '(none)')".format(
        _NULL.format("i.metadata->>'domain'"), _NULL.format("i.metadata->'generation'->>'domain'"),
        _NULL.format("b.params->'spec'->>'domain'")),
    "batch": "coalesce(i.batch_id::VARCHAR, '(none)')",
}


class MixExportError(StoreError):
    """A mix export that cannot be written, or (with --strict) whose ratio cannot be met."""


def pool_counts(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Return how many items of each origin a mix could draw from."""
    counts = {"synthetic": 0, "real": 0}
    counts.update({str(o): int(n) for o, n in cur.execute(
        f"SELECT origin, count(*) FROM items WHERE {pool_sql()} GROUP BY 1").fetchall()})
    return counts


def mix_candidates(cur: duckdb.DuckDBPyConnection, stratify: str | None = None) -> list[Candidate]:
    """Return every item a mix may draw from, with its stratum."""
    if stratify not in STRATUM_SQL:
        raise MixExportError(f"cannot stratify by {stratify!r}; use kind, domain or batch")
    rows = cur.execute(
        f"SELECT i.id, i.origin, {STRATUM_SQL[stratify]} FROM items i LEFT JOIN batches b ON b.id = i.batch_id "
        f"WHERE {pool_sql('i')} ORDER BY i.id").fetchall()
    return [Candidate(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def eval_ids(cur: duckdb.DuckDBPyConnection) -> list[int]:
    """Return the ids of the evaluation set: held-out real items not rejected."""
    return [int(r[0]) for r in cur.execute(f"SELECT id FROM items WHERE {EVAL_SQL} ORDER BY id").fetchall()]


def export_ids(store: Store, out: Path, ids: list[int], fmt: str) -> int:
    """Write exactly these items (whatever their status or split) with store.exporter; return the rows written."""
    return export_items(store, out, fmt=fmt, status=None, include_heldout=True, include_contaminated=True, ids=ids)


def sibling(out: Path, tag: str, suffix: str | None = None) -> Path:
    """Return `OUT.tag.ext` next to OUT, e.g. train.jsonl -> train.eval.jsonl or train.card.md."""
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.{tag}{suffix if suffix is not None else out.suffix or '.jsonl'}")


@dataclass(frozen=True)
class MixExport:
    """What a mix export wrote and the plan behind it."""

    plan: MixPlan
    out: Path
    eval_out: Path
    card: Path
    rows: int
    eval_rows: int
    record: dict[str, Any]

    @property
    def message(self) -> str | None:
        """Return the shortfall line, or None when the ratio was met."""
        return None if self.plan.met else shortfall_message(self.plan)


def mix_command(out: Path, fmt: str, plan: MixPlan, eval_out: Path | None) -> str:
    """Return the `thresher export` line that reproduces this mix."""
    args = ["thresher", "export", str(out), "--mix", ratio_text(plan.ratio), "--seed", str(plan.seed),
            "--format", fmt]
    if plan.stratify:
        args += ["--stratify", plan.stratify]
    if plan.size is not None:
        args += ["--size", str(plan.size)]
    if plan.policy != "keep-ratio":
        args += ["--shortfall", plan.policy]
    if eval_out is not None:
        args += ["--eval-out", str(eval_out)]
    return " ".join(shlex.quote(a) for a in args)


def export_mix(
    store: Store, out: Path, *, ratio: tuple[float, float], fmt: str = "alpaca", seed: int = 0,
    stratify: str | None = None, size: int | None = None, policy: str = "keep-ratio", strict: bool = False,
    eval_out: Path | None = None, card_title: str | None = None,
) -> MixExport:
    """Plan and write the mix, the evaluation set and the dataset card; record the export for later cards."""
    from core.card import render_card  # the card gathers from store.report, which imports this module
    from store.report import gather_card

    with store.cursor() as cur:
        candidates, held = mix_candidates(cur, stratify), eval_ids(cur)
    try:
        plan = plan_mix(candidates, ratio, seed=seed, size=size, stratify=stratify, policy=policy)
    except MixError as error:
        raise MixExportError(str(error)) from None
    if strict and not plan.met:
        message = shortfall_message(plan).replace("; exported", "; would export")
        raise MixExportError(f"{message} (--strict: nothing written)")
    eval_path = eval_out or sibling(out, "eval", ".parquet" if fmt == "parquet" else None)
    card_path = sibling(out, "card", ".md")
    if len({out.resolve(), eval_path.resolve(), card_path.resolve()}) < 3:
        raise MixExportError(f"the mix, evaluation set and card paths must differ (got {out} and {eval_path})")
    rows = export_ids(store, out, plan.ids, fmt)
    eval_rows = export_ids(store, eval_path, held, fmt)
    record = {
        "out": str(out), "eval_out": str(eval_path), "card": str(card_path), "format": fmt,
        "ratio": ratio_text(ratio), "achieved": list(plan.achieved), "synthetic": plan.count("synthetic"),
        "real": plan.count("real"), "eval": eval_rows, "stratify": stratify, "seed": seed, "size": size,
        "policy": policy, "available": plan.available, "targets": plan.targets,
        "shortfalls": [s.describe() for s in plan.shortfalls], "strata": plan.strata,
        "command": mix_command(out, fmt, plan, eval_out),
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if not store.read_only:
        with store.transaction() as tx:
            put_setting(tx, LAST_MIX_KEY, record)
    with store.cursor() as cur:
        card = render_card(gather_card(cur, store_name=store.path.name, title=card_title, mix=record))
    partial = card_path.with_name(card_path.name + ".partial")
    partial.write_text(card, encoding="utf-8")
    partial.replace(card_path)
    return MixExport(plan, out, eval_path, card_path, rows, eval_rows, record)
