"""Phrase detectors for answers that stall: apologies, generic non-answers and unfilled placeholders."""

from __future__ import annotations

import re

from core.scorers.base import Scorable, prompt_text
from core.scorers.phrases import Cue, PhraseScorer, phrase

_I = re.IGNORECASE


class Apology(PhraseScorer):
    """The response apologises instead of answering."""

    name = "apology"
    version = "1"
    label = "apology"
    description = "apologises instead of answering ('I'm sorry, I don't understand')"
    cues = (
        Cue(
            phrase(
                r"^\W*(?:I'm (?:so |very |truly |really )?sorry|I apologi[sz]e|Sorry|My apologies|Apologies)\b"
                r"(?! (?:for|to hear|that|you|about|if)\b)"
            ),
            0.4,
            0.0,
            "opens with an apology",
            ("sorry", "apolog"),
        ),
        Cue(
            phrase(
                r"\b(?:I'm sorry|I apologi[sz]e|Sorry)[^.!?\n]{0,40}(?:I (?:do not|don't|cannot|can't|am not|'m not|"
                r"am unable|'m unable|could not|couldn't)|there (?:is|are) no|that (?:is|isn't|doesn't)|I have no|"
                r"is not (?:possible|clear)|not sure)"
            ),
            1.0,
            0.4,
            "apology instead of an answer",
            ("sorry", "apolog"),
        ),
    )

    def adjust(self, item: Scorable, value: float, found: re.Match[str]) -> float:
        """An opening apology followed by a long answer is only a weak signal."""
        rest = len(item.response) - found.end()
        opener_only = found.re is self.cues[0].pattern
        return value if rest < 400 or not opener_only else value * 0.4


class GenericNonAnswer(PhraseScorer):
    """The response stalls: 'I don't know', 'it depends', 'please provide more details'."""

    name = "generic_non_answer"
    version = "1"
    label = "generic_non_answer"
    description = "a short non-answer: don't know, it depends, asks for more information"
    cues = (
        Cue(
            phrase(
                r"\b(?:I (?:do not|don't) know|I'm not (?:sure|certain|familiar)|I have no (?:idea|information)|"
                r"I (?:do not|don't) have (?:enough|any|sufficient) (?:information|context|details|data))"
            ),
            1.0,
            0.3,
            "does not know",
            (
                "know",
                "not sure",
                "not certain",
                "not familiar",
                "no idea",
                "no information",
                "have enough",
                "have any",
                "sufficient",
            ),
        ),
        Cue(
            phrase(
                r"\b(?:could|can|would) you (?:please )?(?:provide|clarify|give|specify|share|tell me|rephrase|"
                r"be more specific)|\bplease (?:provide|clarify|specify|share|give)\b|\bI (?:would )?need more "
                r"(?:information|context|details)|\bwhat do you mean\b|\byour question is (?:unclear|ambiguous|"
                r"not clear)"
            ),
            1.0,
            0.3,
            "asks for information instead of answering",
            (
                "provide",
                "clarify",
                "specify",
                "share",
                "tell me",
                "rephrase",
                "more specific",
                "need more",
                "what do you mean",
                "your question",
            ),
        ),
        Cue(
            phrase(
                r"^\W*(?:it depends|that depends|there (?:is|are) (?:no|many) (?:single |one |definitive |right )?"
                r"(?:answers?|ways)|it(?:'s| is) (?:difficult|hard|impossible) to (?:say|answer|determine|predict))"
            ),
            0.8,
            0.0,
            "generic opener",
        ),
    )
    MAX_CHARS = 300
    """A response longer than this carries an answer besides its stalling phrase."""

    def adjust(self, item: Scorable, value: float, found: re.Match[str]) -> float:
        """Only a short response made of the stalling phrase is a non-answer."""
        return value if len(item.response.strip()) <= self.MAX_CHARS else value * 0.3


class Placeholder(PhraseScorer):
    """Unfilled placeholders and template leakage: `[Your Name]`, `<insert>`, `Lorem ipsum`, `{{x}}`."""

    name = "placeholder"
    version = "1"
    label = "placeholder"
    description = "placeholders left in the answer ([Your Name], <insert ...>, Lorem ipsum, {{x}})"
    cues = (
        Cue(
            re.compile(
                r"\[(?:your|insert|enter|add|recipient|company|client|customer|employer|hiring|name|"
                r"date|address|phone|e-?mail|city|state|country|title|position|job|product|"
                r"organi[sz]ation|contact|website|number|signature|manager|team|person|friend|"
                r"school|university|x+)\b[^\]\n]{0,50}\]",
                _I,
            ),
            1.0,
            1.0,
            "bracketed placeholder",
            ("[",),
        ),
        Cue(
            re.compile(r"<(?:insert|your|enter|add|name|placeholder)\b[^>\n]{0,50}>", _I),
            1.0,
            1.0,
            "angle-bracket placeholder",
            ("<",),
        ),
        Cue(
            re.compile(r"\((?:insert|your|enter|add) [^)\n]{1,40}(?: here)?\)", _I),
            1.0,
            1.0,
            "placeholder",
            ("(insert", "(your", "(enter", "(add"),
        ),
        Cue(re.compile(r"lorem ipsum", _I), 1.0, 1.0, "lorem ipsum", ("lorem",)),
        Cue(re.compile(r"(?<![$\\{])\{\{(?!\{)"), 1.0, 1.0, "template braces", ("{{",)),
        Cue(
            re.compile(r"\b(?:XXX+|TODO|TBD|FIXME)\b"), 0.6, 0.6, "placeholder marker", ("xxx", "todo", "tbd", "fixme")
        ),
    )
    _TEMPLATE = re.compile(r"\btemplate\b|fill[- ]in|placeholder|\[[^\]]{1,40}\]|\{\{|\bXXX|\bTODO\b", _I)

    def adjust(self, item: Scorable, value: float, found: re.Match[str]) -> float:
        """A placeholder the prompt itself asked for or contains is not leakage."""
        prompt = prompt_text(item)
        if found.group(0).lower() in prompt.lower():
            return value * 0.3
        return value * 0.6 if self._TEMPLATE.search(prompt) else value
