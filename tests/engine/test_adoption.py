"""Adoption (engine.adoption): per rep and ISO week, over a team, and the bottleneck."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from engine.adoption import (
    WeekCounts,
    adoption_cells,
    bottleneck,
    cells_from_counts,
    overall_from_counts,
    team_adoption,
    week_counts,
    week_of,
)
from engine.types import AdoptionCell, BehaviorAdoption, LedgerCall

NEW_YORK = timezone(timedelta(hours=-5))
BERLIN = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("moment", "monday"),
    [
        (datetime(2026, 3, 2, 0, 0, tzinfo=UTC), date(2026, 3, 2)),  # a Monday
        (datetime(2026, 3, 8, 23, 59, tzinfo=UTC), date(2026, 3, 2)),  # its Sunday
        # Sunday evening in New York is Monday in UTC: the next week.
        (datetime(2026, 3, 8, 21, 30, tzinfo=NEW_YORK), date(2026, 3, 9)),
        # Monday just after midnight in Berlin is still Sunday in UTC: the week before.
        (datetime(2026, 3, 9, 0, 30, tzinfo=BERLIN), date(2026, 3, 2)),
        (datetime(2026, 3, 9, 0, 30), date(2026, 3, 9)),  # naive: taken as UTC
        (datetime(2026, 1, 1, 12, tzinfo=UTC), date(2025, 12, 29)),  # across a year
    ],
)
def test_week_of_is_the_utc_monday(moment: datetime, monday: date) -> None:
    assert week_of(moment) == monday
    assert week_of(moment).weekday() == 0


def test_adoption_cells_per_rep_and_week() -> None:
    calls = [
        LedgerCall(1, datetime(2026, 3, 3, 10, tzinfo=UTC), rep_id=2),
        LedgerCall(2, datetime(2026, 3, 4, 10, tzinfo=UTC), rep_id=2),
        LedgerCall(3, datetime(2026, 3, 5, 10, tzinfo=UTC), rep_id=1),
        # Sunday night in New York: Monday 9 March in UTC, rep 2's second week.
        LedgerCall(4, datetime(2026, 3, 8, 22, tzinfo=NEW_YORK), rep_id=2),
        LedgerCall(5, datetime(2026, 3, 6, 10, tzinfo=UTC), rep_id=2),
    ]
    behaviors_by_call = {
        1: {"agenda_set", "pain_quantified"},
        2: {"agenda_set"},
        3: set(),
        4: {"pain_quantified", "not_asked_for"},
        # call 5 has no detections at all
    }
    cells = adoption_cells(calls, behaviors_by_call, ["pain_quantified", "agenda_set"])
    w1, w2 = date(2026, 3, 2), date(2026, 3, 9)
    assert cells == [
        AdoptionCell(1, w1, "pain_quantified", 1, 0),
        AdoptionCell(1, w1, "agenda_set", 1, 0),
        AdoptionCell(2, w1, "pain_quantified", 3, 1),
        AdoptionCell(2, w1, "agenda_set", 3, 2),
        AdoptionCell(2, w2, "pain_quantified", 1, 1),
        AdoptionCell(2, w2, "agenda_set", 1, 0),
    ]
    assert [c.rate for c in cells] == [
        0.0,
        0.0,
        pytest.approx(1 / 3),
        pytest.approx(2 / 3),
        1.0,
        0.0,
    ]


def test_adoption_cells_without_calls_or_behaviors() -> None:
    assert adoption_cells([], {1: {"agenda_set"}}, ["agenda_set"]) == []
    call = LedgerCall(1, datetime(2026, 3, 3, tzinfo=UTC), 1)
    assert adoption_cells([call], {1: {"agenda_set"}}, []) == []


def test_rates_of_empty_sets_are_zero() -> None:
    assert AdoptionCell(1, date(2026, 3, 2), "agenda_set", 0, 0).rate == 0.0
    assert BehaviorAdoption("agenda_set", 0, 0).rate == 0.0
    assert BehaviorAdoption("agenda_set", 4, 3).rate == 0.75


def test_team_adoption_keeps_the_order_given() -> None:
    calls = [LedgerCall(i, datetime(2026, 3, i, tzinfo=UTC), rep_id=i % 2) for i in (1, 2, 3, 4)]
    behaviors_by_call = {1: {"a", "b"}, 2: {"b"}, 3: {"b", "c"}}
    adoption = team_adoption(calls, behaviors_by_call, ["c", "b", "a", "d"])
    assert adoption == [
        BehaviorAdoption("c", 4, 1),
        BehaviorAdoption("b", 4, 3),
        BehaviorAdoption("a", 4, 1),
        BehaviorAdoption("d", 4, 0),
    ]
    assert [a.rate for a in adoption] == [0.25, 0.75, 0.25, 0.0]
    assert bottleneck(adoption) == BehaviorAdoption("d", 4, 0)


def test_bottleneck_ties_go_to_the_first_in_order() -> None:
    adoption = [
        BehaviorAdoption("b", 4, 3),
        BehaviorAdoption("c", 4, 1),
        BehaviorAdoption("a", 4, 1),
    ]
    assert bottleneck(adoption) == BehaviorAdoption("c", 4, 1)
    assert bottleneck(list(reversed(adoption))) == BehaviorAdoption("a", 4, 1)


def test_no_calls_no_bottleneck() -> None:
    assert bottleneck([]) is None
    assert bottleneck([BehaviorAdoption("a", 0, 0), BehaviorAdoption("b", 0, 0)]) is None
    assert team_adoption([], {}, ["a"]) == [BehaviorAdoption("a", 0, 0)]
    assert bottleneck(team_adoption([], {}, ["a", "b"])) is None


def test_counts_per_rep_and_week_give_the_same_cells_and_totals() -> None:
    calls = [
        LedgerCall(1, datetime(2026, 3, 3, 10, tzinfo=UTC), rep_id=2),
        LedgerCall(2, datetime(2026, 3, 4, 10, tzinfo=UTC), rep_id=2),
        LedgerCall(3, datetime(2026, 3, 5, 10, tzinfo=UTC), rep_id=1),
        LedgerCall(4, datetime(2026, 3, 8, 22, tzinfo=NEW_YORK), rep_id=2),
    ]
    seen = {1: {"a", "b"}, 2: {"b", "x"}, 4: {"a"}}
    counts = week_counts(calls, seen)
    assert sorted(counts, key=lambda c: (c.rep_id, c.week)) == [
        WeekCounts(1, date(2026, 3, 2), 1, {}),
        WeekCounts(2, date(2026, 3, 2), 2, {"a": 1, "b": 2, "x": 1}),
        WeekCounts(2, date(2026, 3, 9), 1, {"a": 1}),
    ]
    # in any order, as a database answers them
    for given in (counts, list(reversed(counts))):
        assert cells_from_counts(given, ["b", "a"]) == adoption_cells(calls, seen, ["b", "a"])
        assert overall_from_counts(given, ["b", "a", "c"]) == team_adoption(
            calls, seen, ["b", "a", "c"]
        )
    assert overall_from_counts(counts, ["b", "a", "c"]) == [
        BehaviorAdoption("b", 4, 2),
        BehaviorAdoption("a", 4, 2),
        BehaviorAdoption("c", 4, 0),
    ]


def test_counts_without_calls() -> None:
    assert cells_from_counts([WeekCounts(1, date(2026, 3, 2), 0, {})], ["a"]) == []
    assert overall_from_counts([], ["a"]) == [BehaviorAdoption("a", 0, 0)]
    assert bottleneck(overall_from_counts([], ["a"])) is None
