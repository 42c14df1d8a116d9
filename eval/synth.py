"""Speech synthesized with espeak-ng: the test suite's calls and the spoken behavior figures.

espeak-ng (a Debian package, ``make system-deps``) is a formant synthesizer: robotic,
but real audio that the recognizer and the diarizer must work through, with every word and
turn known. It is no stand-in for people on a call: Whisper mishears it more (about one
word in four with ``tiny.en`` on the sales development calls) and voices differ less.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000


def have_espeak() -> bool:
    """Whether the ``espeak-ng`` program is on PATH."""
    return shutil.which("espeak-ng") is not None


def _read_wav(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    with wave.open(str(path), "rb") as f:
        rate, width, channels = f.getframerate(), f.getsampwidth(), f.getnchannels()
        frames = f.readframes(f.getnframes())
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit PCM, got {8 * width}-bit")
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1, dtype=np.float32), rate


def speak(text: str, voice: str, *, speed: int = 150) -> npt.NDArray[np.float32]:
    """``text`` spoken by espeak-ng ``voice`` as 16 kHz mono float32, edge silence trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text],
            check=True,
            capture_output=True,
        )
        samples, rate = _read_wav(out)
    if rate != SAMPLE_RATE:
        divisor = np.gcd(SAMPLE_RATE, rate)
        samples = resample_poly(samples, SAMPLE_RATE // divisor, rate // divisor).astype(np.float32)
    # espeak pads each utterance with silence; trimming it makes the turn times exact.
    loud = np.flatnonzero(np.abs(samples) > 1e-3)
    if loud.size == 0:
        raise RuntimeError(f"espeak-ng produced silence for voice {voice!r}")
    return samples[loud[0] : loud[-1] + 1]


def write_wav(path: Path, channels: Sequence[npt.NDArray[np.float32]], rate: int) -> None:
    """Write equal-length float signals (one per channel) as 16-bit PCM WAV."""
    stacked = np.stack(channels, axis=1)
    pcm = np.clip(np.round(stacked * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(len(channels))
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(pcm.tobytes())


def speak_turns(
    path: Path,
    turns: Sequence[tuple[str, str]],
    voices: Mapping[str, str],
    *,
    gap: float = 0.5,
    speed: int = 165,
) -> list[tuple[float, float]]:
    """Speak ``(speaker, text)`` turns one after another, ``gap`` seconds apart (and before
    the first and after the last), each speaker in its voice of ``voices``, into a 16 kHz
    mono WAV at ``path``; return each turn's ``(start, end)`` in seconds."""
    clips = [speak(text, voices[speaker], speed=speed) for speaker, text in turns]
    pause = round(gap * SAMPLE_RATE)
    spans: list[tuple[int, int]] = []
    position = pause
    for clip in clips:
        spans.append((position, position + clip.size))
        position += clip.size + pause
    track = np.zeros(position, dtype=np.float32)
    for clip, (a, b) in zip(clips, spans, strict=True):
        track[a:b] += clip
    write_wav(path, [track], SAMPLE_RATE)
    return [(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in spans]
