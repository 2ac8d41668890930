"""Hostile text becomes visible escapes: every control, format or separator character, nothing else."""

from __future__ import annotations

import unicodedata

from core.safe_text import clip, escape_char, is_safe, json_safe, one_line, safe_spans, visible

KEPT_FORMAT = {"\u200c", "\u200d"}  # ZWNJ and ZWJ join emoji and scripts


def test_every_control_format_and_separator_character_is_escaped() -> None:
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        if char in "\n\t" or char in KEPT_FORMAT:
            continue
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            assert not is_safe(char), f"U+{code:04X} ({category}) passes unescaped"
            shown = visible(char)
            assert shown == escape_char(char) and shown.isascii() and shown.isprintable()


def test_printable_text_is_unchanged() -> None:
    text = "Plain [bold red]markup[/] stays literal, as do 漢字, emoji 👨\u200d👩\u200d👧 and é."
    assert is_safe(text)
    assert visible(text) == text


def test_escape_forms_are_consistent() -> None:
    assert visible("\x1b[31mred") == "\\x1b[31mred"
    assert visible("\x00\x07\x9b") == "\\x00\\x07\\x9b"
    assert visible("a\u202eb") == "a\\u202eb"
    assert visible("\U000e0041") == "\\U000e0041"
    assert visible("osc \x1b]52;c;aGk=\x07") == "osc \\x1b]52;c;aGk=\\x07"


def test_visible_keeps_newlines_and_tabs_and_one_line_flattens() -> None:
    assert visible("a\n\tb") == "a\n\tb"
    assert one_line("a\nb\tc", 20) == "a⏎b c"
    assert one_line("x" * 50, 10) == "x" * 9 + "…"
    assert "\x1b" not in one_line("\x1b[2J" * 100, 30)


def test_spans_mark_escapes_and_expand_tabs() -> None:
    spans = safe_spans("a\x1bb\tc\r\nd")
    assert [s.text for s in spans] == ["a", "\\x1b", "b    c\nd"]
    assert [s.escape for s in spans] == [False, True, False]


def test_clip_reports_what_was_left_out() -> None:
    assert clip("abcdef", 4) == ("abcd", 2)
    assert clip("abc", 10) == ("abc", 0)


def test_json_safe_keeps_its_contract() -> None:
    assert json_safe('"\x85\u202e"') == '"\\u0085\\u202e"'


def test_flat_segment_keeps_edge_spaces_between_highlighted_parts() -> None:
    from core.safe_text import flat_segment

    parts = ["As", " ", "an", " \n\t ", "AI", " language\x1b[2J"]
    assert "".join(flat_segment(p) for p in parts) == "As an ⏎ AI language\\x1b[2J"
