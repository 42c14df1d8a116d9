"""Who said each word: recognized words + diarized turns → speaker labels → utterances.

``assign_speakers`` gives each word the speaker whose turns overlap it most. It never compares
every word with every turn (that naive loop is what once dominated whisperX's run time): it
sweeps the words in time order over the turns sorted by start, keeping only the turns that
are "active" (started before the word ends, not yet ended before it starts) in a min-heap by
end. Each turn enters and leaves the active set once (``O(T log T)``) and each word looks only
at the active turns, i.e. at the turns that really overlap it, plus a binary search
(``O(log T)``) when none does. In all: ``O((W + T) log T + K)`` for ``K`` overlapping
(word, turn) pairs — about ``W`` for real calls, where a word overlaps one or two turns
(sorting ``W`` words already in time order is linear).

Speaker labels stay the diarizer's (``SPEAKER_00``, ``ch1``) until ``relabel_speakers`` maps
them to ``S1``, ``S2``, … in order of first speech.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from engine.types import SpeakerTurn, Transcript, Utterance, Word

NEAREST_TURN_MAX_DISTANCE = 1.0
"""A word that overlaps no turn takes the speaker of the nearest turn within this many seconds."""

UNKNOWN_SPEAKER = "S0"
"""Speaker id of transcript turns without a speaker (and of words no turn explains)."""


def _overlap(start: float, end: float, turn_start: float, turn_end: float) -> float:
    """Seconds that [start, end] and [turn_start, turn_end] share (negative when apart)."""
    return min(end, turn_end) - max(start, turn_start)


class _TurnIndex:
    """Turns sorted by start, with the running maximum of their ends, for nearest-turn lookups.

    ``max_end_at[i]`` is the index of the turn that ends last among ``turns[: i + 1]``: the
    turn nearest to the left of a time ``t`` is the latest-ending one of those starting at or
    before ``t``, found with one bisection.
    """

    def __init__(self, turns: Sequence[SpeakerTurn]) -> None:
        self.turns = sorted(turns, key=lambda t: t.start)
        self.starts = [t.start for t in self.turns]
        self.max_end_at: list[int] = []
        best = -1
        for i, turn in enumerate(self.turns):
            if best < 0 or turn.end > self.turns[best].end:
                best = i
            self.max_end_at.append(best)

    def nearest(self, start: float, end: float, max_distance: float) -> str | None:
        """The speaker of the turn nearest to [start, end] within ``max_distance``, else None."""
        after = bisect.bisect_right(self.starts, start)
        best: str | None = None
        best_distance = max_distance
        if after > 0:
            left = self.turns[self.max_end_at[after - 1]]
            distance = max(0.0, start - left.end)
            if distance <= best_distance:
                best, best_distance = left.speaker, distance
        if after < len(self.turns):
            right = self.turns[after]
            # strictly nearer: on a tie the earlier turn wins
            distance = max(0.0, right.start - end)
            if distance < best_distance or (best is None and distance <= best_distance):
                best = right.speaker
        return best


def assign_speakers(words: Sequence[Word], turns: Sequence[SpeakerTurn]) -> list[str | None]:
    """The speaker label of each word, in the order of ``words``.

    A word gets the speaker whose turns overlap its [start, end] the most, summed over that
    speaker's turns (turns may overlap each other: overlapped speech). A word that overlaps no
    turn (it lies in a gap, or has no duration) gets the speaker of the nearest turn within
    ``NEAREST_TURN_MAX_DISTANCE`` seconds, else None. Ties go to the speaker whose turn starts
    first. Runs in ``O((W + T) log T + K)`` (see the module docstring), never ``O(W · T)``.
    """
    if not turns:
        return [None] * len(words)
    index = _TurnIndex(turns)
    sorted_turns = index.turns
    order = sorted(range(len(words)), key=lambda i: words[i].start)
    result: list[str | None] = [None] * len(words)

    active: dict[int, SpeakerTurn] = {}  # by position in sorted_turns: iterates in start order
    ends: list[tuple[float, int]] = []  # min-heap of (end, position) of the active turns
    next_turn = 0
    for i in order:
        word = words[i]
        while next_turn < len(sorted_turns) and sorted_turns[next_turn].start < word.end:
            turn = sorted_turns[next_turn]
            active[next_turn] = turn
            heapq.heappush(ends, (turn.end, next_turn))
            next_turn += 1
        # words come by start, so a turn that ended before this word ends before all later ones
        while ends and ends[0][0] <= word.start:
            del active[heapq.heappop(ends)[1]]

        totals: dict[str, float] = {}
        for turn in active.values():
            shared = _overlap(word.start, word.end, turn.start, turn.end)
            if shared > 0.0:
                totals[turn.speaker] = totals.get(turn.speaker, 0.0) + shared
        if totals:
            best_speaker, best_total = "", -1.0
            for speaker, total in totals.items():
                if total > best_total:
                    best_speaker, best_total = speaker, total
            result[i] = best_speaker
        else:
            result[i] = index.nearest(word.start, word.end, NEAREST_TURN_MAX_DISTANCE)
    return result


def speaker_ids(labels: Iterable[str | None]) -> dict[str, str]:
    """``{label: "S1", …}``: the labels numbered in order of first appearance (None skipped)."""
    mapping: dict[str, str] = {}
    for label in labels:
        if label is not None and label not in mapping:
            mapping[label] = f"S{len(mapping) + 1}"
    return mapping


def relabel_speakers(labels: Sequence[str | None]) -> tuple[list[str | None], dict[str, str]]:
    """Replace a diarizer's labels (``SPEAKER_00``, ``ch1``) by ``S1``, ``S2``, ….

    ``labels`` are per word in time order (what ``assign_speakers`` returns), so the numbers
    follow the order in which speakers first speak. Returns the new labels (None stays None)
    and the mapping ``{original label: speaker id}``.
    """
    mapping = speaker_ids(labels)
    return [None if label is None else mapping[label] for label in labels], mapping


def relabel_turns(
    turns: Sequence[SpeakerTurn], mapping: Mapping[str, str]
) -> tuple[list[SpeakerTurn], dict[str, str]]:
    """The turns with their speakers renamed by ``mapping`` (from ``relabel_speakers``).

    A label the mapping lacks (a speaker to whom no word went) gets the next free ``S<n>``, in
    order of its first turn. Returns the renamed turns, in their order, and the full mapping.
    """
    full = dict(mapping)
    used = set(full.values())
    number = len(full)
    for turn in sorted(turns, key=lambda t: t.start):
        if turn.speaker not in full:
            number += 1
            while f"S{number}" in used:
                number += 1
            full[turn.speaker] = f"S{number}"
            used.add(full[turn.speaker])
    renamed = [SpeakerTurn(t.start, t.end, full[t.speaker]) for t in turns]
    return renamed, full


def join_words(words: Iterable[Word]) -> str:
    """The words' text as one string.

    faster-whisper words carry their own leading space (``" Hello"``, ``" world."``), and a
    word without one continues the previous word (``" 40"`` + ``",000"``), so such words are
    joined as they are. Words from a source that uses no spaces at all get one between each.
    """
    texts = [w.text for w in words]
    if any(t[:1].isspace() for t in texts):
        return " ".join("".join(texts).split())
    return " ".join(" ".join(texts).split())


def build_utterances(
    words: Sequence[Word], speakers: Sequence[str | None], *, max_gap: float = 2.0
) -> list[Utterance]:
    """Group consecutive words of one speaker into utterances ``u0``, ``u1``, ….

    A new utterance starts where the speaker changes or where the silence between two words
    is longer than ``max_gap`` seconds. A word without a speaker belongs to the speaker before
    it (at the very start: the first speaker after it); if no word has a speaker, all belong
    to ``UNKNOWN_SPEAKER``. Roles are left None; start and end are the first and last word's.
    """
    if len(words) != len(speakers):
        raise ValueError(f"{len(words)} words but {len(speakers)} speaker labels")
    first_known = next((s for s in speakers if s is not None), UNKNOWN_SPEAKER)

    groups: list[tuple[str, list[Word]]] = []
    current = first_known
    for word, label in zip(words, speakers, strict=True):
        speaker = current if label is None else label
        if not groups or groups[-1][0] != speaker or word.start - groups[-1][1][-1].end > max_gap:
            groups.append((speaker, []))
        groups[-1][1].append(word)
        current = speaker

    return [
        Utterance(
            id=f"u{n}",
            speaker=speaker,
            role=None,
            start=group[0].start,
            end=group[-1].end,
            text=join_words(group),
            words=tuple(group),
        )
        for n, (speaker, group) in enumerate(groups)
    ]


def utterances_from_transcript(
    transcript: Transcript,
) -> tuple[list[Utterance], dict[str, str | None]]:
    """One utterance per transcript turn — never merged, split or dropped, empty ones included.

    Utterance ``i`` has id ``u{i}``, the turn's text, times and role. Speaker names become ids
    ``S1``, ``S2``, … in order of first appearance; turns without a speaker share the id
    ``UNKNOWN_SPEAKER`` (``S0``). Returns the utterances and ``{speaker id: name}`` (name None
    for ``S0``), in order of first appearance.
    """
    ids: dict[str, str] = {}
    names: dict[str, str | None] = {}
    utterances: list[Utterance] = []
    for i, turn in enumerate(transcript.turns):
        name = (turn.speaker or "").strip() or None
        speaker = UNKNOWN_SPEAKER if name is None else ids.setdefault(name, f"S{len(ids) + 1}")
        names.setdefault(speaker, name)
        utterances.append(
            Utterance(
                id=f"u{i}",
                speaker=speaker,
                role=turn.role,
                start=turn.start,
                end=turn.end,
                text=turn.text.strip(),
            )
        )
    return utterances, names


def build_overlapping_utterances(
    words: Sequence[Word], speakers: Sequence[str | None], *, max_gap: float = 1.0
) -> list[Utterance]:
    """Utterances per speaker, for sources where each speaker has their own channel:
    each speaker's words split at pauses longer than ``max_gap``, then all utterances in
    order of start. Two people talking at once give two overlapping utterances instead of
    their words interleaved into fragments."""
    own: dict[str, list[Word]] = {}
    for word, speaker in zip(words, speakers, strict=True):
        own.setdefault(speaker or UNKNOWN_SPEAKER, []).append(word)
    pieces: list[Utterance] = []
    for speaker, mine in own.items():
        pieces += build_utterances(mine, [speaker] * len(mine), max_gap=max_gap)
    pieces.sort(key=lambda u: (u.start if u.start is not None else 0.0, u.speaker))
    return [replace(u, id=f"u{i}") for i, u in enumerate(pieces)]
