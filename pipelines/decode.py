"""Decoding media files to 16 kHz float audio with PyAV (the ffmpeg libraries that
faster-whisper already depends on). Channels are kept: a per-participant recording puts one
voice on each channel, and diarization can use that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import InputError
from engine.types import Audio

SAMPLE_RATE = 16000
MAX_CHANNELS = 8


def check_input_file(path: Path) -> None:
    """Fail with a one-line reason when ``path`` is missing, not a file, or empty."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")


def decode_media(path: Path, *, sample_rate: int = SAMPLE_RATE) -> Audio:
    """The first audio stream of ``path`` as float32 at ``sample_rate``, channels kept.

    Raises InputError for anything that is not decodable audio: a corrupt file, a file with
    no audio stream, a format ffmpeg does not know, or one that decodes to nothing.
    """
    import av

    check_input_file(path)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not a media file ffmpeg can read ({_reason(exc)})") from exc
    with container:
        if not container.streams.audio:
            raise InputError(f"{path}: the file has no audio stream")
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels or 1
        if not 1 < channels <= MAX_CHANNELS:
            channels = 1
        layout = stream.codec_context.layout.name if channels > 1 else "mono"
        # Packed (interleaved) float, reshaped here: PyAV's planar frames of some layouts
        # (8 channels) report more planes than channels and crash on to_ndarray.
        resampler = av.AudioResampler(format="flt", layout=layout, rate=sample_rate)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1, channels).T)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1, channels).T)
        except (av.error.FFmpegError, ValueError) as exc:
            if not chunks:
                raise InputError(f"{path}: the audio cannot be decoded ({_reason(exc)})") from exc
            # A truncated tail (a recording cut off mid-upload) keeps what decoded cleanly.
    if not chunks:
        raise InputError(f"{path}: the file contains no audio samples")
    samples = np.ascontiguousarray(np.concatenate(chunks, axis=1), dtype=np.float32)
    if samples.shape[1] < sample_rate // 10:
        raise InputError(f"{path}: the audio is shorter than 0.1 s")
    return Audio(samples, sample_rate)


def _reason(exc: Exception) -> str:
    """ffmpeg's own words without the errno and file name it wraps them in."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    return str(text).splitlines()[0][:120].lower()
