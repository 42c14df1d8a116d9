"""Fixtures shared by the whole suite: the real evaluation data and synthetic calls.

Anything the suite needs from outside the repository (``../shared/eval``, the ``espeak-ng``
program) makes a test fail when ``CI=true`` (CI always has it) and skip with the reason
otherwise, so that nothing passes silently on a machine that lacks it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, NoReturn

import numpy as np
import pytest

from engine.types import SpeakerTurn
from eval.datasets import eval_dir
from eval.synth import SAMPLE_RATE, speak, write_wav


def missing(reason: str) -> NoReturn:
    """Fail the test under CI (``CI=true``), where ``reason`` must not happen; else skip it."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    """The read-only evaluation data folder (``../shared/eval`` or ``$DEALPROOF_SHARED/eval``)."""
    try:
        return eval_dir()
    except FileNotFoundError as exc:
        missing(str(exc))


# --------------------------------------------------------------------------- synthetic speech


class ScriptLine(NamedTuple):
    """One scripted turn: who says it (``rep`` or ``prospect``) and the words."""

    speaker: str
    text: str


@dataclass(frozen=True)
class SynthCall:
    """A synthesized call and its ground truth."""

    wav: Path
    script: tuple[ScriptLine, ...]
    turns: tuple[SpeakerTurn, ...]
    """The true turn of each script line (same order), speaker ``rep`` or ``prospect``."""
    voices: Mapping[str, str]
    channels: int
    sample_rate: int
    duration: float

    @property
    def text(self) -> str:
        """The whole script's words in order."""
        return " ".join(line.text for line in self.script)


# Chosen among 12 espeak-ng 1.51 voices by Resemblyzer cosine similarity: each voice's two
# halves of a script score >= 0.977 together, the two voices 0.56 across, and the embedded
# diarizer finds 2 speakers without being told (with "en-us+m3" as the rep it found 3).
# "en-gb+f3" is not used: espeak-ng ignores a variant after "en-gb" and speaks its default.
VOICES: Mapping[str, str] = {"rep": "en-us+klatt", "prospect": "en-us+steph"}

# Numbers are written as digits: speech recognizers write them so, and WER keeps numbers as-is.
SALES_CALL: tuple[ScriptLine, ...] = (
    ScriptLine("rep", "Hi Dana, thanks for making time today. How is the quarter going so far?"),
    ScriptLine("prospect", "Pretty busy, honestly. We are onboarding 12 new agents this month."),
    ScriptLine("rep", "What happens today when a manager needs the weekly pipeline report?"),
    ScriptLine(
        "prospect", "Someone exports the spreadsheets every Friday and merges them by hand."
    ),
    ScriptLine("rep", "If that report built itself, what would your managers do with the time?"),
    ScriptLine("prospect", "More coaching, I think. Our budget is about 40000 a year."),
    ScriptLine("rep", "Great. Would Tuesday morning work for a short demo with your team?"),
    ScriptLine("prospect", "Tuesday works. I will bring our operations lead."),
)

GAPS = (0.5, 0.7, 0.4, 0.8, 0.6, 0.45, 0.75)
"""Silence between consecutive turns, seconds (cycled)."""
LEAD_IN = 0.3
"""Silence before the first and after the last turn, seconds."""


def synthesize_call(
    path: Path,
    script: Sequence[ScriptLine] = SALES_CALL,
    *,
    voices: Mapping[str, str] = VOICES,
    stereo: bool = False,
    gaps: Sequence[float] = GAPS,
) -> SynthCall:
    """Speak ``script`` turn by turn into a 16 kHz WAV at ``path``.

    Mono mixes all voices into one channel. Stereo puts the speaker of ``voices``' first key
    on the left channel only and every other speaker on the right.
    """
    clips = [speak(line.text, voices[line.speaker]) for line in script]
    lead = round(LEAD_IN * SAMPLE_RATE)
    offsets: list[int] = []
    position = lead
    for index, clip in enumerate(clips):
        offsets.append(position)
        position += clip.size
        if index < len(clips) - 1:
            position += round(gaps[index % len(gaps)] * SAMPLE_RATE)
    total = position + lead

    left_speaker = next(iter(voices))
    tracks = [np.zeros(total, dtype=np.float32) for _ in range(2 if stereo else 1)]
    turns: list[SpeakerTurn] = []
    for line, clip, offset in zip(script, clips, offsets, strict=True):
        track = tracks[0] if not stereo or line.speaker == left_speaker else tracks[1]
        track[offset : offset + clip.size] += clip
        turns.append(
            SpeakerTurn(offset / SAMPLE_RATE, (offset + clip.size) / SAMPLE_RATE, line.speaker)
        )
    write_wav(path, tracks, SAMPLE_RATE)
    return SynthCall(
        wav=path,
        script=tuple(script),
        turns=tuple(turns),
        voices=dict(voices),
        channels=len(tracks),
        sample_rate=SAMPLE_RATE,
        duration=total / SAMPLE_RATE,
    )


@pytest.fixture(scope="session")
def espeak() -> str:
    """The path of ``espeak-ng``; fails under CI and skips elsewhere when it is missing."""
    path = shutil.which("espeak-ng")
    if path is None:
        missing("espeak-ng not found: install it (apt-get install espeak-ng)")
    return path


@pytest.fixture(scope="session")
def two_voice_call(espeak: str, tmp_path_factory: pytest.TempPathFactory) -> SynthCall:
    """A scripted ~35 s rep/prospect sales call in two espeak-ng voices, 16 kHz mono."""
    return synthesize_call(tmp_path_factory.mktemp("synth") / "two_voice_call.wav")


@pytest.fixture(scope="session")
def two_channel_call(espeak: str, tmp_path_factory: pytest.TempPathFactory) -> SynthCall:
    """The same call as ``two_voice_call`` in stereo: rep on the left, prospect on the right."""
    return synthesize_call(tmp_path_factory.mktemp("synth") / "two_channel_call.wav", stereo=True)
