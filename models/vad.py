"""Speech regions with the Silero VAD model that ships inside faster-whisper (ONNX)."""

from __future__ import annotations

from engine.types import FloatArray, Span

SAMPLE_RATE = 16000


def speech_regions(
    audio: FloatArray,
    *,
    threshold: float = 0.5,
    min_silence: float = 0.3,
    min_speech: float = 0.25,
    pad: float = 0.1,
) -> list[Span]:
    """Where ``audio`` (16 kHz mono) contains speech, in seconds, sorted and disjoint.

    Silences shorter than ``min_silence`` do not split a region; regions shorter than
    ``min_speech`` are dropped. The padding is small because diarization windows, not the
    regions, carry the context.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=int(min_silence * 1000),
        min_speech_duration_ms=int(min_speech * 1000),
        speech_pad_ms=int(pad * 1000),
    )
    stamps = get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)
    regions: list[Span] = []
    for s in stamps:
        start, end = s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE
        if regions and start <= regions[-1].end:
            regions[-1] = Span(regions[-1].start, max(regions[-1].end, end))
        else:
            regions.append(Span(start, end))
    return regions
