"""Behavior detection for one call: segments → rule features + sentence embeddings →
classifier heads → hard rules → evidence records with their facts → scorecard.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from engine.behaviors.catalog import HEADS, SUBTYPE_HEADS
from engine.behaviors.competitors import CompetitorMention, find_competitors
from engine.behaviors.decide import COMPETITOR, Detection, best_per_utterance, decide
from engine.behaviors.fields import CallClock, EntityRef, extract_fields
from engine.behaviors.segments import Segment, segment_utterances
from engine.errors import ModelError
from engine.money import find_money, most_named_currency
from engine.playbook import CompetitorNames, Playbook, load_playbook
from engine.types import Evidence, FloatArray, ProgressHook, Utterance
from models.behavior_heads import (
    BehaviorHeads,
    SegmentRules,
    load_default_heads,
    segment_features,
    segment_rules,
)
from models.encoder import DIM, SentenceEncoder, load_sentence_encoder
from models.nlp import NlpPipeline, load_nlp
from models.trackers import TrackerModel, learn_trackers

DETECTOR = "dealproof.behaviors"
TRACKER_DETECTOR = "dealproof.tracker"
RULE_DETECTOR = "dealproof.rules"
COMPETITOR_DETECTOR = "dealproof.competitors"
BUDGET = "budget_discussed"


@dataclass(frozen=True)
class BehaviorModels:
    """Everything behavior detection loads once: spaCy, the encoder, the heads."""

    nlp: NlpPipeline
    encoder: SentenceEncoder
    heads: BehaviorHeads

    @property
    def name(self) -> str:
        return f"{self.encoder.name} heads {self.heads.version} + {self.nlp.version} cues"


def load_behavior_models() -> BehaviorModels:
    """spaCy, the encoder and the heads, each loaded once per process."""
    encoder, heads = load_sentence_encoder(), load_default_heads()
    trained_on = heads.meta.get("encoder")
    if trained_on != encoder.name:
        raise ModelError(
            f"the behavior heads were trained on {trained_on!r} embeddings but the encoder is "
            f"{encoder.name!r}: run 'dealproof train behaviors'"
        )
    return BehaviorModels(load_nlp(), encoder, heads)


@lru_cache(maxsize=8)
def _trackers_for(playbook: Playbook) -> tuple[TrackerModel, ...]:
    return tuple(learn_trackers(playbook.trackers, load_sentence_encoder()))


def resolve_playbook(name_or_path: str | None) -> Playbook:
    return load_playbook(name_or_path or "discovery")


def detect_behaviors(
    utterances: Sequence[Utterance],
    *,
    call_id: str,
    call_start: str | None = None,
    timezone: str | None = None,
    currency: str | None = None,
    playbook: Playbook | None = None,
    models: BehaviorModels | None = None,
    progress: ProgressHook | None = None,
) -> tuple[Evidence, ...]:
    """Evidence of every behavior in ``utterances``, in call order; ``currency``: the call's
    (``AnalyzeOptions.currency``). Deterministic."""
    models = models or load_behavior_models()
    segments = segment_utterances(utterances)
    if not segments:
        return ()
    texts = [s.text for s in segments]
    cues = list(models.nlp.cues(texts))
    rules = [segment_rules(t, c) for t, c in zip(texts, cues, strict=True)]
    embeddings = models.encoder.encode(texts)
    if progress:
        progress("behaviors", 0.6)
    context = _context_embeddings(segments, models.encoder)
    features = segment_features(
        embeddings, context, [s.role for s in segments], rules, [s.position for s in segments]
    )
    probabilities = models.heads.probabilities(features)
    trackers = _trackers_for(playbook) if playbook is not None and playbook.trackers else ()
    names = playbook.competitors if playbook is not None else CompetitorNames()
    detections, rivals = _decisions(
        segments, probabilities, models.heads.thresholds, rules, trackers, embeddings, names
    )
    detections = _with_subtypes(detections, features, models.heads)
    if progress:
        progress("behaviors", 0.8)
    clock = call_clock(call_start, timezone)
    return _evidence(
        detections, segments, utterances, call_id, clock, models, trackers, rivals, currency
    )


def _decisions(
    segments: Sequence[Segment],
    probabilities: npt.NDArray[np.float64],
    thresholds: npt.NDArray[np.float64],
    rules: Sequence[SegmentRules],
    trackers: Sequence[TrackerModel],
    embeddings: FloatArray,
    names: CompetitorNames,
) -> tuple[list[Detection], list[CompetitorMention]]:
    """The detections, one per behavior and utterance (heads through ``decide``, competitors
    by name with the playbook's ``names``, custom trackers), and the competitor mentions
    behind them."""
    detections = decide(segments, probabilities, thresholds, [r.has_date for r in rules])
    rivals = competitors(segments, probabilities, thresholds, names)
    detections += [Detection(m.segment, COMPETITOR, m.confidence) for m in rivals]
    detections += _tracker_detections(trackers, embeddings, segments)
    return best_per_utterance(detections, segments), rivals


def _rivals_by_turn(
    rivals: Sequence[CompetitorMention], segments: Sequence[Segment]
) -> dict[int, tuple[str, ...]]:
    """The rivals each utterance names, over all its segments (its evidence quotes one)."""
    out: dict[int, tuple[str, ...]] = {}
    for m in rivals:
        turn = segments[m.segment].utterance_index
        out[turn] = tuple(dict.fromkeys((*out.get(turn, ()), *m.names)))
    return out


def competitors(
    segments: Sequence[Segment],
    probabilities: npt.NDArray[np.float64],
    thresholds: npt.NDArray[np.float64],
    names: CompetitorNames,
) -> list[CompetitorMention]:
    """The segments that name a rival of the seller (``find_competitors``): the call's
    speaker labels are people, the segments where the competitor head reaches its
    threshold are talk of a rival, and the playbook's ``names`` are or are never rivals."""
    j = HEADS.index(COMPETITOR)
    return find_competitors(
        [s.text for s in segments],
        [s.role for s in segments],
        {s.speaker for s in segments},
        {i for i, p in enumerate(probabilities[:, j]) if p >= thresholds[j]},
        known=names.known,
        ignore=names.ignore,
    )


def call_clock(call_start: str | None, timezone: str | None) -> CallClock:
    """What relative dates resolve against. A start without a UTC offset is local time in
    ``timezone``; with neither an offset nor a zone the instant is unknown, so relative
    dates resolve to null rather than to a guess."""
    if not call_start:
        return CallClock(None, timezone)
    start = datetime.fromisoformat(call_start)
    if start.tzinfo is None and timezone is None:
        return CallClock(None, None)
    return CallClock(start, timezone)


def _context_embeddings(segments: Sequence[Segment], encoder: SentenceEncoder) -> FloatArray:
    unique = sorted({s.context for s in segments if s.context})
    encoded = encoder.encode(unique)
    index = {text: i for i, text in enumerate(unique)}
    out = np.zeros((len(segments), DIM), dtype=np.float32)
    for i, s in enumerate(segments):
        if s.context:
            out[i] = encoded[index[s.context]]
    return out


def _tracker_detections(
    trackers: Sequence[TrackerModel], embeddings: FloatArray, segments: Sequence[Segment]
) -> list[Detection]:
    out: list[Detection] = []
    roles = [s.role for s in segments]
    for tracker in trackers:
        scores = tracker.scores(embeddings, roles)
        for i in np.flatnonzero(scores >= tracker.threshold):
            out.append(Detection(int(i), tracker.spec.name, float(scores[i])))
    return out


def _with_subtypes(
    detections: list[Detection], features: FloatArray, heads: BehaviorHeads
) -> list[Detection]:
    out = []
    for d in detections:
        if d.behavior in SUBTYPE_HEADS and d.subtype is None:
            subtype, _ = heads.subtype(d.behavior, features[d.segment : d.segment + 1])[0]
            d = replace(d, subtype=subtype or None)
        out.append(d)
    return out


def _evidence(
    detections: Sequence[Detection],
    segments: Sequence[Segment],
    utterances: Sequence[Utterance],
    call_id: str,
    clock: CallClock,
    models: BehaviorModels,
    trackers: Sequence[TrackerModel],
    rivals: Sequence[CompetitorMention],
    call_currency: str | None = None,
) -> tuple[Evidence, ...]:
    """Evidence records of ``detections`` (in call order); ``rivals``: the competitor
    mentions found. An amount said without a currency takes ``call_currency`` when the user
    set the call's, else the one the call names most often; a budget's figure is read by
    the amounts said before it, with a currency or as earlier budgets' figures
    (``engine.money.in_thousands``)."""
    said = [find_money(u.text) for u in utterances]
    currency = call_currency or most_named_currency(said)
    amounts = [m.amount for money in said for m in money]
    amounts_before = list(accumulate(len(money) for money in [[], *said]))
    named = _rivals_by_turn(rivals, segments)
    needed = sorted({d.segment for d in detections})
    entities = dict(
        zip(needed, models.nlp.entities([segments[i].text for i in needed]), strict=True)
    )
    tracker_names = {t.spec.name for t in trackers}
    budget_amounts: list[float] = []  # the figures of the budget evidence so far
    out: list[Evidence] = []
    for d in detections:
        seg = segments[d.segment]
        refs = [EntityRef(e.label, e.text) for e in entities.get(d.segment, ())]
        dated_by = None if d.date_segment is None else segments[d.date_segment].text
        utterance = utterances[seg.utterance_index]
        fields = extract_fields(
            d.behavior,
            seg.text,
            seg.role,
            refs,
            clock,
            date_text=dated_by,
            currency=currency,
            turn_text=utterance.text,
            rivals=named.get(seg.utterance_index, ()),
            call_currency=call_currency,
            earlier_amounts=(
                amounts[: amounts_before[seg.utterance_index]] + budget_amounts
                if d.behavior == BUDGET
                else ()
            ),
        )
        if fields is None:
            continue
        if d.behavior == BUDGET and fields.get("amount") is not None:
            budget_amounts.append(fields["amount"])
        if d.behavior in tracker_names:
            detector, version = TRACKER_DETECTOR, "1"
        elif d.behavior == "rep_question":
            detector, version = RULE_DETECTOR, "1"
        elif d.behavior == COMPETITOR:
            detector, version = COMPETITOR_DETECTOR, "1"
        else:
            detector, version = DETECTOR, models.heads.version
        out.append(
            Evidence(
                id=evidence_id(call_id, d.behavior, (utterance.id,)),
                behavior=d.behavior,
                subtype=d.subtype,
                speaker=seg.speaker,
                role=seg.role,
                start=seg.start,
                end=seg.end,
                utterance_ids=(utterance.id,),
                quote=seg.text,
                confidence=round(d.confidence, 4),
                fields=fields,
                detector=detector,
                detector_version=version,
            )
        )
    return tuple(out)


def evidence_id(call_id: str, behavior: str, utterance_ids: Sequence[str]) -> str:
    """Stable across runs: a hash of the call, the behavior and the utterances."""
    key = "\x1f".join([call_id, behavior, *utterance_ids])
    return hashlib.sha256(key.encode()).hexdigest()[:16]
