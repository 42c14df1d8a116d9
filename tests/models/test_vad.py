"""Speech regions on real recordings: long audio in slices finds what one pass finds."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from engine.types import FloatArray, Span
from models.vad import SAMPLE_RATE, regions_from_segments, speech_regions, speech_segments
from pipelines.decode import decode_media

FILES = (
    "faster_whisper/multilingual.mp3",
    "pyaudioanalysis/diarizationExample.wav",
    "pyannote_sample/sample.wav",
    "picovoice/falcon_test.wav",
    "pyaudioanalysis/diarizationExample2.wav",
)


@pytest.fixture(scope="module")
def long_audio(shared_eval: Path) -> FloatArray:
    """Five real recordings back to back (almost three minutes, several speakers)."""
    return np.concatenate([decode_media(shared_eval / "audio" / f).mono() for f in FILES])


@pytest.fixture(scope="module")
def whole(long_audio: FloatArray) -> list[Span]:
    """The regions of one pass over everything (no slicing)."""
    return speech_regions(long_audio, slice_seconds=1e9)


def _frames(regions: list[Span], seconds: float) -> npt.NDArray[np.bool_]:
    """10 ms frames inside a region."""
    marks = np.zeros(int(seconds * 100) + 1, dtype=bool)
    for r in regions:
        marks[int(r.start * 100) : int(r.end * 100)] = True
    return marks


def _assert_sorted_and_disjoint(regions: list[Span], seconds: float) -> None:
    assert regions
    for r in regions:
        assert 0.0 <= r.start < r.end <= seconds + 1e-6
    for a, b in itertools.pairwise(regions):
        assert a.end < b.start


@pytest.mark.parametrize("slice_seconds", [20.0, 33.0, 45.0, 100.0])
def test_slices_find_the_same_speech_as_one_pass(
    long_audio: FloatArray, whole: list[Span], slice_seconds: float
) -> None:
    """Slices start with a fresh model state, so a region whose speech probability hovers
    near the threshold may come out a little different; the speech found agrees on at
    least 98.5% of the 10 ms frames (measured 98.9-99.6%; 99.9% on an hour)."""
    seconds = len(long_audio) / SAMPLE_RATE
    assert seconds > 170
    sliced = speech_regions(long_audio, slice_seconds=slice_seconds)
    _assert_sorted_and_disjoint(sliced, seconds)
    agreement = float(np.mean(_frames(sliced, seconds) == _frames(whole, seconds)))
    assert agreement >= 0.985
    # No region is found twice or lost at a slice edge: the counts stay close.
    assert abs(len(sliced) - len(whole)) <= 2


def test_a_segment_longer_than_a_slice_is_joined_again(long_audio: FloatArray) -> None:
    """The English reading (0.2-29.1 s, no 0.5 s pause) spans several 4 s slices: it is cut
    at their edges and comes out as one segment, as in one pass."""
    first_minute = long_audio[: 60 * SAMPLE_RATE]
    options = {"min_silence": 0.5, "max_speech": float("inf")}
    one_pass = speech_segments(first_minute, slice_seconds=1e9, **options)
    for slice_seconds in (4.0, 8.0):
        sliced = speech_segments(first_minute, slice_seconds=slice_seconds, **options)
        _assert_sorted_and_disjoint(sliced, 60.0)
        long_one = [r for r in sliced if r.start < 5.0 and r.end > 20.0]
        assert len(long_one) == 1
        assert long_one[0].start == pytest.approx(0.16, abs=0.05)
        assert long_one[0].end == pytest.approx(29.06, abs=0.05)
        assert len(sliced) == len(one_pass)
        for a, b in zip(sliced, one_pass, strict=True):
            assert a.start == pytest.approx(b.start, abs=0.1)
            assert a.end == pytest.approx(b.end, abs=0.1)


def test_segments_are_faster_whisper_s_own_before_padding(shared_eval: Path) -> None:
    """Padded as faster-whisper pads them, the segments are exactly the chunks its batched
    pipeline's VAD (``vad_filter=True``) finds: one VAD pass serves both."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from models.asr import asr_pieces

    for name in ("pyannote_sample/sample.wav", "picovoice/falcon_test.wav"):
        audio = decode_media(shared_eval / "audio" / name).mono()
        theirs = get_speech_timestamps(
            audio, VadOptions(max_speech_duration_s=30, min_silence_duration_ms=160)
        )
        ours = asr_pieces(audio, speech_segments(audio))
        assert len(ours) == len(theirs) > 1
        for (a, b), t in zip(ours, theirs, strict=True):
            assert abs(a - t["start"]) <= 1 and abs(b - t["end"]) <= 1


def test_regions_join_segments_drop_blips_and_pad() -> None:
    segments = [
        Span(1.0, 2.0),
        Span(2.2, 3.0),  # 0.2 s after the last: the same region
        Span(5.0, 5.2),  # 0.2 s of speech alone: dropped
        Span(8.0, 9.5),
        Span(9.7, 10.0),  # 0.2 s after the last: joined
    ]
    assert regions_from_segments(segments, 10.05) == [Span(0.9, 3.1), Span(7.9, 10.05)]
    assert regions_from_segments([Span(0.05, 1.0)], 2.0, pad=0.1) == [Span(0.0, 1.1)]
    assert regions_from_segments([], 2.0) == []


def test_short_audio_is_one_slice(shared_eval: Path) -> None:
    """Audio shorter than a slice gives exactly the regions of one pass."""
    audio = decode_media(shared_eval / "audio" / "pyannote_sample" / "sample.wav").mono()
    assert speech_regions(audio) == speech_regions(audio, slice_seconds=1e9)


def test_silence_has_no_regions() -> None:
    assert speech_regions(np.zeros(30 * SAMPLE_RATE, dtype=np.float32), slice_seconds=8) == []


@pytest.mark.parametrize(
    "name",
    [
        "pyannote_sample/sample.wav",
        "picovoice/falcon_test.wav",
        "picovoice/leopard_diarization_test.wav",
        "pyaudioanalysis/count2.wav",
        "faster_whisper/multilingual.mp3",
    ],
)
def test_regions_are_what_the_vad_finds_with_their_settings(shared_eval: Path, name: str) -> None:
    """Joining the segments gives the regions the VAD finds when run with the regions' own
    settings (0.3 s silence, 0.25 s speech, 0.1 s padding), so diarization sees the same
    regions as when it had a VAD pass of its own."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    audio = decode_media(shared_eval / "audio" / name).mono()
    direct = get_speech_timestamps(
        audio,
        VadOptions(min_silence_duration_ms=300, min_speech_duration_ms=250, speech_pad_ms=100),
    )
    ours = speech_regions(audio)
    assert len(ours) == len(direct) > 0
    for r, d in zip(ours, direct, strict=True):
        assert r.start == pytest.approx(d["start"] / SAMPLE_RATE, abs=0.04)
        assert r.end == pytest.approx(d["end"] / SAMPLE_RATE, abs=0.04)
