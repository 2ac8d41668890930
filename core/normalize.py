"""Text normalisation and the content hash used to spot exact duplicates."""

from __future__ import annotations

import hashlib
import re

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Lower-case, drop punctuation and collapse whitespace so trivial variants compare equal."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def content_hash(*parts: str) -> str:
    """Return a short stable hash of the normalised parts, joined with a separator."""
    joined = "\x1f".join(normalize_text(part) for part in parts)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=12).hexdigest()
