from __future__ import annotations

from pathlib import Path

import pytest

from engine.types import Span, SpeakerTurn
from eval.datasets import read_rttm
from eval.der import DerResult, combine_der, count_speakers, diarization_error_rate

REFERENCE = [SpeakerTurn(0.0, 5.0, "A"), SpeakerTurn(5.0, 10.0, "B")]


def test_reference_against_itself_is_zero() -> None:
    result = diarization_error_rate(REFERENCE, REFERENCE, collar=0.0)
    assert result == DerResult(der=0.0, false_alarm=0.0, missed=0.0, confusion=0.0, total=10.0)


def test_label_permutation_is_free() -> None:
    swapped = [SpeakerTurn(0.0, 5.0, "B"), SpeakerTurn(5.0, 10.0, "A")]
    renamed = [SpeakerTurn(0.0, 5.0, "spk7"), SpeakerTurn(5.0, 10.0, "spk3")]
    assert diarization_error_rate(REFERENCE, swapped, collar=0.0).der == 0.0
    assert diarization_error_rate(REFERENCE, renamed, collar=0.0).der == 0.0


def test_two_wrong_seconds_of_ten_is_point_two() -> None:
    hypothesis = [SpeakerTurn(0.0, 3.0, "x"), SpeakerTurn(3.0, 10.0, "y")]
    result = diarization_error_rate(REFERENCE, hypothesis, collar=0.0)
    assert result.der == pytest.approx(0.2)
    assert result.confusion == pytest.approx(0.2)
    assert (result.false_alarm, result.missed, result.total) == (0.0, 0.0, 10.0)


def test_missed_and_false_alarm_are_fractions_of_reference_speech() -> None:
    hypothesis = [SpeakerTurn(1.0, 5.0, "A"), SpeakerTurn(5.0, 10.0, "B")]
    missed = diarization_error_rate(REFERENCE, hypothesis, collar=0.0)
    assert missed.missed == pytest.approx(0.1)
    assert missed.der == pytest.approx(0.1)

    reference = [SpeakerTurn(0.0, 4.0, "A"), SpeakerTurn(6.0, 10.0, "B")]
    extra = diarization_error_rate(reference, REFERENCE, collar=0.0)
    assert extra.total == pytest.approx(8.0)
    assert extra.false_alarm == pytest.approx(2.0 / 8.0)
    assert extra.confusion == 0.0


def test_empty_hypothesis_misses_everything() -> None:
    result = diarization_error_rate(REFERENCE, [], collar=0.0)
    assert (result.der, result.missed) == (1.0, 1.0)


def test_collar_is_total_width() -> None:
    # The hypothesis boundary is 0.2 s late: inside a 0.5 s (±0.25 s) collar, outside 0.3 s.
    late = [SpeakerTurn(0.0, 5.2, "A"), SpeakerTurn(5.2, 10.0, "B")]
    assert diarization_error_rate(REFERENCE, late, collar=0.5).der == 0.0
    assert diarization_error_rate(REFERENCE, late, collar=0.3).der > 0.0
    # The collar removes 0.25 s at 0 and 10 s and 0.5 s around 5 s from scoring.
    assert diarization_error_rate(REFERENCE, late, collar=0.5).total == pytest.approx(9.0)


def test_uem_limits_the_scored_region() -> None:
    hypothesis = [SpeakerTurn(0.0, 3.0, "x"), SpeakerTurn(3.0, 10.0, "y")]
    result = diarization_error_rate(REFERENCE, hypothesis, collar=0.0, uem=Span(4.0, 10.0))
    assert result.total == pytest.approx(6.0)
    assert result.der == pytest.approx(1.0 / 6.0)


def test_one_speakers_overlapping_turns_count_once() -> None:
    doubled = [SpeakerTurn(0.0, 5.0, "A"), SpeakerTurn(2.0, 5.0, "A"), SpeakerTurn(5.0, 10.0, "B")]
    assert diarization_error_rate(REFERENCE, doubled, collar=0.0).der == 0.0


def test_empty_reference_is_an_error() -> None:
    with pytest.raises(ValueError, match="no speech"):
        diarization_error_rate([], REFERENCE, collar=0.0, uem=Span(0.0, 10.0))
    with pytest.raises(ValueError, match="no speech"):
        diarization_error_rate([], [], collar=0.0)


def test_count_speakers() -> None:
    assert count_speakers([]) == 0
    assert count_speakers([*REFERENCE, SpeakerTurn(10.0, 11.0, "A")]) == 2


def test_combine_weights_by_reference_speech() -> None:
    a = DerResult(der=0.1, false_alarm=0.0, missed=0.1, confusion=0.0, total=10.0)
    b = DerResult(der=0.4, false_alarm=0.1, missed=0.0, confusion=0.3, total=30.0)
    combined = combine_der([a, b])
    assert combined.total == 40.0
    assert combined.der == pytest.approx((1.0 + 12.0) / 40.0)
    assert combined.confusion == pytest.approx(9.0 / 40.0)
    with pytest.raises(ValueError):
        combine_der([])


def test_real_reference_against_itself(shared_eval: Path) -> None:
    turns = read_rttm(shared_eval / "audio" / "pyannote_sample" / "sample.rttm")
    result = diarization_error_rate(turns, turns, collar=0.5)
    assert result.der == 0.0
    assert count_speakers(turns) == 2
