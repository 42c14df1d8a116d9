"""Speech regions with the Silero VAD model that ships inside faster-whisper (ONNX)."""

from __future__ import annotations

from engine.types import FloatArray, Span

SAMPLE_RATE = 16000
SLICE_SECONDS = 300.0
"""Audio given to the model at once. faster-whisper's VAD copies its input twice (padded,
then with each window's context) and keeps the model's intermediates for all of it: an
hour at once cost about 450 MB more than slices of five minutes."""
SETTLE_SECONDS = 10.0
"""A region found in a slice is final only when it ends this long before the slice does."""


def speech_regions(
    audio: FloatArray,
    *,
    threshold: float = 0.5,
    min_silence: float = 0.3,
    min_speech: float = 0.25,
    pad: float = 0.1,
    slice_seconds: float = SLICE_SECONDS,
) -> list[Span]:
    """Where ``audio`` (16 kHz mono) contains speech, in seconds, sorted and disjoint.

    Silences shorter than ``min_silence`` do not split a region; regions shorter than
    ``min_speech`` are dropped. The padding is small because diarization windows, not the
    regions, carry the context.

    Long audio is processed in slices of ``slice_seconds`` that start in silence: a slice
    keeps the regions that end well before its end (``SETTLE_SECONDS``), and the next slice
    starts in the middle of the silence before the first region it did not keep, so that
    region is found whole by the next slice rather than cut or found twice. Only a region
    that fills most of a slice (minutes without a 0.3 s pause) is cut at a slice edge, and
    its pieces are joined again.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=int(min_silence * 1000),
        min_speech_duration_ms=int(min_speech * 1000),
        speech_pad_ms=int(pad * 1000),
    )
    total = len(audio)
    size = max(1, int(slice_seconds * SAMPLE_RATE))
    settle = int(min(SETTLE_SECONDS, slice_seconds / 4) * SAMPLE_RATE)
    join_gap = int(min_silence * SAMPLE_RATE)
    stamps: list[tuple[int, int]] = []
    cut_in_speech: int | None = None  # where the last slice cut through a region
    lo = 0
    while lo < total:
        hi = min(total, lo + size)
        found = [
            (lo + s["start"], lo + s["end"])
            for s in get_speech_timestamps(audio[lo:hi], options, sampling_rate=SAMPLE_RATE)
        ]
        if cut_in_speech is not None and found and found[0][0] - cut_in_speech <= join_gap:
            # The rest of the region cut at the last slice's edge: one region again.
            found[0] = (stamps.pop()[0], found[0][1])
        cut_in_speech = None
        if hi == total:
            stamps += found
            break
        limit = hi - settle
        done = [r for r in found if r[1] <= limit]
        rest = found[len(done) :]
        stamps += done
        if not rest:
            lo = limit  # nothing found from the last kept region to the limit: silence
        elif rest[0][0] - lo >= size // 4:
            previous_end = done[-1][1] if done else lo
            lo = (previous_end + rest[0][0]) // 2
        else:
            stamps.append((rest[0][0], limit))
            cut_in_speech = lo = limit
    regions: list[Span] = []
    for first, last in stamps:
        start, end = first / SAMPLE_RATE, last / SAMPLE_RATE
        if regions and start <= regions[-1].end:
            regions[-1] = Span(regions[-1].start, max(regions[-1].end, end))
        else:
            regions.append(Span(start, end))
    return regions
