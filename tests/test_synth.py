"""The espeak-ng fixtures produce the call they promise."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from tests.conftest import GAPS, LEAD_IN, SynthCall


def _read(call: SynthCall) -> np.ndarray:
    with wave.open(str(call.wav), "rb") as f:
        assert f.getframerate() == call.sample_rate == 16_000
        assert f.getsampwidth() == 2
        assert f.getnchannels() == call.channels
        frames = f.readframes(f.getnframes())
    return np.frombuffer(frames, dtype="<i2").reshape(-1, call.channels).astype(np.float32)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def test_two_voice_call_matches_its_script(two_voice_call: SynthCall) -> None:
    call = two_voice_call
    audio = _read(call)
    assert audio.shape[0] / call.sample_rate == pytest.approx(call.duration)
    assert 30.0 <= call.duration <= 40.0
    assert len(call.turns) == len(call.script) == 8
    assert [t.speaker for t in call.turns] == [line.speaker for line in call.script]
    assert [t.speaker for t in call.turns] == ["rep", "prospect"] * 4
    assert set(call.voices) == {"rep", "prospect"}

    assert call.turns[0].start == pytest.approx(LEAD_IN, abs=1e-3)
    assert call.turns[-1].end == pytest.approx(call.duration - LEAD_IN, abs=1e-3)
    for index, (before, after) in enumerate(zip(call.turns, call.turns[1:], strict=False)):
        assert after.start - before.end == pytest.approx(GAPS[index], abs=1e-3)
        assert 0.4 - 1e-6 <= after.start - before.end <= 0.8 + 1e-6
    for turn in call.turns:
        assert turn.end - turn.start > 1.0

    # Speech where the turns say, silence in the gaps between them.
    rate = call.sample_rate
    for turn in call.turns:
        assert _rms(audio[int(turn.start * rate) : int(turn.end * rate)]) > 300.0
    for before, after in zip(call.turns, call.turns[1:], strict=False):
        gap = audio[int(before.end * rate) + 1 : int(after.start * rate) - 1]
        assert _rms(gap) == 0.0


def test_two_channel_call_keeps_each_voice_on_its_side(
    two_channel_call: SynthCall, two_voice_call: SynthCall
) -> None:
    call = two_channel_call
    audio = _read(call)
    assert call.channels == 2
    assert call.turns == two_voice_call.turns
    assert call.duration == pytest.approx(two_voice_call.duration)
    rate = call.sample_rate
    for turn in call.turns:
        window = audio[int(turn.start * rate) : int(turn.end * rate)]
        own, other = (0, 1) if turn.speaker == "rep" else (1, 0)
        assert _rms(window[:, own]) > 300.0
        assert _rms(window[:, other]) == 0.0
    # Mixed down, the stereo call is the mono call.
    mono = _read(two_voice_call)[:, 0]
    assert np.abs(audio.sum(axis=1) - mono).max() <= 1.0
