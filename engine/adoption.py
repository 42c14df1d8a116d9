"""Adoption: how often each behavior happens in a rep's calls, week by week, and which
behavior a team does least (the bottleneck to coach).

A call counts for a behavior when it has at least one detection of it that a reviewer has
not rejected. Weeks are ISO weeks (Monday, UTC) of the call's start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from engine.types import AdoptionCell, BehaviorAdoption, LedgerCall


def week_of(moment: datetime) -> date:
    day = (moment.astimezone(UTC) if moment.tzinfo else moment).date()
    return day - timedelta(days=day.weekday())


RepWeek = tuple[int, date]
"""A rep's id and the Monday of an ISO week."""


@dataclass(frozen=True)
class WeekCounts:
    """What adoption needs of one rep's calls in one week, however it was counted (from the
    calls themselves, or by the database): the calls, and per behavior the calls with it."""

    rep_id: int
    week: date
    calls: int
    calls_with: Mapping[str, int]


def week_counts(
    calls: Iterable[LedgerCall], behaviors_by_call: Mapping[int, set[str]]
) -> list[WeekCounts]:
    """The calls counted per rep and week, and per behavior those with it."""
    calls_in: dict[RepWeek, int] = {}
    with_: dict[RepWeek, dict[str, int]] = {}
    for call in calls:
        group = (call.rep_id, week_of(call.started_at))
        calls_in[group] = calls_in.get(group, 0) + 1
        counts = with_.setdefault(group, {})
        for behavior in behaviors_by_call.get(call.id, ()):
            counts[behavior] = counts.get(behavior, 0) + 1
    return [WeekCounts(rep, week, n, with_[(rep, week)]) for (rep, week), n in calls_in.items()]


def cells_from_counts(counts: Iterable[WeekCounts], behaviors: Sequence[str]) -> list[AdoptionCell]:
    """One cell per (rep, week, behavior) with at least one call, sorted by rep and week, the
    behaviors in the order given."""
    return [
        AdoptionCell(c.rep_id, c.week, b, c.calls, c.calls_with.get(b, 0))
        for c in sorted(counts, key=lambda c: (c.rep_id, c.week))
        if c.calls
        for b in behaviors
    ]


def overall_from_counts(
    counts: Iterable[WeekCounts], behaviors: Sequence[str]
) -> list[BehaviorAdoption]:
    """Each behavior over all the counted calls, in the order given (as team_adoption: a call
    is in exactly one rep's week, so the weeks' counts add up)."""
    calls = 0
    with_ = dict.fromkeys(behaviors, 0)
    for c in counts:
        calls += c.calls
        for b in with_:
            with_[b] += c.calls_with.get(b, 0)
    return [BehaviorAdoption(b, calls, with_[b]) for b in behaviors]


def adoption_cells(
    calls: Iterable[LedgerCall],
    behaviors_by_call: Mapping[int, set[str]],
    behaviors: Sequence[str],
) -> list[AdoptionCell]:
    """One cell per (rep, week, behavior) with at least one call, sorted."""
    return cells_from_counts(week_counts(calls, behaviors_by_call), behaviors)


def team_adoption(
    calls: Sequence[LedgerCall],
    behaviors_by_call: Mapping[int, set[str]],
    behaviors: Sequence[str],
) -> list[BehaviorAdoption]:
    """Each behavior over all the calls, in the order given."""
    return [
        BehaviorAdoption(
            b, len(calls), sum(1 for c in calls if b in behaviors_by_call.get(c.id, set()))
        )
        for b in behaviors
    ]


def bottleneck(adoption: Sequence[BehaviorAdoption]) -> BehaviorAdoption | None:
    """The least adopted behavior (the first in order on a tie); None without calls."""
    with_calls = [a for a in adoption if a.calls]
    return min(with_calls, key=lambda a: a.rate) if with_calls else None
