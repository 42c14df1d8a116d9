"""Who spoke when: embedded (VAD → windows → embeddings → clustering), by channel, or pyannote.

``auto`` diarizes by channel when each channel of a recording holds its own voice (Zoom's
per-participant audio, a stereo call recorder) and falls back to the embedded diarizer
otherwise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from engine.errors import ConfigError, ModelError
from engine.types import Audio, Diarization, FloatArray, ProgressHook, Span, SpeakerTurn
from models.clustering import ClusteringOptions, cluster_speakers
from models.speakers import SpeakerEncoder, mel_frames, volume_gain

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class EmbeddedOptions:
    window: float = 1.5
    """Seconds of audio per speaker embedding."""
    hop: float = 0.75
    """Seconds between window starts (windows overlap by ``window - hop``)."""
    resolution: float = 0.1
    """Seconds per step when labels are turned back into turns."""
    shortest_run: float = 1.0
    """Inside one stretch of speech, a speaker run shorter than this (seconds) goes to the
    neighbouring run its windows resemble more."""
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
    mels = mel_frames(mono)
    mels *= volume_gain(mono, regions) ** 2
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
    turns = _turns_from_window_scores(
        regions, windows, scores, options.resolution, options.shortest_run
    )
    return Diarization(tuple(turns), k, "embedded")


def _turns_from_window_scores(
    regions: list[Span],
    windows: list[Span],
    scores: FloatArray,
    step: float,
    shortest_run: float = 0.0,
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
        labels = _absorb_short_runs(np.argmax(mean, axis=1), mean, shortest_run / (r.duration / n))
        edges = r.start + np.arange(n + 1) * (r.duration / n)
        run_start = 0
        for i in range(1, n + 1):
            if i == n or labels[i] != labels[run_start]:
                turns.append(
                    SpeakerTurn(float(edges[run_start]), float(edges[i]), f"SPK{labels[run_start]}")
                )
                run_start = i
    return turns


def _absorb_short_runs(
    labels: npt.NDArray[np.intp], mean: FloatArray, shortest: float
) -> npt.NDArray[np.intp]:
    """Give each run of equal labels shorter than ``shortest`` steps, shortest first, to
    the neighbouring run whose speaker its points score higher on (mean over the run): a
    speaker's voice split into two clusters otherwise flips mid-sentence, and a turn cut in
    two makes two utterances, each with its own detections."""
    labels = labels.copy()
    while True:
        cuts = np.flatnonzero(np.diff(labels)) + 1
        bounds = np.concatenate([[0], cuts, [len(labels)]])
        if len(bounds) <= 2:
            return labels
        lengths = np.diff(bounds)
        # Shortest first; of equally short runs, the one beside the longest run.
        beside = np.maximum(np.concatenate([[0], lengths[:-1]]), np.append(lengths[1:], 0))
        i = min(range(len(lengths)), key=lambda r: (lengths[r], -beside[r]))
        if lengths[i] >= shortest:
            return labels
        a, b = int(bounds[i]), int(bounds[i + 1])
        neighbours = [int(labels[a - 1])] if a > 0 else []
        neighbours += [int(labels[b])] if b < len(labels) else []
        labels[a:b] = max(neighbours, key=lambda j: float(mean[a:b, j].mean()))


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
    loud blocks one channel is at least 6 dB above every other, and at least two channels
    each lead a tenth of them (one live channel beside a dead or faint copy is one mix)."""
    if audio.channels < 2:
        return False
    energy = _block_energy_db(audio)
    top = np.sort(energy, axis=0)
    loud = top[-1] > SPEECH_FLOOR_DB
    if int(loud.sum()) < 10:
        return False
    dominant = (top[-1] - top[-2] >= DOMINANCE_DB) & loud
    if np.sum(dominant) < 0.6 * np.sum(loud):
        return False
    leaders = np.argmax(energy, axis=0)[dominant]
    shares = np.bincount(leaders, minlength=audio.channels) / max(1, leaders.size)
    return bool(np.sum(shares >= 0.1) >= 2)


CROSSTALK_DB = 10.0
"""A channel this far below the loudest one hears the other voice, not its own speaker."""


def diarize_channels(
    audio: Audio, regions: list[Span], *, min_turn: float = 0.2, max_gap: float = 0.6
) -> Diarization:
    """One speaker per channel, each channel with its own voice activity: a 10 ms block is a
    channel's speech when it is above that channel's noise floor, not mere crosstalk (within
    10 dB of the loudest channel), and inside a speech region of the mix. Two people talking
    at once give overlapping turns; gaps under ``max_gap`` close and runs under ``min_turn``
    are dropped."""
    if audio.channels < 2:
        raise ConfigError("--diarizer channels needs a recording with two or more channels")
    energy = _block_energy_db(audio)
    n = energy.shape[1]
    region_of = np.full(n, -1)
    for i, r in enumerate(regions):
        region_of[int(r.start / BLOCK) : min(n, int(np.ceil(r.end / BLOCK)))] = i
    in_speech = region_of >= 0
    loudest = energy.max(axis=0)
    turns: list[SpeakerTurn] = []
    for c in range(audio.channels):
        voiced = energy[c][energy[c] > SPEECH_FLOOR_DB]
        floor = max(SPEECH_FLOOR_DB, float(np.percentile(voiced, 90)) - 30) if voiced.size else 0
        active = (energy[c] > floor) & (energy[c] >= loudest - CROSSTALK_DB)
        active = _close_gaps(active, int(max_gap / BLOCK)) & in_speech
        for start, end in _runs(active, shortest=int(min_turn / BLOCK)):
            # Runs never cross a region (in_speech is false between regions); clip the
            # block-rounded edges to the region's exact ones.
            region = regions[int(region_of[start])]
            turns.append(
                SpeakerTurn(
                    max(start * BLOCK, region.start), min(end * BLOCK, region.end), f"CH{c + 1}"
                )
            )
    turns.sort(key=lambda t: (t.start, t.end, t.speaker))
    return Diarization(tuple(turns), len({t.speaker for t in turns}), "channels")


def _runs(active: npt.NDArray[np.bool_], *, shortest: int = 1) -> list[tuple[int, int]]:
    """[start, end) block runs of ``active`` at least ``shortest`` blocks long."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(np.int8), [0]])))
    runs = zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True)
    return [(a, b) for a, b in runs if b - a >= shortest]


def _close_gaps(active: npt.NDArray[np.bool_], gap: int) -> npt.NDArray[np.bool_]:
    """``active`` with inactive stretches of at most ``gap`` blocks between two active ones
    filled in (a speaker's pauses inside a sentence)."""
    out = active.copy()
    runs = _runs(active)
    for (_, end), (start, _) in itertools.pairwise(runs):
        if start - end <= gap:
            out[end:start] = True
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
