"""Words → speakers → utterances, and transcript turns → utterances."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest

from engine import attribution
from engine.attribution import (
    UNKNOWN_SPEAKER,
    assign_speakers,
    build_utterances,
    join_words,
    relabel_speakers,
    relabel_turns,
    utterances_from_transcript,
)
from engine.types import SpeakerTurn, Transcript, TranscriptTurn, Word


def w(text: str, start: float, end: float) -> Word:
    return Word(text, start, end, 0.9)


def t(start: float, end: float, speaker: str) -> SpeakerTurn:
    return SpeakerTurn(start, end, speaker)


# --------------------------------------------------------------------------- assign_speakers


def test_largest_overlap_wins_and_ties_go_to_the_earlier_turn() -> None:
    turns = [t(0, 5, "A"), t(5, 10, "B")]
    words = [w("a", 1, 2), w("b", 4.5, 5.5), w("c", 4.25, 5.75), w("d", 4.75, 5.25)]
    # c: A 0.75 vs B 0.75 → tie → A; d: A 0.25 vs B 0.25 → A; shift it right and B wins
    assert assign_speakers(words, turns) == ["A", "A", "A", "A"]
    assert assign_speakers([w("e", 4.75, 5.5)], turns) == ["B"]


def test_overlap_is_summed_over_a_speakers_turns() -> None:
    # B's single turn overlaps the word most (0.9 > 0.6), but A's two turns together do (1.2)
    turns = [t(0, 1, "A"), t(0.8, 1.7, "B"), t(1.5, 2.5, "A")]
    assert assign_speakers([w("x", 0.4, 2.1)], turns) == ["A"]


def test_overlapping_turns() -> None:
    # A talks throughout; B cuts in at 4–6
    turns = [t(0, 10, "A"), t(4, 6, "B"), t(5.5, 7, "C")]
    words = [w("1", 1, 2), w("2", 4.5, 5.5), w("3", 5.6, 6.9), w("4", 6.2, 8)]
    # 2: A 1.0 = B 1.0 → A (earlier turn); 3: A 1.3, B 0.4, C 1.3 → A; 4: A 1.8 vs C 0.8
    assert assign_speakers(words, turns) == ["A", "A", "A", "A"]
    assert assign_speakers([w("5", 4.0, 4.5)], [t(4, 6, "B"), t(0, 4.25, "A")]) == ["B"]


def test_word_in_a_gap_takes_the_nearest_turn_within_one_second() -> None:
    turns = [t(0, 2, "A"), t(5, 7, "B")]
    words = [
        w("near A", 2.5, 2.75),  # 0.5 s after A, 2.25 s before B
        w("near B", 4.25, 4.5),  # 0.5 s before B
        w("lost", 3.25, 3.5),  # 1.25 s from A, 1.5 s from B
        w("edge", 3.0, 3.125),  # exactly 1.0 s after A
        w("tie", 3.5, 4.0),  # 1.5 s after A vs 1.0 before B
        w("after", 7.5, 8.5),
        w("far after", 8.5, 9.0),
    ]
    assert assign_speakers(words, turns) == ["A", "B", None, "A", "B", "B", None]
    # equally near both → the earlier turn
    assert assign_speakers([w("mid", 2.25, 2.75)], [t(0, 2, "A"), t(3, 5, "B")]) == ["A"]


def test_zero_length_word_inside_a_turn() -> None:
    assert assign_speakers([w("uh", 3, 3)], [t(0, 2, "A"), t(2, 5, "B")]) == ["B"]
    # on the boundary both are 0 s away; the turn that starts there has it
    assert assign_speakers([w("uh", 2, 2)], [t(0, 2, "A"), t(2, 5, "B")]) == ["B"]


def test_no_turns_and_no_words() -> None:
    assert assign_speakers([w("a", 0, 1), w("b", 1, 2)], []) == [None, None]
    assert assign_speakers([], [t(0, 1, "A")]) == []


def test_unsorted_input_gives_the_same_labels() -> None:
    turns = [t(5, 10, "B"), t(0, 5, "A"), t(10, 12, "A")]
    words = [w("c", 11, 11.5), w("a", 1, 2), w("b", 6, 7)]
    assert assign_speakers(words, turns) == ["A", "A", "B"]


def _brute_force(words: Sequence[Word], turns: Sequence[SpeakerTurn]) -> list[str | None]:
    """The quadratic definition, as a reference."""
    ordered = sorted(turns, key=lambda x: x.start)
    result: list[str | None] = []
    for word in words:
        totals: dict[str, float] = {}
        for turn in ordered:
            shared = min(word.end, turn.end) - max(word.start, turn.start)
            if shared > 0:
                totals[turn.speaker] = totals.get(turn.speaker, 0.0) + shared
        if totals:
            result.append(max(totals, key=lambda s: totals[s]))
            continue
        best: str | None = None
        best_distance = math.inf
        for turn in ordered:
            distance = max(0.0, turn.start - word.end, word.start - turn.end)
            if distance <= 1.0 and distance < best_distance:
                best, best_distance = turn.speaker, distance
        result.append(best)
    return result


def test_matches_the_quadratic_definition_on_random_overlapping_turns() -> None:
    rng = random.Random(7)
    for _ in range(20):
        turns = []
        for _ in range(rng.randint(1, 60)):
            start = rng.uniform(0, 300)
            turns.append(t(start, start + rng.uniform(0.2, 20), rng.choice("ABCD")))
        words = []
        clock = 0.0
        for _ in range(rng.randint(0, 400)):
            clock += rng.uniform(0, 2.5)
            duration = rng.uniform(0.05, 0.8)
            words.append(w("x", clock, clock + duration))
            clock += duration
        assert assign_speakers(words, turns) == _brute_force(words, turns)


class _CountingOverlap:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, start: float, end: float, turn_start: float, turn_end: float) -> float:
        self.calls += 1
        return min(end, turn_end) - max(start, turn_start)


def test_attribution_is_not_quadratic(monkeypatch: pytest.MonkeyPatch) -> None:
    # 200k words and 50k turns. A quadratic loop would make W·T = 10^10 overlap checks; the
    # sweep makes one per (word, turn) pair that really overlaps, far below W·log2(T).
    n_words, n_turns = 200_000, 50_000
    words = [w("x", i * 0.5, i * 0.5 + 0.4) for i in range(n_words)]
    turns = [t(i * 2.0, i * 2.0 + 2.0, f"S{i % 3}") for i in range(n_turns)]
    # some overlapped speech: every 10th turn boundary has a short "X" turn across it
    turns += [t(i * 2.0 + 1.5, i * 2.0 + 2.5, "X") for i in range(0, n_turns, 10)]
    counter = _CountingOverlap()
    monkeypatch.setattr(attribution, "_overlap", counter)

    labels = assign_speakers(words, turns)

    # word 3 [1.5, 1.9] and word 4 [2.0, 2.4] overlap X as much as S0 and S1: ties go to the
    # turn that started first
    assert labels[:8] == ["S0"] * 4 + ["X"] + ["S1"] * 3
    assert labels[-1] == "S1"  # word 199999 lies in turn 49999
    # each word overlaps its own turn, a few also an "X" turn
    assert counter.calls <= 2 * n_words
    assert counter.calls <= n_words * math.log2(len(turns))


def test_attribution_is_not_quadratic_with_a_turn_spanning_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One turn spanning the whole call: the case that makes a scan over "all turns that
    # started before the word, up to the first whose prefix-max end reaches it" quadratic.
    n_words, n_turns = 200_000, 50_000
    words = [w("x", i * 0.5, i * 0.5 + 0.4) for i in range(n_words)]
    turns = [t(0.0, n_words * 0.5, "LONG")]
    turns += [t(i * 2.0, i * 2.0 + 2.0, f"S{i % 3}") for i in range(n_turns)]
    counter = _CountingOverlap()
    monkeypatch.setattr(attribution, "_overlap", counter)

    labels = assign_speakers(words, turns)

    # every word overlaps LONG as much as its own short turn: the tie goes to LONG (earlier)
    assert set(labels) == {"LONG"}
    assert counter.calls <= 2 * n_words


# --------------------------------------------------------------------------- relabelling


def test_relabel_speakers_in_order_of_first_speech() -> None:
    labels, mapping = relabel_speakers(["SPEAKER_01", None, "SPEAKER_00", "SPEAKER_01"])
    assert labels == ["S1", None, "S2", "S1"]
    assert mapping == {"SPEAKER_01": "S1", "SPEAKER_00": "S2"}


def test_relabel_turns_numbers_silent_speakers_after_the_others() -> None:
    turns = [t(0, 1, "ch1"), t(1, 2, "ch0"), t(2, 3, "ch2"), t(3, 4, "ch0")]
    renamed, mapping = relabel_turns(turns, {"ch0": "S1", "ch1": "S2"})
    assert [x.speaker for x in renamed] == ["S2", "S1", "S3", "S1"]
    assert mapping == {"ch0": "S1", "ch1": "S2", "ch2": "S3"}


# --------------------------------------------------------------------------- build_utterances


def test_join_words_with_and_without_leading_spaces() -> None:
    assert join_words([w(" Hello", 0, 1), w(" world.", 1, 2)]) == "Hello world."
    assert join_words([w("Hello", 0, 1), w("world.", 1, 2)]) == "Hello world."
    # Whisper marks a continuation (no leading space) inside a number or word.
    assert join_words([w(" about", 0, 1), w(" 40", 1, 2), w(",000", 2, 3)]) == "about 40,000"
    assert join_words([]) == ""


def test_build_utterances_splits_on_speaker_change_and_long_silence() -> None:
    words = [
        w(" Hi", 0.0, 0.5),
        w(" there.", 0.6, 1.0),
        w(" Hello.", 1.2, 1.8),
        w(" So", 3.8, 4.0),  # 2.0 s after the last word: not more than max_gap
        w(" anyway.", 6.5, 7.0),  # 2.5 s of silence: a new utterance, same speaker
    ]
    utterances = build_utterances(words, ["A", "A", "B", "B", "B"])
    assert [(u.id, u.speaker, u.start, u.end, u.text) for u in utterances] == [
        ("u0", "A", 0.0, 1.0, "Hi there."),
        ("u1", "B", 1.2, 4.0, "Hello. So"),
        ("u2", "B", 6.5, 7.0, "anyway."),
    ]
    assert all(u.role is None for u in utterances)
    assert utterances[1].words == (words[2], words[3])
    assert [u.id for u in build_utterances(words, ["A"] * 5, max_gap=1.0)] == ["u0", "u1", "u2"]


def test_words_without_speaker_join_their_neighbours() -> None:
    words = [w(" um", 0, 0.2), w(" Yes", 0.3, 0.6), w(" uh", 0.7, 0.8), w(" No", 1.0, 1.2)]
    utterances = build_utterances(words, [None, "A", None, "B"])
    assert [(u.speaker, u.text) for u in utterances] == [("A", "um Yes uh"), ("B", "No")]
    assert [u.speaker for u in build_utterances(words, [None] * 4)] == [UNKNOWN_SPEAKER]


def test_build_utterances_edge_cases() -> None:
    assert build_utterances([], []) == []
    with pytest.raises(ValueError, match="2 words but 1"):
        build_utterances([w("a", 0, 1), w("b", 1, 2)], ["A"])


# --------------------------------------------------------------------------- transcripts


def test_one_utterance_per_transcript_turn() -> None:
    transcript = Transcript(
        turns=(
            TranscriptTurn("Alice", "Hi Bob.", 0.0, 1.5, "rep"),
            TranscriptTurn("Bob", " Hi. ", 1.5, 2.0),
            TranscriptTurn("Bob", "", None, None),
            TranscriptTurn(None, "(inaudible)"),
            TranscriptTurn("Alice", "Shall we start?", 2.5, 4.0, "rep"),
            TranscriptTurn("Carol", "Yes."),
        ),
        format="json",
    )
    utterances, names = utterances_from_transcript(transcript)
    assert [(u.id, u.speaker, u.role, u.start, u.end, u.text) for u in utterances] == [
        ("u0", "S1", "rep", 0.0, 1.5, "Hi Bob."),
        ("u1", "S2", None, 1.5, 2.0, "Hi."),
        ("u2", "S2", None, None, None, ""),
        ("u3", "S0", None, None, None, "(inaudible)"),
        ("u4", "S1", "rep", 2.5, 4.0, "Shall we start?"),
        ("u5", "S3", None, None, None, "Yes."),
    ]
    assert names == {"S1": "Alice", "S2": "Bob", "S0": None, "S3": "Carol"}


def test_empty_transcript() -> None:
    assert utterances_from_transcript(Transcript(turns=(), format="txt")) == ([], {})


def test_overlapping_utterances_keep_each_speaker_whole() -> None:
    from engine.attribution import build_overlapping_utterances

    words = [w(" He", 0.0, 0.4), w(" The", 0.1, 0.5), w(" began", 0.5, 0.9), w(" sky.", 0.6, 1.0)]
    us = build_overlapping_utterances(words, ["S1", "S2", "S1", "S2"])
    assert [(u.id, u.speaker, u.text, u.start, u.end) for u in us] == [
        ("u0", "S1", "He began", 0.0, 0.9),
        ("u1", "S2", "The sky.", 0.1, 1.0),
    ]
    # A pause longer than max_gap still ends an utterance.
    split = build_overlapping_utterances([w(" a", 0, 1), w(" b", 3, 4)], ["S1", "S1"])
    assert [u.text for u in split] == ["a", "b"]
