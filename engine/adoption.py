"""Adoption: how often each behavior happens in a rep's calls, week by week, and which
behavior a team does least (the bottleneck to coach).

A call counts for a behavior when it has at least one detection of it that a reviewer has
not rejected. Weeks are ISO weeks (Monday, UTC) of the call's start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from engine.types import AdoptionCell, BehaviorAdoption, LedgerCall


def week_of(moment: datetime) -> date:
    day = (moment.astimezone(UTC) if moment.tzinfo else moment).date()
    return day - timedelta(days=day.weekday())


def adoption_cells(
    calls: Iterable[LedgerCall],
    behaviors_by_call: Mapping[int, set[str]],
    behaviors: Sequence[str],
) -> list[AdoptionCell]:
    """One cell per (rep, week, behavior) with at least one call, sorted."""
    groups: dict[tuple[int, date], list[int]] = {}
    for call in calls:
        groups.setdefault((call.rep_id, week_of(call.started_at)), []).append(call.id)
    cells: list[AdoptionCell] = []
    for (rep_id, week), call_ids in sorted(groups.items()):
        for behavior in behaviors:
            with_ = sum(1 for c in call_ids if behavior in behaviors_by_call.get(c, set()))
            cells.append(AdoptionCell(rep_id, week, behavior, len(call_ids), with_))
    return cells


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
