"""The deal ledger (engine.ledger.build_ledger), checked against hand-worked expectations."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.ledger import build_ledger
from engine.playbook import ExpectedBehavior, Playbook, Stage
from engine.types import (
    BehaviorLedger,
    LedgerCall,
    LedgerEvidence,
    ReviewStatus,
    Role,
    StageCriteria,
)

PLAYBOOK = Playbook(
    name="test",
    expected_behaviors=(
        ExpectedBehavior("agenda_set", "Open with an agenda."),
        ExpectedBehavior("pain_quantified", "Put a number on the pain."),
    ),
    stages=(
        Stage("Discovery", ("pain_quantified",)),
        Stage("Evaluation", ("budget_discussed", "decision_process_confirmed")),
        Stage("Commit", ("timeline_agreed",)),
    ),
)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def ev(
    id: int,
    call_id: int,
    behavior: str,
    status: ReviewStatus = "detected",
    start: float | None = 0.0,
    role: Role | None = "rep",
) -> LedgerEvidence:
    return LedgerEvidence(id, call_id, behavior, status, 0.9, start, role)


# Three calls whose ids are not in time order: 20 (day 1), 30 (day 3), 10 (day 5).
CALLS = [LedgerCall(10, at(5), rep_id=7), LedgerCall(30, at(3), rep_id=8), LedgerCall(20, at(1), 9)]


def test_statuses_first_call_and_stage_criteria() -> None:
    evidence = [
        ev(1, 10, "pain_quantified", start=5.0, role="prospect"),
        ev(2, 30, "pain_quantified", start=50.0, role="prospect"),
        ev(3, 30, "pain_quantified", "confirmed", start=10.0, role="rep"),
        ev(4, 20, "budget_discussed", "rejected", start=1.0),
        ev(5, 10, "decision_process_confirmed", start=None, role=None),
        ev(6, 99, "agenda_set"),  # a call that is not the deal's
        ev(7, 20, "champion", role="prospect"),
        ev(8, 20, "timeline_agreed", start=None),
        ev(9, 20, "timeline_agreed", start=100.0, role="prospect"),
    ]
    ledger = build_ledger(PLAYBOOK, CALLS, evidence)
    assert ledger.behaviors == (
        BehaviorLedger("agenda_set", "missing", None, None, 3, None, None, ()),
        BehaviorLedger("pain_quantified", "verified", 30, 2, 3, 8, "rep", (3, 2, 1)),
        BehaviorLedger("budget_discussed", "missing", None, None, 3, None, None, ()),
        BehaviorLedger("decision_process_confirmed", "detected", 10, 3, 3, 7, None, (5,)),
        BehaviorLedger("timeline_agreed", "detected", 20, 1, 3, 9, "prospect", (9, 8)),
        BehaviorLedger("champion", "detected", 20, 1, 3, 9, "prospect", (7,)),
    )
    assert ledger.stages == (
        StageCriteria("Discovery", ("pain_quantified",), (), ("pain_quantified",)),
        StageCriteria("Evaluation", ("decision_process_confirmed",), ("budget_discussed",), ()),
        StageCriteria("Commit", ("timeline_agreed",), (), ()),
    )
    assert [s.complete for s in ledger.stages] == [True, False, True]
    assert ledger.suggested_stage == "Evaluation"
    assert ledger.criteria_met == (
        "Discovery:pain_quantified",
        "Evaluation:decision_process_confirmed",
        "Commit:timeline_agreed",
    )


def test_calls_at_the_same_moment_are_ordered_by_id() -> None:
    calls = [LedgerCall(5, at(2), 1), LedgerCall(4, at(2), 2), LedgerCall(6, at(1), 3)]
    ledger = build_ledger(PLAYBOOK, calls, [ev(1, 5, "agenda_set"), ev(2, 4, "agenda_set")])
    agenda = ledger.behaviors[0]
    assert (agenda.first_call_id, agenda.first_call_number, agenda.calls_total) == (4, 2, 3)
    assert agenda.first_by_rep_id == 2
    assert agenda.evidence_ids == (2, 1)


def test_rejected_evidence_does_not_count() -> None:
    only_rejected = build_ledger(
        PLAYBOOK, CALLS, [ev(1, 20, "pain_quantified", "rejected", role="prospect")]
    )
    pain = only_rejected.behaviors[1]
    assert pain == BehaviorLedger("pain_quantified", "missing", None, None, 3, None, None, ())
    assert only_rejected.stages[0].met == () and only_rejected.stages[0].missing == (
        "pain_quantified",
    )
    assert only_rejected.suggested_stage == "Discovery"
    assert only_rejected.criteria_met == ()

    # A rejected first detection: "first" moves on to the next one that counts.
    later = build_ledger(
        PLAYBOOK,
        CALLS,
        [
            ev(1, 20, "pain_quantified", "rejected"),
            ev(2, 10, "pain_quantified", "confirmed", role="prospect"),
        ],
    )
    pain = later.behaviors[1]
    assert (pain.status, pain.first_call_id, pain.first_call_number) == ("verified", 10, 3)
    assert (pain.first_by_rep_id, pain.first_role, pain.evidence_ids) == (7, "prospect", (2,))
    assert later.stages[0].verified == ("pain_quantified",)


def test_a_confirmed_detection_verifies_whatever_else_reviewers_said() -> None:
    ledger = build_ledger(
        PLAYBOOK,
        CALLS,
        [
            ev(1, 20, "budget_discussed", "rejected"),
            ev(2, 30, "budget_discussed", "detected"),
            ev(3, 10, "budget_discussed", "confirmed"),
        ],
    )
    budget = ledger.behaviors[2]
    assert (budget.status, budget.first_call_id, budget.evidence_ids) == ("verified", 30, (2, 3))
    assert ledger.stages[1] == StageCriteria(
        "Evaluation",
        ("budget_discussed",),
        ("decision_process_confirmed",),
        ("budget_discussed",),
    )


def test_every_criterion_met_suggests_no_stage() -> None:
    evidence = [
        ev(1, 20, "pain_quantified"),
        ev(2, 20, "budget_discussed", "confirmed"),
        ev(3, 30, "decision_process_confirmed"),
        ev(4, 10, "timeline_agreed"),
    ]
    ledger = build_ledger(PLAYBOOK, CALLS, evidence)
    assert all(s.complete for s in ledger.stages)
    assert ledger.suggested_stage is None
    assert ledger.criteria_met == (
        "Discovery:pain_quantified",
        "Evaluation:budget_discussed",
        "Evaluation:decision_process_confirmed",
        "Commit:timeline_agreed",
    )
    assert [s.verified for s in ledger.stages] == [(), ("budget_discussed",), ()]


def test_a_deal_without_calls() -> None:
    ledger = build_ledger(PLAYBOOK, [], [ev(1, 20, "agenda_set")])
    assert [b.behavior for b in ledger.behaviors] == [
        "agenda_set",
        "pain_quantified",
        "budget_discussed",
        "decision_process_confirmed",
        "timeline_agreed",
    ]
    assert all(b.status == "missing" and b.calls_total == 0 for b in ledger.behaviors)
    assert ledger.suggested_stage == "Discovery"
    assert ledger.criteria_met == ()


def test_a_playbook_without_stages() -> None:
    playbook = Playbook("flat", (ExpectedBehavior("agenda_set", "Set one."),))
    ledger = build_ledger(playbook, CALLS, [ev(1, 30, "agenda_set")])
    assert ledger.stages == ()
    assert ledger.suggested_stage is None
    assert ledger.criteria_met == ()
    assert ledger.behaviors[0].first_call_number == 2
