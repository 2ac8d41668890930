"""A small, fast language identifier: Unicode scripts first, then stop words for Latin script.

Enough to tell that an answer is in another language than its question; no dependency, and
tens of microseconds for a typical response because every step is a C-level regex or a dict lookup.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

SAMPLE_CHARS = 2000
"""Only the first SAMPLE_CHARS characters are read; a language shows itself early."""
LATIN_SAMPLE_CHARS = 1000
"""Stop words are counted in the first LATIN_SAMPLE_CHARS characters."""

_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("zh", re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("ja", re.compile("[\u3040-\u30ff]")),
    ("ko", re.compile("[\uac00-\ud7af\u1100-\u11ff]")),
    ("ru", re.compile("[\u0400-\u04ff]")),
    ("ar", re.compile("[\u0600-\u06ff]")),
    ("he", re.compile("[\u0590-\u05ff]")),
    ("el", re.compile("[\u0370-\u03ff]")),
    ("hi", re.compile("[\u0900-\u097f]")),
    ("th", re.compile("[\u0e00-\u0e7f]")),
)
SCRIPT_LANGS = frozenset(lang for lang, _ in _SCRIPTS)
_ANY_SCRIPT = re.compile(
    "[\u4e00-\u9fff\u3400-\u4dbf\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff\u0400-\u04ff\u0600-\u06ff"
    "\u0590-\u05ff\u0370-\u03ff\u0900-\u097f\u0e00-\u0e7f]"
)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"[a-z\u00e0-\u00ff]{2,}")
_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+")


def _words(text: str) -> frozenset[str]:
    """Split a space-separated word list."""
    return frozenset(text.split())


# The most frequent function words of each language, chosen to overlap little between languages.
_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and of to is in that it for you with are this be on not as have was what can your "
        "an or but by from they how which there would should their will me my we do does did while when where "
        "who why about these those"
    ),
    "es": _words(
        "el los las del que y en es por para una con se su al lo como más pero sus muy también "
        "este esta está son hay qué cómo puede ser donde porque"
    ),
    "fr": _words(
        "le les des du et est une pour dans qui que pas sur au avec ce cette sont mais ou vous "
        "nous il elle être fait comme très je ne"
    ),
    "de": _words(
        "der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch es sie "
        "ich wie werden kann oder aber wenn"
    ),
    "it": _words(
        "il di che è la per un una sono con non gli della del le questo anche più come essere "
        "perché ma molto nel alla può"
    ),
    "pt": _words(
        "o os as do da dos das que e é um uma para com não no na em se por mais como mas ao seu "
        "sua você também isso pode"
    ),
    "nl": _words("de het een en van is dat op te in niet zijn voor met die ook als er maar om bij nog wordt kan dit"),
    "pl": _words("i w nie się na że z do jest to jak co ale po tak jego może przez dla"),
    "tr": _words("ve bir bu da de için ile çok ne daha gibi ama olarak en var değil"),
    "id": _words("yang dan di ini itu dengan untuk dari tidak dalam akan pada adalah bisa juga ke saya"),
}
# Words that are also everyday English (or initials like the "e" of "e.g.") say nothing about
# another language in mostly English data, so they count for English only.
_ENGLISH_LOOKALIKES = _words(
    "a i o e g to do no as is in on an me he we be so die des come non per more son sue pie tu te da de "
    "di den dem ten men van met dat om op er all ale over most hay also can still"
)
_LANGS_OF: dict[str, tuple[str, ...]] = {}
for _lang, _vocab in _STOP_WORDS.items():
    for _word in _vocab if _lang == "en" else _vocab - _ENGLISH_LOOKALIKES:
        _LANGS_OF[_word] = (*_LANGS_OF.get(_word, ()), _lang)


def english_stop_words(text: str) -> int:
    """Return how many English function words a text contains."""
    vocab = _STOP_WORDS["en"]
    return sum(1 for word in _WORD.findall(text.lower()) if word in vocab)


@dataclass(frozen=True, slots=True)
class Guess:
    """A language code (ISO 639-1, or `und`), its share of the evidence and how much evidence."""

    lang: str
    confidence: float
    evidence: int


UNDETERMINED = Guess("und", 0.0, 0)


def _latin_guess(sample: str) -> Guess:
    """Guess a Latin-script language from stop-word hits."""
    words = _WORD.findall(_URL.sub(" ", sample[:LATIN_SAMPLE_CHARS].lower()))
    if not words:
        return UNDETERMINED
    hits: Counter[str] = Counter()
    for word, times in Counter(words).items():
        for lang in _LANGS_OF.get(word, ()):
            hits[lang] += times
    if not hits:
        return Guess("und", 0.0, len(words))
    lang, best = hits.most_common(1)[0]
    return Guess(lang, best / sum(hits.values()), best)


@lru_cache(maxsize=4096)
def identify(text: str) -> Guess:
    """Return the most likely language of a text, with confidence in [0, 1]."""
    sample = text[:SAMPLE_CHARS]
    if sample.isascii() or not _ANY_SCRIPT.search(sample):
        return _latin_guess(sample)
    counts = {lang: n for lang, pattern in _SCRIPTS if (n := len(pattern.findall(sample)))}
    if counts:
        if "ja" in counts:  # Japanese mixes kana with Han characters
            counts["ja"] += counts.pop("zh", 0)
        lang, n = max(counts.items(), key=lambda c: c[1])
        latin = len(_LATIN.findall(sample))
        # one CJK character carries about as much as a Latin word of four letters
        weight = 4 if lang in ("zh", "ja", "ko") else 1
        if n * weight > latin:
            return Guess(lang, n * weight / (n * weight + latin), n)
        if lang in ("zh", "ja", "ko") and n * weight * 3 > latin:
            return Guess(lang, n * weight / (n * weight + latin), n)
    return _latin_guess(sample)
