"""Whether a transcript is English: behavior detection is trained on English only, so other
languages get no evidence (and a note saying why) rather than false evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-zA-Z\u00c0-\u024f']+")
_COMMON = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "to",
        "of",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "this",
        "that",
        "i",
        "you",
        "we",
        "they",
        "he",
        "she",
        "my",
        "your",
        "our",
        "their",
        "me",
        "us",
        "them",
        "so",
        "if",
        "not",
        "no",
        "yes",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "can",
        "could",
        "will",
        "would",
        "should",
        "what",
        "how",
        "why",
        "when",
        "where",
        "who",
        "which",
        "there",
        "here",
        "just",
        "about",
        "like",
        "okay",
        "ok",
        "yeah",
        "um",
        "uh",
    ]
)
MIN_WORDS = 20
MIN_SHARE = 0.2


def looks_english(texts: Iterable[str]) -> bool:
    """True when common English function words make up at least a fifth of the words, or
    when there are too few words to tell (fewer than 20)."""
    words = [w.lower() for text in texts for w in _WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return True
    return sum(1 for w in words if w in _COMMON) / len(words) >= MIN_SHARE
