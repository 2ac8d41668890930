"""The query language: parsing, precedence, errors, and the text and JSON forms round-tripping."""

from __future__ import annotations

import json

import pytest

from core.search.ast import And, Check, Filter, Keyword, Like, Not, Or, Phrase, QueryError, Ref, Regex, Sql
from core.search.library import LIBRARY, expand
from core.search.parser import parse
from core.search.serialize import dumps, from_json, loads, to_json, to_text


def test_brief_example() -> None:
    node = parse("refusal AND field:response re:/as an ai/ NOT status:rejected")
    assert node == And((Keyword("refusal"), Regex("as an ai", "", "response"), Not(Filter("status", "rejected"))))


def test_precedence_not_and_or() -> None:
    assert parse("a b OR c") == Or((And((Keyword("a"), Keyword("b"))), Keyword("c")))
    assert parse("a (b OR c)") == And((Keyword("a"), Or((Keyword("b"), Keyword("c")))))
    assert parse("-a NOT b") == And((Not(Keyword("a")), Not(Keyword("b"))))
    assert parse("a OR b OR c") == Or((Keyword("a"), Keyword("b"), Keyword("c")))
    assert parse("well-known") == Keyword("well-known")
    assert parse("and or not") == And((Keyword("and"), Keyword("or"), Keyword("not")))


def test_terms_and_fields() -> None:
    assert parse('"as an AI"') == Phrase("as an AI")
    assert parse("apolog*") == Keyword("apolog", prefix=True)
    assert parse("response:sorry") == Keyword("sorry", "response")
    assert parse("turn:hello") == Keyword("hello", "conversation")
    assert parse('meta:"gpt-4"') == Phrase("gpt-4", "metadata")
    assert parse("re:/a\\/b/is") == Regex("a/b", "is")
    assert parse("instruction:re:/^why/i") == Regex("^why", "i", "instruction")
    assert parse('response:(sorry OR "my apologies")') == Or(
        (Keyword("sorry", "response"), Phrase("my apologies", "response")))
    assert parse("field:input (x instruction:y)") == And((Keyword("x", "input"), Keyword("y", "instruction")))


def test_filters() -> None:
    assert parse("status:Rejected") == Filter("status", "rejected")
    assert parse("batch:3 batch:first") == And((Filter("batch", "3"), Filter("batch", "first")))
    assert parse("model:gpt-4*") == Filter("model", "gpt-4*")
    assert parse("len:response>=500") == Filter("len", 500.0, ">=", "response")
    assert parse("len:<10") == Filter("len", 10.0, "<", "response")
    assert parse("len:turns>2") == Filter("len", 2.0, ">", "turns")
    assert parse("score:refusal>0.5") == Filter("score", 0.5, ">", "refusal")
    assert parse("flag:any") == Filter("flag", "any")
    assert parse("check:repetition") == Check("repetition")
    assert parse('sql:"response_len > 3"') == Sql("response_len > 3")
    assert parse("like:12~5") == Like(12, 5)
    assert parse('like:"a cooking question"') == Like("a cooking question", 50)
    assert parse("lib:refusals saved:mine") == And((Ref("lib", "refusals"), Ref("saved", "mine")))


@pytest.mark.parametrize("text, message", [
    ("", "empty query"),
    ('"open', "unclosed quote"),
    ("re:/open", "unclosed regex"),
    ("(a OR b", "unclosed parenthesis"),
    ("a)", "unexpected '\\)'"),
    ("a OR", "ends where a term"),
    ("stauts:rejected", "unknown prefix 'stauts:'"),
    ("status:maybe", "status: must be one of"),
    ("len:response~5", "len:"),
    ("check:nope", "unknown check"),
    ("re:/x/q", "unknown regex flag"),
    ("field:nowhere x", "unknown field"),
    ("like:abc", "like:"),
])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse(text)


ROUND_TRIP = [
    "refusal AND field:response re:/as an ai/ NOT status:rejected",
    'a b OR (c OR "d e") -f',
    "NOT (a OR b) len:response>=500 score:refusal>0.5 flag:any",
    're:/https?:\\/\\/x/i model:"gpt 4" batch:first like:3~7 like:"tax questions"',
    'sql:"response LIKE \'%\\"quoted\\"%\'" check:math_mismatch lib:refusals saved:mine',
    "conversation:hello metadata:re:/gpt/ input:x*",
]


@pytest.mark.parametrize("text", ROUND_TRIP + [q.query for q in LIBRARY.values()])
def test_text_and_json_round_trip(text: str) -> None:
    node = parse(text)
    assert parse(to_text(node)) == node
    assert from_json(json.loads(json.dumps(to_json(node)))) == node
    assert loads(dumps(node, text)) == node


def test_saved_document_shape() -> None:
    document = json.loads(dumps(parse("a OR b"), "a OR b"))
    assert document == {"version": 1, "query": {"or": [{"keyword": "a"}, {"keyword": "b"}]}, "text": "a OR b"}
    with pytest.raises(QueryError, match="newer"):
        loads(json.dumps({**document, "version": 99}))
    with pytest.raises(QueryError):
        from_json({"filter": "status", "value": "maybe"})
    with pytest.raises(QueryError):
        from_json({"bogus": 1})


def test_library_is_complete_and_expands() -> None:
    wanted = {"refusals", "ai-identity", "knowledge-cutoff", "apologies", "hedging", "truncation", "repetition",
              "placeholders", "prompt-echo", "wrong-language", "fabricated-citations", "unbalanced-code-fences",
              "math-mismatch", "unfulfillable-requests"}
    assert wanted <= set(LIBRARY)
    assert all(q.description and "\n" not in q.description for q in LIBRARY.values())
    assert expand(parse("lib:repetition OR x")) == Or((Check("repetition"), Keyword("x")))
    with pytest.raises(QueryError, match="no library query"):
        expand(parse("lib:nope"))
    with pytest.raises(QueryError, match="nest too deeply"):
        expand(parse("saved:loop"), lambda name: parse("saved:loop"))
