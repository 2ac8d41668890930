"""Exporting items: which items, each format's shape, exact text, atomic writes and import round trips."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from core.models import Action
from store.connection import Store, open_store
from store.decisions import decide
from store.exporter import EXPORT_FORMATS, ExportError, export_items
from store.importer import import_file

HOSTILE = "nul\x00 esc\x1b[2J rtl\u202e emoji 👩‍💻 sep\u2028 quote\" backslash\\ slash/ é"
FLAT: list[dict[str, Any]] = [
    {"id": "f1", "instruction": "Add", "input": "2 and 3", "output": "5", "tag": "math"},
    {"id": "f2", "instruction": f"Echo {HOSTILE}", "input": "", "output": HOSTILE},
    {"id": "f3", "instruction": "Rejected", "input": "", "output": "no"},
]
CHAT: list[dict[str, Any]] = [{"id": "c1", "conversations": [
    {"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"},
    {"from": "human", "value": HOSTILE}, {"from": "gpt", "value": "Noted"}]}]
OPENAI: list[dict[str, Any]] = [
    {"id": "o1", "messages": [{"role": "user", "content": HOSTILE}, {"role": "assistant", "content": "A"},
                              {"role": "user", "content": "More"}, {"role": "assistant", "content": "B"}]},
    {"messages": [{"role": "developer", "content": "Rules"}, {"role": "user", "content": "Q"},
                  {"role": "tool", "content": "data"}, {"role": "assistant", "content": "R"}]}]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    """Yield a store with three flat items, one conversation and one held-out item; all but f3 accepted."""
    opened = open_store(tmp_path / "export.duckdb")
    for name, rows, split in (("flat.jsonl", FLAT, "train"), ("chat.jsonl", CHAT, "train"),
                              ("held.jsonl", [{"instruction": "Held", "output": "out"}], "heldout")):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        import_file(opened, tmp_path / name, split=split)
    decide(opened, [1, 2, 4, 5], Action.ACCEPT)
    decide(opened, [3], Action.REJECT, reason="bad")
    yield opened
    opened.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL file strictly: split on newline only, one object per line."""
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    return [json.loads(line.decode("utf-8")) for line in lines[:-1]]


def hashes(store: Store, batch_id: int | None = None) -> list[str]:
    """Return content hashes in id order, for one batch or for accepted train items."""
    where = "batch_id = ?" if batch_id is not None else "status = 'accepted' AND split = 'train'"
    params = [batch_id] if batch_id is not None else []
    return [r[0] for r in store.cursor().execute(f"SELECT content_hash FROM items WHERE {where} ORDER BY id",
                                                 params).fetchall()]


def test_alpaca_exports_accepted_train_items_in_order(db: Store, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert export_items(db, out) == 3
    rows = read_jsonl(out)
    assert rows[:2] == [{"instruction": "Add", "input": "2 and 3", "output": "5"},
                        {"instruction": f"Echo {HOSTILE}", "input": "", "output": HOSTILE}]
    assert rows[2] == {"instruction": "Hi", "input": "", "output": "Noted"}
    assert export_items(db, out, include_heldout=True) == 4
    assert read_jsonl(out)[-1]["instruction"] == "Held"
    assert export_items(db, out, status="rejected") == 1 and read_jsonl(out)[0]["instruction"] == "Rejected"
    assert export_items(db, out, status=None, include_heldout=True) == 5
    assert export_items(db, out, status="skipped") == 0 and out.read_bytes() == b""


def test_text_is_utf8_one_object_per_line(db: Store, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    export_items(db, out)
    raw = out.read_bytes()
    assert "é".encode() in raw and "👩‍💻".encode() in raw and b"\\u0000" in raw
    assert b"\x00" not in raw and b"\x1b" not in raw and raw.count(b"\n") == 3
    assert read_jsonl(out)[1]["output"] == HOSTILE


def test_sharegpt_and_openai_shapes(db: Store, tmp_path: Path) -> None:
    export_items(db, tmp_path / "s.jsonl", fmt="sharegpt")
    export_items(db, tmp_path / "o.jsonl", fmt="openai")
    share, openai = read_jsonl(tmp_path / "s.jsonl"), read_jsonl(tmp_path / "o.jsonl")
    assert share[0] == {"conversations": [{"from": "human", "value": "Add\n\n2 and 3"}, {"from": "gpt", "value": "5"}]}
    assert openai[0] == {"messages": [{"role": "user", "content": "Add\n\n2 and 3"},
                                      {"role": "assistant", "content": "5"}]}
    assert share[1]["conversations"][0]["value"] == f"Echo {HOSTILE}"
    assert [t["from"] for t in share[2]["conversations"]] == ["system", "human", "gpt", "human", "gpt"]
    assert [(t["role"], t["content"]) for t in openai[2]["messages"]] == [
        ("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello"), ("user", HOSTILE), ("assistant", "Noted")]


def test_parquet_has_every_column(db: Store, tmp_path: Path) -> None:
    assert export_items(db, tmp_path / "o.parquet", fmt="parquet", status=None, include_heldout=True) == 5
    table = pq.read_table(tmp_path / "o.parquet")
    assert {"id", "ext_id", "kind", "origin", "split", "batch_id", "instruction", "input", "response", "conversation",
            "metadata", "status", "status_reason", "content_hash", "created_at"} <= set(table.column_names)
    rows = table.to_pylist()
    assert [r["status"] for r in rows] == ["accepted", "accepted", "rejected", "accepted", "accepted"]
    assert (rows[0]["ext_id"], json.loads(rows[0]["metadata"]), rows[2]["status_reason"]) == ("f1", {"tag": "math"},
                                                                                               "bad")
    assert rows[1]["response"] == HOSTILE and rows[0]["conversation"] is None
    assert rows[3]["conversation"][3] == {"role": "user", "content": HOSTILE}


def columns(store: Store) -> list[tuple[Any, ...]]:
    """Return ext_id, kind, metadata and conversation of every item, JSON parsed."""
    rows = store.cursor().execute("SELECT ext_id, kind, metadata, conversation FROM items ORDER BY id").fetchall()
    return [(r[0], r[1], json.loads(r[2]) if r[2] else None, json.loads(r[3]) if r[3] else None) for r in rows]


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_round_trip_keeps_content_hashes(tmp_path: Path, fmt: str) -> None:
    # Each format round-trips the shape it holds: flat items through alpaca, conversations through the
    # chat formats, and both through parquet.  (A flat item exported as chat comes back as a conversation,
    # whose hash is over its turns, so it is not expected to match.)
    by_format: dict[str, list[list[dict[str, Any]]]] = {
        "alpaca": [FLAT], "sharegpt": [CHAT], "openai": [OPENAI], "parquet": [FLAT, CHAT]}
    sources = by_format[fmt]
    out = tmp_path / f"round.{'parquet' if fmt == 'parquet' else 'jsonl'}"
    with open_store(tmp_path / "first.duckdb") as first, open_store(tmp_path / "again.duckdb") as again:
        for number, rows in enumerate(sources):
            (tmp_path / f"in{number}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
            import_file(first, tmp_path / f"in{number}.jsonl")
        ids = [r[0] for r in first.cursor().execute("SELECT id FROM items").fetchall()]
        decide(first, ids, Action.ACCEPT)
        written = export_items(first, out, fmt=fmt)
        report = import_file(again, out)
        assert (report.rows_ok, report.rows_bad) == (written, 0) and written == len(ids)
        assert hashes(again, report.batch_id) == hashes(first)
        kept, original = (columns(s) for s in (again, first))
        if fmt == "parquet":
            assert kept == original
        else:
            assert [k[3] for k in kept] == [o[3] for o in original]


def test_errors_are_one_line_and_leave_no_file(db: Store, tmp_path: Path) -> None:
    cases: list[tuple[dict[str, Any], str]] = [({"fmt": "csv"}, "unknown export format 'csv'"),
                                              ({"status": "maybe"}, "unknown status")]
    for kwargs, message in cases:
        with pytest.raises(ExportError, match=message):
            export_items(db, tmp_path / "x.jsonl", **kwargs)
    with pytest.raises(ExportError, match="is a directory"):
        export_items(db, tmp_path)
    with pytest.raises(ExportError, match="cannot export to"):
        export_items(db, tmp_path / "missing" / "x.jsonl")
    assert not list(tmp_path.glob("*.partial")) and not (tmp_path / "x.jsonl").exists()


def test_existing_file_is_replaced_whole(db: Store, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old content that is much longer than the export will be\n" * 100)
    export_items(db, out, status="rejected")
    assert read_jsonl(out) == [{"instruction": "Rejected", "input": "", "output": "no"}]


def test_a_failed_copy_removes_its_partial_file(db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FailingCursor:
        """A cursor whose COPY writes part of the file and then fails, as a full disk would."""

        def execute(self, sql: str) -> None:
            (tmp_path / "out.jsonl.partial").write_text('{"instruction": "half')
            raise duckdb.IOException("No space left on device")

        def close(self) -> None:
            pass

    monkeypatch.setattr(db, "cursor", FailingCursor)
    with pytest.raises(ExportError, match="No space left on device"):
        export_items(db, tmp_path / "out.jsonl")
    assert not list(tmp_path.glob("out.jsonl*"))


def test_contaminated_items_are_left_out_unless_asked(tmp_path: Path) -> None:
    from core.models import Action, Item
    from store.connection import open_store
    from store.decisions import decide
    from store.exporter import export_items
    from store.items import insert_items

    with open_store(tmp_path / "c.duckdb") as store:
        with store.transaction() as cur:
            ids = insert_items(cur, None, [Item(f"q{i}", f"a{i}") for i in range(4)])
            cur.execute("INSERT INTO scores (item_id, scorer, scorer_version, score, verdict, reason) "
                        "VALUES (?, 'contamination', '1', 1.0, 'flag', 'overlaps held-out item 9')", [ids[1]])
        decide(store, ids, Action.ACCEPT)
        plain = tmp_path / "plain.jsonl"
        assert export_items(store, plain) == 3
        assert "q1" not in plain.read_text()
        assert export_items(store, tmp_path / "all.jsonl", include_contaminated=True) == 4
        chosen = tmp_path / "chosen.jsonl"
        assert export_items(store, chosen, ids=[ids[0], ids[3]]) == 2
        assert [json.loads(line)["instruction"] for line in chosen.read_text().splitlines()] == ["q0", "q3"]
