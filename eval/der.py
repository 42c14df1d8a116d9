"""Diarization error rate with pyannote.metrics.

pyannote's ``collar`` is the TOTAL width of the no-score zone around each reference
boundary: ``collar=0.5`` is the usual "±0.25 s". Overlapping speech is scored
(``skip_overlap=False``). Labels need not match: the reference and hypothesis speakers are
mapped one-to-one to minimize confusion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate

from engine.types import Span, SpeakerTurn


@dataclass(frozen=True)
class DerResult:
    """DER and its parts as fractions of ``total`` (seconds of scored reference speech)."""

    der: float
    false_alarm: float
    missed: float
    confusion: float
    total: float


def _annotation(turns: Sequence[SpeakerTurn]) -> Annotation:
    annotation = Annotation()
    for index, turn in enumerate(turns):
        if turn.end > turn.start:
            annotation[Segment(turn.start, turn.end), index] = turn.speaker
    # One speaker's overlapping turns would otherwise count as several voices at once.
    return annotation.support()


def count_speakers(turns: Iterable[SpeakerTurn]) -> int:
    """The number of distinct speaker labels among ``turns``."""
    return len({t.speaker for t in turns})


def diarization_error_rate(
    reference: Sequence[SpeakerTurn],
    hypothesis: Sequence[SpeakerTurn],
    *,
    collar: float,
    uem: Span | None = None,
) -> DerResult:
    """DER of ``hypothesis`` against ``reference``.

    ``collar`` is pyannote's total collar width in seconds (0.5 means ±0.25 s). ``uem`` is
    the scored region; None scores from the earliest to the latest turn of either side.

    Raises:
        ValueError: when the reference has no speech inside the scored region.
    """
    ref = _annotation(reference)
    hyp = _annotation(hypothesis)
    if uem is None:
        turns = [*reference, *hypothesis]
        if not turns:
            raise ValueError("reference has no speech: DER is undefined")
        region = Segment(min(t.start for t in turns), max(t.end for t in turns))
    else:
        region = Segment(uem.start, uem.end)
    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    parts = metric(ref, hyp, uem=Timeline([region]), detailed=True)
    total = float(parts["total"])
    if total <= 0.0:
        raise ValueError("reference has no speech in the scored region: DER is undefined")
    return DerResult(
        der=float(parts["diarization error rate"]),
        false_alarm=float(parts["false alarm"]) / total,
        missed=float(parts["missed detection"]) / total,
        confusion=float(parts["confusion"]) / total,
        total=total,
    )


def combine_der(results: Iterable[DerResult]) -> DerResult:
    """DER over several files: each part weighted by its file's reference speech.

    Raises:
        ValueError: when there are no results.
    """
    items = list(results)
    total = sum(r.total for r in items)
    if not items or total <= 0.0:
        raise ValueError("no DER results to combine")
    false_alarm = sum(r.false_alarm * r.total for r in items) / total
    missed = sum(r.missed * r.total for r in items) / total
    confusion = sum(r.confusion * r.total for r in items) / total
    return DerResult(
        der=false_alarm + missed + confusion,
        false_alarm=false_alarm,
        missed=missed,
        confusion=confusion,
        total=total,
    )
