"""Conversation metrics of a call (BEHAVIORS.md, "Conversation metrics").

Definitions, per call and per speaker:

- **talk seconds**: the union of a speaker's utterance intervals (overlapping utterances of
  one speaker are not counted twice). Utterances without words do not count as talk.
- **talk ratio**: a speaker's talk seconds / the sum of all speakers' talk seconds (the
  ratios add up to 1); ``talk_ratio_rep`` is the same for all rep speakers together.
- **longest monologue**: utterances in time order merge into one monologue while the same
  speaker goes on and the silence to the next is under ``MONOLOGUE_MAX_PAUSE`` seconds; any
  other speaker's utterance in between ends it. Its length is last end − first start.
- **interactivity**: speaker switches (consecutive utterances, in time order, by different
  speakers) per minute of the call.
- **patience**: the mean pause in seconds before the rep speaks after a prospect: for each
  prospect → rep switch, the rep's start minus the latest end of any utterance before it;
  overlapping speech counts as a pause of 0.
- **questions**: sentences ending in ``?`` (``count_questions``), not utterances;
  ``question_rate`` is questions per hour of the call — the rep's at call level.
- **words per minute**: words / talk minutes, per speaker and overall (all words / all
  speakers' talk minutes).

When the utterances carry no times (``timed`` false) every time-based figure is None (0.0
for the per-speaker floats), while word and question counts are still given. No figure ever
divides by zero: a rate over no time is None.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

from engine.types import CallMetrics, Role, Speaker, SpeakerMetrics, Utterance

MONOLOGUE_MAX_PAUSE = 2.0
"""A same-speaker pause shorter than this (seconds) does not end a monologue."""

# A run of sentence-final punctuation holding a "?", followed by a space, a closing quote or
# bracket, or the end: "Really?!" is one question, "www.x.com/?q=1" is none.
_QUESTION = re.compile(r"[?!]*\?[?!]*(?=[\s\"'”’)\]]|$)")
_WORD = re.compile(r"\w")


def count_questions(text: str) -> int:
    """Number of sentences in ``text`` that end in a question mark."""
    return len(_QUESTION.findall(text))


def count_words(text: str) -> int:
    """Number of whitespace-separated tokens in ``text`` with a letter or digit in them."""
    return sum(1 for token in text.split() if _WORD.search(token))


def _is_timed(utterance: Utterance) -> bool:
    return utterance.start is not None and utterance.end is not None


def _spoken(utterances: Sequence[Utterance]) -> list[Utterance]:
    """The utterances with words, in time order (untimed ones keep their order, at the end)."""
    spoken = [u for u in utterances if count_words(u.text) > 0]
    return sorted(spoken, key=lambda u: (u.start is None, u.start or 0.0))


def talk_seconds(utterances: Sequence[Utterance]) -> dict[str, float]:
    """Seconds each speaker talks: the union of its utterances' intervals, no double counting.

    Every speaker of ``utterances`` is a key (in order of first appearance); utterances without
    times or words add nothing.
    """
    intervals: dict[str, list[tuple[float, float]]] = {}
    for u in utterances:
        spans = intervals.setdefault(u.speaker, [])
        if u.start is not None and u.end is not None and u.end > u.start and count_words(u.text):
            spans.append((u.start, u.end))
    result: dict[str, float] = {}
    for speaker, spans in intervals.items():
        total = 0.0
        run_start = run_end = 0.0
        for i, (start, end) in enumerate(sorted(spans)):
            if i == 0 or start > run_end:
                total += run_end - run_start
                run_start, run_end = start, end
            else:
                run_end = max(run_end, end)
        total += run_end - run_start
        result[speaker] = total
    return result


def _roles_of(
    utterances: Sequence[Utterance], speakers: Sequence[Speaker] | Mapping[str, Role | None]
) -> dict[str, Role | None]:
    """Role per speaker id: the given speakers in their order, then other utterance speakers
    (role from their first utterance that has one)."""
    given: dict[str, Role | None] = (
        dict(speakers) if isinstance(speakers, Mapping) else {s.id: s.role for s in speakers}
    )
    roles = dict(given)
    for u in utterances:
        if u.speaker not in given and roles.get(u.speaker) is None:
            roles[u.speaker] = u.role
    return roles


def _longest_monologues(spoken: Sequence[Utterance]) -> dict[str, float]:
    """Longest monologue per speaker over time-ordered, timed utterances."""
    longest: dict[str, float] = {}
    run: Utterance | None = None
    run_end = 0.0
    for u in spoken:
        assert u.start is not None and u.end is not None
        if run is None or u.speaker != run.speaker or u.start - run_end >= MONOLOGUE_MAX_PAUSE:
            run, run_end = u, u.end
        else:
            run_end = max(run_end, u.end)
        assert run.start is not None
        longest[u.speaker] = max(longest.get(u.speaker, 0.0), run_end - run.start)
    return longest


def _patience(spoken: Sequence[Utterance], roles: Mapping[str, Role | None]) -> float | None:
    pauses: list[float] = []
    latest_end: float | None = None
    previous: Utterance | None = None
    for u in spoken:
        assert u.start is not None and u.end is not None
        if (
            previous is not None
            and latest_end is not None
            and roles.get(previous.speaker) == "prospect"
            and roles.get(u.speaker) == "rep"
        ):
            pauses.append(max(0.0, u.start - latest_end))
        latest_end = u.end if latest_end is None else max(latest_end, u.end)
        previous = u
    return sum(pauses) / len(pauses) if pauses else None


def _per(count: float, seconds: float | None, unit: float) -> float | None:
    """``count`` per ``unit`` seconds over ``seconds``; None without time."""
    if seconds is None or seconds <= 0.0:
        return None
    return count * unit / seconds


def compute_metrics(
    utterances: Sequence[Utterance],
    speakers: Sequence[Speaker] | Mapping[str, Role | None],
    duration: float | None,
) -> CallMetrics:
    """The call's conversation metrics (definitions in the module docstring).

    ``speakers`` gives each speaker id's role (a speaker absent from it takes the role of its
    utterances). ``duration`` is the call's length in seconds; None uses the last utterance end.
    """
    roles = _roles_of(utterances, speakers)
    spoken = _spoken(utterances)
    timed = all(_is_timed(u) for u in spoken) and (
        duration is not None or any(_is_timed(u) for u in utterances)
    )

    words: dict[str, int] = dict.fromkeys(roles, 0)
    questions: dict[str, int] = dict.fromkeys(roles, 0)
    for u in spoken:
        words[u.speaker] += count_words(u.text)
        questions[u.speaker] += count_questions(u.text)

    call_duration = duration
    talk: dict[str, float] = dict.fromkeys(roles, 0.0)
    longest: dict[str, float] = {}
    if timed:
        if call_duration is None:
            call_duration = max((u.end for u in utterances if u.end is not None), default=0.0)
        talk.update(talk_seconds(spoken))
        longest = _longest_monologues(spoken)
    total_talk = sum(talk.values())
    rep_ids = [s for s, r in roles.items() if r == "rep"]

    per_speaker = tuple(
        SpeakerMetrics(
            speaker=speaker,
            role=role,
            talk_seconds=talk[speaker],
            talk_ratio=talk[speaker] / total_talk if total_talk > 0 else 0.0,
            longest_monologue=longest.get(speaker, 0.0),
            words=words[speaker],
            words_per_minute=_per(words[speaker], talk[speaker], 60.0) if timed else None,
            questions=questions[speaker],
            question_rate=_per(questions[speaker], call_duration, 3600.0) if timed else None,
        )
        for speaker, role in roles.items()
    )

    if not timed:
        return CallMetrics(
            timed=False,
            duration=call_duration,
            talk_ratio_rep=None,
            longest_monologue=None,
            longest_monologue_speaker=None,
            interactivity=None,
            patience=None,
            question_rate=None,
            words_per_minute=None,
            speakers=per_speaker,
        )

    monologue_speaker: str | None = None
    monologue = 0.0
    for speaker, seconds in longest.items():
        if seconds > monologue:
            monologue_speaker, monologue = speaker, seconds
    switches = sum(1 for a, b in itertools.pairwise(spoken) if a.speaker != b.speaker)
    return CallMetrics(
        timed=True,
        duration=call_duration,
        talk_ratio_rep=(
            sum(talk[s] for s in rep_ids) / total_talk if rep_ids and total_talk > 0 else None
        ),
        longest_monologue=monologue,
        longest_monologue_speaker=monologue_speaker,
        interactivity=_per(switches, call_duration, 60.0),
        patience=_patience(spoken, roles),
        question_rate=(
            _per(sum(questions[s] for s in rep_ids), call_duration, 3600.0) if rep_ids else None
        ),
        words_per_minute=_per(sum(words.values()), total_talk, 60.0),
        speakers=per_speaker,
    )
