"""Scorecards, stage exit criteria and talk coaching, against numbers worked out by hand."""

from __future__ import annotations

import random

import pytest

from engine.playbook import ExpectedBehavior, Playbook, Stage, load_playbook
from engine.scorecard import (
    MIN_COACHING_CALL_SECONDS,
    PATIENCE_MIN_SECONDS,
    REP_MONOLOGUE_MAX_SECONDS,
    REP_QUESTION_RATE_MIN,
    REP_TALK_RATIO_MAX,
    build_scorecard,
    clock,
    current_stage,
    stage_exit_status,
    talk_coaching,
)
from engine.types import CallMetrics, Evidence, Role, Scorecard, SpeakerMetrics


def ev(
    id: str,
    behavior: str,
    start: float | None,
    role: Role | None = "rep",
    confidence: float = 0.9,
) -> Evidence:
    return Evidence(
        id=id,
        behavior=behavior,
        subtype=None,
        speaker="S1" if role == "rep" else "S2",
        role=role,
        start=start,
        end=None if start is None else start + 4.0,
        utterance_ids=("u0",),
        quote="...",
        confidence=confidence,
        fields={},
        detector="test",
        detector_version="0",
    )


PLAYBOOK = Playbook(
    name="test",
    expected_behaviors=(
        ExpectedBehavior("agenda_set", "Set the agenda.", role="rep", within_minutes=5, weight=2),
        ExpectedBehavior("budget_discussed", "Talk money.", role="any", weight=1),
        ExpectedBehavior("next_step_dated", "Book it.", role="any", weight=1, min_confidence=0.5),
    ),
    stages=(
        Stage("One", ("agenda_set",)),
        Stage("Two", ("budget_discussed", "decision_process_confirmed")),
    ),
)


def metrics(
    *,
    timed: bool = True,
    duration: float | None = 1800.0,
    talk_ratio_rep: float | None = 0.5,
    rep_monologue: float = 60.0,
    patience: float | None = 1.0,
    question_rate: float | None = 30.0,
    rep: bool = True,
) -> CallMetrics:
    speakers = (
        SpeakerMetrics("S1", "rep" if rep else None, 900, 0.5, rep_monologue, 2000, 130, 15, 30),
        SpeakerMetrics("S2", "prospect" if rep else None, 900, 0.5, 400.0, 2000, 130, 5, 10),
    )
    return CallMetrics(
        timed=timed,
        duration=duration,
        talk_ratio_rep=talk_ratio_rep,
        longest_monologue=max(rep_monologue, 400.0),
        longest_monologue_speaker="S2",
        interactivity=3.0,
        patience=patience,
        question_rate=question_rate,
        words_per_minute=130.0,
        speakers=speakers,
    )


def statuses(card: Scorecard) -> dict[str, str]:
    return {i.behavior: i.status for i in card.items}


def test_exact_score_and_items() -> None:
    evidence = [
        ev("a2", "agenda_set", 120.0),
        ev("a1", "agenda_set", 30.0),
        ev("b1", "budget_discussed", 600.0, role="prospect"),
        ev("q1", "rep_question", 10.0),
    ]
    card = build_scorecard(PLAYBOOK, evidence)
    assert card.playbook == "test"
    # done: agenda (2) + budget (1) of 4
    assert card.score == pytest.approx(0.75)
    agenda, budget, next_step = card.items
    assert (agenda.behavior, agenda.status, agenda.evidence_ids, agenda.weight) == (
        "agenda_set",
        "done",
        ("a1", "a2"),
        2,
    )
    assert agenda.coaching is None
    assert budget.status == "done"
    assert budget.evidence_ids == ("b1",)
    assert budget.coaching is None
    assert next_step.status == "missed"
    assert next_step.evidence_ids == ()
    assert next_step.coaching == "Book it."


def test_no_evidence_scores_zero_with_coaching_everywhere() -> None:
    card = build_scorecard(PLAYBOOK, [])
    assert card.score == 0.0
    assert all(i.status == "missed" and i.coaching for i in card.items)


def test_everything_done_scores_one_without_coaching() -> None:
    evidence = [
        ev("a", "agenda_set", 0.0),
        ev("b", "budget_discussed", 100.0),
        ev("n", "next_step_dated", 1700.0, role="prospect"),
    ]
    card = build_scorecard(PLAYBOOK, evidence)
    assert card.score == 1.0
    assert all(i.coaching is None for i in card.items)


def test_role_rules() -> None:
    # agenda must be the rep's: a prospect's or an unknown role does not count
    card = build_scorecard(
        PLAYBOOK, [ev("p", "agenda_set", 10.0, role="prospect"), ev("n", "agenda_set", 20.0, None)]
    )
    assert statuses(card)["agenda_set"] == "missed"
    # 'any' takes both sides and an unknown role
    for role in ("rep", "prospect", None):
        card = build_scorecard(PLAYBOOK, [ev("b", "budget_discussed", 10.0, role=role)])
        assert statuses(card)["budget_discussed"] == "done"


def test_prospect_role() -> None:
    playbook = Playbook("p", (ExpectedBehavior("pain_quantified", "Quantify.", role="prospect"),))
    assert build_scorecard(playbook, [ev("r", "pain_quantified", 5.0, "rep")]).score == 0.0
    assert build_scorecard(playbook, [ev("p", "pain_quantified", 5.0, "prospect")]).score == 1.0


def test_time_window_is_inclusive_and_late_evidence_is_named() -> None:
    on_time = build_scorecard(PLAYBOOK, [ev("a", "agenda_set", 300.0)])
    assert statuses(on_time)["agenda_set"] == "done"

    late = build_scorecard(PLAYBOOK, [ev("b", "agenda_set", 432.5), ev("a", "agenda_set", 300.5)])
    item = late.items[0]
    assert item.status == "missed"
    assert item.evidence_ids == ()
    assert item.coaching == "Set the agenda. (It came at 5:00, after the first 5 minutes.)"

    # on time and late together: done, and only the on-time one is linked
    both = build_scorecard(PLAYBOOK, [ev("late", "agenda_set", 900.0), ev("ok", "agenda_set", 1.0)])
    assert both.items[0].evidence_ids == ("ok",)


def test_late_note_only_for_evidence_that_otherwise_counts() -> None:
    # a late prospect agenda is not the rep's miss of timing, so no time note
    card = build_scorecard(PLAYBOOK, [ev("p", "agenda_set", 400.0, role="prospect")])
    assert card.items[0].coaching == "Set the agenda."


def test_untimed_evidence_and_the_window() -> None:
    untimed = [ev("a", "agenda_set", None)]
    # a timed call (or unknown metrics): evidence without a time cannot prove the window
    assert statuses(build_scorecard(PLAYBOOK, untimed))["agenda_set"] == "missed"
    assert statuses(build_scorecard(PLAYBOOK, untimed, metrics()))["agenda_set"] == "missed"
    # a call without any times: the window is waived
    no_times = metrics(timed=False)
    assert statuses(build_scorecard(PLAYBOOK, untimed, no_times))["agenda_set"] == "done"
    # no window: untimed evidence counts, and is linked after the timed ones
    card = build_scorecard(
        PLAYBOOK, [ev("z", "budget_discussed", None), ev("y", "budget_discussed", 50.0)]
    )
    assert card.items[1].evidence_ids == ("y", "z")


def test_min_confidence() -> None:
    weak = build_scorecard(PLAYBOOK, [ev("n", "next_step_dated", 10.0, confidence=0.49)])
    assert statuses(weak)["next_step_dated"] == "missed"
    exact = build_scorecard(PLAYBOOK, [ev("n", "next_step_dated", 10.0, confidence=0.5)])
    assert statuses(exact)["next_step_dated"] == "done"


def test_evidence_ids_sorted_by_time_then_id_and_unique() -> None:
    evidence = [
        ev("c", "budget_discussed", 20.0),
        ev("b", "budget_discussed", 20.0),
        ev("a", "budget_discussed", 90.0),
        ev("b", "budget_discussed", 20.0),
    ]
    card = build_scorecard(PLAYBOOK, evidence)
    assert card.items[1].evidence_ids == ("b", "c", "a")


def test_deterministic_whatever_the_evidence_order() -> None:
    calls: list[tuple[str, int, Role]] = [
        ("agenda_set", 30, "rep"),
        ("agenda_set", 400, "rep"),
        ("budget_discussed", 100, "prospect"),
        ("budget_discussed", 100, "rep"),
        ("next_step_dated", 1500, "rep"),
        ("competitor_mentioned", 200, "prospect"),
    ]
    evidence = [ev(f"e{i}", b, float(t), r) for i, (b, t, r) in enumerate(calls)]
    expected = build_scorecard(PLAYBOOK, evidence).to_dict()
    rng = random.Random(7)
    for _ in range(20):
        shuffled = evidence[:]
        rng.shuffle(shuffled)
        assert build_scorecard(PLAYBOOK, shuffled).to_dict() == expected
    assert expected["score"] == 1.0


def test_bundled_playbook_scorecard_round_trips() -> None:
    playbook = load_playbook("discovery")
    evidence = [ev("a", "agenda_set", 12.0), ev("n", "next_step_dated", 1750.0)]
    card = build_scorecard(playbook, evidence, metrics())
    # agenda 2 + next step 3 of 2 + 2 + 2 + 1.5 + 1 + 3 = 11.5
    assert card.score == pytest.approx(5 / 11.5)
    assert [i.behavior for i in card.items] == [e.behavior for e in playbook.expected_behaviors]
    again = Scorecard.from_dict(card.to_dict())
    assert again.items == card.items
    assert again.to_dict() == card.to_dict()


def test_stage_exit_status() -> None:
    result = stage_exit_status(PLAYBOOK, {"agenda_set": True, "budget_discussed": True})
    assert [(s.stage, s.met, s.missing, s.complete) for s in result] == [
        ("One", ("agenda_set",), (), True),
        ("Two", ("budget_discussed",), ("decision_process_confirmed",), False),
    ]
    assert current_stage(result) == "Two"
    # a later stage met early does not skip an earlier one; False counts as not verified
    result = stage_exit_status(
        PLAYBOOK,
        {"agenda_set": False, "budget_discussed": True, "decision_process_confirmed": True},
    )
    assert current_stage(result) == "One"
    everything = {"agenda_set": True, "budget_discussed": True, "decision_process_confirmed": True}
    assert current_stage(stage_exit_status(PLAYBOOK, everything)) is None


def test_stage_exit_status_on_a_bundled_playbook() -> None:
    result = stage_exit_status(load_playbook("discovery"), {})
    assert [s.stage for s in result] == ["Discovery", "Evaluation", "Commit"]
    evaluation = result[1]
    assert evaluation.missing == ("budget_discussed", "decision_process_confirmed")


def test_clock() -> None:
    assert clock(0) == "0:00"
    assert clock(59.9) == "0:59"
    assert clock(185) == "3:05"
    assert clock(3725) == "1:02:05"


def test_talk_coaching_quiet_when_all_is_well() -> None:
    assert talk_coaching(metrics()) == []


def test_talk_coaching_each_threshold() -> None:
    notes = talk_coaching(
        metrics(talk_ratio_rep=0.72, rep_monologue=185.0, patience=0.3, question_rate=8.0)
    )
    assert len(notes) == 4
    assert notes[0].startswith("You talked 72% of the call; aim for under 60%")
    assert "3:05" in notes[1] and "2:30" in notes[1]
    assert "0.3 s" in notes[2]
    assert "8 questions per hour" in notes[3]


def test_talk_coaching_boundaries() -> None:
    at_limits = metrics(
        talk_ratio_rep=REP_TALK_RATIO_MAX,
        rep_monologue=REP_MONOLOGUE_MAX_SECONDS,
        patience=PATIENCE_MIN_SECONDS,
        question_rate=REP_QUESTION_RATE_MIN,
    )
    assert talk_coaching(at_limits) == []


def test_talk_coaching_skips_what_it_cannot_judge() -> None:
    # the prospect's long monologue is not the rep's
    assert talk_coaching(metrics(rep_monologue=10.0)) == []
    # short calls: no talk-ratio or question-rate note, monologue and patience still judged
    short = metrics(
        duration=MIN_COACHING_CALL_SECONDS - 1,
        talk_ratio_rep=0.9,
        question_rate=0.0,
        patience=0.2,
    )
    notes = talk_coaching(short)
    assert len(notes) == 1 and "0.2 s" in notes[0]
    # no times, or no rep known
    assert talk_coaching(metrics(timed=False, talk_ratio_rep=0.9, patience=0.1)) == []
    assert talk_coaching(metrics(rep=False, talk_ratio_rep=0.9, patience=0.1)) == []
