"""Conversation metrics, checked against numbers worked out by hand."""

from __future__ import annotations

import pytest

from engine.metrics import compute_metrics, count_questions, count_words, talk_seconds
from engine.types import Role, Speaker, SpeakerMetrics, Utterance


def u(
    i: int,
    speaker: str,
    start: float | None,
    end: float | None,
    text: str,
    role: Role | None = None,
) -> Utterance:
    return Utterance(f"u{i}", speaker, role, start, end, text)


ROLES: dict[str, Role | None] = {"S1": "rep", "S2": "prospect"}

# rep S1: 12 words, 2 questions | prospect S2: 7 words | S1: 7 words, 1 question |
# S2: 10 words, 1 question
CALL = [
    u(0, "S1", 0.0, 10.0, "Hi, thanks for taking the time. What is your setup? Any issues?"),
    u(1, "S2", 12.0, 20.0, "We use spreadsheets and it is slow."),
    u(2, "S1", 21.0, 30.0, "Got it. How many people use them?"),
    u(3, "S2", 30.0, 45.0, "About twenty people, mostly in finance. Why do you ask?"),
]


def test_count_questions_counts_sentences() -> None:
    assert count_questions("What is it? And why? Fine.") == 2
    assert count_questions("Really?! OK.") == 1
    assert count_questions('He asked "why?" twice') == 1
    assert count_questions("see example.com/?q=1 for more") == 0
    assert count_questions("") == 0


def test_count_words() -> None:
    assert count_words("Hi, thanks - for the time.") == 5
    assert count_words("  ") == 0


def test_four_utterance_call_by_hand() -> None:
    m = compute_metrics(CALL, ROLES, 60.0)
    assert m.timed is True
    assert m.duration == 60.0
    # talk: S1 10 + 9 = 19 s, S2 8 + 15 = 23 s, 42 s in all
    assert m.talk_ratio_rep == pytest.approx(19 / 42)
    # longest monologue: u3, 15 s
    assert m.longest_monologue == pytest.approx(15.0)
    assert m.longest_monologue_speaker == "S2"
    # 3 speaker switches in 1 minute
    assert m.interactivity == pytest.approx(3.0)
    # one prospect → rep switch: u1 ends at 20, u2 starts at 21
    assert m.patience == pytest.approx(1.0)
    # rep asks 3 questions in 60 s → 180 an hour
    assert m.question_rate == pytest.approx(180.0)
    # 36 words over 42 s of talk
    assert m.words_per_minute == pytest.approx(36 / 42 * 60)
    assert m.speakers == (
        SpeakerMetrics("S1", "rep", 19.0, 19 / 42, 10.0, 19, 60.0, 3, 180.0),
        SpeakerMetrics("S2", "prospect", 23.0, 23 / 42, 15.0, 17, 17 * 60 / 23, 1, 60.0),
    )


def test_speakers_may_be_given_as_speaker_records_and_duration_defaults_to_last_end() -> None:
    speakers = [Speaker("S1", "Ann", "rep", 0.9, 19.0), Speaker("S2", None, "prospect", 0.9, 23.0)]
    m = compute_metrics(CALL, speakers, None)
    assert m.duration == 45.0
    assert m.interactivity == pytest.approx(3 / 0.75)
    assert m.question_rate == pytest.approx(3 / 45 * 3600)
    assert [s.speaker for s in m.speakers] == ["S1", "S2"]


def test_role_falls_back_to_the_utterances_role() -> None:
    call = [u(0, "S1", 0, 5, "Hi there?", "rep"), u(1, "S2", 6, 8, "Hi.", "prospect")]
    m = compute_metrics(call, {}, None)
    assert [(s.speaker, s.role) for s in m.speakers] == [("S1", "rep"), ("S2", "prospect")]
    assert m.talk_ratio_rep == pytest.approx(5 / 7)
    assert m.patience is None  # no prospect → rep switch


def test_monologue_merges_same_speaker_utterances_with_short_pauses() -> None:
    call = [
        u(0, "S1", 0.0, 5.0, "one two"),
        u(1, "S1", 6.0, 10.0, "three"),  # 1 s pause: same monologue, 0–10
        u(2, "S1", 12.5, 14.0, "four"),  # 2.5 s pause: a new one
        u(3, "S2", 14.0, 15.0, "mhm"),
        u(4, "S1", 15.0, 20.0, "five"),
        u(5, "S1", 21.9, 26.0, "six"),  # 1.9 s pause: 15–26 = 11 s
    ]
    m = compute_metrics(call, ROLES, None)
    assert m.longest_monologue == pytest.approx(11.0)
    assert m.longest_monologue_speaker == "S1"
    assert [s.longest_monologue for s in m.speakers] == pytest.approx([11.0, 1.0])


def test_patience_counts_overlaps_as_zero() -> None:
    call = [
        u(0, "S2", 0.0, 5.0, "Our process is manual."),
        u(1, "S1", 4.0, 8.0, "I see, why?"),  # overlaps the prospect: pause 0
        u(2, "S2", 8.5, 10.0, "Nobody owns it."),
        u(3, "S1", 12.0, 14.0, "Who should?"),  # pause 2
        u(4, "S1", 14.5, 15.0, "Anyone?"),  # rep → rep: not a switch
    ]
    m = compute_metrics(call, ROLES, 60.0)
    assert m.patience == pytest.approx(1.0)
    assert m.interactivity == pytest.approx(3.0)


def test_patience_measures_from_the_latest_end() -> None:
    # a prospect's "mhm" inside the rep's long turn: the rep's pause is from the rep's own end
    call = [
        u(0, "S1", 0.0, 60.0, "Let me explain how it works."),
        u(1, "S2", 30.0, 30.5, "mhm"),
        u(2, "S1", 61.0, 65.0, "Make sense?"),
    ]
    assert compute_metrics(call, ROLES, None).patience == pytest.approx(1.0)


def test_talk_seconds_is_a_union_per_speaker() -> None:
    call = [
        u(0, "S1", 0.0, 5.0, "a"),
        u(1, "S1", 3.0, 8.0, "b"),  # overlaps the first: 0–8 = 8 s
        u(2, "S2", 4.0, 6.0, "c"),
        u(3, "S1", 10.0, 12.0, "d"),
        u(4, "S1", 12.0, 13.0, ""),  # no words: no talk
        u(5, "S3", None, None, "e"),
    ]
    assert talk_seconds(call) == {"S1": 10.0, "S2": 2.0, "S3": 0.0}


def test_untimed_transcript_counts_words_and_questions_only() -> None:
    call = [u(i, x.speaker, None, None, x.text) for i, x in enumerate(CALL)]
    m = compute_metrics(call, ROLES, None)
    assert m.timed is False
    assert m.duration is None
    assert (
        m.talk_ratio_rep,
        m.longest_monologue,
        m.longest_monologue_speaker,
        m.interactivity,
        m.patience,
        m.question_rate,
        m.words_per_minute,
    ) == (None,) * 7
    assert m.speakers == (
        SpeakerMetrics("S1", "rep", 0.0, 0.0, 0.0, 19, None, 3, None),
        SpeakerMetrics("S2", "prospect", 0.0, 0.0, 0.0, 17, None, 1, None),
    )


def test_empty_turns_are_ignored_but_do_not_untime_the_call() -> None:
    call = [*CALL, u(4, "S2", None, None, "")]
    assert compute_metrics(call, ROLES, 60.0) == compute_metrics(CALL, ROLES, 60.0)


def test_empty_input() -> None:
    m = compute_metrics([], {}, None)
    assert m.timed is False and m.speakers == () and m.duration is None
    assert m.talk_ratio_rep is None and m.interactivity is None

    silent = compute_metrics([], {"S1": "rep"}, 30.0)
    assert silent.timed is True
    assert silent.duration == 30.0
    assert silent.interactivity == 0.0
    assert silent.question_rate == 0.0
    assert silent.talk_ratio_rep is None  # no talk to share
    assert silent.words_per_minute is None and silent.patience is None
    assert silent.longest_monologue == 0.0 and silent.longest_monologue_speaker is None
    assert silent.speakers == (SpeakerMetrics("S1", "rep", 0.0, 0.0, 0.0, 0, None, 0, 0.0),)


def test_zero_length_call_never_divides_by_zero() -> None:
    m = compute_metrics([u(0, "S1", 0.0, 0.0, "Hi?")], ROLES, None)
    assert m.duration == 0.0
    assert m.interactivity is None and m.question_rate is None and m.words_per_minute is None
    assert m.speakers[0].words_per_minute is None and m.speakers[0].question_rate is None


def test_one_speaker_and_no_rep() -> None:
    m = compute_metrics([u(0, "S1", 0.0, 30.0, "Hello and welcome to the show.")], {}, None)
    assert m.talk_ratio_rep is None and m.question_rate is None and m.patience is None
    assert m.interactivity == 0.0
    assert m.speakers[0].talk_ratio == 1.0
    assert m.speakers[0].words_per_minute == pytest.approx(12.0)
    assert m.longest_monologue == 30.0


def test_metrics_round_trip_through_json() -> None:
    m = compute_metrics(CALL, ROLES, 60.0)
    d = m.to_dict()
    assert d["talk_ratio_rep"] == 0.4524
    assert d["speakers"][1]["words_per_minute"] == 44.35
    assert type(m).from_dict(d).interactivity == 3.0
