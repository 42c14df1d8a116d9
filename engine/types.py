"""The types every stage passes on, in one place.

All are frozen dataclasses. Those that appear in the CallAnalysis JSON (schema
``dealproof.call/1``) have ``to_dict``/``from_dict`` that produce and read exactly that JSON.
Times are seconds from the start of the call; ``None`` where the source gives no time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

Role = Literal["rep", "prospect"]
ROLES: tuple[Role, ...] = ("rep", "prospect")
SCHEMA_ID = "dealproof.call/1"

FloatArray = npt.NDArray[np.float32]

ProgressHook = Callable[[str, float], None]
"""Called as ``hook(stage, fraction_done)`` while a call is analyzed; fraction in [0, 1]."""


def _role(value: object) -> Role | None:
    if value is None:
        return None
    if value == "rep" or value == "prospect":
        return value
    raise ValueError(f"role must be 'rep', 'prospect' or null, not {value!r}")


def _opt_float(value: object) -> float | None:
    return None if value is None else float(cast(float, value))


# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class Audio:
    """Decoded audio at ``sample_rate``, one row per channel (shape ``(channels, samples)``)."""

    samples: FloatArray
    sample_rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return float(self.samples.shape[1]) / self.sample_rate

    def mono(self) -> FloatArray:
        """The channels mixed down to one float32 signal."""
        if self.channels == 1:
            return cast(FloatArray, self.samples[0])
        return cast(FloatArray, self.samples.mean(axis=0, dtype=np.float32))


@dataclass(frozen=True)
class Span:
    """A stretch of time, e.g. a region with speech in it."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


# --------------------------------------------------------------------------- speech


@dataclass(frozen=True)
class Word:
    """One recognized word with its time and the recognizer's probability."""

    text: str
    start: float
    end: float
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "probability": round(self.probability, 4),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Word:
        return cls(str(d["text"]), float(d["start"]), float(d["end"]), float(d["probability"]))


@dataclass(frozen=True)
class Transcription:
    """What speech recognition returns for one call."""

    words: tuple[Word, ...]
    language: str
    language_probability: float
    model: str


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of time in which one (diarized) speaker talks; ``speaker`` is a label."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class Diarization:
    """Who spoke when, and how the speaker count was found."""

    turns: tuple[SpeakerTurn, ...]
    num_speakers: int
    method: str


@dataclass(frozen=True)
class TranscriptTurn:
    """One turn of an imported transcript (VTT, SRT, JSON, ``Name: text``)."""

    speaker: str | None
    text: str
    start: float | None = None
    end: float | None = None
    role: Role | None = None


@dataclass(frozen=True)
class Transcript:
    """An imported transcript: turns in their original order, none merged or dropped."""

    turns: tuple[TranscriptTurn, ...]
    format: str
    call_id: str | None = None
    call_start: str | None = None


# --------------------------------------------------------------------------- options

Diarizer = Literal["auto", "embedded", "channels", "pyannote"]


@dataclass(frozen=True)
class AnalyzeOptions:
    """What the user may choose for one analysis (the ``dealproof analyze`` flags)."""

    model: str = "tiny.en"
    """Short name of a bundled model (``tiny.en``, ``base``) or a CTranslate2 directory."""
    language: str | None = None
    """Force a language code; None detects it (multilingual models) or uses English."""
    diarizer: Diarizer = "auto"
    """``auto``: by channel when each channel holds one voice, else embedded."""
    speakers: int | None = None
    """The number of speakers when known; None estimates it."""
    rep: str | None = None
    """The rep's name as it appears in a named transcript."""
    call_id: str | None = None
    call_start: str | None = None
    """ISO 8601 with a UTC offset; relative dates resolve against it."""
    timezone: str | None = None
    """IANA zone name of the call, e.g. ``Europe/Berlin``."""
    currency: str | None = None
    """ISO 4217 code of the call's money (the deal's): amounts said without a currency take
    it, and a plain dollar ("$", "dollars") is it when it is a dollar (AUD, CAD, ...); None
    takes the currency the call names most often."""
    playbook: str | None = None
    """Bundled playbook name or YAML path for the scorecard; None means ``discovery``."""
    behaviors: bool = True
    """Detect behaviors (evidence and scorecard); off gives the speech analysis alone."""
    pyannote_pipeline: str | None = None
    """A local pyannote pipeline directory (or hub name with a token) for ``pyannote``."""


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class Utterance:
    """A speaker's contiguous stretch of talk; the unit behaviors point at."""

    id: str
    speaker: str
    role: Role | None
    start: float | None
    end: float | None
    text: str
    words: tuple[Word, ...] = ()

    @property
    def duration(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return max(0.0, self.end - self.start)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "speaker": self.speaker,
            "role": self.role,
            "start": None if self.start is None else round(self.start, 3),
            "end": None if self.end is None else round(self.end, 3),
            "text": self.text,
        }
        if self.words:
            d["words"] = [w.to_dict() for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Utterance:
        return cls(
            id=str(d["id"]),
            speaker=str(d["speaker"]),
            role=_role(d.get("role")),
            start=_opt_float(d.get("start")),
            end=_opt_float(d.get("end")),
            text=str(d["text"]),
            words=tuple(Word.from_dict(w) for w in d.get("words") or ()),
        )


@dataclass(frozen=True)
class Speaker:
    """A participant: ``id`` like ``S1``, a name when the source gives one, and a role."""

    id: str
    name: str | None
    role: Role | None
    role_confidence: float
    talk_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "role_confidence": round(self.role_confidence, 3),
            "talk_seconds": round(self.talk_seconds, 3),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Speaker:
        return cls(
            id=str(d["id"]),
            name=None if d.get("name") is None else str(d["name"]),
            role=_role(d.get("role")),
            role_confidence=float(d.get("role_confidence", 0.0)),
            talk_seconds=float(d.get("talk_seconds", 0.0)),
        )


@dataclass(frozen=True)
class ModelInfo:
    """Which models produced an analysis (``None`` for a stage that did not run)."""

    asr: str | None
    diarizer: str | None
    behaviors: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"asr": self.asr, "diarizer": self.diarizer, "behaviors": self.behaviors}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelInfo:
        return cls(d.get("asr"), d.get("diarizer"), d.get("behaviors"))


@dataclass(frozen=True)
class CallInfo:
    """Facts about the call as a whole."""

    id: str
    call_start: str | None
    duration: float | None
    source: str
    language: str | None
    models: ModelInfo

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "call_start": self.call_start,
            "duration": None if self.duration is None else round(self.duration, 3),
            "source": self.source,
            "language": self.language,
            "models": self.models.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CallInfo:
        return cls(
            id=str(d["id"]),
            call_start=d.get("call_start"),
            duration=_opt_float(d.get("duration")),
            source=str(d["source"]),
            language=d.get("language"),
            models=ModelInfo.from_dict(d.get("models") or {}),
        )


@dataclass(frozen=True)
class Evidence:
    """One detected behavior, pointing at the moment in the call that proves it."""

    id: str
    behavior: str
    subtype: str | None
    speaker: str
    role: Role | None
    start: float | None
    end: float | None
    utterance_ids: tuple[str, ...]
    quote: str
    confidence: float
    fields: Mapping[str, Any]
    detector: str
    detector_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "behavior": self.behavior,
            "subtype": self.subtype,
            "speaker": self.speaker,
            "role": self.role,
            "start": None if self.start is None else round(self.start, 3),
            "end": None if self.end is None else round(self.end, 3),
            "utterance_ids": list(self.utterance_ids),
            "quote": self.quote,
            "confidence": round(self.confidence, 4),
            "fields": dict(self.fields),
            "detector": self.detector,
            "detector_version": self.detector_version,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Evidence:
        return cls(
            id=str(d["id"]),
            behavior=str(d["behavior"]),
            subtype=d.get("subtype"),
            speaker=str(d["speaker"]),
            role=_role(d.get("role")),
            start=_opt_float(d.get("start")),
            end=_opt_float(d.get("end")),
            utterance_ids=tuple(str(u) for u in d.get("utterance_ids", ())),
            quote=str(d.get("quote", "")),
            confidence=float(d.get("confidence", 0.0)),
            fields=dict(d.get("fields") or {}),
            detector=str(d.get("detector", "")),
            detector_version=str(d.get("detector_version", "")),
        )


@dataclass(frozen=True)
class SpeakerMetrics:
    """Conversation metrics of one speaker."""

    speaker: str
    role: Role | None
    talk_seconds: float
    talk_ratio: float
    longest_monologue: float
    words: int
    words_per_minute: float | None
    questions: int
    question_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "role": self.role,
            "talk_seconds": round(self.talk_seconds, 3),
            "talk_ratio": round(self.talk_ratio, 4),
            "longest_monologue": round(self.longest_monologue, 3),
            "words": self.words,
            "words_per_minute": _round_opt(self.words_per_minute, 2),
            "questions": self.questions,
            "question_rate": _round_opt(self.question_rate, 2),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SpeakerMetrics:
        return cls(
            speaker=str(d["speaker"]),
            role=_role(d.get("role")),
            talk_seconds=float(d["talk_seconds"]),
            talk_ratio=float(d["talk_ratio"]),
            longest_monologue=float(d["longest_monologue"]),
            words=int(d["words"]),
            words_per_minute=_opt_float(d.get("words_per_minute")),
            questions=int(d["questions"]),
            question_rate=_opt_float(d.get("question_rate")),
        )


@dataclass(frozen=True)
class CallMetrics:
    """Conversation metrics of the whole call (BEHAVIORS.md, "Conversation metrics").

    ``timed`` is false when the source had no times; the time-based figures are then null.
    """

    timed: bool
    duration: float | None
    talk_ratio_rep: float | None
    longest_monologue: float | None
    longest_monologue_speaker: str | None
    interactivity: float | None
    patience: float | None
    question_rate: float | None
    words_per_minute: float | None
    speakers: tuple[SpeakerMetrics, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "timed": self.timed,
            "duration": _round_opt(self.duration, 3),
            "talk_ratio_rep": _round_opt(self.talk_ratio_rep, 4),
            "longest_monologue": _round_opt(self.longest_monologue, 3),
            "longest_monologue_speaker": self.longest_monologue_speaker,
            "interactivity": _round_opt(self.interactivity, 3),
            "patience": _round_opt(self.patience, 3),
            "question_rate": _round_opt(self.question_rate, 2),
            "words_per_minute": _round_opt(self.words_per_minute, 2),
            "speakers": [s.to_dict() for s in self.speakers],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CallMetrics:
        return cls(
            timed=bool(d["timed"]),
            duration=_opt_float(d.get("duration")),
            talk_ratio_rep=_opt_float(d.get("talk_ratio_rep")),
            longest_monologue=_opt_float(d.get("longest_monologue")),
            longest_monologue_speaker=d.get("longest_monologue_speaker"),
            interactivity=_opt_float(d.get("interactivity")),
            patience=_opt_float(d.get("patience")),
            question_rate=_opt_float(d.get("question_rate")),
            words_per_minute=_opt_float(d.get("words_per_minute")),
            speakers=tuple(SpeakerMetrics.from_dict(s) for s in d.get("speakers", ())),
        )


@dataclass(frozen=True)
class ScorecardItem:
    behavior: str
    status: Literal["done", "missed"]
    evidence_ids: tuple[str, ...]
    weight: float
    coaching: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "behavior": self.behavior,
            "status": self.status,
            "evidence_ids": list(self.evidence_ids),
            "weight": self.weight,
            "coaching": self.coaching,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScorecardItem:
        status = d["status"]
        if status not in ("done", "missed"):
            raise ValueError(f"scorecard status must be 'done' or 'missed', not {status!r}")
        return cls(
            behavior=str(d["behavior"]),
            status=status,
            evidence_ids=tuple(d.get("evidence_ids", ())),
            weight=float(d["weight"]),
            coaching=d.get("coaching"),
        )


@dataclass(frozen=True)
class Scorecard:
    playbook: str
    score: float
    items: tuple[ScorecardItem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook,
            "score": round(self.score, 4),
            "items": [i.to_dict() for i in self.items],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scorecard:
        return cls(
            playbook=str(d["playbook"]),
            score=float(d["score"]),
            items=tuple(ScorecardItem.from_dict(i) for i in d.get("items", ())),
        )


@dataclass(frozen=True)
class CallAnalysis:
    """Everything dealproof knows about one call; serializes to ``dealproof.call/1`` JSON."""

    call: CallInfo
    speakers: tuple[Speaker, ...]
    utterances: tuple[Utterance, ...]
    metrics: CallMetrics
    evidence: tuple[Evidence, ...] = ()
    scorecard: Scorecard | None = None
    timings: Mapping[str, float] = field(default_factory=dict, compare=False)
    """Seconds spent per stage; not part of the JSON (it differs run to run)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_ID,
            "call": self.call.to_dict(),
            "speakers": [s.to_dict() for s in self.speakers],
            "utterances": [u.to_dict() for u in self.utterances],
            "evidence": [e.to_dict() for e in self.evidence],
            "metrics": self.metrics.to_dict(),
            "scorecard": None if self.scorecard is None else self.scorecard.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CallAnalysis:
        if d.get("schema") != SCHEMA_ID:
            raise ValueError(f"not a {SCHEMA_ID} document (schema={d.get('schema')!r})")
        scorecard = d.get("scorecard")
        return cls(
            call=CallInfo.from_dict(d["call"]),
            speakers=tuple(Speaker.from_dict(s) for s in d["speakers"]),
            utterances=tuple(Utterance.from_dict(u) for u in d["utterances"]),
            metrics=CallMetrics.from_dict(d["metrics"]),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence", ())),
            scorecard=None if scorecard is None else Scorecard.from_dict(scorecard),
        )

    def speaker(self, speaker_id: str) -> Speaker:
        for s in self.speakers:
            if s.id == speaker_id:
                return s
        raise KeyError(speaker_id)


def _round_opt(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --------------------------------------------------------------------------- deals and teams

ReviewStatus = Literal["detected", "confirmed", "rejected"]
LedgerStatus = Literal["verified", "detected", "missing"]


@dataclass(frozen=True)
class LedgerCall:
    """A call of a deal, as the ledger sees it."""

    id: int
    started_at: datetime
    rep_id: int


@dataclass(frozen=True)
class LedgerEvidence:
    """A stored detection of a deal's call and what reviewers made of it."""

    id: int
    call_id: int
    behavior: str
    status: ReviewStatus
    confidence: float
    start: float | None
    role: Role | None


@dataclass(frozen=True)
class BehaviorLedger:
    """Where a deal stands on one behavior across all its calls."""

    behavior: str
    status: LedgerStatus
    """``verified``: a reviewer confirmed a detection; ``detected``: detections not yet
    reviewed (rejected ones do not count); ``missing``: none."""
    first_call_id: int | None
    first_call_number: int | None
    """1-based position of that call among the deal's calls, in time order ("call 2 of 4")."""
    calls_total: int
    first_by_rep_id: int | None
    """The rep on the first call that shows it."""
    first_role: Role | None
    """Who spoke it there: the rep or the prospect."""
    evidence_ids: tuple[int, ...]
    """Every detection that counts, in call and time order."""


@dataclass(frozen=True)
class StageCriteria:
    """A deal stage's exit criteria: which are met (verified or detected) and which not."""

    stage: str
    met: tuple[str, ...]
    missing: tuple[str, ...]
    verified: tuple[str, ...]
    """The met criteria a reviewer has confirmed."""

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class DealLedger:
    behaviors: tuple[BehaviorLedger, ...]
    stages: tuple[StageCriteria, ...]
    suggested_stage: str | None
    """The first stage whose criteria are not all met; None when all are (or none exist)."""

    @property
    def criteria_met(self) -> tuple[str, ...]:
        return tuple(f"{s.stage}:{b}" for s in self.stages for b in s.met)


@dataclass(frozen=True)
class AdoptionCell:
    """How often one behavior happened in one rep's calls in one week."""

    rep_id: int
    week: date
    """Monday of the ISO week (UTC)."""
    behavior: str
    calls: int
    calls_with: int

    @property
    def rate(self) -> float:
        return self.calls_with / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class BehaviorAdoption:
    """One behavior over a set of calls (a team's, over a period)."""

    behavior: str
    calls: int
    calls_with: int

    @property
    def rate(self) -> float:
        return self.calls_with / self.calls if self.calls else 0.0
