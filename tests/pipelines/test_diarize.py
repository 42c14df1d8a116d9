"""Who spoke when: the embedded diarizer on real and synthetic calls, and diarizing by channel."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ConfigError
from engine.types import Audio, Diarization, Span, SpeakerTurn
from eval.datasets import read_rttm
from eval.der import diarization_error_rate
from models.speakers import SpeakerEncoder, load_speaker_encoder
from models.vad import speech_regions
from pipelines.decode import decode_media
from pipelines.diarize import (
    EmbeddedOptions,
    _absorb_short_runs,
    channels_are_separate,
    diarize_channels,
    diarize_embedded,
    speech_windows,
)
from tests.conftest import SynthCall


@dataclass(frozen=True)
class Diarized:
    audio: Audio
    regions: list[Span]
    result: Diarization


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    return load_speaker_encoder()


def _embedded(path: Path, encoder: SpeakerEncoder) -> Diarized:
    audio = decode_media(path)
    regions = speech_regions(audio.mono())
    return Diarized(audio, regions, diarize_embedded(audio.mono(), regions, encoder))


def _by_channel(path: Path) -> Diarized:
    audio = decode_media(path)
    regions = speech_regions(audio.mono())
    return Diarized(audio, regions, diarize_channels(audio, regions))


@pytest.fixture(scope="module")
def pyannote_sample(shared_eval: Path, encoder: SpeakerEncoder) -> Diarized:
    return _embedded(shared_eval / "audio/pyannote_sample/sample.wav", encoder)


@pytest.fixture(scope="module")
def stereo_clip(shared_eval: Path) -> Diarized:
    return _by_channel(shared_eval / "audio/faster_whisper/stereo_diarization.wav")


@pytest.fixture(scope="module")
def espeak_embedded(two_voice_call: SynthCall, encoder: SpeakerEncoder) -> Diarized:
    return _embedded(two_voice_call.wav, encoder)


@pytest.fixture(scope="module")
def espeak_channels(two_channel_call: SynthCall) -> Diarized:
    return _by_channel(two_channel_call.wav)


def _assert_well_formed(d: Diarization, regions: list[Span]) -> None:
    """Turns are sorted, non-empty, inside the speech regions, and one speaker's turns are
    disjoint (two speakers may overlap: people do talk at once)."""
    assert d.num_speakers == len({t.speaker for t in d.turns})
    assert list(d.turns) == sorted(d.turns, key=lambda t: (t.start, t.end, t.speaker))
    for turn in d.turns:
        assert turn.end > turn.start
        assert any(r.start - 1e-6 <= turn.start and turn.end <= r.end + 1e-6 for r in regions)
    for speaker in {t.speaker for t in d.turns}:
        own = [t for t in d.turns if t.speaker == speaker]
        for before, after in itertools.pairwise(own):
            assert after.start >= before.end - 1e-6


def _overlap(turns: tuple[SpeakerTurn, ...], label: str, truth: tuple[SpeakerTurn, ...]) -> float:
    return sum(
        max(0.0, min(h.end, t.end) - max(h.start, t.start))
        for h in turns
        if h.speaker == label
        for t in truth
    )


# --------------------------------------------------------------------------- real recordings


def test_pyannote_sample_der(pyannote_sample: Diarized, shared_eval: Path) -> None:
    reference = read_rttm(shared_eval / "audio/pyannote_sample/sample.rttm")
    d = pyannote_sample.result
    assert d.method == "embedded"
    assert d.num_speakers == 2
    _assert_well_formed(d, pyannote_sample.regions)
    assert diarization_error_rate(reference, d.turns, collar=0.5).der <= 0.10


def test_falcon_test_finds_its_three_speakers(shared_eval: Path, encoder: SpeakerEncoder) -> None:
    d = _embedded(shared_eval / "audio/picovoice/falcon_test.wav", encoder)
    assert d.result.num_speakers == 3
    reference = read_rttm(shared_eval / "audio/picovoice/falcon_test.rttm")
    assert diarization_error_rate(reference, d.result.turns, collar=0.5).der <= 0.10


def test_stereo_clip_has_one_voice_per_channel(stereo_clip: Diarized) -> None:
    assert stereo_clip.audio.channels == 2
    assert channels_are_separate(stereo_clip.audio)


def test_stereo_clip_diarized_by_channel_starts_with_the_left_speaker(
    stereo_clip: Diarized,
) -> None:
    """The left voice starts at ~0.19 s, the right one at ~0.36 s (below -75 dB before)."""
    d = stereo_clip.result
    assert d.method == "channels"
    assert d.num_speakers == 2
    assert {t.speaker for t in d.turns} == {"CH1", "CH2"}
    _assert_well_formed(d, stereo_clip.regions)
    assert d.turns[0].speaker == "CH1"


def test_one_mix_on_two_channels_is_not_separate(shared_eval: Path) -> None:
    audio = decode_media(shared_eval / "asr/jfk.flac")
    assert audio.channels == 2
    assert not channels_are_separate(audio)


# --------------------------------------------------------------------------- synthetic calls


def test_mono_call_is_not_separate_channels(espeak_embedded: Diarized) -> None:
    assert espeak_embedded.audio.channels == 1
    assert not channels_are_separate(espeak_embedded.audio)


def test_channel_copies_are_not_separate(two_voice_call: SynthCall) -> None:
    mono = decode_media(two_voice_call.wav).samples
    assert not channels_are_separate(Audio(np.vstack([mono, mono]), 16_000))
    assert not channels_are_separate(Audio(np.vstack([mono, 0.8 * mono]), 16_000))


def test_one_mix_on_one_loud_channel_is_not_separate(two_voice_call: SynthCall) -> None:
    """Both voices on the left, the right channel dead (or a much quieter copy of the mix):
    the channels do not hold one voice each, and diarizing by channel would find one speaker
    in a two-speaker call."""
    mono = decode_media(two_voice_call.wav).samples
    dead = Audio(np.vstack([mono, np.zeros_like(mono)]), 16_000)
    assert not channels_are_separate(dead)
    quieter_copy = Audio(np.vstack([mono, 0.2 * mono]), 16_000)
    assert not channels_are_separate(quieter_copy)


def test_embedded_finds_the_two_voices(
    espeak_embedded: Diarized, two_voice_call: SynthCall
) -> None:
    d = espeak_embedded.result
    assert d.num_speakers == 2
    _assert_well_formed(d, espeak_embedded.regions)
    assert diarization_error_rate(two_voice_call.turns, d.turns, collar=0.5).der <= 0.05
    # SPK0 is whoever speaks first: the rep.
    assert d.turns[0].speaker == "SPK0"
    rep_turns = tuple(t for t in two_voice_call.turns if t.speaker == "rep")
    prospect_turns = tuple(t for t in two_voice_call.turns if t.speaker == "prospect")
    assert _overlap(d.turns, "SPK0", rep_turns) > 5 * _overlap(d.turns, "SPK0", prospect_turns)


def test_embedded_with_the_count_given(
    espeak_embedded: Diarized, two_voice_call: SynthCall, encoder: SpeakerEncoder
) -> None:
    audio, regions = espeak_embedded.audio, espeak_embedded.regions
    d = diarize_embedded(audio.mono(), regions, encoder, num_speakers=2)
    assert d.num_speakers == 2
    assert diarization_error_rate(two_voice_call.turns, d.turns, collar=0.5).der <= 0.05
    one = diarize_embedded(audio.mono(), regions, encoder, num_speakers=1)
    assert one.num_speakers == 1
    assert {t.speaker for t in one.turns} == {"SPK0"}


def test_embedded_without_speech_is_empty(encoder: SpeakerEncoder) -> None:
    silence = np.zeros(16_000, dtype=np.float32)
    assert diarize_embedded(silence, [], encoder) == Diarization((), 0, "embedded")


def test_two_channel_call_is_separate(espeak_channels: Diarized) -> None:
    assert espeak_channels.audio.channels == 2
    assert channels_are_separate(espeak_channels.audio)


def test_two_channel_call_by_channel_matches_the_true_turns(
    espeak_channels: Diarized, two_channel_call: SynthCall
) -> None:
    d = espeak_channels.result
    assert d.method == "channels"
    assert d.num_speakers == 2
    _assert_well_formed(d, espeak_channels.regions)
    assert diarization_error_rate(two_channel_call.turns, d.turns, collar=0.5).der <= 0.05
    # Channel 1 (left) is the rep, channel 2 the prospect: the labels are not swapped.
    named = tuple(
        SpeakerTurn(t.start, t.end, {"CH1": "rep", "CH2": "prospect"}[t.speaker]) for t in d.turns
    )
    assert diarization_error_rate(two_channel_call.turns, named, collar=0.5).der <= 0.05


def test_by_channel_never_gives_a_turn_to_a_silent_channel(espeak_channels: Diarized) -> None:
    """In the synthetic call the voice that is not speaking is exact digital silence, so a turn
    labelled CHk where channel k is all zeros is a made-up turn (e.g. a pause inside the other
    speaker's sentence)."""
    audio = espeak_channels.audio
    silent = [
        t
        for t in espeak_channels.result.turns
        if not np.any(
            audio.samples[int(t.speaker[2:]) - 1, int(t.start * 16_000) : int(t.end * 16_000)]
        )
    ]
    assert silent == []


def test_by_channel_needs_two_channels(espeak_embedded: Diarized) -> None:
    with pytest.raises(ConfigError, match="two or more channels"):
        diarize_channels(espeak_embedded.audio, espeak_embedded.regions)


# --------------------------------------------------------------------------- speech_windows

OPTIONS = EmbeddedOptions(window=1.5, hop=0.75)


def _spans(windows: list[Span]) -> list[tuple[float, float]]:
    return [(round(w.start, 6), round(w.end, 6)) for w in windows]


def test_speech_windows_tile_a_long_region() -> None:
    windows = speech_windows([Span(1.0, 4.0)], 10.0, OPTIONS)
    assert _spans(windows) == [(1.0, 2.5), (1.75, 3.25), (2.5, 4.0)]


def test_speech_windows_end_exactly_at_a_region_end() -> None:
    windows = speech_windows([Span(2.0, 4.1)], 10.0, OPTIONS)
    assert _spans(windows) == [(2.0, 3.5), (2.6, 4.1)]
    assert all(w.duration == pytest.approx(1.5) for w in windows)


def test_speech_windows_centre_a_short_region() -> None:
    assert _spans(speech_windows([Span(5.0, 5.6)], 10.0, OPTIONS)) == [(4.55, 6.05)]
    assert _spans(speech_windows([Span(3.0, 4.5)], 10.0, OPTIONS)) == [(3.0, 4.5)]


def test_speech_windows_stay_inside_the_audio() -> None:
    assert _spans(speech_windows([Span(0.1, 0.5)], 10.0, OPTIONS)) == [(0.0, 1.5)]
    assert _spans(speech_windows([Span(9.7, 9.9)], 10.0, OPTIONS)) == [(8.5, 10.0)]
    # Audio shorter than one window: the window is the whole audio.
    assert _spans(speech_windows([Span(0.2, 0.6)], 1.0, OPTIONS)) == [(0.0, 1.0)]


def test_speech_windows_cover_every_region_in_order() -> None:
    regions = [Span(0.3, 0.9), Span(1.2, 6.4), Span(7.0, 7.2), Span(8.0, 11.5)]
    windows = speech_windows(regions, 12.0, OPTIONS)
    starts = [w.start for w in windows]
    assert starts == sorted(starts)
    for r in regions:
        inside = [w for w in windows if w.start >= r.start - 0.75 and w.end <= r.end + 0.75]
        assert inside
        assert min(w.start for w in inside) <= r.start + 1e-9 or r.duration <= 1.5
        assert max(w.end for w in inside) >= r.end - 1e-9
    for w in windows:
        assert w.duration == pytest.approx(1.5)
    assert speech_windows([], 12.0, OPTIONS) == []


def _scores(labels: list[int], k: int = 3) -> np.ndarray:
    """Mean window scores per step that pick ``labels``, 0.9 for the pick, 0.5 elsewhere."""
    mean = np.full((len(labels), k), 0.5)
    mean[np.arange(len(labels)), labels] = 0.9
    return mean


@pytest.mark.parametrize(
    ("labels", "shortest", "expected"),
    [
        ([0, 0, 0, 1, 0, 0, 0], 2, [0, 0, 0, 0, 0, 0, 0]),  # a flip inside a run
        ([0, 0, 0, 1, 1, 1, 1], 2, [0, 0, 0, 1, 1, 1, 1]),  # a change of speaker stays
        ([1, 0, 0, 0, 0], 2, [0, 0, 0, 0, 0]),  # at the edge: its one neighbour
        ([0, 0, 0, 1, 2, 2, 2], 2, [0, 0, 0, 0, 2, 2, 2]),  # ties go to the left run
        ([0, 0, 1, 1, 0, 0, 0, 2, 0], 3, [0, 0, 0, 0, 0, 0, 0, 0, 0]),  # shortest first
        ([0, 1, 0, 1], 0, [0, 1, 0, 1]),  # off
        ([2], 5, [2]),
    ],
)
def test_short_runs_inside_speech_go_to_a_neighbour(
    labels: list[int], shortest: float, expected: list[int]
) -> None:
    got = _absorb_short_runs(np.array(labels), _scores(labels), shortest)
    assert got.tolist() == expected


def test_a_short_run_goes_to_the_neighbour_its_windows_resemble_more() -> None:
    labels = np.array([0, 0, 0, 1, 2, 2, 2])
    mean = _scores(labels.tolist())
    mean[3, 2] = 0.8  # the one step of speaker 1 sounds more like 2 than like 0
    assert _absorb_short_runs(labels, mean, 2).tolist() == [0, 0, 0, 2, 2, 2, 2]
