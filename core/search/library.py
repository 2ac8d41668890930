"""The built-in, versioned library of named failure-mode queries, and expansion of `lib:` / `saved:` references."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from core.search.ast import And, Node, Not, Or, QueryError, Ref
from core.search.parser import parse

LIBRARY_VERSION = 1
"""Bumped whenever any built-in query changes, so stored counts can say which library they came from."""

_APOS = "['’]"


@dataclass(frozen=True, slots=True)
class LibraryQuery:
    """A named failure-mode query with a one-line description; `version` changes when the query does."""

    name: str
    description: str
    query: str
    version: int = 1

    def node(self) -> Node:
        """Return the parsed query tree."""
        return _parsed(self.query)


@lru_cache(maxsize=64)
def _parsed(text: str) -> Node:
    """Parse a library query once."""
    return parse(text)


def _q(name: str, description: str, query: str) -> LibraryQuery:
    """Build a library entry; `'` in a pattern matches straight and curly apostrophes."""
    return LibraryQuery(name, description, query.replace("'", _APOS))


_CANT = "(can'?t|cannot|won't|will not|am unable to|'m unable to|am not able to|'m not able to)"
_ACTS = "(help|assist|provide|fulfill|fulfil|comply|create|write|generate|answer|engage|support|do that|do this)"

BUILTIN: tuple[LibraryQuery, ...] = (
    _q("refusals", "declines the request: \"I can't help with that\", \"I must decline\"",
       rf"response:re:/\bi('m| am) (sorry|afraid),? but i {_CANT}|\bi {_CANT} {_ACTS}\b"
       r"|\bi must (respectfully )?decline|\b(against|violates?) (my|our|openai's) "
       r"(guidelines|policies|policy|programming|principles)\b"
       r"|\bit (is|would be) (not appropriate|inappropriate|unethical) for me to\b/i"),
    _q("ai-identity", "talks about being an AI or language model, or who trained it",
       r"response:re:/\bas an ai\b|\bas a (large )?language model\b|\bi('m| am) (just |only )?(an ai|a "
       r"(large )?language model|an artificial intelligence|a virtual assistant|a chatbot)\b"
       r"|\b(trained|developed|created) by (openai|anthropic|google|meta)\b"
       r"|\bi (do not|don't) have (personal )?(feelings|emotions|opinions|beliefs|consciousness)\b/i"),
    _q("knowledge-cutoff", "mentions a training or knowledge cutoff date",
       r"response:re:/\bknowledge cut-?off\b|\bas of my (last|latest) (update|training|knowledge)"
       r"|\bmy (training|knowledge) (data )?(only )?(goes|extends|is current|is limited) (up )?(to|until|through)\b"
       r"|\bas of (my )?(training|knowledge) cut-?off\b/i"),
    _q("apologies", "apologises: \"I apologize\", \"sorry for the confusion\"",
       r"response:re:/\bi apologi[sz]e\b|\bmy apologies\b|\bsorry (for|about) (the|any) (confusion|"
       r"inconvenience|misunderstanding|mistake|error)\b|\bi('m| am) (so |very |really )?sorry\b/i"),
    _q("hedging", "boilerplate hedges: \"it's important to note\", \"consult a professional\"",
       r"response:re:/\bit('s| is) (important|worth|crucial|essential) (to note|noting|to remember|to keep in mind)\b"
       r"|\bplease note that\b|\bkeep in mind that\b|\b(consult|speak (with|to)|seek (advice|help) from) "
       r"(a|an|your) (qualified |licensed |medical |healthcare |legal |financial )?(professional|doctor|"
       r"physician|lawyer|attorney|advisor|expert|therapist)\b|\bi hope (this|that) helps\b"
       r"|\bit depends on (various|several|many) factors\b/i"),
    _q("truncation", "response is empty or its last line of prose stops mid-sentence",
       r"len:response<1 OR (response:re:/(^|\n)[^\n#|*>0-9 \t-][^\n]{39,}[a-z,;:(\-][ \t]*[\r\n]*$/"
       r" NOT response:re:/#[A-Za-z0-9_]+[ \t\r\n]*$/ NOT check:unbalanced_fences)"),
    _q("repetition", "the same sentences repeated over and over", "check:repetition"),
    _q("placeholders", "template placeholders left in: [Your Name], {{date}}, lorem ipsum",
       r"response:re:/\[(your|insert|name|company|date|placeholder|recipient|address|city|phone|email|"
       r"product|position)[^\]\n]{0,40}\]|\{\{[^}\n]{1,40}\}\}|\blorem ipsum\b|<(insert|placeholder|your)"
       r"[^>\n]{0,40}>/i"),
    _q("prompt-echo", "response repeats the instruction or leaks the prompt template",
       r"check:prompt_echo OR response:re:/^[ \t\r\n]*(##+[ \t]*)?(instruction|input|response)[ \t]*:/i"
       r" OR response:re:/###[ \t]*(instruction|input|response)\b/i"),
    _q("wrong-language", "response in another script than the instruction (translation requests excluded)",
       r"check:script_mismatch NOT instruction:re:/translat|\b(in|into|to) (chinese|japanese|korean|russian|"
       r"arabic|hebrew|hindi|greek|thai|english|mandarin|cantonese|ukrainian)\b/i"),
    _q("fabricated-citations", "URLs, DOIs or paper citations the instruction did not ask for",
       r"response:re:/https?:\/\/|\bwww\.[a-z0-9-]+\.[a-z]|\bdoi:?[ \t]*10\.[0-9]{4,}|\barxiv:?[ \t]*[0-9]{4}"
       r"\.[0-9]{4,5}|\bet al\.,? \(?(19|20)[0-9]{2}|\([A-Z][A-Za-z'-]+( et al\.?| (&|and) [A-Z][A-Za-z'-]+)?,? "
       r"(19|20)[0-9]{2}\)/ NOT instruction:re:/https?:|\bwww\.|\b(cite|citations?|references?|sources?|"
       r"links?|urls?|bibliography)\b/i"),
    _q("unbalanced-code-fences", "an odd number of ``` fences: a code block never closed", "check:unbalanced_fences"),
    _q("math-mismatch", "final answer (#### N, \"the answer is N\") contradicts the last computed step",
       "check:math_mismatch"),
    _q("unfulfillable-requests", "asks a text model for images, browsing, files or real-time data",
       r"instruction:re:/\b(draw|paint|sketch|generate|create|make|design|produce|render|show) (me )?(an? |the "
       r"|some )?(image|picture|photo|photograph|drawing|painting|illustration|logo|video|diagram)s?\b"
       r"|\b(this|the|attached|following|uploaded|above) (image|picture|photo|screenshot|video|audio|recording|"
       r"pdf|attachment)\b|\b(browse|search) (the (web|internet)|online)\b|\b(visit|open|go to|access) (this|the"
       r"|that|my) (website|site|link|url|webpage)\b|\b(current|today's|latest|live|real-time|up-to-date) "
       r"(weather|news|stock|stocks|price|prices|exchange rate|scores|headlines|traffic|temperature)\b"
       r"|\bwhat time is it\b|\bwhat('s| is) (today's date|the date today|the time now)\b/i"),
)

LIBRARY: dict[str, LibraryQuery] = {q.name: q for q in BUILTIN}

SavedLookup = Callable[[str], Node]
MAX_DEPTH = 8


def library_query(name: str) -> LibraryQuery:
    """Return a built-in query by name, or raise QueryError listing the names."""
    if name not in LIBRARY:
        raise QueryError(f"no library query '{name}' (library: {', '.join(LIBRARY)})")
    return LIBRARY[name]


def expand(node: Node, saved: SavedLookup | None = None, _depth: int = 0) -> Node:
    """Replace every `lib:` and `saved:` reference with the query it names."""
    if _depth > MAX_DEPTH:
        raise QueryError("query references nest too deeply (a saved query may refer to itself)")
    if isinstance(node, Ref):
        if node.kind == "lib":
            return expand(library_query(node.name).node(), saved, _depth + 1)
        if saved is None:
            raise QueryError("saved: queries need a store")
        return expand(saved(node.name), saved, _depth + 1)
    if isinstance(node, And):
        return And(tuple(expand(c, saved, _depth) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(expand(c, saved, _depth) for c in node.children))
    if isinstance(node, Not):
        return Not(expand(node.child, saved, _depth))
    return node
