"""The training mix: targets, shortfalls, strata and seeds (pure), then exports checked against SQL and the CLI."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from core.mix import Candidate, MixError, allocate, fit_ratio, mix_targets, parse_ratio, plan_mix
from store.connection import Store
from store.mix import MixExportError, export_mix, sibling
from store.settings import get_setting
from tests.conftest import REPO_ROOT, cli_env, thresher_cmd
from tests.test_report_data import build_store, rows

POOL = ("SELECT id, origin FROM items WHERE status = 'accepted' AND split = 'train' AND id NOT IN "
        "(SELECT item_id FROM scores WHERE scorer = 'contamination' AND verdict = 'flag')")
EVAL = "SELECT id FROM items WHERE origin = 'real' AND split = 'heldout' AND status <> 'rejected' ORDER BY id"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    store = build_store(tmp_path / "mix.duckdb")
    yield store
    store.close()


def _pool(store: Store) -> dict[int, str]:
    return {int(i): str(o) for i, o in rows(store, POOL)}


def _ids(path: Path) -> list[int]:
    return [int(i) for i in pq.read_table(path).column("id").to_pylist()]


def test_parse_ratio_accepts_weights_and_refuses_nonsense() -> None:
    assert parse_ratio("75:25") == (75.0, 25.0) and parse_ratio("3:1") == (3.0, 1.0)
    assert parse_ratio("100:0") == (100.0, 0.0)
    for bad in ("75", "a:b", "0:0", "-1:2", "75:25:1", "inf:1"):
        with pytest.raises(MixError):
            parse_ratio(bad)


def test_targets_fit_and_allocation() -> None:
    assert mix_targets((900, 1000), (75, 25), None) == (900, 300)
    assert mix_targets((0, 40), (75, 25), None) == (120, 40)
    assert mix_targets((10, 10), (75, 25), 101) == (76, 25)
    assert mix_targets((10, 10), (100, 0), None) == (10, 0)
    assert fit_ratio(1200, (75, 25), (900, 120)) == (360, 120)
    assert fit_ratio(40, (75, 25), (0, 40)) == (0, 0)
    assert allocate({"a": 90, "b": 9, "c": 1}, 10) == {"a": 9, "b": 1, "c": 0}
    assert sum(allocate({"a": 5, "b": 5, "c": 5}, 7).values()) == 7
    assert allocate({"a": 3, "b": 1}, 10) == {"a": 3, "b": 1}


def test_plan_keeps_the_ratio_or_fills_and_names_the_shortfall() -> None:
    cands = [Candidate(i, "synthetic") for i in range(900)] + [Candidate(1000 + i, "real") for i in range(120)]
    keep = plan_mix(cands, (75, 25), seed=1)
    assert (keep.count("synthetic"), keep.count("real")) == (360, 120) and keep.achieved == (75.0, 25.0)
    assert [(s.origin, s.needed, s.available, s.short) for s in keep.shortfalls] == [("real", 300, 120, 180)]
    fill = plan_mix(cands, (75, 25), seed=1, policy="fill")
    assert (fill.count("synthetic"), fill.count("real")) == (900, 120) and not fill.met
    met = plan_mix(cands, (90, 10), seed=1)
    assert met.met and (met.count("synthetic"), met.count("real")) == (900, 100)
    assert plan_mix(cands, (75, 25), seed=1).ids == keep.ids, "same seed, same mix"
    assert plan_mix(cands, (75, 25), seed=2).ids != keep.ids


def test_stratified_picks_follow_the_strata_shares() -> None:
    cands = [Candidate(i, "real", "big" if i < 94 else "tiny") for i in range(100)]
    cands += [Candidate(1000 + i, "synthetic") for i in range(30)]
    plan = plan_mix(cands, (75, 25), seed=0, stratify="kind")
    assert plan.strata["real"] == {"big": (94, 9), "tiny": (6, 1)}
    assert sum(1 for i in plan.chosen["real"] if i >= 94) == 1


def test_export_meets_the_ratio_from_the_clean_pool_only(db: Store, tmp_path: Path) -> None:
    pool = _pool(db)
    syn = sum(1 for o in pool.values() if o == "synthetic")
    result = export_mix(db, tmp_path / "train.parquet", ratio=(75, 25), fmt="parquet", seed=4)
    exported = _ids(tmp_path / "train.parquet")
    origins = Counter(pool[i] for i in exported)
    assert set(exported) <= set(pool), "only accepted, training, uncontaminated items"
    assert origins["synthetic"] == syn and abs(origins["real"] - round(syn / 3)) <= 0
    assert result.plan.met and result.rows == len(exported)
    assert abs(origins["synthetic"] / len(exported) - 0.75) <= 0.5 / len(exported) + 1e-9
    bad = {int(r[0]) for r in rows(db, "SELECT id FROM items WHERE split = 'heldout' OR status <> 'accepted' OR id IN "
                                       "(SELECT item_id FROM scores WHERE scorer = 'contamination')")}
    assert bad and not bad & set(exported)
    assert _ids(tmp_path / "train.eval.parquet") == [int(r[0]) for r in rows(db, EVAL)]
    assert result.card == tmp_path / "train.card.md" and result.card.exists()
    record = get_setting(db.cursor(), "mix.last_export")
    assert record["synthetic"] == origins["synthetic"] and record["real"] == origins["real"]


def test_export_shortfall_keeps_ratio_fills_or_refuses(db: Store, tmp_path: Path) -> None:
    pool = _pool(db)
    syn, real = (sum(1 for o in pool.values() if o == k) for k in ("synthetic", "real"))
    assert real < syn
    keep = export_mix(db, tmp_path / "keep.parquet", ratio=(50, 50), fmt="parquet")
    assert Counter(pool[i] for i in _ids(tmp_path / "keep.parquet")) == {"synthetic": real, "real": real}
    assert keep.message and f"real: need {syn}, have {real} (short {syn - real})" in keep.message
    export_mix(db, tmp_path / "fill.parquet", ratio=(50, 50), fmt="parquet", policy="fill")
    assert Counter(pool[i] for i in _ids(tmp_path / "fill.parquet")) == {"synthetic": syn, "real": real}
    with pytest.raises(MixExportError, match="short"):
        export_mix(db, tmp_path / "strict.parquet", ratio=(50, 50), fmt="parquet", strict=True)
    assert not list(tmp_path.glob("strict*"))


def test_same_seed_same_mix_and_strata_by_domain(db: Store, tmp_path: Path) -> None:
    first = export_mix(db, tmp_path / "a.parquet", ratio=(75, 25), fmt="parquet", seed=9, stratify="domain")
    again = export_mix(db, tmp_path / "b.parquet", ratio=(75, 25), fmt="parquet", seed=9, stratify="domain")
    other = export_mix(db, tmp_path / "c.parquet", ratio=(75, 25), fmt="parquet", seed=10, stratify="domain")
    assert _ids(tmp_path / "a.parquet") == _ids(tmp_path / "b.parquet") != _ids(tmp_path / "c.parquet")
    strata = first.plan.strata["real"]
    assert set(strata) == {"nature", "city"} and set(first.plan.strata["synthetic"]) == {"hobbies"}
    assert strata == again.plan.strata["real"] == other.plan.strata["real"]
    assert abs(strata["nature"][1] / first.plan.count("real") - strata["nature"][0] / sum(
        s[0] for s in strata.values())) < 0.05


def test_sibling_paths() -> None:
    assert sibling(Path("d/train.jsonl"), "eval") == Path("d/train.eval.jsonl")
    assert sibling(Path("d/train"), "card", ".md") == Path("d/train.card.md")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(thresher_cmd(*args), capture_output=True, text=True, env=cli_env(), cwd=REPO_ROOT,
                          timeout=120)


def test_cli_mix_export_json_strict_and_conflicts(db: Store, tmp_path: Path) -> None:
    pool = _pool(db)
    path = str(db.path)
    db.close()
    out = tmp_path / "mix.jsonl"
    proc = _cli("export", str(out), "--mix", "75:25", "--stratify", "kind", "--seed", "3", "--store", path, "--json")
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert body["rows"] == len(lines) == body["synthetic"] + body["real"] and body["met"]
    assert body["synthetic"] == sum(1 for o in pool.values() if o == "synthetic")
    assert set(json.loads(lines[0])) == {"instruction", "input", "output"}
    assert len((tmp_path / "mix.eval.jsonl").read_text(encoding="utf-8").splitlines()) == body["eval_rows"] == 5
    assert "## Training mix" in (tmp_path / "mix.card.md").read_text(encoding="utf-8")
    strict = _cli("export", str(tmp_path / "s.jsonl"), "--mix", "50:50", "--strict", "--store", path)
    assert strict.returncode == 1 and "short" in strict.stderr and len(strict.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.jsonl").exists()
    short = _cli("export", str(tmp_path / "k.jsonl"), "--mix", "50:50", "--store", path)
    assert short.returncode == 0 and "warning: the 50:50 mix cannot be met" in short.stderr
    clash = _cli("export", str(tmp_path / "x.jsonl"), "--mix", "75:25", "--include-heldout", "--store", path)
    assert clash.returncode == 1 and "--include-heldout" in clash.stderr
    bad = _cli("export", str(tmp_path / "x.jsonl"), "--mix", "lots", "--store", path)
    assert bad.returncode == 1 and "SYNTHETIC:REAL" in bad.stderr
