"""``analyze_call``: one call from a media or transcript file to a CallAnalysis.

This module only orchestrates; every stage is a function in engine/, models/ or pipelines/.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from bisect import bisect_right
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.attribution import (
    assign_speakers,
    build_overlapping_utterances,
    build_utterances,
    relabel_speakers,
    utterances_from_transcript,
)
from engine.behaviors.language import looks_english
from engine.errors import ConfigError, InputError
from engine.metrics import compute_metrics, talk_seconds
from engine.money import CURRENCY_CODE
from engine.roles import apply_roles, assign_roles
from engine.scorecard import build_scorecard
from engine.types import (
    AnalyzeOptions,
    Audio,
    CallAnalysis,
    CallInfo,
    Diarization,
    Evidence,
    FloatArray,
    ModelInfo,
    ProgressHook,
    Scorecard,
    Span,
    Speaker,
    Transcript,
    Transcription,
    Utterance,
    Word,
)
from models.asr import Transcriber, load_transcriber
from models.speakers import load_speaker_encoder
from models.vad import regions_from_segments, speech_segments
from pipelines.behaviors import detect_behaviors, load_behavior_models, resolve_playbook
from pipelines.decode import check_input_file, decode_media, release_freed_memory
from pipelines.diarize import (
    channels_are_separate,
    diarize_channels,
    diarize_embedded,
    diarize_pyannote,
)
from pipelines.transcripts import is_text_file, read_transcript, sniff_transcript


class _Stages:
    """Reports each stage to the progress hook and records how long it took. Stages may run
    in two threads at once (diarization beside transcription): the hook is called under a
    lock, so hooks need not be thread-safe themselves."""

    def __init__(self, hook: ProgressHook | None) -> None:
        self._lock = threading.Lock()
        self.hook: ProgressHook | None = None if hook is None else self._serialized(hook)
        self.timings: dict[str, float] = {}

    def _serialized(self, hook: ProgressHook) -> ProgressHook:
        def call(stage: str, fraction: float) -> None:
            with self._lock:
                hook(stage, fraction)

        return call

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.hook:
            self.hook(name, 0.0)
        began = time.perf_counter()
        yield
        elapsed = time.perf_counter() - began
        with self._lock:
            self.timings[name] = self.timings.get(name, 0.0) + elapsed
        if self.hook:
            self.hook(name, 1.0)


def analyze_call(
    source: Path | str,
    options: AnalyzeOptions | None = None,
    progress: ProgressHook | None = None,
) -> CallAnalysis:
    """Analyze a recording (any format ffmpeg decodes) or a transcript (VTT, SRT, transcript
    JSON, ``Name: text`` lines). Raises a DealproofError with a one-line reason on bad input.
    """
    options = options or AnalyzeOptions()
    _check_options(options)
    if options.behaviors:
        resolve_playbook(options.playbook)  # a malformed playbook fails before any work
    path = Path(source)
    check_input_file(path)
    stages = _Stages(progress)
    if sniff_transcript(path) is not None:
        with stages.stage("parse"):
            transcript = read_transcript(path)
        analysis = analyze_transcript(transcript, options, progress, _stages=stages)
    elif is_text_file(path):
        raise InputError(
            f"{path}: a text file that is not a transcript this reads (WebVTT, SRT, transcript "
            "JSON or 'Name: text' lines)"
        )
    else:
        with stages.stage("decode"):
            audio = decode_media(path)
        call_id = options.call_id or _file_id(path)
        analysis = analyze_audio(
            audio, options, progress, call_id=call_id, label=str(path), _stages=stages
        )
    return analysis


def analyze_transcript(
    transcript: Transcript,
    options: AnalyzeOptions | None = None,
    progress: ProgressHook | None = None,
    *,
    _stages: _Stages | None = None,
) -> CallAnalysis:
    """Analyze an imported transcript: one utterance per turn, roles kept where given."""
    options = options or AnalyzeOptions()
    stages = _stages or _Stages(progress)
    if not transcript.turns:
        raise InputError("the transcript has no speaker turns")
    utterances, names = utterances_from_transcript(transcript)
    ends = [u.end for u in utterances if u.end is not None]
    duration = max(ends) if ends else None
    call_id = options.call_id or transcript.call_id or _text_id(utterances)
    call_start = options.call_start or transcript.call_start
    return _finish(
        utterances,
        names,
        options,
        stages,
        call_id=call_id,
        call_start=call_start,
        duration=duration,
        source=transcript.format,
        language="en" if looks_english(u.text for u in utterances) else None,
        models=ModelInfo(asr=None, diarizer=None, behaviors=None),
    )


def analyze_audio(
    audio: Audio,
    options: AnalyzeOptions | None = None,
    progress: ProgressHook | None = None,
    *,
    call_id: str,
    label: str = "the recording",
    _stages: _Stages | None = None,
) -> CallAnalysis:
    """Analyze decoded audio: VAD, ASR, diarization, attribution, roles and metrics."""
    options = options or AnalyzeOptions()
    stages = _stages or _Stages(progress)
    with stages.stage("load models"):
        transcriber = load_transcriber(options.model)
        if options.diarizer in ("auto", "embedded"):
            load_speaker_encoder()
    mono = audio.mono()
    with stages.stage("detect speech"):
        # One VAD pass for both: its segments for the recognizer, joined into regions for
        # diarization.
        speech = speech_segments(mono)
        regions = regions_from_segments(speech, audio.duration)
        # The VAD's freed intermediates would otherwise stay resident under transcription,
        # whose batched encoder is the call's memory peak.
        release_freed_memory()
    if not regions:
        raise InputError(f"{label}: no speech found (silent, or not speech)")
    by_channel = options.diarizer == "channels" or (
        options.diarizer == "auto" and channels_are_separate(audio)
    )
    if by_channel:
        # One voice per channel: each channel is transcribed on its own, so words spoken at
        # the same time by two people each keep their speaker.
        with stages.stage("diarize"):
            diarization = diarize_channels(audio, regions)
        with stages.stage("transcribe"):
            transcription, word_labels = _transcribe_channels(
                audio, diarization, transcriber, options, progress
            )
    else:
        transcription, diarization = _transcribe_and_diarize(
            mono, speech, regions, transcriber, options, stages
        )
        word_labels = assign_speakers(transcription.words, diarization.turns)
    if not transcription.words:
        raise InputError(f"{label}: no words recognized (music or noise rather than speech?)")
    with stages.stage("attribute"):
        labels, _ = relabel_speakers(word_labels)
        if by_channel:
            utterances = build_overlapping_utterances(transcription.words, labels)
        else:
            utterances = build_utterances(transcription.words, labels)
    names: dict[str, str | None] = {u.speaker: None for u in utterances}
    return _finish(
        utterances,
        names,
        options,
        stages,
        call_id=call_id,
        call_start=options.call_start,
        duration=audio.duration,
        source="media",
        language=transcription.language,
        models=ModelInfo(
            asr=transcriber.name, diarizer=_diarizer_name(diarization), behaviors=None
        ),
    )


def _finish(
    utterances: list[Utterance],
    names: dict[str, str | None],
    options: AnalyzeOptions,
    stages: _Stages,
    *,
    call_id: str,
    call_start: str | None,
    duration: float | None,
    source: str,
    language: str | None,
    models: ModelInfo,
) -> CallAnalysis:
    with stages.stage("roles"):
        roles = assign_roles(utterances, names, rep=options.rep)
        utterances = apply_roles(utterances, roles)
    with stages.stage("metrics"):
        talk = talk_seconds(utterances)
        speakers = tuple(
            Speaker(
                id=sid,
                name=names.get(sid),
                role=roles.get(sid, (None, 0.0))[0],
                role_confidence=roles.get(sid, (None, 0.0))[1],
                talk_seconds=talk.get(sid, 0.0),
            )
            for sid in names
        )
        metrics = compute_metrics(utterances, speakers, duration)
    evidence: tuple[Evidence, ...] = ()
    scorecard: Scorecard | None = None
    if options.behaviors and language == "en":
        with stages.stage("behaviors"):
            behavior_models = load_behavior_models()
            playbook = resolve_playbook(options.playbook)
            evidence = detect_behaviors(
                utterances,
                call_id=call_id,
                call_start=call_start,
                timezone=options.timezone,
                currency=options.currency,
                playbook=playbook,
                models=behavior_models,
                progress=stages.hook,
            )
            scorecard = build_scorecard(playbook, evidence, metrics)
        models = replace(models, behaviors=behavior_models.name)
    call = CallInfo(call_id, call_start, duration, source, language, models)
    return CallAnalysis(
        call, speakers, tuple(utterances), metrics, evidence, scorecard, timings=stages.timings
    )


def _transcribe_channels(
    audio: Audio,
    diarization: Diarization,
    transcriber: Transcriber,
    options: AnalyzeOptions,
    progress: ProgressHook | None,
) -> tuple[Transcription, list[str | None]]:
    """Each channel's own words, kept only where that channel is its speaker's voice (not
    the other speaker's crosstalk), merged in time order with their channel as label."""
    tagged: list[tuple[Word, str]] = []
    language, probability = options.language, 0.0
    for c in range(audio.channels):
        speaker = f"CH{c + 1}"
        own = [Span(t.start, t.end) for t in diarization.turns if t.speaker == speaker]
        if not own:
            continue
        # The channel's own VAD segments, not its turns: the turns' energy edges cut words
        # and joined back to back they lost a whole last utterance on a test call.
        heard = transcriber.transcribe(
            audio.samples[c],
            language=language,
            regions=speech_segments(audio.samples[c]),
            progress=progress,
        )
        language, probability = heard.language, heard.language_probability
        starts = [s.start for s in own]
        for w in heard.words:
            middle = (w.start + w.end) / 2
            i = bisect_right(starts, middle + OWN_TURN_SLACK) - 1
            if i >= 0 and middle <= own[i].end + OWN_TURN_SLACK:
                tagged.append((w, speaker))
    tagged.sort(key=lambda pair: (pair[0].start, pair[0].end))
    words = tuple(w for w, _ in tagged)
    transcription = Transcription(words, language or "en", probability, transcriber.name)
    return transcription, [speaker for _, speaker in tagged]


OWN_TURN_SLACK = 0.25
"""Seconds a word's middle may lie outside its channel's turns (turn edges are 10 ms blocks
of energy; word times are the recognizer's)."""


def _transcribe_and_diarize(
    mono: FloatArray,
    speech: list[Span],
    regions: list[Span],
    transcriber: Transcriber,
    options: AnalyzeOptions,
    stages: _Stages,
) -> tuple[Transcription, Diarization]:
    """Transcription, and diarization of the same speech regions beside it in a second
    thread. Batched transcription keeps about 1.75 of 2 cores busy; the speaker encoder's
    single-threaded LSTM (torch releases the GIL) fits in the rest, so diarization costs
    almost no wall time (10 minutes on 2 cores: 30-32 s for both against 37-38 s one after
    the other). pyannote runs after transcription: it uses every core itself."""

    def diarize() -> Diarization:
        with stages.stage("diarize"):
            return _diarize(mono, regions, options, stages.hook)

    def transcribe() -> Transcription:
        with stages.stage("transcribe"):
            return transcriber.transcribe(
                mono, language=options.language, regions=speech, progress=stages.hook
            )

    if options.diarizer == "pyannote":
        transcription = transcribe()
        return transcription, diarize() if transcription.words else Diarization((), 0, "none")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="diarize") as pool:
        diarized = pool.submit(diarize)
        transcription = transcribe()
        return transcription, diarized.result()


def _diarize(
    mono: FloatArray, regions: list[Span], options: AnalyzeOptions, progress: ProgressHook | None
) -> Diarization:
    method = options.diarizer
    if method == "pyannote":
        pipeline = options.pyannote_pipeline or os.environ.get("DEALPROOF_PYANNOTE_PIPELINE")
        return diarize_pyannote(mono, pipeline, num_speakers=options.speakers)
    encoder = load_speaker_encoder()
    return diarize_embedded(
        mono, regions, encoder, num_speakers=options.speakers, progress=progress
    )


def _diarizer_name(diarization: Diarization) -> str:
    if diarization.method == "embedded":
        return "embedded: silero-vad + resemblyzer-ge2e + spectral clustering"
    if diarization.method == "channels":
        return "channels: one speaker per channel"
    return diarization.method


def _check_options(options: AnalyzeOptions) -> None:
    if options.speakers is not None and not 1 <= options.speakers <= 20:
        raise ConfigError(f"--speakers must be between 1 and 20, not {options.speakers}")
    if options.call_start is not None:
        try:
            start = datetime.fromisoformat(options.call_start)
        except ValueError as exc:
            raise ConfigError(
                f"--call-start {options.call_start!r} is not ISO 8601 "
                "(e.g. 2026-03-02T15:00:00+01:00)"
            ) from exc
        if start.tzinfo is None:
            raise ConfigError(
                f"--call-start {options.call_start!r} needs a UTC offset (e.g. +01:00 or Z)"
            )
    if options.currency is not None and not CURRENCY_CODE.fullmatch(options.currency):
        raise ConfigError(
            f"--currency {options.currency!r} is not an ISO 4217 code (e.g. USD, EUR, AUD)"
        )
    if options.timezone is not None:
        try:
            ZoneInfo(options.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"--tz {options.timezone!r} is not an IANA time zone (e.g. America/New_York)"
            ) from exc


def _file_id(path: Path) -> str:
    """A stable call id: the first 16 hex digits of the file's sha256."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def _text_id(utterances: list[Utterance]) -> str:
    digest = hashlib.sha256()
    for u in utterances:
        digest.update(f"{u.speaker}\x1f{u.start}\x1f{u.text}\x1e".encode())
    return digest.hexdigest()[:16]
