"""Queries behind the dataset card and `thresher report`: review, scorers, dedup, diversity and cost."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from core.calibration import confusion
from core.card import CalibrationInfo, CardData, DedupInfo, GenerationBatch, RecipeUse, ScorerInfo
from core.costs import CostSummary, ManualRates, SpendRow, summarise
from core.diversity import DiversityReport, Group, measure
from core.mix import LAST_MIX_KEY
from core.scorers import UnknownScorerError, scorer_class
from store.calibration import human_labels
from store.embeddings import FIELD_SQL
from store.generation import load_prices
from store.mix import CONTAMINATED_SQL, pool_counts
from store.scores import load_thresholds
from store.settings import get_setting
from store.stats import status_counts

DIVERSITY_SAMPLE = 1000
"""Items measured per group at most (a seeded random sample)."""
DEDUP_RUNS_SHOWN = 10
_REASON = r"regexp_replace(status_reason, '^duplicate of \d+ ', 'duplicate ')"
_EMBED_FIELDS = ("both", "instruction", "response")


def reject_reasons(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Return (reason, rejected items) largest first; `duplicate of N (...)` counts as `duplicate (...)`."""
    rows = cur.execute(f"SELECT coalesce({_REASON}, '(no reason)'), count(*) FROM items WHERE status = 'rejected' "
                       "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


@dataclass(frozen=True, slots=True)
class BatchReview:
    """Review progress of one batch."""

    id: int | None
    name: str
    kind: str
    items: int
    accepted: int
    rejected: int

    @property
    def acceptance_rate(self) -> float | None:
        """Return accepted over reviewed items."""
        reviewed = self.accepted + self.rejected
        return self.accepted / reviewed if reviewed else None


def batch_reviews(cur: duckdb.DuckDBPyConnection) -> list[BatchReview]:
    """Return item, accepted and rejected counts per batch (items without a batch last)."""
    rows = cur.execute(
        "SELECT i.batch_id, coalesce(any_value(b.name), '(no batch)'), coalesce(any_value(b.kind), '-'), count(*), "
        "count(*) FILTER (i.status = 'accepted'), count(*) FILTER (i.status = 'rejected') "
        "FROM items i LEFT JOIN batches b ON b.id = i.batch_id GROUP BY i.batch_id ORDER BY i.batch_id NULLS LAST"
    ).fetchall()
    return [BatchReview(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]


def spend_rows(cur: duckdb.DuckDBPyConnection) -> list[SpendRow]:
    """Return spend per (generation batch, model, endpoint), with what became of the items."""
    prices = load_prices(cur)
    rows = cur.execute(
        "SELECT g.batch_id, coalesce(any_value(b.name), ''), coalesce(g.model, ''), coalesce(g.endpoint, ''), "
        "count(*), count(*) FILTER (g.status = 'ok'), count(*) FILTER (g.status = 'failed'), "
        "coalesce(sum(g.prompt_tokens), 0), coalesce(sum(g.completion_tokens), 0), coalesce(sum(g.cost_usd), 0), "
        "count(*) FILTER (i.status = 'accepted'), count(*) FILTER (i.status = 'rejected') "
        "FROM generation_requests g LEFT JOIN batches b ON b.id = g.batch_id LEFT JOIN items i ON i.id = g.item_id "
        "GROUP BY g.batch_id, g.model, g.endpoint ORDER BY 1, 3, 4"
    ).fetchall()
    return [SpendRow(int(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5]), int(r[6]), int(r[7]), int(r[8]), float(r[9]),
                     int(r[4]) if prices.lookup(r[2]) is None else 0, int(r[10]), int(r[11])) for r in rows]


def cost_summary(cur: duckdb.DuckDBPyConnection, manual: ManualRates | None = None,
                 target: int | None = None) -> CostSummary:
    """Return the spend rows summed, with the manual estimate and an optional projection."""
    return summarise(spend_rows(cur), manual, target)


def _embedding_source(cur: duckdb.DuckDBPyConnection, ids: list[int]) -> tuple[str, str] | None:
    """Return the (model, field) whose fresh stored vectors cover every id, preferring field `both`."""
    fresh = " ".join(f"WHEN '{f}' THEN hash({FIELD_SQL[f]})" for f in _EMBED_FIELDS)
    rows = cur.execute(
        f"SELECT e.model, e.field, count(*) FROM embeddings e JOIN items i ON i.id = e.item_id "
        f"WHERE e.item_id IN (SELECT unnest(?::BIGINT[])) AND (e.text_hash IS NULL OR e.text_hash = "
        f"CASE e.field {fresh} END) GROUP BY 1, 2", [ids]).fetchall()
    full = [(str(r[0]), str(r[1])) for r in rows if int(r[2]) == len(ids)]
    rank = {f: i for i, f in enumerate(_EMBED_FIELDS)}
    return min(full, key=lambda mf: (rank.get(mf[1], 9), mf[0])) if full else None


def _vectors(cur: duckdb.DuckDBPyConnection, ids: list[int], model: str, field: str) -> dict[int, np.ndarray]:
    """Return the stored vectors of these items for one model and field."""
    table = cur.sql("SELECT item_id, vector FROM embeddings WHERE model = ? AND field = ? AND item_id IN "
                    "(SELECT unnest(?::BIGINT[]))", params=[model, field, ids]).to_arrow_table()
    flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    matrix = flat.reshape(table.num_rows, -1) if table.num_rows else np.zeros((0, 0), np.float32)
    return dict(zip(table.column("item_id").to_pylist(), matrix, strict=True))


def diversity(cur: duckdb.DuckDBPyConnection, *, sample: int = DIVERSITY_SAMPLE, seed: int = 0) -> DiversityReport:
    """Measure the real items and each batch's synthetic items (a seeded sample of each), against each other."""
    grp = "CASE WHEN origin = 'real' THEN 'real' ELSE coalesce(batch_id::VARCHAR, 'none') END"
    rows = cur.execute(
        f"WITH g AS (SELECT {grp} AS grp, id FROM items), "
        "r AS (SELECT *, row_number() OVER (PARTITION BY grp ORDER BY hash(id, ?), id) AS rn, "
        "count(*) OVER (PARTITION BY grp) AS n FROM g) "
        f"SELECT r.grp, i.id, {FIELD_SQL['both']}, coalesce(i.metadata->>'topic', i.metadata->'generation'->>'topic'), "
        "r.n FROM r JOIN items i ON i.id = r.id WHERE r.rn <= ? "
        "ORDER BY r.grp = 'real' DESC, r.grp = 'none', TRY_CAST(r.grp AS INTEGER), i.id", [seed, sample]).fetchall()
    names = {str(r[0]): str(r[1]) for r in cur.execute("SELECT id, name FROM batches").fetchall()}
    members: dict[str, list[tuple[int, str, str | None, int]]] = {}
    for key, item_id, text, topic, n in rows:
        members.setdefault(str(key), []).append((int(item_id), str(text), topic, int(n)))
    ids = [m[0] for group in members.values() for m in group]
    source = _embedding_source(cur, ids) if ids else None
    vectors = _vectors(cur, ids, *source) if source else {}
    groups = []
    for key, group in members.items():
        label = "real data" if key == "real" else "synthetic, no batch" if key == "none" \
            else f"batch {key} ({names.get(key, '?')})"
        stacked = np.array([vectors[m[0]] for m in group]) if source else None
        groups.append(Group(key, label, key == "real", group[0][3], [m[1] for m in group], [m[2] for m in group],
                            stacked))
    method = f"stored embeddings ({source[0]}, field {source[1]})" if source else None
    return measure(groups, method, seed)


def _scorers(cur: duckdb.DuckDBPyConnection) -> tuple[list[ScorerInfo], list[CalibrationInfo]]:
    """Return each stored scorer version with its threshold, and its calibration on human decisions."""
    saved = load_thresholds(cur)
    labels = human_labels(cur)
    infos, cals = [], []
    for name, version in cur.execute("SELECT DISTINCT scorer, scorer_version FROM scores ORDER BY 1, 2").fetchall():
        threshold, source = saved.get(name), "saved"
        if threshold is None:
            try:
                threshold, source = float(scorer_class(name).threshold), "default"
            except UnknownScorerError:
                threshold, source = None, "verdict"
        scored, flagged = cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE CASE WHEN ?::DOUBLE IS NULL THEN verdict = 'flag' "
            "ELSE score >= ?::DOUBLE END) FROM scores WHERE scorer = ? AND scorer_version = ?",
            [threshold, threshold, name, version]).fetchall()[0]
        infos.append(ScorerInfo(name, version, int(scored), int(flagged), threshold, source))
        if threshold is None or not labels:
            continue
        points = [(float(s), labels[int(i)]) for i, s in cur.execute(
            "SELECT item_id, score FROM scores WHERE scorer = ? AND scorer_version = ? AND item_id IN "
            "(SELECT unnest(?::BIGINT[]))", [name, version, list(labels)]).fetchall()]
        if points:
            c = confusion(points, threshold)
            cals.append(CalibrationInfo(name, version, threshold, len(points), c.flagged, c.precision, c.recall,
                                        c.precision_ci(), c.recall_ci()))
    return infos, cals


def _dedup(cur: duckdb.DuckDBPyConnection) -> list[DedupInfo]:
    """Return the latest dedup runs with what they found and how many items were rejected for them."""
    rows = cur.execute(
        "SELECT r.id, r.method, r.field, r.threshold, r.params, "
        "(SELECT count(DISTINCT cluster_id) FROM clusters c WHERE c.run_id = r.id), "
        "(SELECT count(*) FROM clusters c WHERE c.run_id = r.id AND NOT c.is_keeper), "
        "(SELECT count(*) FROM items i WHERE i.status = 'rejected' "
        "AND i.status_reason LIKE ('%dedup run ' || r.id || ')')) "
        "FROM cluster_runs r ORDER BY r.id DESC LIMIT ?", [DEDUP_RUNS_SHOWN]).fetchall()
    return [DedupInfo(int(r[0]), r[1], r[2], float(r[3] or 0), json.loads(r[4]) if r[4] else {}, int(r[5]),
                      int(r[6]), int(r[7])) for r in reversed(rows)]


def _generation(cur: duckdb.DuckDBPyConnection) -> tuple[list[GenerationBatch], list[RecipeUse]]:
    """Return the generation batches with their specs, and each recipe version they used with a sample prompt."""
    batches = [GenerationBatch(int(r[0]), r[1], r[2], (json.loads(r[3]) if r[3] else {}).get("spec", {}))
               for r in cur.execute("SELECT id, name, status, params FROM batches WHERE kind = 'generation' "
                                    "ORDER BY id").fetchall()]
    used: dict[tuple[str, str], list[int]] = {}
    for b in batches:
        used.setdefault((str(b.spec.get("recipe", "")), str(b.spec.get("recipe_hash", ""))), []).append(b.id)
    recipes = []
    for (name, digest), ids in used.items():
        body = cur.execute("SELECT body->>'description', content_hash FROM recipes WHERE name = ? AND "
                           "(content_hash = ? OR ? = '') ORDER BY created_at DESC LIMIT 1", [name, digest, digest]
                           ).fetchall()
        prompt = cur.execute("SELECT prompt FROM generation_requests WHERE batch_id IN (SELECT unnest(?::INTEGER[])) "
                             "AND prompt IS NOT NULL ORDER BY status = 'ok' DESC, batch_id, sample_index LIMIT 1",
                             [ids]).fetchall()
        messages = json.loads(prompt[0][0]) if prompt else []
        recipes.append(RecipeUse(name, digest or (body[0][1] if body else "?"), (body[0][0] or "") if body else "",
                                 tuple(ids), tuple((str(m.get("role", "")), str(m.get("content", "")))
                                                   for m in messages if isinstance(m, dict))))
    return batches, recipes


def gather_card(cur: duckdb.DuckDBPyConnection, *, store_name: str, title: str | None = None,
                manual: ManualRates | None = None, target: int | None = None,
                mix: dict[str, Any] | None = None) -> CardData:
    """Read everything the dataset card shows; `mix` defaults to the last recorded mix export."""
    by_origin = {str(k): int(v) for k, v in cur.execute("SELECT origin, count(*) FROM items GROUP BY 1 ORDER BY 1")
                 .fetchall()}
    heldout = int(cur.execute("SELECT count(*) FROM items WHERE split = 'heldout'").fetchall()[0][0])
    flags = cur.execute(f"SELECT count(*), count(*) FILTER (WHERE i.status = 'accepted' AND i.split = 'train') "
                        f"FROM items i WHERE i.id IN ({CONTAMINATED_SQL})").fetchall()[0]
    batches, recipes = _generation(cur)
    scorers, calibration = _scorers(cur)
    return CardData(
        title=title or store_name, generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        store=store_name, by_status=status_counts(cur), by_origin=by_origin, heldout=heldout,
        reasons=reject_reasons(cur), pool=pool_counts(cur), contaminated=int(flags[0]),
        contaminated_in_pool=int(flags[1]), batches=batches, recipes=recipes, scorers=scorers,
        calibration=calibration, dedup=_dedup(cur), costs=cost_summary(cur, manual, target),
        diversity=diversity(cur), mix=mix if mix is not None else get_setting(cur, LAST_MIX_KEY),
        thresholds=load_thresholds(cur),
    )


@dataclass(frozen=True)
class Report:
    """What `thresher report` and the report view show."""

    by_status: dict[str, int]
    reasons: list[tuple[str, int]]
    batches: list[BatchReview]
    diversity: DiversityReport
    costs: CostSummary

    @property
    def acceptance_rate(self) -> float | None:
        """Return accepted over reviewed items."""
        accepted, rejected = self.by_status.get("accepted", 0), self.by_status.get("rejected", 0)
        return accepted / (accepted + rejected) if accepted + rejected else None


def gather_report(cur: duckdb.DuckDBPyConnection, *, manual: ManualRates | None = None,
                  target: int | None = None, sample: int = DIVERSITY_SAMPLE) -> Report:
    """Read review progress, reject reasons, diversity per batch and cost."""
    return Report(status_counts(cur), reject_reasons(cur), batch_reviews(cur), diversity(cur, sample=sample),
                  cost_summary(cur, manual, target))
