"""Speech recognition with faster-whisper (CTranslate2): batched, with word times and VAD."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from functools import lru_cache

from engine.errors import ModelError
from engine.types import FloatArray, ProgressHook, Span, Transcription, Word
from models.registry import resolve_asr_model

SAMPLE_RATE = 16000


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
        batch_size: int = 4,
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
        regions: Sequence[Span] = (),
        progress: ProgressHook | None = None,
    ) -> Transcription:
        """Recognize words in ``audio`` (16 kHz mono float32).

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
        duration = len(audio) / SAMPLE_RATE
        words: list[Word] = []
        detected: tuple[str, float] | None = None
        for first, last in blocks(duration, regions):
            segments, info = self.pipeline.transcribe(
                audio[int(first * SAMPLE_RATE) : int(last * SAMPLE_RATE)],
                language=language,
                batch_size=self.batch_size,
                word_timestamps=True,
                vad_filter=True,
                # Whisper's own segment timestamps: faster-whisper's batched default leaves
                # them out, which cost words (corpus WER 8.9% against 7.3% with them, and
                # 7.9% for plain sequential faster-whisper on ../shared/eval).
                without_timestamps=False,
            )
            if detected is None:
                detected = (info.language, float(info.language_probability))
                language = info.language  # one language for the whole call
            for segment in segments:
                for w in segment.words or ():
                    words.append(Word(w.word, first + w.start, first + w.end, float(w.probability)))
                if progress is not None and duration > 0:
                    progress("transcribe", min(1.0, (first + float(segment.end)) / duration))
        words.sort(key=lambda w: (w.start, w.end))
        lang, probability = detected or (language or "en", 0.0)
        return Transcription(
            words=tuple(words),
            language=lang,
            language_probability=probability,
            model=self.name,
        )


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
