"""Who spoke when: embedded (VAD → windows → embeddings → clustering), by channel, or pyannote.

``auto`` diarizes by channel when each channel of a recording holds its own voice (Zoom's
per-participant audio, a stereo call recorder) and falls back to the embedded diarizer
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from engine.errors import ConfigError, ModelError
from engine.types import Audio, Diarization, FloatArray, ProgressHook, Span, SpeakerTurn
from models.clustering import ClusteringOptions, cluster_speakers
from models.speakers import SpeakerEncoder, mel_frames, normalize_volume

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class EmbeddedOptions:
    window: float = 1.5
    """Seconds of audio per speaker embedding."""
    hop: float = 0.75
    """Seconds between window starts (windows overlap by ``window - hop``)."""
    resolution: float = 0.1
    """Seconds per step when labels are turned back into turns."""
    clustering: ClusteringOptions = field(default_factory=ClusteringOptions)


def speech_windows(regions: list[Span], duration: float, options: EmbeddedOptions) -> list[Span]:
    """Fixed-length windows covering every speech region; short regions get one centred
    window (context from around them is better than an embedding of a few frames)."""
    windows: list[Span] = []
    w, hop = options.window, options.hop
    for r in regions:
        if r.duration <= w:
            mid = (r.start + r.end) / 2
            start = min(max(0.0, mid - w / 2), max(0.0, duration - w))
            windows.append(Span(start, min(duration, start + w)))
            continue
        start = r.start
        while start + w < r.end:
            windows.append(Span(start, start + w))
            start += hop
        windows.append(Span(r.end - w, r.end))
    return windows


def diarize_embedded(
    mono: FloatArray,
    regions: list[Span],
    encoder: SpeakerEncoder,
    *,
    num_speakers: int | None = None,
    options: EmbeddedOptions | None = None,
    progress: ProgressHook | None = None,
) -> Diarization:
    """Cluster speaker embeddings of overlapping windows over the speech regions."""
    options = options or EmbeddedOptions()
    duration = len(mono) / SAMPLE_RATE
    if not regions:
        return Diarization((), 0, "embedded")
    mels = mel_frames(normalize_volume(mono, regions))
    if progress:
        progress("diarize", 0.2)
    windows = speech_windows(regions, duration, options)
    embeddings = encoder.embed_windows(mels, windows)
    if progress:
        progress("diarize", 0.8)
    labels = cluster_speakers(embeddings, num_speakers, options.clustering)
    k = int(labels.max()) + 1
    centroids = np.stack([embeddings[labels == j].mean(axis=0) for j in range(k)])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    scores = embeddings @ centroids.T
    turns = _turns_from_window_scores(regions, windows, scores, options.resolution)
    return Diarization(tuple(turns), k, "embedded")


def _turns_from_window_scores(
    regions: list[Span],
    windows: list[Span],
    scores: FloatArray,
    step: float,
) -> list[SpeakerTurn]:
    """Label each ``step`` of speech with the speaker whose centroid the windows covering it
    resemble most (mean score), then join equal neighbours into turns."""
    starts = np.array([w.start for w in windows])
    ends = np.array([w.end for w in windows])
    # Windows are generated region by region in time order, so starts and ends are sorted
    # and the windows covering a point are a contiguous index range: two binary searches
    # and a prefix sum give the mean score at every point without a points × windows loop.
    order = np.argsort(starts, kind="stable")
    starts, ends, scores = starts[order], np.maximum.accumulate(ends[order]), scores[order]
    cumulative = np.vstack([np.zeros((1, scores.shape[1])), np.cumsum(scores, axis=0)])
    turns: list[SpeakerTurn] = []
    for r in regions:
        n = max(1, int(np.ceil(r.duration / step)))
        points = r.start + (np.arange(n) + 0.5) * (r.duration / n)
        lo = np.searchsorted(ends, points, side="right")
        hi = np.searchsorted(starts, points, side="right")
        empty = hi <= lo
        # A point no window covers (region edges) takes the nearest window's scores.
        lo = np.where(empty, np.clip(hi - 1, 0, len(starts) - 1), lo)
        hi = np.where(empty, lo + 1, hi)
        mean = (cumulative[hi] - cumulative[lo]) / (hi - lo)[:, None]
        labels = np.argmax(mean, axis=1)
        edges = r.start + np.arange(n + 1) * (r.duration / n)
        run_start = 0
        for i in range(1, n + 1):
            if i == n or labels[i] != labels[run_start]:
                turns.append(
                    SpeakerTurn(
                        float(edges[run_start]), float(edges[i]), f"SPK{labels[run_start]}"
                    )
                )
                run_start = i
    return turns


# --------------------------------------------------------------------------- channels

BLOCK = 0.01  # seconds per energy block
SPEECH_FLOOR_DB = -50.0
DOMINANCE_DB = 6.0


def _block_energy_db(audio: Audio) -> npt.NDArray[np.float64]:
    size = int(BLOCK * audio.sample_rate)
    n = audio.samples.shape[1] // size
    blocks = audio.samples[:, : n * size].reshape(audio.channels, n, size).astype(np.float64)
    power = np.mean(blocks**2, axis=2)
    return np.asarray(10 * np.log10(power + 1e-12))


def channels_are_separate(audio: Audio) -> bool:
    """True when the channels carry different voices rather than copies of one mix: in most
    loud blocks one channel is at least 6 dB above every other."""
    if audio.channels < 2:
        return False
    energy = _block_energy_db(audio)
    top = np.sort(energy, axis=0)
    loud = top[-1] > SPEECH_FLOOR_DB
    if int(loud.sum()) < 10:
        return False
    dominance = top[-1][loud] - top[-2][loud]
    return bool(np.mean(dominance >= DOMINANCE_DB) >= 0.6)


def diarize_channels(audio: Audio, regions: list[Span], *, min_turn: float = 0.3) -> Diarization:
    """One speaker per channel: within speech regions, each 10 ms block goes to the loudest
    channel; runs shorter than ``min_turn`` join their neighbour."""
    if audio.channels < 2:
        raise ConfigError("--diarizer channels needs a recording with two or more channels")
    energy = _block_energy_db(audio)
    loudest = np.argmax(energy, axis=0)
    turns: list[SpeakerTurn] = []
    for r in regions:
        a, b = int(r.start / BLOCK), min(int(np.ceil(r.end / BLOCK)), len(loudest))
        if b <= a:
            continue
        labels = _smooth(loudest[a:b], max(1, int(min_turn / BLOCK)))
        run = 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i] != labels[run]:
                start, end = (a + run) * BLOCK, min(r.end, (a + i) * BLOCK)
                turns.append(SpeakerTurn(max(r.start, start), end, f"CH{labels[run] + 1}"))
                run = i
    found = len({t.speaker for t in turns})
    return Diarization(tuple(turns), found, "channels")


def _smooth(labels: npt.NDArray[np.int64], min_run: int) -> npt.NDArray[np.int64]:
    """Fold runs shorter than ``min_run`` blocks into the preceding run (the first run into
    the following one), so breaths and crosstalk do not become turns."""
    out = labels.copy()
    runs: list[list[int]] = []  # [label, start, length]
    for i, v in enumerate(out.tolist()):
        if runs and runs[-1][0] == v:
            runs[-1][2] += 1
        else:
            runs.append([v, i, 1])
    for idx, (_, start, length) in enumerate(runs):
        if length < min_run and len(runs) > 1:
            neighbour = runs[idx - 1] if idx > 0 else runs[idx + 1]
            out[start : start + length] = neighbour[0]
            runs[idx][0] = neighbour[0]
    return out


# --------------------------------------------------------------------------- pyannote

PYANNOTE_HELP = (
    "pyannote.audio is not installed. Install the extra with pip install 'dealproof[pyannote]' "
    "on a machine whose torch matches pyannote's torchaudio/torchcodec builds (its PyPI builds "
    "are CUDA builds that do not import beside the CPU build of torch that dealproof uses); "
    "the bundled embedded diarizer needs none of this"
)


def diarize_pyannote(
    mono: FloatArray, pipeline: str | None, *, num_speakers: int | None = None
) -> Diarization:
    """pyannote.audio from a local pipeline directory (config.yaml) or, with
    ``$HF_TOKEN`` set, a hub pipeline name already in the local cache."""
    try:
        import torch
        from pyannote.audio import Pipeline
    except ImportError as exc:
        raise ModelError(PYANNOTE_HELP) from exc
    if not pipeline:
        raise ConfigError(
            "--diarizer pyannote needs a pipeline: set DEALPROOF_PYANNOTE_PIPELINE to a local "
            "pipeline directory (or a hub pipeline name with HF_TOKEN set)"
        )
    try:
        import os

        loaded = Pipeline.from_pretrained(pipeline, token=os.environ.get("HF_TOKEN"))
    except Exception as exc:
        raise ModelError(f"cannot load pyannote pipeline {pipeline!r}: {exc}") from exc
    if loaded is None:
        raise ModelError(f"cannot load pyannote pipeline {pipeline!r} (gated or missing)")
    waveform = torch.from_numpy(np.ascontiguousarray(mono))[None, :]
    kwargs = {"num_speakers": num_speakers} if num_speakers else {}
    output = loaded({"waveform": waveform, "sample_rate": SAMPLE_RATE}, **kwargs)
    annotation = getattr(output, "speaker_diarization", output)
    turns = [
        SpeakerTurn(float(seg.start), float(seg.end), str(label))
        for seg, _, label in annotation.itertracks(yield_label=True)
    ]
    return Diarization(tuple(turns), len({t.speaker for t in turns}), "pyannote")
