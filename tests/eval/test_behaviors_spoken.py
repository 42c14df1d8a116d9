"""The spoken behavior figures: where a detection from speech lands among the written turns,
and one real call spoken, recognized, diarized and scored."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.attribution import utterances_from_transcript
from engine.types import Evidence, Utterance, Word
from eval.behaviors import SetScore, score_call
from eval.behaviors_spoken import (
    DEV_DIR,
    REP_VOICE,
    placed_turns,
    spoken_report,
    turn_at,
    turn_of_evidence,
    voices_for,
    words_in_true_turns,
)
from eval.labeled import LabeledCall, sales_calls
from pipelines.behaviors import detect_behaviors

SPANS = [(0.5, 3.0), (3.5, 9.0), (9.5, 10.2), (10.7, 20.0)]


@pytest.mark.parametrize(
    ("t", "turn"),
    [
        (0.5, 0),
        (2.9, 0),
        (3.2, 0),
        (3.3, 1),
        (9.2, 1),
        (9.3, 2),
        (10.0, 2),
        (19.9, 3),
        (25.0, 3),
        (0.0, 0),
    ],
)
def test_a_moment_falls_in_its_turn_or_the_nearest(t: float, turn: int) -> None:
    assert turn_at(SPANS, t) == turn


@pytest.mark.parametrize(
    ("start", "end", "turn"),
    [(0.6, 2.0, 0), (2.0, 8.0, 1), (8.8, 10.1, 2), (9.0, 12.0, 3), (30.0, 31.0, 3)],
)
def test_a_detection_counts_at_the_turn_it_overlaps_most(
    start: float, end: float, turn: int
) -> None:
    assert turn_of_evidence(SPANS, start, end) == turn


def _evidence(behavior: str, start: float, end: float) -> Evidence:
    return Evidence(
        "e", behavior, None, "S1", "rep", start, end, ("u0",), "q", 0.9, {}, "test", "1"
    )  # fmt: skip


def test_detections_are_placed_by_time_not_by_their_utterance_ids() -> None:
    found = placed_turns(
        [_evidence("agenda_set", 4.0, 8.5), _evidence("agenda_set", 11, 12)], SPANS
    )
    assert found == {"agenda_set": {1, 3}}


def _word(text: str, start: float) -> Word:
    return Word(text, start, start + 0.3, 0.9)


def test_recognized_words_go_back_into_the_written_turns_with_their_roles() -> None:
    call = sales_calls(DEV_DIR)[0]
    spans = [(i * 2.0, i * 2.0 + 1.5) for i in range(len(call.transcript.turns))]
    # One diarized utterance that runs across turns 0-2, its speaker given the wrong role;
    # Whisper writes "40,000" as two words.
    said = Utterance("u0", "S1", "prospect", 0.0, 5.5, "", (
        _word(" Hello", 0.1), _word(" there.", 0.6), _word(" Yes,", 2.2), _word(" 40", 4.3),
        _word(",000.", 4.6),
    ))  # fmt: skip
    regrouped = words_in_true_turns(call, spans, [said])
    turns = call.transcript.turns
    assert [u.id for u in regrouped] == ["u0", "u1", "u2"]
    assert [u.text for u in regrouped] == ["Hello there.", "Yes,", "40,000."]
    assert [u.role for u in regrouped] == [turns[0].role, turns[1].role, turns[2].role]
    assert [u.speaker for u in regrouped] == [turns[0].speaker, turns[1].speaker, turns[2].speaker]


def test_the_rep_gets_the_rep_voice_and_every_speaker_a_voice_of_their_own() -> None:
    for call in sales_calls(DEV_DIR):
        voices = voices_for(call)
        rep = next(t.speaker or "" for t in call.transcript.turns if t.role == "rep")
        assert voices[rep] == REP_VOICE
        assert len(set(voices.values())) == len(voices)


def _opening(call_id: str, turns: int) -> LabeledCall:
    call = next(c for c in sales_calls(DEV_DIR) if c.call_id == call_id)
    transcript = replace(call.transcript, turns=call.transcript.turns[:turns])
    return LabeledCall(call.call_id, transcript, tuple(x for x in call.labels if x.turn < turns))


def test_a_spoken_call_is_recognized_and_scored_beside_its_text(
    espeak: str, tmp_path: Path
) -> None:
    # The ERP call's first 10 turns: greetings, an agreed agenda (turns 5-7), today's tools.
    call = _opening("erp-partner-scoping", 10)
    report = spoken_report([call], keep=tmp_path)
    assert (tmp_path / f"{call.call_id}.wav").is_file()
    assert (tmp_path / f"{call.call_id}.json").is_file()

    text = SetScore("same", trained_on=False)

    written, _ = utterances_from_transcript(call.transcript)
    score_call(text, call, detect_behaviors(written, call_id=call.call_id))
    assert report.text.as_dict() == {**text.as_dict(), "set": "text"}

    (figures,) = report.calls
    assert figures.speakers == 3
    assert figures.speakers_found >= 2
    assert figures.wer.wer < 0.5
    assert figures.words > 100
    for score in (report.recognized, report.end_to_end):
        agenda = score.moment["agenda_set"]
        assert agenda.labeled == 3
        assert agenda.found >= 1, score.name
