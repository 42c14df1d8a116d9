"""Word error rate with jiwer, after a fixed text normalization.

Normalization (:func:`normalize_text`), applied to reference and hypothesis alike:

1. lowercase; curly apostrophes become ``'``;
2. markup is removed with its contents: ``{vocalsound}``, ``[noise]``, ``<s>``;
3. thousands separators between digits are dropped (``1,000`` → ``1000``); numbers stay
   digits (no number-to-word conversion), a decimal point between digits is kept;
4. every other character that is not a letter, digit or in-word apostrophe becomes a space,
   so punctuation goes and hyphenated words split (``cold-hearted`` → ``cold hearted``);
   contractions stay one word (``didn't``);
5. whitespace collapses to single spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import jiwer

_MARKUP = re.compile(r"\{[^}]*\}|\[[^\]]*\]|<[^>]*>")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d)")
# Anything but word characters and apostrophes, except a decimal point between digits.
_NON_WORD = re.compile(r"(?!(?<=\d)\.(?=\d))[^\w']|_")
_LOOSE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class WerResult:
    """Word error rate and its parts, counted in words of the normalized texts."""

    wer: float
    substitutions: int
    deletions: int
    insertions: int
    ref_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions


def normalize_text(s: str) -> str:
    """Normalize a transcript for scoring (see the module docstring for the exact steps)."""
    text = s.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _MARKUP.sub(" ", text)
    text = _THOUSANDS.sub("", text)
    text = _NON_WORD.sub(" ", text)
    text = _LOOSE_APOSTROPHE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def word_error_rate(reference: str, hypothesis: str, *, normalize: bool = True) -> WerResult:
    """Word error rate of ``hypothesis`` against ``reference``.

    Both texts are normalized with :func:`normalize_text` unless ``normalize`` is False
    (then they are only split on whitespace).

    Raises:
        ValueError: when the reference has no words (WER is undefined).
    """
    ref = normalize_text(reference) if normalize else " ".join(reference.split())
    hyp = normalize_text(hypothesis) if normalize else " ".join(hypothesis.split())
    ref_words = len(ref.split())
    if ref_words == 0:
        raise ValueError("reference has no words: word error rate is undefined")
    out = jiwer.process_words(ref, hyp)
    return WerResult(
        wer=float(out.wer),
        substitutions=int(out.substitutions),
        deletions=int(out.deletions),
        insertions=int(out.insertions),
        ref_words=ref_words,
    )


def combine_wer(results: Iterable[WerResult]) -> WerResult:
    """Corpus WER of several results: all errors over all reference words.

    Raises:
        ValueError: when there are no results.
    """
    items = list(results)
    if not items:
        raise ValueError("no WER results to combine")
    subs = sum(r.substitutions for r in items)
    dels = sum(r.deletions for r in items)
    ins = sum(r.insertions for r in items)
    ref_words = sum(r.ref_words for r in items)
    return WerResult(
        wer=(subs + dels + ins) / ref_words,
        substitutions=subs,
        deletions=dels,
        insertions=ins,
        ref_words=ref_words,
    )
