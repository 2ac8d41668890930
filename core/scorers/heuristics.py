"""Length, structure and repetition rules from Gopher, C4 and FineWeb, adapted to chat answers.

Web-text filters judge whole pages; an instruction response may be one word, a list, a poem or
code. So every rule here only applies above a minimum size and reads prose lines (code blocks,
list items and headings left out), and each scorer reports a severity: the worst rule's value
divided by its published limit, flagged at 1.0. Lowering the threshold tightens every limit.
"""

from __future__ import annotations

import re

from core.scorers.base import Scorable, Scorer, ScoreResult, prompt_text, span_of
from core.scorers.langid import english_stop_words
from core.scorers.text import analyze, line_offset, lower, ngram_stats, word_shape

Rule = tuple[str, float, float, bool]
"""(name, value, limit, upper): upper rules fire above the limit, lower rules below it."""

# Gopher (Rae et al. 2021, appendix A): documents need 50..100,000 words. We keep no minimum
# (short answers are fine) and instead only apply the statistical rules from 50 words on.
GOPHER_MIN_WORDS = 50
# The n-gram rules are noisy on short texts (a 60-word maths answer says "the number of books"
# three times), so they start at 100 words.
GOPHER_NGRAM_MIN_WORDS = 100
# Gopher: at least two of {the, be, to, of, and, that, have, with} must occur. A 60-word maths
# answer may use only one of those eight, so we count any of ~40 common English function words.
GOPHER_MIN_STOP_WORDS = 2
# Gopher repetition limits (Rae et al. 2021, table A1).
GOPHER_DUP_LINE_FRAC = 0.30
GOPHER_DUP_PARA_FRAC = 0.30
GOPHER_DUP_LINE_CHAR_FRAC = 0.20
GOPHER_DUP_PARA_CHAR_FRAC = 0.20
GOPHER_TOP_NGRAM = {2: 0.20, 3: 0.18, 4: 0.16}
# Gopher uses 5..10-grams with limits 0.15..0.10; we compute the two ends of that range.
GOPHER_DUP_NGRAM = {5: 0.15, 10: 0.10}
# FineWeb (Penedo et al. 2024) custom filters: line_punct_thr=0.12, short_line_thr=0.67 with
# short_line_length=30, char_duplicates_thr=0.01 on web pages. We use 0.10 for duplicated line
# characters (FineWeb's 0.01 would drop any list with a repeated "Example:" line) and require
# at least FINEWEB_MIN_LINES prose lines before the line rules apply.
FINEWEB_LINE_PUNCT = 0.12
FINEWEB_SHORT_LINE = 0.67
FINEWEB_SHORT_LINE_LEN = 30
FINEWEB_DUP_LINE_CHARS = 0.10
FINEWEB_MIN_LINES = 8
_HEADING = re.compile(r"^\s*#+", re.M)
_TERMINAL = tuple(".!?\"'”’)»:;…。！？」』*`")
_VERSE = re.compile(r"\b(poem|poetry|haiku|limerick|song|lyrics|verse|rap|sonnet|list|names?|titles?)\b", re.I)
_CODE_WORDS = re.compile(r"\b(code|json|program|function|script|latex|regex|sql|css|html|class)\b", re.I)


def _severity(rules: list[Rule]) -> tuple[float, str]:
    """Return the worst value/limit ratio and a reason naming that rule."""
    best, reason = 0.0, ""
    for name, value, limit, upper in rules:
        ratio = value / limit if upper else (limit / value if value > 0 else 10.0)
        if ratio > best:
            best = ratio
            reason = f"{name}={value:.2f} {'>' if upper else '<'} {limit:g}"
    return min(best, 10.0), reason


class GopherQuality(Scorer):
    """Gopher quality rules: mean word length, symbol ratio, alphabetic words and stop words."""

    name = "gopher_quality"
    version = "1"
    kind = "heuristic"
    label = "low_quality"
    threshold = 1.0
    description = "Gopher quality rules (mean word length 3-10, symbols, stop words), 50+ words"

    def score(self, item: Scorable) -> ScoreResult:
        """Apply the Gopher quality rules to a response of at least 50 words."""
        stats = analyze(item.response)
        if stats.n_words < GOPHER_MIN_WORDS:
            return self.result(0.0)
        text = item.response
        # Gopher: mean word length within 3..10 characters.
        mwl, alpha_frac = word_shape(text)
        rules: list[Rule] = [("mean_word_len", mwl, 3.0, False), ("mean_word_len", mwl, 10.0, True)]
        # Gopher: symbol-to-word ratio (# and ellipsis) below 0.1; markdown headings left out.
        symbols = (
            text.count("#") - sum(m.count("#") for m in _HEADING.findall(text)) + text.count("...") + text.count("…")
        )
        rules.append(("symbol_word_ratio", max(symbols, 0) / stats.n_words, 0.1, True))
        if not stats.has_code and text.count("=") < 3:
            # Gopher: 80% of words contain a letter; 0.5 here, and not for maths or code.
            rules.append(("alpha_word_frac", alpha_frac, 0.5, False))
            if alpha_frac > 0.5 and text.isascii():
                stop = english_stop_words(text)
                if stop < GOPHER_MIN_STOP_WORDS:
                    rules.append(("stop_words", float(stop), GOPHER_MIN_STOP_WORDS, False))
        # Gopher: at most 30% of lines end with an ellipsis (bullet-line rule dropped: lists are fine).
        if len(stats.lines) >= 5:
            ellipsis = sum(1 for line in stats.lines if line.endswith(("...", "…")))
            rules.append(("ellipsis_lines", ellipsis / len(stats.lines), 0.3, True))
        severity, reason = _severity(rules)
        return self.result(severity, reason if severity >= self.threshold else "")


class GopherRepetition(Scorer):
    """Gopher repetition rules: duplicate lines/paragraphs and top or duplicated n-gram shares."""

    name = "gopher_repetition"
    version = "1"
    kind = "heuristic"
    label = "repetition"
    threshold = 1.0
    description = "Gopher repetition rules (duplicate lines, paragraphs, n-grams), 50+ words"

    def score(self, item: Scorable) -> ScoreResult:
        """Apply the Gopher repetition rules to a response of at least 50 words."""
        stats = analyze(item.response)
        if stats.n_words < GOPHER_MIN_WORDS:
            return self.result(0.0)
        rules: list[Rule] = [
            ("dup_line_frac", stats.dup_line_frac, GOPHER_DUP_LINE_FRAC, True),
            ("dup_para_frac", stats.dup_para_frac, GOPHER_DUP_PARA_FRAC, True),
            ("dup_line_char_frac", stats.dup_line_char_frac, GOPHER_DUP_LINE_CHAR_FRAC, True),
            ("dup_para_char_frac", stats.dup_para_char_frac, GOPHER_DUP_PARA_CHAR_FRAC, True),
        ]
        if stats.n_words >= GOPHER_NGRAM_MIN_WORDS:
            grams = ngram_stats(item.response)
            for n, limit in GOPHER_TOP_NGRAM.items():
                rules.append((f"top_{n}gram_char_frac", grams.top_char_frac.get(n, 0.0), limit, True))
            for n, limit in GOPHER_DUP_NGRAM.items():
                rules.append((f"dup_{n}gram_char_frac", grams.dup_char_frac.get(n, 0.0), limit, True))
        severity, reason = _severity(rules)
        return self.result(severity, reason if severity >= self.threshold else "")


class FineWebRules(Scorer):
    """FineWeb line rules: lines ending in punctuation, short lines and duplicated line characters."""

    name = "fineweb_rules"
    version = "1"
    kind = "heuristic"
    label = "low_quality"
    threshold = 1.0
    description = "FineWeb line rules (punctuated lines, short lines, duplicated line chars)"

    def score(self, item: Scorable) -> ScoreResult:
        """Apply FineWeb's line rules to responses with enough prose lines."""
        stats = analyze(item.response)
        prose = stats.prose_lines
        rules: list[Rule] = []
        if stats.n_words >= GOPHER_MIN_WORDS:
            rules.append(("dup_line_chars", stats.dup_line_char_frac, FINEWEB_DUP_LINE_CHARS, True))
        if len(prose) >= FINEWEB_MIN_LINES and not _VERSE.search(prompt_text(item)):
            punct = sum(1 for line in prose if line.endswith(_TERMINAL))
            rules.append(("line_punct_frac", punct / len(prose), FINEWEB_LINE_PUNCT, False))
            short = sum(1 for line in prose if len(line) <= FINEWEB_SHORT_LINE_LEN)
            rules.append(("short_line_frac", short / len(prose), FINEWEB_SHORT_LINE, True))
        severity, reason = _severity(rules)
        return self.result(severity, reason if severity >= self.threshold else "")


# C4 (Raffel et al. 2020): drop pages with "lorem ipsum", with a curly bracket, with fewer than
# three sentences, and lines mentioning javascript or cookie/terms boilerplate.
_C4_LOREM = re.compile(r"lorem ipsum", re.I)
_C4_BOILERPLATE = re.compile(
    r"(enable javascript|javascript (is|must be) (disabled|enabled)|terms of use|privacy policy|"
    r"cookie policy|uses cookies|all rights reserved)",
    re.I,
)


_C4_KEYS = ("javascript", "terms of use", "policy", "cookies", "rights reserved")


class C4Rules(Scorer):
    """C4 page rules adapted to responses: lorem ipsum, web boilerplate, stray curly brackets."""

    name = "c4_rules"
    version = "1"
    kind = "heuristic"
    label = "low_quality"
    threshold = 1.0
    description = "C4 rules (lorem ipsum, javascript/cookie boilerplate, curly bracket outside code)"

    def score(self, item: Scorable) -> ScoreResult:
        """Flag C4's page-level signals; curly brackets only where no code or JSON is expected."""
        text = item.response
        lowered = lower(text)
        if "lorem" not in lowered and not any(k in lowered for k in _C4_KEYS) and "{" not in text:
            return self.result(0.0)
        found = _C4_LOREM.search(text)
        if found:
            return self.result(1.0, "lorem ipsum (C4)", span_of("response", found.start(), found.end()))
        found = _C4_BOILERPLATE.search(text)
        if found and not _C4_BOILERPLATE.search(prompt_text(item)):
            return self.result(
                1.0, f"web boilerplate '{found.group(0)}' (C4)", span_of("response", found.start(), found.end())
            )
        stats = analyze(text)
        # C4 drops any page with "{"; responses carry code, JSON and LaTeX, so only a bracket in
        # prose, with no code in the answer and none asked for, counts.
        brace = text.find("{")
        if (
            brace >= 0
            and not stats.has_code
            and "{" not in prompt_text(item)
            and not _CODE_WORDS.search(prompt_text(item))
            and "\\" not in text
            and not text.lstrip().startswith(("{", "["))
        ):
            start, end = line_offset(text, text[brace:].split("\n", 1)[0])
            return self.result(0.5, "curly bracket in prose (C4)", span_of("response", start, end))
        return self.result(0.0)
