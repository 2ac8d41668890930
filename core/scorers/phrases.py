"""Phrase detectors for refusals, AI self-identification and knowledge-cutoff talk, with the matched span."""

from __future__ import annotations

import re

from core.scorers.base import Scorable, prompt_text
from core.scorers.cues import EARLY_CHARS, Cue, PhraseScorer, best_cue, phrase

__all__ = ["EARLY_CHARS", "AiIdentity", "Cue", "KnowledgeCutoff", "PhraseScorer", "Refusal", "best_cue", "phrase"]


_CANT = r"(?: can't| cannot| can not| won't| will not| am unable to|'m unable to| am not able to|'m not able to)"
_DO = (
    r"(?!help (?:the way|but|it|myself|feeling|thinking|wondering))"
    r"(?:help|assist|provide|fulfill|fulfil|comply|answer|create|write|generate|engage|support|give|"
    r"offer|recommend|share|make|produce|complete|participate|condone|encourage|promote|do that|"
    r"do this|tell you|express|predict|perform|access|browse|fulfill)"
)


class Refusal(PhraseScorer):
    """Refusals to answer, and (scored lower) moralising disclaimers around an answer."""

    name = "refusal"
    version = "1"
    label = "refusal"
    description = "refuses to answer, or lectures instead (disclaimers score 0.4, below the flag)"
    cues = (
        Cue(phrase(rf"\bI'm (?:sorry|afraid),? but I{_CANT}"), 1.0, 0.6, "refusal", ("sorry", "afraid")),
        Cue(
            phrase(rf"\bI{_CANT} {_DO}"),
            1.0,
            0.5,
            "refusal",
            ("cannot", "can't", "can’t", "can not", "won't", "won’t", "will not", "unable to", "not able to"),
        ),
        Cue(
            phrase(r"\bI (?:must|have to|will have to) (?:respectfully |politely )?(?:decline|refuse)"),
            1.0,
            0.6,
            "refusal",
            ("decline", "refuse"),
        ),
        Cue(
            phrase(r"\b(?:not within|against) my (?:programming|guidelines|ethical|principles)"),
            1.0,
            0.6,
            "refusal",
            ("my programming", "my guidelines", "my ethical", "my principles"),
        ),
        Cue(
            phrase(
                r"\b(?:it's|it is|that's|that is|would be|it would be) (?:not (?:appropriate|ethical|"
                r"responsible|okay|safe)|inappropriate|unethical|irresponsible) (?:for me )?to\b"
            ),
            0.8,
            0.4,
            "refusal",
            ("appropriate", "ethical", "responsible", "not okay", "not safe"),
        ),
        Cue(
            phrase(r"\bI'm not (?:comfortable|in a position to)|\bI (?:do not|don't) feel comfortable"),
            0.8,
            0.4,
            "refusal",
            ("comfortable", "in a position"),
        ),
        Cue(
            phrase(r"\bI (?:must|would like to|want to|have to) (?:point out|remind you|emphasize|clarify) that"),
            0.4,
            0.4,
            "moralising disclaimer",
            ("point out", "remind you", "emphasi", "clarify that"),
        ),
        Cue(
            phrase(
                r"\b(?:promot|perpetuat|reinforc)(?:e|es|ing) (?:harmful|negative|dangerous|offensive) "
                r"(?:stereotypes|behaviou?r|content|attitudes|ideas)"
            ),
            0.4,
            0.4,
            "moralising disclaimer",
            ("harmful", "negative", "dangerous", "offensive"),
        ),
        Cue(
            phrase(
                r"\bit(?:'s| is) (?:important|crucial|essential) to (?:respect|prioriti[sz]e|remember that "
                r"(?:everyone|all individuals|people))"
            ),
            0.4,
            0.3,
            "moralising disclaimer",
            ("important to", "crucial to", "essential to"),
        ),
    )


class AiIdentity(PhraseScorer):
    """The response talks about itself as an AI, a language model or a named assistant."""

    name = "ai_identity"
    version = "1"
    label = "ai_identity"
    description = "AI self-identification ('As an AI language model', 'I'm just an AI')"
    cues = (
        Cue(
            phrase(
                r"\bAs an? (?:AI|artificial intelligence|(?:large )?language model|LLM|digital assistant|"
                r"virtual assistant|chatbot|machine learning model|helpful(?: and \w+)? assistant|"
                r"responsible(?: and \w+)? (?:AI|assistant))\b"
            ),
            1.0,
            1.0,
            "self-identifies as AI",
            ("as a", "as an"),
        ),
        Cue(
            phrase(
                r"\bI'm (?:just |only |merely |simply )?(?:an? )?(?:AI|artificial intelligence|(?:large )?language "
                r"model|computer program|chatbot|virtual assistant|AI assistant|AI model|machine)\b"
            ),
            1.0,
            1.0,
            "self-identifies as AI",
            (" ai", "artificial", "language model", "computer program", "chatbot", "assistant", "machine"),
        ),
        Cue(
            phrase(
                r"\bI am (?:just |only |merely |simply )?(?:an? )?(?:AI|artificial intelligence|(?:large )?language "
                r"model|computer program|chatbot|virtual assistant|AI assistant|AI model|machine)\b"
            ),
            1.0,
            1.0,
            "self-identifies as AI",
            (" ai", "artificial", "language model", "computer program", "chatbot", "assistant", "machine"),
        ),
        Cue(
            phrase(
                r"\bI'm (?:ChatGPT|GPT-?\d|Claude|Bard|LLaMA|Vicuna|ChatGLM|Qwen|an assistant (?:created|developed|"
                r"trained|made) by)|\bI am (?:ChatGPT|GPT-?\d|Claude|Bard|an assistant (?:created|developed|trained|"
                r"made) by)"
            ),
            1.0,
            1.0,
            "names itself",
            ("chatgpt", "gpt", "claude", "bard", "llama", "vicuna", "chatglm", "qwen", "assistant"),
        ),
        Cue(
            phrase(r"\b(?:I was|I've been|I have been) (?:trained|created|developed|built|programmed) (?:by|to)\b"),
            1.0,
            0.8,
            "talks about its training",
            ("trained", "created", "developed", "built", "programmed"),
        ),
        Cue(
            phrase(
                r"\bI (?:do not|don't) have (?:personal )?(?:feelings|emotions|a physical (?:body|form)|a body|"
                r"consciousness|personal (?:opinions|experiences|preferences|beliefs|feelings))"
            ),
            0.8,
            0.8,
            "denies having feelings or a body",
            ("feelings", "emotions", "physical", "a body", "consciousness", "personal"),
        ),
    )
    # Only a prompt about the assistant's own nature makes self-identification a fair answer.
    _ASKS = phrase(
        r"\b(?:are you (?:an? |a real |real|human|conscious|sentient|alive|self-aware)|you are an? (?:AI|bot|machine)|"
        r"can you (?:think|feel)|do you have (?:feelings|emotions|consciousness|a body)|who (?:made|created|built|"
        r"trained|programmed) you|what are you\b|about yourself|your name|AI\b|artificial intelligence|language model|"
        r"chatbot|ChatGPT|GPT|assistant)"
    )

    def adjust(self, item: Scorable, value: float, found: re.Match[str]) -> float:
        """Lower the score when the prompt itself asks about the assistant or about AI."""
        return value * 0.4 if self._ASKS.search(prompt_text(item)) else value


class KnowledgeCutoff(PhraseScorer):
    """The response talks about its knowledge cutoff or lack of real-time access."""

    name = "knowledge_cutoff"
    version = "1"
    label = "knowledge_cutoff"
    description = "knowledge-cutoff talk ('as of my last update', 'no real-time access')"
    cues = (
        Cue(
            phrase(
                r"\b(?:as of|since|after|at the time of) my (?:last |latest |most recent )?(?:knowledge |training )?"
                r"(?:update|cutoff|cut-off|training|data)"
            ),
            1.0,
            1.0,
            "knowledge cutoff",
            ("as of my", "since my", "after my", "time of my"),
        ),
        Cue(
            phrase(r"\bknowledge (?:cutoff|cut-off)|\btraining (?:data )?cut-?off"),
            1.0,
            1.0,
            "knowledge cutoff",
            ("cutoff", "cut-off", "cut off"),
        ),
        Cue(
            phrase(
                r"\bmy (?:training )?(?:data|knowledge|information)(?: base)? (?:only )?(?:goes|extends|is current|"
                r"is limited|is up to date|was last updated|only goes)"
            ),
            1.0,
            1.0,
            "knowledge cutoff",
            ("my training", "my data", "my knowledge", "my information"),
        ),
        Cue(
            phrase(
                r"\bI (?:do not|don't|cannot|can't|am unable to|'m unable to) (?:have )?(?:access(?: to)?|browse|"
                r"search) (?:the )?(?:real-time|current|up-to-date|latest|live|internet|web)|"
                r"\b(?:can't|cannot|unable to) provide (?:you with )?(?:real-time|current|up-to-date|live) "
                r"(?:information|data|updates)"
            ),
            1.0,
            0.8,
            "no real-time access",
            ("access", "browse", "search", "real-time", "up-to-date"),
        ),
        Cue(
            phrase(r"\b(?:up to|until|as of) (?:my )?(?:training|knowledge) (?:data|cutoff|date)"),
            1.0,
            1.0,
            "knowledge cutoff",
            ("training", "knowledge"),
        ),
        Cue(
            phrase(r"\bas of (?:my last|September 2021|2021|early 2022|January 2022|2022|2023)\b"),
            0.4,
            0.3,
            "dated knowledge",
            ("as of",),
        ),
    )
