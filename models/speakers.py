"""Speaker embeddings with Resemblyzer's GE2E encoder (weights ship in the PyPI package).

The mel front end is ours (numpy, computed in chunks) rather than Resemblyzer's librosa
call: it gives the same features without compiling numba code on first use, and it
never holds the whole call's STFT in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.errors import ModelError
from engine.types import FloatArray, Span

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
FRAMES_PER_SECOND = SAMPLE_RATE // HOP
TARGET_DBFS = -30.0


@lru_cache(maxsize=1)
def _mel_basis() -> npt.NDArray[np.float32]:
    import librosa.filters

    basis = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS)
    return np.asarray(basis, dtype=np.float32)


@lru_cache(maxsize=1)
def _window() -> npt.NDArray[np.float32]:
    n = np.arange(N_FFT)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)).astype(np.float32)


def mel_frames(audio: FloatArray, chunk_frames: int = 6000) -> FloatArray:
    """Power mel spectrogram, shape ``(frames, 40)``, one frame per 10 ms.

    Matches ``resemblyzer.audio.wav_to_mel_spectrogram`` (librosa defaults: centered,
    zero-padded, periodic Hann window, Slaney mel filters).
    """
    audio = audio.astype(np.float32, copy=False)
    half = N_FFT // 2
    n_frames = 1 + len(audio) // HOP
    out = np.empty((n_frames, N_MELS), dtype=np.float32)
    basis, window = _mel_basis(), _window()
    for first in range(0, n_frames, chunk_frames):
        count = min(chunk_frames, n_frames - first)
        # Zero-pad only this chunk's edges (librosa's centring) instead of copying the
        # whole call: an hour of audio is 230 MB.
        lo, hi = first * HOP - half, (first + count - 1) * HOP + half
        piece = audio[max(0, lo) : min(len(audio), hi)]
        piece = np.pad(piece, (max(0, -lo), max(0, hi - len(audio))))
        frames = np.lib.stride_tricks.as_strided(
            piece,
            shape=(count, N_FFT),
            strides=(piece.strides[0] * HOP, piece.strides[0]),
            writeable=False,
        )
        spectrum = np.fft.rfft(frames * window, axis=1)
        power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
        out[first : first + count] = power @ basis.T
    return out


def volume_gain(audio: FloatArray, regions: list[Span]) -> float:
    """The gain that puts the speech at -30 dBFS, the level the encoder was trained on.

    Apply it to power mel frames as ``gain**2`` (a power spectrum scales with the square),
    which spares a scaled copy of the whole call.
    """
    total, count = 0.0, 0
    for r in regions or [Span(0.0, len(audio) / SAMPLE_RATE)]:
        part = audio[int(r.start * SAMPLE_RATE) : int(r.end * SAMPLE_RATE)]
        total += float(np.sum(np.square(part, dtype=np.float64)))
        count += len(part)
    rms = (total / count) ** 0.5 if count else 0.0
    return 1.0 if rms <= 1e-8 else float(10 ** (TARGET_DBFS / 20) / rms)


class SpeakerEncoder:
    """Resemblyzer's voice encoder, loaded once; embeds fixed windows of a call."""

    def __init__(
        self, device: str = "cpu", *, bf16: bool | None = None, threads: int | None = 1
    ) -> None:
        try:
            import torch
            from resemblyzer import VoiceEncoder
        except ImportError as exc:
            raise ModelError(
                "resemblyzer is not installed: pip install --no-deps resemblyzer "
                "webrtcvad-wheels librosa"
            ) from exc
        self._torch = torch
        self.encoder = VoiceEncoder(device, verbose=False)
        self.encoder.eval()
        self.name = "resemblyzer-ge2e"
        self.bf16 = _cpu_has_bf16() and self.encoder.device.type == "cpu" if bf16 is None else bf16
        self.threads = threads
        """Torch CPU threads while embedding (None: torch's own setting). One: the LSTM's
        450 small sequential steps per batch gain little from a second thread, and with
        other work on the cores the threads' barriers made it 1-12 s instead of 1.4 s
        (640 windows, 2 cores)."""

    def embed_windows(
        self, mels: FloatArray, windows: list[Span], *, batch_size: int = 64
    ) -> FloatArray:
        """L2-normalized 256-d embeddings, one per window, from precomputed ``mel_frames``.

        Every window is cut to the same frame count (that of the longest window) so they
        batch; windows near the end are shifted back to stay inside the audio.

        With ``bf16`` (by default where the CPU computes bfloat16 natively, AVX512-BF16)
        the LSTM runs in bfloat16: about half the time of float32 (the LSTM is most of
        diarization's time), embeddings within cosine 0.995 of float32 ones.
        """
        if not windows:
            return np.zeros((0, 256), dtype=np.float32)
        length = max(1, round(max(w.duration for w in windows) * FRAMES_PER_SECOND))
        total = mels.shape[0]
        starts = [max(0, min(round(w.start * FRAMES_PER_SECOND), total - length)) for w in windows]
        out = np.empty((len(windows), 256), dtype=np.float32)
        torch = self._torch
        device = self.encoder.device
        with (
            _torch_threads(torch, self.threads),
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.bf16),
        ):
            for i in range(0, len(starts), batch_size):
                batch = np.stack([mels[s : s + length] for s in starts[i : i + batch_size]])
                if batch.shape[1] < length:
                    batch = np.pad(batch, ((0, 0), (0, length - batch.shape[1]), (0, 0)))
                emb = self.encoder(torch.from_numpy(batch).to(device))
                out[i : i + len(batch)] = emb.float().cpu().numpy()
        if self.bf16:
            # Normalized again in float32: the model's own normalization ran in bfloat16.
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out


@contextmanager
def _torch_threads(torch: Any, threads: int | None) -> Iterator[None]:
    """Torch's CPU thread count set to ``threads`` for the block, then put back."""
    before = torch.get_num_threads()
    if threads is None or threads == before:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16); emulated, it is slower."""
    import torch

    check = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    try:
        return bool(check()) if check is not None else False
    except RuntimeError:
        return False


@lru_cache(maxsize=1)
def load_speaker_encoder() -> SpeakerEncoder:
    """The process-wide SpeakerEncoder: loaded on first use, then reused."""
    return SpeakerEncoder()
