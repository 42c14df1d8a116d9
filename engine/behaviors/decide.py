"""From per-segment probabilities to detections: thresholds plus the hard rules.

How rules and the classifier combine:
1. Rule features (cue patterns, date, money, question mark) are inputs of the classifier
   heads (models/behavior_heads.py), which learn how much each is worth.
2. A head's probability at or above its threshold (chosen by cross-validation on the training
   data) is a detection of that behavior.
3. Hard rules on top, because the definitions demand them:
   - a next step is ``next_step_dated`` only when a date or time expression is in the same
     segment, else ``next_step_undated``;
   - ``rep_question`` is a rule: a rep's segment holding a question, open when it starts
     with an open interrogative (what, how, why, tell me, ...), else closed;
   - ``competitor_mentioned`` needs a name (checked where fields are extracted);
   - a greeting or thanks that says nothing of the call's purpose, plan, structure or time
     ("Hey Chris, thanks for hopping on") is no ``agenda_set``: BEHAVIORS.md asks for the
     plan, and openings sit where agendas do, so the classifier alone takes them for one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.behaviors.catalog import HEADS
from engine.behaviors.segments import Segment

QUESTION_CONFIDENCE = 0.9
_OPEN_START = re.compile(
    r"^(?:\W*(?:so|and|okay|ok|um|uh|well|right|great|now)\b[\s,]*)*"
    r"(what|how|why|where|when|which|who|tell me|walk me|describe|talk me|help me understand)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"[^.?!]*\?")
_GREETING = re.compile(
    r"\b(?:hi|hey|hello|good (?:morning|afternoon|evening)|thanks|thank you|welcome"
    r"|(?:nice|great|good|lovely) to (?:meet|see|hear)|how's it going|how have you been"
    r"|how are you(?: doing)?(?=\W*$|\W*[?.!,])|how was your)\b",
    re.IGNORECASE,
)
_AGENDA_CONTENT = re.compile(
    r"\b(?:agenda|plans?|planned|minutes?|hours?|goals?|purpose|objective|outcome|structure"
    r"|cover|walk (?:you|through)|go (?:through|over)|start (?:with|by|off)|first|then"
    r"|discuss|talk about|focus|demo|wrap up|by the end|kick ?off|kick-off"
    r"|(?:meeting|call) is|still (?:ok|okay|good|fine|works?)|hard stop"
    r"|(?:have|got) (?:the )?time)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Detection:
    """A behavior found in one segment, before its evidence record is built."""

    segment: int
    behavior: str
    confidence: float
    subtype: str | None = None


def decide(
    segments: Sequence[Segment],
    probabilities: npt.NDArray[np.float64],
    thresholds: npt.NDArray[np.float64],
    has_date: Sequence[bool],
) -> list[Detection]:
    """Detections in segment order; ``probabilities[i][j]`` is head ``HEADS[j]`` on segment i."""
    out: list[Detection] = []
    for seg, probs, dated in zip(segments, probabilities, has_date, strict=True):
        for j, head in enumerate(HEADS):
            p = float(probs[j])
            if p < thresholds[j]:
                continue
            if head == "agenda_set" and is_pleasantry(seg.text):
                continue
            behavior = head
            if head == "next_step":
                behavior = "next_step_dated" if dated else "next_step_undated"
            out.append(Detection(seg.index, behavior, p))
        question = question_subtype(seg.text) if seg.role == "rep" else None
        if question is not None:
            out.append(Detection(seg.index, "rep_question", QUESTION_CONFIDENCE, question))
    return out


def is_pleasantry(text: str) -> bool:
    """A greeting or thanks with no word of an agenda (purpose, plan, topics, time)."""
    return _GREETING.search(text) is not None and _AGENDA_CONTENT.search(text) is None


def question_subtype(text: str) -> str | None:
    """``open`` or ``closed`` for a segment holding a question; None when it asks nothing."""
    match = _QUESTION.search(text)
    if match is None:
        return None
    return "open" if _OPEN_START.search(match.group(0).strip()) else "closed"


def best_per_utterance(
    detections: Sequence[Detection], segments: Sequence[Segment]
) -> list[Detection]:
    """One detection per behavior and utterance: the most confident segment's."""
    best: dict[tuple[int, str], Detection] = {}
    for d in detections:
        key = (segments[d.segment].utterance_index, d.behavior)
        if key not in best or d.confidence > best[key].confidence:
            best[key] = d
    return sorted(best.values(), key=lambda d: (d.segment, d.behavior))
