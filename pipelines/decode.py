"""Decoding media files to 16 kHz float audio with PyAV (the ffmpeg libraries that
faster-whisper already depends on). Channels are kept: a per-participant recording puts one
voice on each channel, and diarization can use that.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

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
        buffer = _SampleBuffer(channels, _expected_samples(container, stream, sample_rate))
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    buffer.append(out.to_ndarray().reshape(-1, channels).T)
            for out in resampler.resample(None):
                buffer.append(out.to_ndarray().reshape(-1, channels).T)
        except (av.error.FFmpegError, ValueError) as exc:
            if not buffer.length:
                raise InputError(f"{path}: the audio cannot be decoded ({_reason(exc)})") from exc
            # A truncated tail (a recording cut off mid-upload) keeps what decoded cleanly.
    if not buffer.length:
        raise InputError(f"{path}: the file contains no audio samples")
    samples = buffer.finish()
    release_freed_memory()
    if samples.shape[1] < sample_rate // 10:
        raise InputError(f"{path}: the audio is shorter than 0.1 s")
    return Audio(samples, sample_rate)


class _SampleBuffer:
    """Decoded samples written straight into one ``(channels, capacity)`` float32 array.

    Collecting the frames and concatenating them at the end held the call twice (an hour of
    mono audio is 230 MB), and the thousands of small freed frame arrays stayed resident.
    The capacity comes from the container's duration; the part never written is never
    touched, so a generous estimate costs address space, not memory. A wrong estimate
    (no duration in the header) doubles the buffer as needed.
    """

    def __init__(self, channels: int, capacity: int) -> None:
        self.data = np.empty((channels, max(capacity, SAMPLE_RATE)), dtype=np.float32)
        self.length = 0

    def append(self, chunk: npt.NDArray[Any]) -> None:
        count = chunk.shape[1]
        end = self.length + count
        if end > self.data.shape[1]:
            grown = np.empty((self.data.shape[0], max(end, 2 * self.data.shape[1])), np.float32)
            grown[:, : self.length] = self.data[:, : self.length]
            self.data = grown
        self.data[:, self.length : end] = chunk
        self.length = end

    def finish(self) -> npt.NDArray[np.float32]:
        """The samples as a C-contiguous ``(channels, length)`` array, shrunk in place."""
        data, n = self.data, self.length
        self.data = np.empty((data.shape[0], 0), dtype=np.float32)
        channels, capacity = data.shape
        if n == capacity:
            return data
        # Move each row's samples down to where a (channels, n) array keeps them, then
        # shrink the allocation in place (realloc) instead of copying into a new one.
        flat = data.reshape(-1)
        for c in range(1, channels):
            flat[c * n : (c + 1) * n] = flat[c * capacity : c * capacity + n]
        del flat
        data.resize((channels, n), refcheck=False)
        return data


def _expected_samples(container: Any, stream: Any, sample_rate: int) -> int:
    """Samples per channel the stream should decode to (a little over), 0 when unknown."""
    seconds = 0.0
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / 1_000_000  # AV_TIME_BASE
    if not 0 < seconds < 48 * 3600:
        return 0
    return int(seconds * 1.01 * sample_rate) + sample_rate


def release_freed_memory() -> None:
    """Give memory that Python and numpy freed back to the system (glibc's ``malloc_trim``).

    Freed small blocks (decoded frames, model intermediates) otherwise stay in the process's
    heap and count in its peak memory for the rest of the call. A no-op off glibc.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            libc = ctypes.CDLL("libc.so.6")
            trim = libc.malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
            return
        trim.argtypes = [ctypes.c_size_t]
        trim.restype = ctypes.c_int
        _malloc_trim = trim
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None
"""``malloc_trim`` once looked up; False where the C library has none."""


def _reason(exc: Exception) -> str:
    """ffmpeg's own words without the errno and file name it wraps them in."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    return str(text).splitlines()[0][:120].lower()
