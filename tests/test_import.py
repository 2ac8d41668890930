"""Importing files: formats, detection, bad rows, encodings, atomicity, both readers, and real datasets."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import store.importer as importer
from core.formats_hash import fast_content_hash, hash_flat_columns, hash_turns
from core.models import Item, Turn
from store.connection import Store, StoreError, open_store
from store.importer import FORMATS, MAX_REPORTED, ImportFileError, import_file
from store.items import ItemFilter, get_item, item_hash, list_items
from tests.conftest import REPO_ROOT, SHARED_DATASETS

HOSTILE = ["nul\x00byte", "\x1b[31mred\x1b[0m\x1b]0;title\x07", "RTL \u202eevil\u202c עברית", "zwj 👩‍💻 e\u0301",
           "line\u2028sep\r\rcr", "tab\tand\x7fdel", "[bold red]markup[/]", "ß ﬁ İ Σς"]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    """Yield an empty store."""
    opened = open_store(tmp_path / "import.duckdb")
    yield opened
    opened.close()


@pytest.fixture
def python_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force every import through the Python reader."""
    monkeypatch.setattr(importer, "_parse_fast", lambda *args, **kwargs: None)


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    """Write rows as JSON Lines, keeping non-ASCII text as UTF-8."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def alpaca(n: int, **extra: Any) -> list[dict[str, Any]]:
    """Return n distinct alpaca rows."""
    return [{"instruction": f"Task {i}", "input": "", "output": f"Done {i}", **extra} for i in range(n)]


def stored(db: Store) -> list[Any]:
    """Return every stored item in id order."""
    return list_items(db.cursor(), ItemFilter(), limit=10**7)


def reader(db: Store, batch_id: int | None) -> str:
    """Return which reader imported a batch."""
    return str(db.cursor().execute("SELECT params->>'reader' FROM batches WHERE id = ?", [batch_id]).fetchall()[0][0])


def as_item(s: Any) -> Item:
    """Rebuild a plain Item from a stored one, to recompute its hash."""
    return Item(s.instruction, s.response, s.input, conversation=s.conversation)


# --- the hash -------------------------------------------------------------------------------------------

def test_fast_hash_is_identical_to_item_hash() -> None:
    rng = random.Random(3)
    alphabet = "aZq09_ -.,!\x00\t\n\x1f\x0b\x1c\x85\xa0é—“”’ßﬁİΣς数🙂\u0301\u2028\u202eЖ\u00b5"
    for _ in range(5000):
        parts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(3)]
        item = Item(parts[0], parts[2], parts[1])
        assert fast_content_hash(parts) == item_hash(item)
        assert hash_flat_columns([parts[0]], [parts[1]], [parts[2]]) == [item_hash(item)]
        turns = [Turn("user", parts[0]), Turn("assistant", parts[2])]
        assert hash_turns([(t.role, t.content) for t in turns]) == item_hash(Item("x", "y", conversation=turns))


def test_stored_hashes_match_item_hash_on_both_readers(db: Store, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"instruction": f"Q {h} {i}", "input": h, "output": h + " A"} for i, h in enumerate(HOSTILE)]
    fast = import_file(db, write_jsonl(tmp_path / "h.jsonl", rows))
    monkeypatch.setattr(importer, "_parse_fast", lambda *args, **kwargs: None)
    slow = import_file(db, tmp_path / "h.jsonl")
    assert (reader(db, fast.batch_id), reader(db, slow.batch_id)) == ("duckdb", "python")
    items = stored(db)
    assert len(items) == 2 * len(rows)
    assert all(s.content_hash == item_hash(as_item(s)) for s in items)


# --- shapes ---------------------------------------------------------------------------------------------

def test_alpaca_jsonl_batch_metadata_and_ext_id(db: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "x1", "instruction": "Say hi", "input": "to Bob",
                                              "output": "Hi Bob", "source": "gen", "score": 0.5}])
    report = import_file(db, path, origin="real", split="heldout")
    assert (report.format, report.rows_total, report.rows_ok, report.rows_bad, report.errors) == ("alpaca", 1, 1, 0, [])
    item = get_item(db.cursor(), 1)
    assert item is not None
    assert (item.instruction, item.input, item.response, item.ext_id, item.kind) == (
        "Say hi", "to Bob", "Hi Bob", "x1", "instruction")
    assert (item.origin, item.split, item.batch_id, item.metadata) == ("real", "heldout", report.batch_id,
                                                                      {"source": "gen", "score": 0.5})
    row = db.cursor().execute("SELECT name, kind, source, format, params, rows_total, rows_ok, rows_bad, status "
                              "FROM batches").fetchall()[0]
    assert row[:4] == ("a.jsonl", "import", str(path.resolve()), "alpaca")
    assert json.loads(row[4]) == {"origin": "real", "split": "heldout", "kind": None, "mapping": None,
                                  "reader": "duckdb"}
    assert row[5:] == (1, 1, 0, "done")


@pytest.mark.parametrize(("row", "fmt", "expected"), [
    ({"question": "2+2?", "answer": "4"}, "qa", ("2+2?", "", "4", "qa")),
    ({"prompt": "P", "response": "R", "target": "T"}, "prompt_response", ("P", "", "R", "instruction")),
    ({"prompt": "rendered", "instruction": "I", "input": "X", "response": "R"}, "prompt_response",
     ("I", "X", "R", "instruction")),
    ({"id": "t1", "instruction": "I", "instances": [{"input": "x", "output": "gold"}], "prediction": "P"},
     "prompt_response", ("I", "", "P", "instruction")),
    ({"instruction": "I", "output": "O", "generator": "gpt4", "dataset": "koala"}, "alpaca_eval",
     ("I", "", "O", "instruction")),
    ({"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "U1"},
                        {"from": "gpt", "value": "A1"}, {"from": "human", "value": "U2"},
                        {"from": "gpt", "value": "A2"}]}, "sharegpt", ("U1", "", "A2", "chat")),
    ({"messages": [{"role": "user", "content": "U"}, {"role": "assistant", "content": "A"}]}, "openai",
     ("U", "", "A", "chat")),
])
def test_each_format_is_detected(db: Store, tmp_path: Path, row: dict[str, Any], fmt: str,
                                 expected: tuple[str, ...]) -> None:
    report = import_file(db, write_jsonl(tmp_path / "f.jsonl", [row]))
    assert report.format == fmt and report.rows_ok == 1
    item = stored(db)[0]
    assert (item.instruction, item.input, item.response, item.kind) == expected


def test_metadata_provenance_and_conversation_roles(db: Store, tmp_path: Path) -> None:
    import_file(db, write_jsonl(tmp_path / "e.jsonl", [{"instruction": "I", "output": "O", "generator": "g",
                                                         "dataset": "d"}]))
    import_file(db, write_jsonl(tmp_path / "s.jsonl", [{"id": 7, "lang": "en", "conversations": [
        {"from": "system", "value": "S"}, {"from": "human", "value": "U"}, {"from": "gpt", "value": "A"}]}]),
        kind="dialogue")
    first, second = stored(db)
    assert first.metadata == {"generator": "g", "dataset": "d"}
    assert second.conversation == [Turn("system", "S"), Turn("user", "U"), Turn("assistant", "A")]
    assert (second.ext_id, second.kind, second.metadata) == ("7", "dialogue", {"lang": "en"})


def test_self_instruct_gives_one_item_per_instance(db: Store, tmp_path: Path) -> None:
    rows = [{"id": "t1", "name": "n", "instruction": "Do it", "instances": [
        {"input": "a", "output": "A"}, {"input": "b", "output": "B"}, {"input": "c"}]},
        {"id": "t2", "instruction": "Solo", "instances": [{"input": "", "output": "S"}]}]
    report = import_file(db, write_jsonl(tmp_path / "seed.jsonl", rows))
    assert (report.format, report.rows_ok, report.rows_bad, report.rows_total) == ("self_instruct", 3, 1, 4)
    assert [str(e) for e in report.errors] == ["seed.jsonl:1: instance 2: missing field 'output'"]
    items = stored(db)
    assert [(i.ext_id, i.input, i.response) for i in items] == [("t1#0", "a", "A"), ("t1#1", "b", "B"),
                                                                ("t2", "", "S")]
    assert items[1].metadata == {"name": "n", "instance": 1} and items[2].metadata == {}


def test_mapping_and_kind_override(db: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", [{"prompt_text": "P", "completion": "C", "uid": "u1", "cat": "math"},
                                              {"prompt_text": "Q", "completion": "D", "uid": "u2", "cat": ""}])
    report = import_file(db, path, mapping={"instruction": "prompt_text", "response": "completion",
                                            "ext_id": "uid", "kind": "cat"}, kind="general")
    assert report.rows_ok == 2
    assert [(i.instruction, i.response, i.ext_id, i.kind, i.metadata) for i in stored(db)] == [
        ("P", "C", "u1", "math", {}), ("Q", "D", "u2", "general", {})]
    with pytest.raises(ImportFileError, match="cannot map 'colour'"):
        import_file(db, path, mapping={"colour": "cat"})
    with pytest.raises(ImportFileError, match="no field 'nope'"):
        import_file(db, path, mapping={"instruction": "nope", "response": "completion"})


def test_json_array_wrapper_and_json_named_jsonl(db: Store, tmp_path: Path) -> None:
    (tmp_path / "arr.json").write_text(json.dumps(alpaca(3), indent=2))
    (tmp_path / "wrap.json").write_text(json.dumps({"version": 2, "data": alpaca(2)}))
    write_jsonl(tmp_path / "lines.json", alpaca(4))
    (tmp_path / "pretty.jsonl").write_text(json.dumps({"rows": alpaca(5)}, indent=2))
    names = ("arr.json", "wrap.json", "lines.json", "pretty.jsonl")
    assert [import_file(db, tmp_path / n).rows_ok for n in names] == [3, 2, 4, 5]
    (tmp_path / "bad_first.jsonl").write_text('{"instruction": \n' + json.dumps(alpaca(1)[0]) + "\n")
    assert [e.row for e in import_file(db, tmp_path / "bad_first.jsonl").errors] == [1]


def test_csv_tsv_and_parquet(db: Store, tmp_path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([["instruction", "input", "output", "id"], ["Multi\nline", "", "ok, \"quoted\"", "c1"],
                      ["Second", "x", "y", ""]])
    (tmp_path / "d.csv").write_text(buffer.getvalue(), encoding="utf-8")
    (tmp_path / "d.tsv").write_text("question\tanswer\nA?\tB\n", encoding="utf-8")
    pq.write_table(pa.table({"instruction": ["P1", "P2"], "output": ["R1", "R2"], "n": [1, 2]}), tmp_path / "d.parquet")
    pq.write_table(pa.table({"conversations": [[{"from": "human", "value": "H"}, {"from": "gpt", "value": "G"}]]}),
                   tmp_path / "c.parquet")
    reports = [import_file(db, tmp_path / n) for n in ("d.csv", "d.tsv", "d.parquet", "c.parquet")]
    assert [(r.format, r.rows_ok, r.rows_bad) for r in reports] == [
        ("alpaca", 2, 0), ("qa", 1, 0), ("alpaca", 2, 0), ("sharegpt", 1, 0)]
    assert reader(db, reports[2].batch_id) == "duckdb"
    items = stored(db)
    assert (items[0].instruction, items[0].response, items[0].ext_id, items[1].ext_id) == (
        "Multi\nline", 'ok, "quoted"', "c1", None)
    assert items[3].metadata == {"n": 1} and items[5].conversation == [Turn("user", "H"), Turn("assistant", "G")]


# --- bad input ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.jsonl", b"", "empty.jsonl is empty"),
    ("blank.json", b"  \n\n", "blank.json is empty"),
    ("none.json", b"[]", "none.json has no rows"),
    ("header.csv", b"instruction,output\n", "header.csv has no rows"),
    ("prose.json", b"hello world", "prose.json is not JSON: it starts with 'hello world'"),
    ("prose.jsonl", b"hello\nworld\n", "prose.jsonl is not JSON Lines: line 1: not valid JSON"),
    ("notes.txt", b"hello", "notes.txt is not JSON, JSON Lines, CSV or Parquet"),
    ("fake.parquet", b"not parquet", "fake.parquet is not a Parquet file"),
    ("cut.json", b'{\n  "data": [\n', "cut.json is not valid JSON: Expecting value at line 3"),
    ("odd.jsonl", b'{"text": "a"}\n', "odd.jsonl has fields (text) that match no known format"),
    ("nums.jsonl", b"1\n2\n", "nums.jsonl has no rows that are JSON objects (row 1 is a number)"),
    ("wide.csv", b"instruction,input\na,b\n", "wide.csv has no response field (looked for response, "),
    ("utf16.jsonl", '{"instruction": "a", "output": "b"}\n'.encode("utf-16-le"), "without a byte-order mark"),
    ("comma.json", b'[{"instruction": "a", "output": "b"},\n]', "comma.json is not valid JSON: Expecting value"),
    ("latin.json", b'[\n{"instruction": "a", "output": "b"},\n{"instruction": "caf\xe9", "output": "b"}]',
     "latin.json is not valid UTF-8 at line 3 (byte 0xe9)"),
])
def test_unusable_files_raise_one_line(db: Store, tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        import_file(db, tmp_path / name)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / name))
    assert db.cursor().execute("SELECT count(*) FROM batches").fetchall() == [(0,)]


def test_bad_rows_are_named_and_the_rest_imports(db: Store, tmp_path: Path) -> None:
    lines = [
        '{"instruction": "ok", "output": "fine"}',
        '{"instruction": "broken", "output": ',
        "5", "[1, 2]", '"text"', "null",
        '{"instruction": "a"}',
        '{"instruction": "a", "output": null}',
        '{"instruction": "   ", "output": "b"}',
        '{"instruction": ["x"], "output": "b"}',
        '{"instruction": "a", "input": {"k": 1}, "output": "b"}',
        '{"instruction": "num", "output": 42}',
        '{"instruction": "empty reply", "output": ""}',
        '{"instruction": "trailing comma", "output": "b",}',
        '{"instruction": "a", "output": "b", "score": nan}',
    ]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(db, tmp_path / "mixed.jsonl")
    assert (report.rows_total, report.rows_ok, report.rows_bad) == (15, 3, 12)
    assert [(e.source, e.row) for e in report.errors] == [("mixed.jsonl", n) for n in (2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                                                       11, 14, 15)]
    reasons = [e.reason for e in report.errors]
    assert reasons[0].startswith("not valid JSON: Expecting value at column")
    assert reasons[1:9] == ["row is a number, expected a JSON object", "row is an array, expected a JSON object",
                            "row is a string, expected a JSON object", "row is null, expected a JSON object",
                            "missing field 'output'", "field 'output' is null", "field 'instruction' is empty",
                            "field 'instruction' is an array, expected text"]
    assert reasons[9] == "field 'input' is an object, expected text"
    assert all(r.startswith("not valid JSON") for r in reasons[10:])
    assert [(i.instruction, i.response) for i in stored(db)] == [("ok", "fine"), ("num", "42"), ("empty reply", "")]


def test_json_array_rows_use_zero_based_indexes(db: Store, tmp_path: Path) -> None:
    (tmp_path / "arr.json").write_text(json.dumps([{"instruction": "a", "output": "b"}, 7, {"instruction": "c"}]))
    report = import_file(db, tmp_path / "arr.json")
    assert [str(e) for e in report.errors] == ["arr.json:1: row is a number, expected a JSON object",
                                               "arr.json:2: missing field 'output'"]


def test_bad_chat_rows(db: Store, tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": "U"}, {"role": "assistant", "content": "A"}]},
            {"messages": [{"role": "assistant", "content": "x"}]},
            {"messages": [{"role": "user", "content": "x"}]},
            {"messages": [{"role": "wizard", "content": "x"}]},
            {"messages": "hi"}, {"messages": []},
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                          {"role": "assistant", "content": "c"}]},
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}]
    report = import_file(db, write_jsonl(tmp_path / "chat.jsonl", rows))
    assert [e.reason for e in report.errors] == [
        "conversation has no user turn", "conversation has no assistant turn", "turn 1 has an unknown role 'wizard'",
        "field 'messages' is a string, expected a list of turns", "field 'messages' has no turns",
        "turn 1 has a non-text part (image_url)"]
    assert [i.instruction for i in stored(db)] == ["U", "a\nb"]


def test_encodings(db: Store, tmp_path: Path) -> None:
    good = '{"instruction": "café", "output": "ok"}\n'
    latin = b'{"instruction": "caf\xe9", "output": "x"}\n'
    (tmp_path / "latin.jsonl").write_bytes(good.encode() + latin + good.encode())
    report = import_file(db, tmp_path / "latin.jsonl")
    assert report.rows_ok == 2
    assert [str(e) for e in report.errors] == [
        "latin.jsonl:2: not valid UTF-8 (byte 0xe9 at column 21); save the file as UTF-8"]
    (tmp_path / "bom16.jsonl").write_bytes((good * 2).encode("utf-16"))
    (tmp_path / "bom8.jsonl").write_bytes(b"\xef\xbb\xbf" + good.encode())
    (tmp_path / "latin.csv").write_bytes(b"instruction,output\ncaf\xe9,x\nfine,y\n")
    assert [import_file(db, tmp_path / n).rows_ok for n in ("bom16.jsonl", "bom8.jsonl", "latin.csv")] == [2, 1, 1]
    assert import_file(db, tmp_path / "latin.csv").errors[0].row == 2
    assert {i.instruction for i in stored(db)} == {"café", "fine"}


def test_csv_row_with_wrong_field_count(db: Store, tmp_path: Path) -> None:
    (tmp_path / "short.csv").write_text('instruction,input,output\n"two\nlines",,x\nonly,two\nok,,y\n',
                                        encoding="utf-8")
    report = import_file(db, tmp_path / "short.csv")
    assert report.rows_ok == 2
    assert [str(e) for e in report.errors] == ["short.csv:4: has 2 fields but the header has 3"]
    (tmp_path / "wide.csv").write_text("instruction,input\na,b\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"wide.csv has no field 'output' \(the response of format alpaca\)"):
        import_file(db, tmp_path / "wide.csv", fmt="alpaca")


def test_all_rows_bad_gives_no_batch(db: Store, tmp_path: Path) -> None:
    report = import_file(db, write_jsonl(tmp_path / "bad.jsonl", [{"instruction": "a", "output": None}] * 3))
    assert (report.batch_id, report.rows_ok, report.rows_bad, len(report.errors)) == (None, 0, 3, 3)
    assert db.cursor().execute("SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM items)").fetchall() == [
        (0, 0)]


def test_error_list_is_capped_but_counts_are_exact(db: Store, tmp_path: Path) -> None:
    report = import_file(db, write_jsonl(tmp_path / "many.jsonl", alpaca(1) + [{"instruction": "a"}] * 1500))
    assert (report.rows_bad, report.rows_ok, len(report.errors)) == (1500, 1, MAX_REPORTED)


def test_blank_lines_keep_line_numbers(db: Store, tmp_path: Path) -> None:
    (tmp_path / "gaps.jsonl").write_text('\n{"instruction": "a", "output": "b"}\n\n  \n{"instruction": "c"}\n')
    assert [e.row for e in import_file(db, tmp_path / "gaps.jsonl").errors] == [5]
    (tmp_path / "clean_gaps.jsonl").write_text('{"id": "1", "instruction": "a", "output": "b"}\n \t\n'
                                               '{"id": "1", "instruction": "c", "output": "d"}\n')
    assert [str(w) for w in import_file(db, tmp_path / "clean_gaps.jsonl").warnings] == [
        "clean_gaps.jsonl:3: duplicate id '1' (first at line 1); both imported"]
    (tmp_path / "tail.jsonl").write_text('{"id": "1", "instruction": "a", "output": "b"}\r\n'
                                         '{"id": "1", "instruction": "c", "output": "d"}\r\n\r\n  \n')
    report = import_file(db, tmp_path / "tail.jsonl")
    assert reader(db, report.batch_id) == "duckdb" and report.warnings[0].row == 2


@pytest.mark.parametrize("force_python", [False, True])
def test_duplicate_ids_are_imported_with_a_warning(db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   force_python: bool) -> None:
    if force_python:
        monkeypatch.setattr(importer, "_parse_fast", lambda *args, **kwargs: None)
    rows = [{"id": i, "instruction": f"t{n}", "output": "o"} for n, i in enumerate(["a", "b", "a", "a"])]
    report = import_file(db, write_jsonl(tmp_path / "dup.jsonl", rows))
    (tmp_path / "dup.json").write_text(json.dumps(rows))
    array_report = import_file(db, tmp_path / "dup.json")
    assert report.rows_ok == 4 and report.errors == []
    assert [str(w) for w in report.warnings] == [
        "dup.jsonl:3: duplicate id 'a' (first at line 1); both imported",
        "dup.jsonl:4: duplicate id 'a' (first at line 1); both imported"]
    assert str(array_report.warnings[0]) == "dup.json:2: duplicate id 'a' (first at index 0); both imported"
    assert reader(db, report.batch_id) == ("python" if force_python else "duckdb")


@pytest.mark.parametrize(("line", "error"), [
    ('{"instruction": "dup", "output": "first", "output": "last"}', None),
    ('{"instruction": "t", "output": "b",}', "not valid JSON: Expecting property name"),
    ('{"instruction": "t", "output": "b", "x": [1, 2, ]}', "not valid JSON: Expecting value"),
    ('{"instruction": "n", "output": "b", "score": inf}', "not valid JSON: Expecting value"),
    ('{"instruction": "\\u3000\\u2028 ", "output": "b"}', "field 'instruction' is empty"),
])
def test_duckdb_leniency_never_changes_the_result(db: Store, tmp_path: Path, line: str, error: str | None) -> None:
    good = '{"instruction": "fine", "output": "ok"}\n'
    (tmp_path / "l.jsonl").write_text(good * 150 + line + "\n" + good)  # past the 100-row detection sample
    report = import_file(db, tmp_path / "l.jsonl")
    assert reader(db, report.batch_id) == "python"
    if error is None:
        assert stored(db)[150].response == "last"
    else:
        assert report.rows_ok == 151 and report.errors[0].row == 151 and report.errors[0].reason.startswith(error)


def test_bad_arguments_and_read_only(db: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", alpaca(1))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"fmt": "xml"}, "unknown format 'xml'"), ({"origin": "mars"}, "unknown origin"),
        ({"split": "dev"}, "unknown split")]
    for kwargs, message in cases:
        with pytest.raises(ImportFileError, match=message):
            import_file(db, path, **kwargs)
    with pytest.raises(ImportFileError, match="cannot read"):
        import_file(db, tmp_path / "missing.jsonl")
    assert set(FORMATS) >= {"alpaca", "sharegpt", "openai", "qa", "prompt_response", "self_instruct", "alpaca_eval"}
    db.close()
    with open_store(db.path, read_only=True) as ro, pytest.raises(StoreError, match="read-only"):
        import_file(ro, path)


def test_a_failure_mid_import_leaves_nothing(db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer, "finish_batch", explode)
    with pytest.raises(RuntimeError):
        import_file(db, write_jsonl(tmp_path / "a.jsonl", alpaca(50)))
    assert db.cursor().execute("SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM items)").fetchall() == [
        (0, 0)]


# --- exact text, both readers, real data ----------------------------------------------------------------

def _columns(db: Store, batch_id: int | None) -> list[tuple[Any, ...]]:
    """Return the content columns of a batch, in order, with JSON parsed."""
    rows = db.cursor().execute(
        "SELECT ext_id, kind, instruction, input, response, conversation, metadata, content_hash "
        "FROM items WHERE batch_id = ? ORDER BY id", [batch_id]).fetchall()
    return [(*r[:5], json.loads(r[5]) if r[5] else None, json.loads(r[6]) if r[6] else None, r[7]) for r in rows]


@pytest.mark.parametrize("force_python", [False, True])
def test_hostile_and_huge_text_is_kept_byte_exact(db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  force_python: bool) -> None:
    if force_python:
        monkeypatch.setattr(importer, "_parse_fast", lambda *args, **kwargs: None)
    huge = ("Long answer — ünïcödé 数据 🙂 \x00 " * 40_000)[:1_000_000]
    rows = [{"instruction": f"Echo {h}", "input": h, "output": h, "note": h} for h in HOSTILE]
    rows.append({"instruction": huge, "input": "", "output": huge})
    report = import_file(db, write_jsonl(tmp_path / "hostile.jsonl", rows))
    assert reader(db, report.batch_id) == ("python" if force_python else "duckdb")
    items = stored(db)
    assert [(i.instruction, i.input, i.response) for i in items] == [
        (r["instruction"], r["input"], r["output"]) for r in rows]
    assert [i.metadata for i in items[:-1]] == [{"note": h} for h in HOSTILE]
    assert db.cursor().execute("SELECT count(*) FROM items WHERE contains(response, chr(0))").fetchall() == [(2,)]


def test_hostile_text_in_csv_and_chat(db: Store, tmp_path: Path) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["instruction", "output"], *[[h, h] for h in HOSTILE]])
    (tmp_path / "h.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    chat = [{"conversations": [{"from": "human", "value": h}, {"from": "gpt", "value": h}]} for h in HOSTILE]
    (tmp_path / "h.json").write_text(json.dumps(chat, ensure_ascii=True))
    assert import_file(db, tmp_path / "h.csv").rows_ok == len(HOSTILE)
    assert import_file(db, tmp_path / "h.json").rows_ok == len(HOSTILE)
    items = stored(db)
    assert [i.response for i in items] == HOSTILE * 2
    assert [i.conversation for i in items[len(HOSTILE):]] == [[Turn("user", h), Turn("assistant", h)] for h in HOSTILE]


def _shared(*names: str) -> list[Path]:
    """Return shared dataset files, skipping the test when they are absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip("../shared/datasets is not available")
    return [SHARED_DATASETS / n for n in names]


def test_both_readers_store_the_same_columns(db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"id": f"r{i}", "instruction": f"{h} #{i}", "input": h if i % 2 else "", "output": h, "tags": [h, str(i)],
             "score": i / 3} for i, h in enumerate(HOSTILE * 3)]
    files = [write_jsonl(tmp_path / "hostile.jsonl", rows)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "hostile.parquet")
    (tmp_path / "code.json").write_text(json.dumps([{"instruction": "regex", "output": "r'[a-z]{2,}$' and [1, 2,]"}]))
    files += [tmp_path / "hostile.parquet", tmp_path / "code.json"]
    if SHARED_DATASETS.is_dir():
        files += _shared("alpaca_eval/gpt4.json", "gsm8k/test.jsonl",
                         "self_instruct/predictions/davinci_predictions.jsonl",
                         "gpteacher_toolformer/toolformer-similarity-0.7-dataset.json")
    fast = [import_file(db, f) for f in files]
    monkeypatch.setattr(importer, "_parse_fast", lambda *args, **kwargs: None)
    slow = [import_file(db, f) for f in files]
    for path, a, b in zip(files, fast, slow, strict=True):
        assert (reader(db, a.batch_id), reader(db, b.batch_id)) == ("duckdb", "python"), path
        assert a.format == b.format and a.rows_ok == b.rows_ok > 0, path
        assert _columns(db, a.batch_id) == _columns(db, b.batch_id), path


def _expected_count(path: Path) -> int:
    """Count the items a dataset file should give, reading it with json alone."""
    text = path.read_text(encoding="utf-8")
    rows = json.loads(text) if path.suffix == ".json" else [json.loads(line) for line in text.splitlines() if line]
    return sum(len(r["instances"]) if "instances" in r else 1 for r in rows)


def test_every_shared_dataset_imports_completely(db: Store) -> None:
    files = _shared()
    files = sorted(p for p in SHARED_DATASETS.rglob("*") if p.suffix in (".json", ".jsonl"))
    expected_formats = {"alpaca_eval": "alpaca_eval", "gsm8k": "qa", "predictions": "prompt_response",
                        "gpteacher_toolformer": "alpaca"}
    total = 0
    for path in files:
        report = import_file(db, path)
        expected = _expected_count(path)
        assert (report.rows_ok, report.rows_bad, report.errors) == (expected, 0, []), path
        assert report.format == expected_formats.get(path.parent.name, "self_instruct"), path
        total += expected
    counts = dict(db.cursor().execute("SELECT format, sum(rows_ok) FROM batches GROUP BY 1").fetchall())
    assert counts["alpaca_eval"] == 12_878 and counts["qa"] == 7_473 + 1_319
    assert counts["prompt_response"] == 8 * 252 and counts["self_instruct"] == 175 + 252
    assert db.cursor().execute("SELECT count(*) FROM items").fetchall() == [(total,)]
    gsm = [json.loads(line) for line in (SHARED_DATASETS / "gsm8k" / "test.jsonl").read_text().splitlines()]
    stored_gsm = db.cursor().execute(
        "SELECT instruction, response FROM items JOIN batches b ON b.id = batch_id WHERE b.name = 'test.jsonl' "
        "ORDER BY items.id").fetchall()
    assert stored_gsm == [(r["question"], r["answer"]) for r in gsm]
    generators = db.cursor().execute("SELECT DISTINCT metadata->>'generator' FROM items WHERE metadata->>'generator' "
                                     "IS NOT NULL").fetchall()
    assert len(generators) == 16


def test_sample_data_imports_as_its_manifest_says(db: Store) -> None:
    sample = REPO_ROOT / "sample_data"
    if not (sample / "manifest.json").is_file():
        pytest.skip("sample_data is not available")
    manifest = json.loads((sample / "manifest.json").read_text())
    for name, spec in manifest["files"].items():
        auto = import_file(db, sample / name)
        report = import_file(db, sample / name, fmt=spec["format"], origin=spec["origin"], split=spec["split"],
                             kind=spec["kind"])
        assert (auto.format, auto.rows_ok, report.rows_ok, report.rows_bad) == (
            spec["format"], spec["rows"], spec["rows"], 0), name
        raw = (sample / name).read_text(encoding="utf-8")
        rows = json.loads(raw) if name.endswith(".json") else [json.loads(x) for x in raw.split("\n") if x]
        texts = {str(v) for r in rows for v in r.values() if isinstance(v, str)}
        texts |= {t.get("content", t.get("value")) for r in rows for t in r.get("messages", r.get("conversations", []))}
        stored_texts = {t for row in db.cursor().execute(
            "SELECT instruction, input, response FROM items WHERE batch_id = ?", [report.batch_id]).fetchall()
            for t in row}
        assert stored_texts - {""} <= texts, name
    assert db.cursor().execute("SELECT max(length(response)) > 520000, bool_or(contains(response, chr(0))) "
                               "FROM items").fetchall() == [(True, True)]
