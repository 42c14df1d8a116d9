"""Speech recognition with faster-whisper (CTranslate2): batched, with word times and VAD."""

from __future__ import annotations

import itertools
import os
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import ModelError
from engine.types import FloatArray, ProgressHook, Span, Transcription, Word
from models.registry import resolve_asr_model
from models.vad import speech_segments

if TYPE_CHECKING:
    from faster_whisper.transcribe import Segment as _Decoded

SAMPLE_RATE = 16000
BATCH_SIZE = 4
"""Windows decoded at once: the batched encoder's memory is a long call's peak, and 8
cost about 300 MB more than 4 on 60 minutes."""
BEAM_SIZE = 2
"""Beam width. With timestamps decoded, 2 is about as fast as faster-whisper's default of 5
without them, and on ../shared/eval it had the lowest WER of 1, 2, 3 and 5 (corpus 6.8%
against 7.3% for 5; 11.9% against 13.5% on 10 minutes of the pyannote sample; 1: 14.5%).
Chosen on that same data: see README."""
LOOP_COMPRESSION = 2.4
"""A decoded segment whose text zlib-compresses better than this is stuck in a loop
("I-I-I-I-..."): Whisper's own test of a failed decode. faster-whisper's batched pipeline
decodes once and never falls back, so a loop there replaced half a minute of speech."""
RETRIES: tuple[dict[str, int], ...] = (
    {"beam_size": 5},
    {"beam_size": 5, "no_repeat_ngram_size": 3},
)
"""How a looping window is decoded again, in turn, until one is not looping (the least
looping is kept when none succeeds). Deterministic, unlike Whisper's fallback to sampling
at higher temperatures."""


def default_threads() -> int:
    """CPU threads for CTranslate2: ``$DEALPROOF_THREADS``, else every core."""
    value = os.environ.get("DEALPROOF_THREADS")
    return int(value) if value else (os.cpu_count() or 1)


class Transcriber:
    """A Whisper model loaded once; ``transcribe`` turns 16 kHz mono audio into timed words.

    On CPU it runs int8; on a CUDA device (``device="cuda"``, or ``auto`` when one is
    visible) float16. Four 30 s windows per batch, not faster-whisper's eight: the batched
    encoder's transient memory is a long call's peak (60 minutes: 1,099 MB against
    1,394 MB), for about 10% more ASR time on 2 cores.
    """

    def __init__(
        self,
        model: str = "tiny.en",
        *,
        device: str = "auto",
        threads: int | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        resolved = resolve_asr_model(model)
        try:
            import ctranslate2
            from faster_whisper import BatchedInferencePipeline, WhisperModel
        except ImportError as exc:
            raise ModelError("faster-whisper is not installed: pip install faster-whisper") from exc
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        compute_type = "float16" if device == "cuda" else "int8"
        try:
            self.whisper = WhisperModel(
                str(resolved.path),
                device=device,
                compute_type=compute_type,
                cpu_threads=threads if threads is not None else default_threads(),
                local_files_only=True,
            )
        except Exception as exc:
            raise ModelError(
                f"cannot load ASR model {model!r} from {resolved.path}: {exc}"
            ) from exc
        self.pipeline = BatchedInferencePipeline(self.whisper)
        self.name = resolved.name
        self.device = device
        self.batch_size = batch_size

    @property
    def multilingual(self) -> bool:
        return bool(self.whisper.model.is_multilingual)

    def transcribe(
        self,
        audio: FloatArray,
        *,
        language: str | None = None,
        regions: Sequence[Span] | None = None,
        progress: ProgressHook | None = None,
    ) -> Transcription:
        """Recognize words in ``audio`` (16 kHz mono float32).

        ``regions`` are where the audio has speech, unpadded: the segments of
        :func:`models.vad.speech_segments` (found here when None; an empty list means no
        speech). Only that speech is recognized: the segments, padded as faster-whisper pads
        its own VAD's (:func:`asr_pieces`), are joined end to end and grouped into windows
        of at most 30 s (:func:`asr_windows`). That is what ``vad_filter=True`` does, from
        the same Silero segments, without running the VAD a second time over the call;
        word times are mapped back onto the call.

        An English-only model always reports ``en``; a multilingual one detects the language
        (on the first block) unless ``language`` is given. Calls longer than 15 minutes are
        transcribed in blocks of about 10 minutes cut in silences between the speech
        ``regions``: faster-whisper holds copies and features of everything it is given,
        and an hour at once would cost hundreds of MB more.
        """
        if not self.multilingual:
            if language not in (None, "en"):
                raise ModelError(
                    f"{self.name} is English-only; use --model base for language {language!r}"
                )
            language = "en"
        if regions is None:
            regions = speech_segments(audio)
        duration = len(audio) / SAMPLE_RATE
        words: list[Word] = []
        detected: tuple[str, float] | None = None
        pieces = asr_pieces(audio, regions)
        for first, last in blocks(duration, regions):
            lo, hi = round(first * SAMPLE_RATE), round(last * SAMPLE_RATE)
            inside = [(max(a, lo), min(b, hi)) for a, b in pieces if a < hi and b > lo]
            if not inside:
                continue
            joined = np.concatenate([audio[a:b] for a, b in inside])
            timeline = _Timeline(inside)
            windows = asr_windows([b - a for a, b in inside])
            segments, info = self._decode(
                joined, windows, language, self.batch_size, beam_size=BEAM_SIZE
            )
            if detected is None:
                detected = (info.language, float(info.language_probability))
                language = info.language  # one language for the whole call
            decoded: dict[int, list[tuple[float, _Decoded]]] = {}
            looping: set[int] = set()
            starts = [a / SAMPLE_RATE for a, _ in windows]
            for segment in segments:
                index = max(0, bisect_right(starts, segment.start) - 1)
                decoded.setdefault(index, []).append((0.0, segment))
                if segment.compression_ratio > LOOP_COMPRESSION:
                    looping.add(index)
                if progress is not None and duration > 0:
                    progress("transcribe", min(1.0, timeline.time(segment.end) / duration))
            for index in looping:
                a, b = windows[index]
                redone = self._redecode(joined[a:b], language)
                decoded[index] = [(a / SAMPLE_RATE, s) for s in redone]
            for index in sorted(decoded):
                for offset, segment in decoded[index]:
                    for w in segment.words or ():
                        start, end = timeline.word(w.start + offset, w.end + offset)
                        words.append(Word(w.word, start, end, float(w.probability)))
        words.sort(key=lambda w: (w.start, w.end))
        lang, probability = detected or (language or "en", 0.0)
        return Transcription(
            words=tuple(words),
            language=lang,
            language_probability=probability,
            model=self.name,
        )

    def _decode(
        self,
        audio: FloatArray,
        windows: Sequence[tuple[int, int]],
        language: str | None,
        batch_size: int,
        **options: int,
    ) -> tuple[Iterable[_Decoded], Any]:
        """Batched decoding of ``windows`` (sample ranges of ``audio``); ``options`` are
        faster-whisper's (``beam_size``, ``no_repeat_ngram_size``)."""
        return self.pipeline.transcribe(  # type: ignore[no-any-return]
            audio,
            language=language,
            batch_size=batch_size,
            word_timestamps=True,
            vad_filter=False,
            clip_timestamps=[
                {"start": a / SAMPLE_RATE, "end": b / SAMPLE_RATE} for a, b in windows
            ],
            # Whisper's own segment timestamps, which faster-whisper's batched default
            # leaves out: they bound each word's alignment, and without them words near a
            # change of speaker drifted to the wrong side (output DER 7% -> 25% on a
            # 4-speaker clip of ../shared/eval). They cost 15-22% more decoding, which a
            # beam of 2 instead of 5 wins back (see BEAM_SIZE).
            without_timestamps=False,
            **options,
        )

    def _redecode(self, window: FloatArray, language: str | None) -> list[_Decoded]:
        """One window decoded again after a loop (``RETRIES``); its times start at 0."""
        best: list[_Decoded] = []
        worst_ratio = float("inf")
        for retry in RETRIES:
            segments, _ = self._decode(window, [(0, len(window))], language, 1, **retry)
            attempt = list(segments)
            ratio = max((s.compression_ratio for s in attempt), default=0.0)
            if ratio < worst_ratio:
                best, worst_ratio = attempt, ratio
            if ratio <= LOOP_COMPRESSION:
                break
        return best


PAD_SECONDS = 0.4
"""Context around each speech segment given to the recognizer: faster-whisper's VAD default
(``speech_pad_ms``)."""
WINDOW_SECONDS = 30.0
"""Whisper's input window."""


def asr_pieces(
    audio: FloatArray,
    regions: Sequence[Span],
    *,
    pad: float = PAD_SECONDS,
    longest: float = WINDOW_SECONDS,
) -> list[tuple[int, int]]:
    """The audio the recognizer hears, as sorted, disjoint ``[start, end)`` sample ranges.

    Each region is widened by ``pad`` on both sides; where two widened regions would
    overlap they meet in the middle of the silence between them. A piece longer than
    ``longest`` (a long stretch without a pause) is cut at the quietest 20 ms of the last
    few seconds before the limit, so that each fits a Whisper window.
    """
    total = len(audio)
    width = round(pad * SAMPLE_RATE)
    spans = [(round(r.start * SAMPLE_RATE), round(r.end * SAMPLE_RATE)) for r in regions]
    spans = [(max(0, a), min(total, b)) for a, b in spans if b > a and a < total]
    pieces: list[tuple[int, int]] = []
    for a, b in spans:
        start = max(0, a - width)
        if pieces:
            gap = a - pieces[-1][1]
            if gap <= 2 * width:
                middle = pieces[-1][1] + gap // 2 if gap > 0 else pieces[-1][1]
                pieces[-1] = (pieces[-1][0], middle)
                start = middle
            else:
                pieces[-1] = (pieces[-1][0], pieces[-1][1] + width)
        pieces.append((start, b))
    if pieces:
        pieces[-1] = (pieces[-1][0], min(total, pieces[-1][1] + width))
    limit = int(longest * SAMPLE_RATE)
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        while b - a > limit:
            cut = _quiet_point(audio, a + limit - 5 * SAMPLE_RATE, a + limit)
            out.append((a, cut))
            a = cut
        out.append((a, b))
    return out


def _quiet_point(audio: FloatArray, lo: int, hi: int, frame: int = 320) -> int:
    """The middle of the quietest ``frame`` samples (20 ms) in ``audio[lo:hi]``."""
    n = (hi - lo) // frame
    energy = np.square(audio[lo : lo + n * frame].reshape(n, frame), dtype=np.float64).sum(axis=1)
    return lo + int(np.argmin(energy)) * frame + frame // 2


def asr_windows(
    lengths: Sequence[int], *, longest: float = WINDOW_SECONDS
) -> list[tuple[int, int]]:
    """Pieces of these sample lengths, joined end to end, grouped into windows of at most
    ``longest`` seconds: ``[start, end)`` on the joined timeline. Greedy, as faster-whisper
    groups its VAD's chunks."""
    limit = int(longest * SAMPLE_RATE)
    windows: list[tuple[int, int]] = []
    position = 0
    for n in lengths:
        if windows and position + n - windows[-1][0] <= limit:
            windows[-1] = (windows[-1][0], position + n)
        else:
            windows.append((position, position + n))
        position += n
    return windows


class _Timeline:
    """Maps times on audio made of ``pieces`` joined end to end back onto the call."""

    def __init__(self, pieces: Sequence[tuple[int, int]]) -> None:
        self.pieces = list(pieces)
        self.joined_starts = list(itertools.accumulate((b - a for a, b in pieces), initial=0))[:-1]

    def _map(self, seconds: float, index: int) -> float:
        a, b = self.pieces[index]
        sample = a + (seconds * SAMPLE_RATE - self.joined_starts[index])
        return float(min(max(sample, a), b)) / SAMPLE_RATE

    def _piece(self, seconds: float) -> int:
        index = bisect_right(self.joined_starts, seconds * SAMPLE_RATE) - 1
        return min(max(index, 0), len(self.pieces) - 1)

    def word(self, start: float, end: float) -> tuple[float, float]:
        """A word's times, both in the piece that holds its middle and inside that piece:
        a word's end can run on across a join (Whisper stretches the last word before a
        pause), and the silence cut out there must not make it seconds long."""
        index = self._piece((start + end) / 2)
        return self._map(start, index), self._map(end, index)

    def time(self, seconds: float) -> float:
        return self._map(seconds, self._piece(seconds))


BLOCK_SECONDS = 600.0


def blocks(
    duration: float, regions: Sequence[Span], block: float = BLOCK_SECONDS
) -> list[tuple[float, float]]:
    """``(start, end)`` pieces of a call to transcribe one at a time: the whole call up to
    1.5 blocks; else about ``block`` seconds each, cut in the middle of the silence between
    speech regions nearest to each multiple of ``block`` (at the multiple itself when the
    speech there has no gap)."""
    if duration <= 1.5 * block:
        return [(0.0, duration)]
    gaps = [(a.end + b.start) / 2 for a, b in itertools.pairwise(regions)]
    cuts: list[float] = []
    target = block
    while target < duration - block / 2:
        near = [g for g in gaps if abs(g - target) <= block / 4 and (not cuts or g > cuts[-1])]
        cut = min(near, key=lambda g: abs(g - target)) if near else target
        cuts.append(cut)
        target = cut + block
    edges = [0.0, *cuts, duration]
    return list(itertools.pairwise(edges))


@lru_cache(maxsize=4)
def load_transcriber(model: str = "tiny.en") -> Transcriber:
    """The process-wide Transcriber for ``model``: loaded on first use, then reused."""
    return Transcriber(model)
