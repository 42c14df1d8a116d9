"""Regexes that match any word of a list, built as a trie."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def word_alternation(words: Iterable[str], *, space: str = r"\s+") -> str:
    """A regex matching any of ``words``, as a trie (``(?:ju(?:ne|ly))``): the regex engine
    tries alternatives one by one, so shared prefixes are tested once, not once a word.
    A space inside a word matches ``space``."""
    trie: dict[str, Any] = {}
    for word in set(words):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [
            (space if ch == " " else re.escape(ch)) + build(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return f"(?:{build(trie)})"
