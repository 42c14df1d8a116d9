"""Which speaker is the rep (the seller) and who is the prospect (the buyer's side).

``assign_roles`` decides, in this order of authority:

1. **Roles given by the transcript** are kept (confidence 1.0), even against ``rep``.
   Speakers the transcript left without a role become prospects when it names a rep
   (confidence ``INFERRED_CONFIDENCE``: the other side, but the transcript did not say so),
   unless ``rep`` names them. When it names no rep, the rep is found among them by ``rep``;
   else a lone one is the rep (``INFERRED_CONFIDENCE``); else the heuristic below decides.
2. **``rep``** (``--rep NAME``), matched against the speaker names: that speaker is the rep,
   everyone else a prospect (confidence 1.0). A name that matches no speaker is a
   ``ConfigError``.
3. **A heuristic** scoring how seller-like each speaker talks (``rep_scores``); the top scorer
   is the rep, the others prospects.

The heuristic's score is a weighted sum of four features, each in [0, 1]:

=====================  ===============================================================  ======
feature                value                                                            weight
=====================  ===============================================================  ======
speaks first           1 for the speaker of the first utterance with words, else 0      1.0
question share         the speaker's questions / all questions                          1.5
seller phrase share    the speaker's matches of ``SELLER_CUES`` / all matches           2.5
talk share             the speaker's words / all words                                  0.5
=====================  ===============================================================  ======

Words stand in for talk time so that untimed transcripts score the same way. The rep's
confidence is ``logistic(CONFIDENCE_SLOPE · (top score − second score))`` — 0.5 for a tie, a
coin flip — and a prospect's is the same with the gap between the top score and its own. A
lone speaker is the rep with confidence 0.5. Ties go to the speaker who spoke first.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

from engine.errors import ConfigError
from engine.metrics import count_questions, count_words
from engine.types import Role, Utterance

SELLER_CUES: tuple[str, ...] = (
    # what the seller sells, and who "we" are
    r"our (?:product|platform|solution|software|tool|service|team|customers|clients)",
    r"we (?:offer|provide|help|work with|specialize)",
    r"here at",
    r"(?:i'm|i am) calling from",
    r"(?:i'm|i am|this is|my name is) \w+(?: \w+)? (?:from|with) \w+",
    # running the meeting
    r"agenda",
    r"next steps?",
    r"thanks? (?:you )?for (?:taking the time|your time|joining|making the time)",
    r"walk you through",
    r"let me (?:show|share|walk)",
    r"i'?ll show you",
    r"show you how",
    r"(?:i'll|i will|let me) send (?:you|over)",
    r"follow up with you",
    # pricing and packaging
    r"pricing",
    r"(?:our|the) (?:plans?|packages?|tiers?|licen[cs]es?)",
    r"free trial",
    r"discount",
    # discovery questions
    r"tell me (?:a (?:little )?bit )?(?:more )?about",
    r"how (?:are|do) you (?:currently|handle|handling|manage|managing)",
    r"what (?:made|prompted|brought) you",
)
"""Phrases sellers use: regular expressions, matched case-insensitively on word boundaries."""

FIRST_SPEAKER_WEIGHT = 1.0
QUESTION_SHARE_WEIGHT = 1.5
SELLER_PHRASE_WEIGHT = 2.5
TALK_SHARE_WEIGHT = 0.5
CONFIDENCE_SLOPE = 2.0
"""Slope of the logistic that turns a score margin into a confidence."""

INFERRED_CONFIDENCE = 0.75
"""Confidence of a role inferred from the roles a transcript gives to the other speakers."""

_CUES = re.compile(r"\b(?:" + "|".join(f"(?:{c})" for c in SELLER_CUES) + r")\b", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"\w+")


def _normalized(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def seller_cues(text: str) -> int:
    """Number of ``SELLER_CUES`` matches in ``text``."""
    return len(_CUES.findall(_normalized(text)))


def _speaker_order(utterances: Sequence[Utterance], names: Mapping[str, str | None]) -> list[str]:
    """Speakers of the utterances in order of first appearance, then unheard named ones."""
    order = dict.fromkeys(u.speaker for u in utterances)
    order.update(dict.fromkeys(names))
    return list(order)


def rep_scores(utterances: Sequence[Utterance], speakers: Sequence[str]) -> dict[str, float]:
    """How seller-like each of ``speakers`` talks (the weighted features of the module doc).

    Only the utterances of ``speakers`` count; shares are among them.
    """
    wanted = set(speakers)
    own = [u for u in utterances if u.speaker in wanted and count_words(u.text) > 0]
    questions: Counter[str] = Counter()
    cues: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for u in own:
        questions[u.speaker] += count_questions(u.text)
        cues[u.speaker] += seller_cues(u.text)
        words[u.speaker] += count_words(u.text)
    first = own[0].speaker if own else None

    def share(counts: Counter[str], speaker: str) -> float:
        total = sum(counts.values())
        return counts[speaker] / total if total else 0.0

    return {
        s: FIRST_SPEAKER_WEIGHT * (s == first)
        + QUESTION_SHARE_WEIGHT * share(questions, s)
        + SELLER_PHRASE_WEIGHT * share(cues, s)
        + TALK_SHARE_WEIGHT * share(words, s)
        for s in speakers
    }


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _by_heuristic(
    utterances: Sequence[Utterance], speakers: Sequence[str]
) -> dict[str, tuple[Role | None, float]]:
    if not speakers:
        return {}
    if len(speakers) == 1:
        return {speakers[0]: ("rep", 0.5)}
    scores = rep_scores(utterances, speakers)
    ranked = sorted(speakers, key=lambda s: -scores[s])  # stable: ties keep first-speaker order
    rep, runner_up = ranked[0], ranked[1]
    result: dict[str, tuple[Role | None, float]] = {}
    for s in speakers:
        if s == rep:
            result[s] = ("rep", _logistic(CONFIDENCE_SLOPE * (scores[rep] - scores[runner_up])))
        else:
            result[s] = ("prospect", _logistic(CONFIDENCE_SLOPE * (scores[rep] - scores[s])))
    return result


def match_rep(rep: str, names: Mapping[str, str | None]) -> list[str]:
    """The speaker ids whose name is ``rep``, compared case-insensitively word by word.

    An exact match wins; otherwise the one name that contains ``rep`` (or is contained in
    it) or has the same first name with a compatible surname or initial. Several speakers may
    carry that one name. Raises ``ConfigError`` when no name, or more than one, matches.
    """
    seen = [(sid, name) for sid, name in names.items() if name]
    listed = ", ".join(repr(name) for _, name in seen) or "none (the speakers have no names)"
    wanted = _NAME_TOKEN.findall(rep.casefold())
    if not wanted:
        raise ConfigError(f"rep name {rep!r} is empty; speaker names in this call: {listed}")

    def tokens(name: str) -> list[str]:
        return _NAME_TOKEN.findall(name.casefold())

    def contains(outer: list[str], inner: list[str]) -> bool:
        n = len(inner)
        return any(outer[i : i + n] == inner for i in range(len(outer) - n + 1))

    exact = [sid for sid, name in seen if tokens(name) == wanted]
    if exact:
        return exact

    def same_person(t: list[str]) -> bool:
        # "Alice" ~ "Alice Smith" ~ "alice s.", but not "Alice Jones"
        return t[0] == wanted[0] and all(
            a.startswith(b) or b.startswith(a) for a, b in zip(t[1:], wanted[1:], strict=False)
        )

    partial = [
        (sid, name)
        for sid, name in seen
        if (t := tokens(name)) and (contains(t, wanted) or contains(wanted, t) or same_person(t))
    ]
    if len({tuple(tokens(name)) for _, name in partial}) == 1:
        return [sid for sid, _ in partial]
    if partial:
        options = ", ".join(dict.fromkeys(repr(name) for _, name in partial))
        raise ConfigError(
            f"rep name {rep!r} matches several speakers ({options}); give the full name"
        )
    raise ConfigError(f"rep name {rep!r} matches no speaker; speaker names in this call: {listed}")


def _given_roles(utterances: Sequence[Utterance]) -> dict[str, Role]:
    """The role a transcript gives each speaker: its most frequent one, ties to the first."""
    counts: dict[str, Counter[Role]] = {}
    for u in utterances:
        if u.role is not None:
            counts.setdefault(u.speaker, Counter())[u.role] += 1
    return {speaker: c.most_common(1)[0][0] for speaker, c in counts.items()}


def assign_roles(
    utterances: Sequence[Utterance],
    names: Mapping[str, str | None],
    *,
    rep: str | None = None,
) -> dict[str, tuple[Role | None, float]]:
    """``{speaker id: (role, confidence)}`` for every speaker (rules in the module docstring).

    ``names`` maps speaker ids to names (None when unknown, e.g. diarized audio); ``rep`` is
    the rep's name. Deterministic: the same input always gives the same roles.
    """
    speakers = _speaker_order(utterances, names)
    rep_ids = set(match_rep(rep, names)) if rep is not None else set()
    given = _given_roles(utterances)

    if not given:
        if rep_ids:
            return {s: ("rep" if s in rep_ids else "prospect", 1.0) for s in speakers}
        return _by_heuristic(utterances, speakers)

    result: dict[str, tuple[Role | None, float]] = {s: (r, 1.0) for s, r in given.items()}
    unlabeled = [s for s in speakers if s not in given]
    if "rep" in given.values():
        for s in unlabeled:
            result[s] = ("rep", 1.0) if s in rep_ids else ("prospect", INFERRED_CONFIDENCE)
    elif rep_ids & set(unlabeled):
        for s in unlabeled:
            result[s] = ("rep" if s in rep_ids else "prospect", 1.0)
    elif len(unlabeled) == 1:
        # everyone else is a prospect, so the one speaker left is the rep
        result[unlabeled[0]] = ("rep", INFERRED_CONFIDENCE)
    else:
        result.update(_by_heuristic(utterances, unlabeled))
    return {s: result[s] for s in speakers}


def apply_roles(
    utterances: Sequence[Utterance], roles: Mapping[str, tuple[Role | None, float] | Role | None]
) -> list[Utterance]:
    """The utterances with each one's role set from its speaker's (as ``assign_roles`` gives).

    ``roles`` maps speaker ids to ``(role, confidence)`` or to a bare role; an utterance whose
    speaker is missing keeps its role.
    """
    result: list[Utterance] = []
    for u in utterances:
        if u.speaker not in roles:
            result.append(u)
            continue
        value = roles[u.speaker]
        role = value[0] if isinstance(value, tuple) else value
        result.append(dataclasses.replace(u, role=role))
    return result
