"""Answers that are not about the prompt they were given: echoes, continued prompts, another language."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from core.scorers.base import Scorable, Scorer, ScoreResult, prompt_text, span_of
from core.scorers.langid import SCRIPT_LANGS, identify

_CHAT_MARKER = re.compile(
    r"^\s*(?:#+\s*)?(?:Human|User|Assistant|USER|ASSISTANT|Instruction|### Response|Prompt)\s*:", re.M
)
_IO_MARKER = re.compile(r"^\s*(?:#+\s*)?(?:Input|Output|Question|Answer|Task|Example \d+)\s*:", re.M)
_MENTIONS_CHAT = re.compile(
    r"\b(dialog\w*|conversation|script|chat\w*|transcript|interview|screenplay|"
    r"role-?play|scene|exchange)\b",
    re.I,
)
_MENTIONS_IO = re.compile(
    r"\b(input|output|question|answer|example|task|dialog|conversation|user|"
    r"human|assistant|instruction|prompt|format)",
    re.I,
)


class PromptEcho(Scorer):
    """The response repeats the prompt, or continues it with new turns or Input/Output pairs."""

    name = "prompt_echo"
    version = "1"
    label = "prompt_echo"
    description = "echoes the instruction/input, or continues the prompt (new 'Input:'/'User:' turns)"

    def score(self, item: Scorable) -> ScoreResult:
        """Compare the response with the prompt and look for continued prompt markers."""
        response = item.response.strip()
        if not response:
            return self.result(0.0)
        instruction = item.instruction.strip()
        head = instruction[:200].lower()
        if len(head) >= 20 and len(response) >= len(head):
            lowered = response.lower()
            if lowered.startswith(head):
                return self.result(1.0, "starts by repeating the instruction", span_of("response", 0, len(head)))
            similar = fuzz.ratio(head, lowered[: len(head)])
            if similar >= 98:
                return self.result(
                    0.9, f"starts with the instruction ({similar:.0f}% similar)", span_of("response", 0, len(head))
                )
            later = lowered.find(head)
            if later > 60:
                return self.result(0.8, "repeats the instruction", span_of("response", later, later + len(head)))
        value, reason, span = 0.0, "", None
        marker = _CHAT_MARKER.search(response)
        io_markers = list(_IO_MARKER.finditer(response))
        mentions = bool(_MENTIONS_IO.search(prompt_text(item)))
        if marker and (marker.start() > 0 or marker.group(0).lstrip().startswith("#")):
            chat = bool(_MENTIONS_CHAT.search(prompt_text(item)))
            value, reason = (0.3 if chat else 1.0), f"continues the prompt with '{marker.group(0).strip()}'"
            span = span_of("response", marker.start(), len(response))
        elif len(io_markers) >= 2:
            value = 0.4 if mentions and len(io_markers) < 6 else 0.9
            reason = f"continues with '{io_markers[0].group(0).strip()}' pairs"
            span = span_of("response", io_markers[0].start(), len(response))
        source = item.input.strip()
        if value < 0.6 and len(source) >= 20:
            flat_source = " ".join(source.lower().split())[:100]
            if " ".join(response[: len(source) + 200].lower().split()).startswith(flat_source):
                value, reason = 0.8, "starts by repeating the input"
                span = span_of("response", 0, min(len(response), len(source)))
        if value < 0.6 and len(source) >= 20 and " ".join(source.lower().split()) == " ".join(response.lower().split()):
            value, reason = 0.7, "repeats the input unchanged"
            span = span_of("response", 0, len(response))
        return self.result(value, reason if value >= self.threshold else "", span)


_LANGUAGE_NAMES = re.compile(
    r"\b(translat\w*|language|english|spanish|french|german|chinese|mandarin|cantonese|japanese|korean|"
    r"russian|italian|portuguese|dutch|arabic|hindi|hebrew|greek|polish|turkish|thai|vietnamese|"
    r"indonesian|swedish|latin|español|français|deutsch|pinyin|kanji|emoji)\b",
    re.I,
)


class WrongLanguage(Scorer):
    """The answer is written in another language than the question."""

    name = "wrong_language"
    version = "1"
    label = "wrong_language"
    description = "answer in another language than the question (script and stop-word language id)"

    def score(self, item: Scorable) -> ScoreResult:
        """Identify the languages of prompt and response and compare them."""
        prompt = prompt_text(item)
        asked = identify(prompt)
        answered = identify(item.response)
        if "und" in (asked.lang, answered.lang) or asked.lang == answered.lang:
            return self.result(0.0)
        if asked.evidence < 3 or answered.evidence < 5:
            return self.result(0.0)
        if answered.lang in SCRIPT_LANGS and asked.lang not in SCRIPT_LANGS:
            # a foreign script in a third of the letters is not a stray name or quotation
            value = 1.0 if answered.confidence >= 0.3 else answered.confidence
        else:
            sure = asked.confidence >= 0.6 and answered.confidence >= 0.5 and answered.evidence >= 6
            value = 1.0 if sure else 0.3
        if _LANGUAGE_NAMES.search(prompt):
            value *= 0.3
        reason = f"asked in {asked.lang}, answered in {answered.lang}"
        return self.result(
            value, reason if value >= self.threshold else "", span_of("response", 0, min(len(item.response), 200))
        )
