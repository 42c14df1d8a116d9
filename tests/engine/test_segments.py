"""Cutting utterances into segments: sentences, windows, markup, context and time spans.

Expected times are worked out by hand: an utterance without word times spreads its span
over its characters, so a sentence ending at character 22 of 47 in a 4 s utterance ends at
4 * 22 / 47 s.
"""

from __future__ import annotations

import pytest

from engine.behaviors.segments import Segment, clean_text, segment_utterances, split_sentences
from engine.types import Role, Utterance, Word


def utt(
    uid: str,
    speaker: str,
    text: str,
    start: float | None = None,
    end: float | None = None,
    role: Role | None = None,
    words: tuple[Word, ...] = (),
) -> Utterance:
    return Utterance(uid, speaker, role, start, end, text, words)


def timed_words(
    text: str, first: float, step: float = 0.5, length: float = 0.4
) -> tuple[Word, ...]:
    """One Word per token of ``text``: word i spans [first + i*step, first + i*step + length]."""
    return tuple(
        Word(token, first + i * step, first + i * step + length, 0.9)
        for i, token in enumerate(text.split())
    )


# --------------------------------------------------------------------------- split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # every sentence of four words or more stands alone
        (
            "Hello there my friend. How are you doing today?",
            ["Hello there my friend.", "How are you doing today?"],
        ),
        # short sentences join the next one until the run has four words
        ("Yes. Sure. I think that works for us.", ["Yes. Sure. I think that works for us."]),
        (
            "Sounds good. Let's do it. We can start right away.",
            [
                "Sounds good. Let's do it.",
                "We can start right away.",
            ],
        ),
        # a short sentence at the end joins the one before it
        (
            "This is a long sentence with many words. Ok.",
            ["This is a long sentence with many words. Ok."],
        ),
        # nothing to join with: it stays on its own
        ("Hi. Ok.", ["Hi. Ok."]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences_joins_short_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_trailing_short_sentence_stays_apart_when_joining_would_pass_max_words() -> None:
    assert split_sentences("one two three four five. Ok sure.", max_words=5) == [
        "one two three four five.",
        "Ok sure.",
    ]
    assert split_sentences("one two three four. Ok.", max_words=5) == ["one two three four. Ok."]


def test_unpunctuated_run_is_cut_into_windows_of_max_words() -> None:
    words = [f"w{i}" for i in range(95)]
    out = split_sentences(" ".join(words))
    assert out == [" ".join(words[:40]), " ".join(words[40:80]), " ".join(words[80:])]
    small = split_sentences("a b c d e f g h i j", max_words=4)
    assert small == ["a b c d", "e f g h", "i j"]


def test_a_long_sentence_among_short_ones_is_windowed_alone() -> None:
    long = " ".join(f"x{i}" for i in range(12)) + "."
    out = split_sentences(f"Okay so let's start. {long}", max_words=10)
    assert out == ["Okay so let's start.", " ".join(f"x{i}" for i in range(10)), "x10 x11."]


# --------------------------------------------------------------------------- markup


def test_clean_text_removes_transcript_markup_and_folds_spaces() -> None:
    assert clean_text("Okay {vocalsound} so, um, [laughter] let's  start {disfmarker}") == (
        "Okay so, um, let's start"
    )
    assert clean_text("<v Maya>Right {gap} then</v>") == "Right then"
    assert clean_text("{vocalsound}") == ""


def test_segments_carry_no_markup_and_markup_only_turns_give_none() -> None:
    segments = segment_utterances(
        [
            utt("u0", "A", "{vocalsound} Okay, let's get started with the agenda. {disfmarker}"),
            utt("u1", "B", "{vocalsound}"),
            utt("u2", "B", "[noise] Sure thing, go ahead {gap} please."),
        ]
    )
    assert [(s.utterance_id, s.text) for s in segments] == [
        ("u0", "Okay, let's get started with the agenda."),
        ("u2", "Sure thing, go ahead please."),
    ]


# --------------------------------------------------------------------------- segment_utterances


def test_segments_know_their_utterance_speaker_and_role() -> None:
    segments = segment_utterances(
        [
            utt("a1", "S1", "Hello there my friend. How are you doing today?", role="rep"),
            utt("a2", "S2", "Fine, thanks a lot for asking.", role="prospect"),
        ]
    )
    assert [(s.index, s.utterance_index, s.utterance_id, s.speaker, s.role) for s in segments] == [
        (0, 0, "a1", "S1", "rep"),
        (1, 0, "a1", "S1", "rep"),
        (2, 1, "a2", "S2", "prospect"),
    ]
    assert segments[0].words == 4


def test_context_is_the_previous_utterance_by_another_speaker() -> None:
    segments = segment_utterances(
        [
            utt("u0", "A", "What does your process look like?"),
            utt("u1", "B", "Mostly spreadsheets, honestly."),
            utt("u2", "B", "And a lot of email on top."),
            utt("u3", "A", "Who owns that process today? And who signs off?"),
            utt("u4", "A", "Take your time with that one."),
            utt("u5", "C", "I can answer that for you."),
        ]
    )
    context = {s.utterance_id: s.context for s in segments}
    assert len(segments) == 7  # u3 holds two sentences
    assert context["u0"] == ""
    # the same speaker going on keeps the context of the turn before
    assert context["u1"] == "What does your process look like?"
    assert context["u2"] == "What does your process look like?"
    # consecutive utterances of the other speaker are read together, for every segment
    both = "Mostly spreadsheets, honestly. And a lot of email on top."
    assert [s.context for s in segments if s.utterance_id == "u3"] == [both, both]
    assert context["u4"] == both
    assert context["u5"] == (
        "Who owns that process today? And who signs off? Take your time with that one."
    )


def test_context_skips_an_empty_utterance_of_another_speaker() -> None:
    """An utterance that is empty (or markup only, like AMI's "{vocalsound}") says nothing:
    it must not make a speaker's own previous words the context of their next ones."""
    segments = segment_utterances(
        [
            utt("u0", "A", "What does your process look like?"),
            utt("u1", "B", "{vocalsound}"),
            utt("u2", "A", "And who owns that process now?"),
        ]
    )
    assert [s.utterance_id for s in segments] == ["u0", "u2"]
    assert segments[1].context == ""


def test_times_interpolate_over_characters_without_word_times() -> None:
    text = "Hello there my friend. How are you doing today?"
    assert len(text) == 47
    first, second = segment_utterances([utt("u0", "A", text, start=0.0, end=4.0)])
    assert first.start == pytest.approx(0.0)
    assert first.end == pytest.approx(4.0 * 22 / 47)
    assert second.start == pytest.approx(4.0 * 23 / 47)
    assert second.end == pytest.approx(4.0)


def test_times_come_from_word_timestamps_when_present() -> None:
    text = "We reviewed the numbers yesterday. They look quite good now."
    u = utt("u0", "A", text, start=10.0, end=15.0, words=timed_words(text, 10.0))
    first, second = segment_utterances([u])
    # words 0-4 and 5-9: word i runs from 10 + 0.5 i to 10 + 0.5 i + 0.4
    assert [first.start, first.end] == pytest.approx([10.0, 12.4])
    assert [second.start, second.end] == pytest.approx([12.5, 14.9])


def test_windows_of_unpunctuated_speech_take_their_words_times() -> None:
    text = " ".join(f"w{i}" for i in range(95))
    u = utt("u0", "A", text, start=0.0, end=50.0, words=timed_words(text, 0.0))
    segments = segment_utterances([u])
    assert [s.start for s in segments] == pytest.approx([0.0, 20.0, 40.0])
    assert [s.end for s in segments] == pytest.approx([19.9, 39.9, 47.4])


def test_words_that_do_not_match_the_text_fall_back_to_interpolation() -> None:
    text = "Hello there my friend. How are you doing today?"
    words = timed_words("Hello there my friend", 0.0)  # 4 words for 9 tokens
    first, second = segment_utterances([utt("u0", "A", text, 0.0, 4.0, words=words)])
    assert first.end == pytest.approx(4.0 * 22 / 47)
    assert second.start == pytest.approx(4.0 * 23 / 47)


def test_untimed_utterances_give_untimed_segments() -> None:
    segments = segment_utterances(
        [utt("u0", "A", "Hello there my friend. How are you doing today?")]
    )
    assert [(s.start, s.end) for s in segments] == [(None, None), (None, None)]


def test_no_utterances_no_segments() -> None:
    assert segment_utterances([]) == []
    assert segment_utterances([utt("u0", "A", "")]) == []


def test_segment_is_frozen() -> None:
    seg = segment_utterances([utt("u0", "A", "Hello there my friend.")])[0]
    assert isinstance(seg, Segment)
    with pytest.raises(AttributeError):
        seg.text = "changed"  # type: ignore[misc]


def test_position_runs_from_the_first_utterance_to_the_last() -> None:
    utterances = [
        utt("u0", "A", "Hi there. Thanks for joining us today."),
        utt("u1", "B", "Sure."),
        utt("u2", "A", "Let me share my screen."),
    ]
    segments = segment_utterances(utterances)
    assert [(s.utterance_index, s.position) for s in segments] == [
        (0, 0.0),
        (1, 0.5),
        (2, 1.0),
    ]
    (alone,) = segment_utterances([utt("u0", "A", "Just one thing to say here.")])
    assert alone.position == 0.0
