"""Cutting utterances into segments: the units behaviors are scored on and quoted from.

A segment is one sentence, or a run of short sentences, of one utterance; unpunctuated
speech (ASR output without punctuation) is cut into windows of at most ``max_words``.
Each segment knows its utterance, its neighbours' text for context, and its time span —
from word timestamps when the utterance has them, else interpolated over the utterance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.types import Role, Utterance

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=\S)")
_MARKUP = re.compile(r"\{[a-z_]+\}|\[[a-z_ ]+\]|<[^>]+>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Segment:
    """A sentence (or short run of sentences) of one utterance."""

    index: int
    utterance_index: int
    utterance_id: str
    speaker: str
    role: Role | None
    text: str
    start: float | None
    end: float | None
    context: str
    """The previous utterance by another speaker (what this segment may answer)."""
    position: float | None = None
    """Where in the call its utterance is, from 0 (the first) to 1 (the last)."""

    @property
    def words(self) -> int:
        return len(self.text.split())


def clean_text(text: str) -> str:
    """Transcript markup (``{vocalsound}``, ``[noise]``, tags) removed, spaces folded."""
    return _SPACES.sub(" ", _MARKUP.sub(" ", text)).strip()


def split_sentences(text: str, *, max_words: int = 40, min_words: int = 4) -> list[str]:
    """Sentences of ``text``; sentences under ``min_words`` join the next one, and word
    runs longer than ``max_words`` are cut into windows."""
    pieces = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    joined: list[str] = []
    pending = ""
    for piece in pieces:
        pending = f"{pending} {piece}".strip()
        if len(pending.split()) >= min_words:
            joined.append(pending)
            pending = ""
    if pending:
        if joined and len(joined[-1].split()) + len(pending.split()) <= max_words:
            joined[-1] = f"{joined[-1]} {pending}"
        else:
            joined.append(pending)
    out: list[str] = []
    for sentence in joined:
        words = sentence.split()
        for first in range(0, len(words), max_words):
            out.append(" ".join(words[first : first + max_words]))
    return out


def segment_utterances(
    utterances: Sequence[Utterance], *, max_words: int = 40, context_words: int = 40
) -> list[Segment]:
    """All segments of all utterances, in order. A segment's context is the last
    ``context_words`` words the previous other speaker said: the end of a question is what
    an answer responds to, and a short context is cheap to embed."""
    segments: list[Segment] = []
    last = max(1, len(utterances) - 1)
    run = ""  # what the last speaker with words said since another speaker had words
    last_speaker: str | None = None
    previous_other = ""
    for ui, u in enumerate(utterances):
        text = clean_text(u.text)
        # Empty turns (a bare {vocalsound}) neither change the context nor end a run.
        if text and u.speaker != last_speaker:
            previous_other, run = " ".join(run.split()[-context_words:]), ""
        sentences = split_sentences(text, max_words=max_words) if text else []
        offsets = _char_offsets(text, sentences)
        for sentence, (a, b) in zip(sentences, offsets, strict=True):
            start, end = _time_span(u, text, a, b)
            segments.append(
                Segment(
                    index=len(segments),
                    utterance_index=ui,
                    utterance_id=u.id,
                    speaker=u.speaker,
                    role=u.role,
                    text=sentence,
                    start=start,
                    end=end,
                    context=previous_other,
                    position=ui / last,
                )
            )
        if text:
            run = f"{run} {text}".strip()
            last_speaker = u.speaker
    return segments


def _char_offsets(text: str, sentences: list[str]) -> list[tuple[int, int]]:
    """Where each sentence's words start and end in ``text`` (windows share no words)."""
    offsets: list[tuple[int, int]] = []
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    w = 0
    for sentence in sentences:
        n = len(sentence.split())
        offsets.append((spans[w][0], spans[w + n - 1][1]))
        w += n
    return offsets


def _time_span(u: Utterance, text: str, a: int, b: int) -> tuple[float | None, float | None]:
    if u.start is None or u.end is None:
        return u.start, u.end
    if u.words and text == clean_text(u.text) and len(text.split()) == len(u.words):
        # One recognized word per token: the sentence's first and last words give its time.
        index_a = len(text[:a].split())
        index_b = max(index_a, len(text[:b].split()) - 1)
        return u.words[index_a].start, u.words[index_b].end
    length = max(1, len(text))
    span = u.end - u.start
    return u.start + span * a / length, u.start + span * b / length
