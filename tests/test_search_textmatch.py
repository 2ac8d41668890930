"""Accent- and case-insensitive keyword patterns, RE2-to-Python translation, checks and highlighting."""

from __future__ import annotations

import re

import duckdb
import pytest

from core.search.checks import CHECKS
from core.search.evaluate import highlights, predicate
from core.search.parser import parse
from core.search.record import Record
from core.search.regex import RegexError, compile_python, to_python
from core.search.textmatch import fold, text_pattern

TEXTS = ["Le CAFÉ est bon", "cafe\u0301 au lait", "the cafeteria", "Café's menu", "a cafe.", "xcafe", "CAFE_1",
         "naïve approach", "NAIVE", "can’t stop", "as  an\nAI model", "as an aid", "Zürich", "ZURICH", "Ωmega"]


def _both(pattern_text: str, *, phrase: bool = False, prefix: bool = False) -> list[str]:
    """Return the texts matched, asserting DuckDB's RE2 and Python agree."""
    pattern = text_pattern(pattern_text, phrase=phrase, prefix=prefix)
    python = [t for t in TEXTS if re.search(pattern.python, t)]
    con = duckdb.connect()
    rows = con.execute("SELECT t FROM unnest($1::VARCHAR[]) u(t) WHERE regexp_matches(t, $2)",
                       [TEXTS, pattern.re2]).fetchall()
    assert sorted(r[0] for r in rows) == sorted(python)
    if pattern.ascii_hint is not None:
        for text in python:
            assert not text.isascii() or pattern.ascii_hint.lower() in text.lower()
    return python


def test_fold() -> None:
    assert fold("Crème Brûlée’s") == "creme brulee's"
    assert fold("ZÜRICH") == "zurich"


def test_keyword_ignores_case_and_accents_and_matches_whole_words() -> None:
    assert _both("cafe") == ["Le CAFÉ est bon", "cafe\u0301 au lait", "Café's menu", "a cafe."]
    assert _both("CAFÉ") == _both("cafe")
    assert _both("cafe", prefix=True) == ["Le CAFÉ est bon", "cafe\u0301 au lait", "the cafeteria",
                                          "Café's menu", "a cafe.", "CAFE_1"]
    assert _both("naive") == ["naïve approach", "NAIVE"]
    assert _both("zurich") == ["Zürich", "ZURICH"]
    assert _both("can't") == ["can’t stop"]
    assert _both("ωmega") == ["Ωmega"]


def test_phrase_allows_any_whitespace() -> None:
    assert _both("as an AI", phrase=True) == ["as  an\nAI model"]


@pytest.mark.parametrize("pattern, flags, text, expected", [
    (r"\bai\b", "", "said", False),
    (r"\bai\b", "", "an ai.", True),
    (r"\w+", "", "é", False),
    (r"foo$", "", "foo\n", False),
    (r"foo$", "m", "foo\nbar", True),
    (r"a.b", "", "a\nb", False),
    (r"a.b", "s", "a\nb", True),
    (r"[\d,]+", "", "1,234", True),
    (r"\x{4e00}", "", "一", True),
    (r"(?P<n>x)", "", "x", True),
    (r"HELLO", "i", "hello", True),
])
def test_regex_translation_agrees_with_re2(pattern: str, flags: str, text: str, expected: bool) -> None:
    con = duckdb.connect()
    inline = f"(?{flags})" if flags else ""
    assert con.execute("SELECT regexp_matches($1, $2)", [text, inline + pattern]).fetchall()[0][0] is expected
    assert (compile_python(pattern, flags).search(text) is not None) is expected


def test_untranslatable_regex() -> None:
    for pattern in (r"\pL+", r"[[:alpha:]]", r"\Qa.b\E", r"[\W]"):
        with pytest.raises(RegexError):
            to_python(pattern)


def test_checks_reference() -> None:
    def rec(response: str, instruction: str = "q") -> Record:
        return Record(instruction=instruction, response=response)

    assert CHECKS["math_mismatch"].run(rec("2 + 2 = 4.\n#### 5"))
    assert not CHECKS["math_mismatch"].run(rec("2 + 2 = 4.\n#### 4"))
    assert not CHECKS["math_mismatch"].run(rec("The answer is 4"))
    assert CHECKS["math_mismatch"].run(rec("x = 1,000. So the final answer is: $999"))
    assert CHECKS["repetition"].run(rec("Again and again. " * 5))
    assert not CHECKS["repetition"].run(rec("One sentence here. Another one there. A third one now. Fourth one."))
    assert CHECKS["unbalanced_fences"].run(rec("```py\nx"))
    assert not CHECKS["unbalanced_fences"].run(rec("```py\nx\n```"))
    assert CHECKS["prompt_echo"].run(rec("  write a poem about the sea please. Waves.",
                                         "Write a poem about the sea please"))
    assert CHECKS["script_mismatch"].run(rec("Это ответ на русском языке.", "Answer this question in a few words."))
    assert not CHECKS["script_mismatch"].run(rec("Plain English answer, café.", "A plain question here?"))


def test_highlights_cover_positive_terms_only() -> None:
    node = parse('("as an ai" OR re:/language model/) NOT sorry')
    record = Record(response="As an AI language model, I am sorry.")
    assert highlights(node, record, "response") == [(0, 8), (9, 23)]
    assert highlights(parse("instruction:ai"), record, "response") == []
    assert predicate(node)(record) is False
