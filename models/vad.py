"""Speech with the Silero VAD model that ships inside faster-whisper (ONNX), run once per
call: its segments feed both the recognizer (padded as faster-whisper pads its own VAD's) and
diarization (joined into regions)."""

from __future__ import annotations

from engine.types import FloatArray, Span

SAMPLE_RATE = 16000
SLICE_SECONDS = 300.0
"""Audio given to the model at once. faster-whisper's VAD copies its input twice (padded,
then with each window's context) and keeps the model's intermediates for all of it: an
hour at once cost about 450 MB more than slices of five minutes."""
SETTLE_SECONDS = 10.0
"""A segment found in a slice is final only when it ends this long before the slice does."""
SEGMENT_MIN_SILENCE = 0.16
"""Silence that ends a segment: faster-whisper's for its batched transcription."""
SEGMENT_MAX_SECONDS = 30.0 - 2 * 0.4
"""Longest segment: faster-whisper cuts longer speech so that, with its 0.4 s padding, each
fits a 30 s Whisper window."""
FRAME_SECONDS = 512 / SAMPLE_RATE
"""The Silero model's step: one speech probability per 32 ms."""
PAD_SECONDS = 0.1
"""Padding around each region for diarization. Small: diarization windows, not the regions,
carry the context (the recognizer pads the segments itself, see ``models.asr``)."""


def speech_segments(
    audio: FloatArray,
    *,
    threshold: float = 0.5,
    min_silence: float = SEGMENT_MIN_SILENCE,
    max_speech: float = SEGMENT_MAX_SECONDS,
    slice_seconds: float = SLICE_SECONDS,
) -> list[Span]:
    """Where ``audio`` (16 kHz mono) has speech, in seconds, sorted and unpadded: the
    segments faster-whisper's own VAD (``vad_filter=True`` in its batched pipeline) finds
    before it pads them. A silence of ``min_silence`` ends a segment; speech longer than
    ``max_speech`` is cut, in a short pause where there is one.

    Long audio is processed in slices of ``slice_seconds`` that start in silence: a slice
    keeps the segments that end well before its end (``SETTLE_SECONDS``), and the next
    slice starts in the middle of the silence before the first segment it did not keep, so
    that segment is found whole by the next slice rather than cut or found twice. Only a
    segment that fills most of a slice is cut at a slice edge, and its pieces are joined
    again.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=int(min_silence * 1000),
        min_speech_duration_ms=0,
        speech_pad_ms=0,
        max_speech_duration_s=max_speech,
    )
    total = len(audio)
    size = max(1, int(slice_seconds * SAMPLE_RATE))
    settle = int(min(SETTLE_SECONDS, slice_seconds / 4) * SAMPLE_RATE)
    join_gap = int(min_silence * SAMPLE_RATE)
    stamps: list[tuple[int, int]] = []
    cut_in_speech: int | None = None  # where the last slice cut through a segment
    lo = 0
    while lo < total:
        hi = min(total, lo + size)
        found = [
            (lo + s["start"], lo + s["end"])
            for s in get_speech_timestamps(audio[lo:hi], options, sampling_rate=SAMPLE_RATE)
        ]
        if cut_in_speech is not None and found and found[0][0] - cut_in_speech <= join_gap:
            # The rest of the segment cut at the last slice's edge: one segment again.
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
            lo = limit  # nothing found from the last kept segment to the limit: silence
        elif rest[0][0] - lo >= size // 4:
            previous_end = done[-1][1] if done else lo
            lo = (previous_end + rest[0][0]) // 2
        else:
            stamps.append((rest[0][0], limit))
            cut_in_speech = lo = limit
    return [Span(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in stamps if b > a]


def regions_from_segments(
    segments: list[Span],
    duration: float,
    *,
    min_silence: float = 0.3,
    min_speech: float = 0.25,
    pad: float = PAD_SECONDS,
) -> list[Span]:
    """Speech regions for diarization from :func:`speech_segments`: segments with less
    than ``min_silence`` of silence between them joined, regions with less than
    ``min_speech`` of speech dropped (a cough, a click), the rest widened by ``pad`` and
    merged where they then touch. These are the regions the VAD itself finds with these
    settings, from the one pass the recognizer's segments come from."""
    # The VAD ends a segment after ``min_silence`` of frames below its threshold, counted
    # up to the start of the last such frame: a gap between segments, which runs to the
    # next speech frame, is one frame longer than the silence the VAD measured.
    longest_gap = min_silence + FRAME_SECONDS
    joined: list[Span] = []
    for seg in segments:
        if joined and seg.start - joined[-1].end < longest_gap:
            joined[-1] = Span(joined[-1].start, max(joined[-1].end, seg.end))
        else:
            joined.append(seg)
    regions: list[Span] = []
    for r in joined:
        if r.duration <= min_speech:
            continue
        start, end = max(0.0, r.start - pad), min(duration, r.end + pad)
        if regions and start <= regions[-1].end:
            regions[-1] = Span(regions[-1].start, max(regions[-1].end, end))
        else:
            regions.append(Span(start, end))
    return regions


def speech_regions(
    audio: FloatArray,
    *,
    threshold: float = 0.5,
    min_silence: float = 0.3,
    min_speech: float = 0.25,
    pad: float = PAD_SECONDS,
    slice_seconds: float = SLICE_SECONDS,
) -> list[Span]:
    """Where ``audio`` (16 kHz mono) contains speech, in seconds, sorted and disjoint, as
    diarization wants it: :func:`speech_segments` joined by :func:`regions_from_segments`.

    Silences shorter than ``min_silence`` do not split a region; regions shorter than
    ``min_speech`` are dropped. The padding is small because diarization windows, not the
    regions, carry the context.
    """
    segments = speech_segments(
        audio,
        threshold=threshold,
        min_silence=min(min_silence, SEGMENT_MIN_SILENCE),
        max_speech=float("inf"),
        slice_seconds=slice_seconds,
    )
    duration = len(audio) / SAMPLE_RATE
    return regions_from_segments(
        segments, duration, min_silence=min_silence, min_speech=min_speech, pad=pad
    )
