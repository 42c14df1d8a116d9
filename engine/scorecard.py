"""Scorecards: how one call measures up against a playbook, and coaching for what was missed.

Rules of :func:`build_scorecard`, for each expected behavior of the playbook (in playbook
order):

- a piece of evidence **counts** when its ``behavior`` is the expected one, its role fits
  (``any`` accepts every role, unknown included; ``rep``/``prospect`` need exactly that role,
  so evidence whose role is unknown does not count for them), its ``confidence`` is at least
  ``min_confidence``, and it lies in the time window;
- **time window**: with ``within_minutes`` None, every piece is in it. Otherwise the evidence
  must start at or before ``within_minutes * 60`` seconds. Evidence without a start time
  cannot prove when it happened, so it does not count, except in a call that has no times
  at all (``metrics.timed`` is false), where the window cannot be checked and is waived;
- the item is ``done`` when at least one piece counts; its ``evidence_ids`` are the ids of
  every piece that counts, by start time (untimed ones last, ties by id), each once;
- a ``missed`` item has no evidence ids and carries the playbook's coaching text; when the
  behavior did happen but only after the window, the coaching says when. A ``done`` item's
  coaching is None;
- ``score`` = sum of the weights of done items / sum of all weights, in [0, 1].

The result depends only on the playbook and on the set of evidence, not on its order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.playbook import ExpectedBehavior, Playbook
from engine.types import CallMetrics, Evidence, Scorecard, ScorecardItem

REP_TALK_RATIO_MAX = 0.65
"""Above this share of the talk time the rep gets a talk-ratio note."""
REP_TALK_RATIO_TARGET = 0.60
"""The share the talk-ratio note asks the rep to stay under."""
REP_MONOLOGUE_MAX_SECONDS = 150.0
"""A rep monologue longer than this (seconds) gets a note."""
PATIENCE_MIN_SECONDS = 0.6
"""A mean pause before the rep answers shorter than this (seconds) gets a note."""
REP_QUESTION_RATE_MIN = 12.0
"""Fewer rep questions per hour than this (six in a half-hour call) gets a note."""
MIN_COACHING_CALL_SECONDS = 300.0
"""Talk ratio and question rate are only judged on calls at least this long; shorter ones
(a clip, a voicemail) say too little about how a rep runs a conversation."""


def build_scorecard(
    playbook: Playbook, evidence: Sequence[Evidence], metrics: CallMetrics | None = None
) -> Scorecard:
    """Score a call's evidence against ``playbook`` (rules in the module docstring).

    ``metrics`` only tells whether the call has times (``metrics.timed``); without it the
    call is taken to be timed.
    """
    untimed_call = metrics is not None and not metrics.timed
    items: list[ScorecardItem] = []
    for expected in playbook.expected_behaviors:
        candidates = sorted((e for e in evidence if e.behavior == expected.behavior), key=_order)
        counted = [e for e in candidates if _counts(expected, e, untimed_call)]
        if counted:
            ids = tuple(dict.fromkeys(e.id for e in counted))
            items.append(ScorecardItem(expected.behavior, "done", ids, expected.weight, None))
        else:
            coaching = expected.coaching + _late_note(expected, candidates)
            items.append(ScorecardItem(expected.behavior, "missed", (), expected.weight, coaching))
    total = sum(i.weight for i in items)
    done = sum(i.weight for i in items if i.status == "done")
    return Scorecard(playbook=playbook.name, score=done / total, items=tuple(items))


def _order(e: Evidence) -> tuple[bool, float, str]:
    return (e.start is None, 0.0 if e.start is None else e.start, e.id)


def _role_fits(expected: ExpectedBehavior, e: Evidence) -> bool:
    return expected.role == "any" or e.role == expected.role


def _in_window(expected: ExpectedBehavior, e: Evidence, untimed_call: bool) -> bool:
    if expected.within_minutes is None:
        return True
    if e.start is None:
        return untimed_call
    return e.start <= expected.within_minutes * 60.0


def _counts(expected: ExpectedBehavior, e: Evidence, untimed_call: bool) -> bool:
    return (
        _role_fits(expected, e)
        and e.confidence >= expected.min_confidence
        and _in_window(expected, e, untimed_call)
    )


def _late_note(expected: ExpectedBehavior, candidates: Sequence[Evidence]) -> str:
    """' (It came at 7:12, after the first 5 minutes.)' when only the window was missed."""
    if expected.within_minutes is None:
        return ""
    for e in candidates:  # in time order: the earliest late one
        if (
            e.start is not None
            and _role_fits(expected, e)
            and e.confidence >= expected.min_confidence
        ):
            minutes = expected.within_minutes
            span = "minute" if minutes == 1 else f"{minutes:g} minutes"
            return f" (It came at {clock(e.start)}, after the first {span}.)"
    return ""


def clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss`` from one hour on) of a time in seconds, rounded down."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --------------------------------------------------------------------------- talk metrics


def talk_coaching(metrics: CallMetrics) -> list[str]:
    """Coaching notes from the call's talk metrics, in a fixed order; empty when all is well.

    Notes, each given only when its figure is known (timed calls with a rep):

    - rep talk ratio above :data:`REP_TALK_RATIO_MAX` (calls of at least
      :data:`MIN_COACHING_CALL_SECONDS`);
    - a rep monologue longer than :data:`REP_MONOLOGUE_MAX_SECONDS`;
    - patience (mean pause before the rep answers) under :data:`PATIENCE_MIN_SECONDS`;
    - rep question rate under :data:`REP_QUESTION_RATE_MIN` per hour (calls of at least
      :data:`MIN_COACHING_CALL_SECONDS`).
    """
    if not metrics.timed:
        return []
    notes: list[str] = []
    long_enough = metrics.duration is not None and metrics.duration >= MIN_COACHING_CALL_SECONDS
    has_rep = any(s.role == "rep" for s in metrics.speakers)

    ratio = metrics.talk_ratio_rep
    if long_enough and has_rep and ratio is not None and ratio > REP_TALK_RATIO_MAX:
        notes.append(
            f"You talked {ratio:.0%} of the call; aim for under {REP_TALK_RATIO_TARGET:.0%} "
            'and ask more open questions ("Walk me through how...", "What happens when...").'
        )

    monologue = max((s.longest_monologue for s in metrics.speakers if s.role == "rep"), default=0.0)
    if monologue > REP_MONOLOGUE_MAX_SECONDS:
        notes.append(
            f"Your longest monologue ran {clock(monologue)}; stop within "
            f"{clock(REP_MONOLOGUE_MAX_SECONDS)} and check in with a question "
            '("How does that compare with what you do today?").'
        )

    if has_rep and metrics.patience is not None and metrics.patience < PATIENCE_MIN_SECONDS:
        notes.append(
            f"You started talking {metrics.patience:.1f} s after the prospect stopped, on "
            "average; let them finish and pause for a second: the pause often brings out more."
        )

    rate = metrics.question_rate
    if long_enough and has_rep and rate is not None and rate < REP_QUESTION_RATE_MIN:
        notes.append(
            f"You asked {rate:.0f} questions per hour of call; aim for at least "
            f"{REP_QUESTION_RATE_MIN:.0f} to learn what the prospect needs: ask, then listen."
        )
    return notes


# --------------------------------------------------------------------------- deal stages


@dataclass(frozen=True)
class StageStatus:
    """Where a deal stands on one stage's exit criteria (each in playbook order)."""

    stage: str
    met: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every exit criterion is met."""
        return not self.missing


def stage_exit_status(playbook: Playbook, verified: Mapping[str, bool]) -> list[StageStatus]:
    """Each stage of ``playbook``, in order, with its exit criteria met and missing.

    ``verified`` maps a behavior name to whether the deal has verified evidence of it (what
    counts as verified is the caller's business, e.g. a manager confirmed it); a behavior
    absent from it is not verified.
    """
    statuses: list[StageStatus] = []
    for stage in playbook.stages:
        met = tuple(b for b in stage.exit_criteria if verified.get(b, False))
        missing = tuple(b for b in stage.exit_criteria if not verified.get(b, False))
        statuses.append(StageStatus(stage.name, met, missing))
    return statuses


def current_stage(statuses: Sequence[StageStatus]) -> str | None:
    """The stage the deal is in: the first whose exit criteria are not all met.

    Stages are sequential, so a later stage's criteria met early do not move the deal past
    an earlier incomplete stage. None when every stage is complete (or there are none).
    """
    return next((s.stage for s in statuses if not s.complete), None)
