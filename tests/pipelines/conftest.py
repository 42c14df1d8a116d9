"""Session-wide results of the expensive pipeline runs, shared by the pipeline tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine.types import AnalyzeOptions, CallAnalysis
from tests.conftest import SynthCall

SPEECH_ONLY = AnalyzeOptions(behaviors=False)
"""The speech analysis (decode, VAD, ASR, diarization, attribution, roles, metrics) without
behavior detection, which has tests of its own and would only slow these down."""


@dataclass(frozen=True)
class AnalyzedCall:
    """A synthetic call, what ``analyze_call`` made of it and the progress it reported."""

    call: SynthCall
    analysis: CallAnalysis
    progress: list[tuple[str, float]]


def _analyze(call: SynthCall) -> AnalyzedCall:
    from pipelines.analyze import analyze_call

    progress: list[tuple[str, float]] = []
    analysis = analyze_call(
        call.wav, SPEECH_ONLY, progress=lambda stage, f: progress.append((stage, f))
    )
    return AnalyzedCall(call, analysis, progress)


@pytest.fixture(scope="session")
def mono_analyzed(two_voice_call: SynthCall) -> AnalyzedCall:
    """The espeak two-voice call (mono) analyzed end to end."""
    return _analyze(two_voice_call)


@pytest.fixture(scope="session")
def stereo_analyzed(two_channel_call: SynthCall) -> AnalyzedCall:
    """The espeak call with one voice per channel, analyzed end to end."""
    return _analyze(two_channel_call)
