"""Scoring detections against labels (BEHAVIORS.md "How detections are scored"), by hand,
and the labeled sets: the team's sales calls and the held-out AMI meetings."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.behaviors.catalog import BUILT_IN, SCORED
from engine.types import Evidence, Transcript, TranscriptTurn
from eval.behaviors import SetScore, format_score, score_call
from eval.labeled import (
    AMI_HELD_OUT,
    AMI_TRAIN,
    SALES_DEV,
    SALES_DIR,
    Label,
    LabeledCall,
    ami_calls,
    sales_calls,
    team_ami_meetings,
)


def call(*labels: tuple[int, str], turns: int = 20, subtype: str | None = None) -> LabeledCall:
    transcript = Transcript(
        tuple(TranscriptTurn("A" if i % 2 else "B", f"turn {i}") for i in range(turns)), "test"
    )
    return LabeledCall(
        "c1", transcript, tuple(Label("c1", t, b, subtype, "rep") for t, b in labels)
    )


def ev(turn: int, behavior: str, subtype: str | None = None, **fields: object) -> Evidence:
    return Evidence(
        id=f"{behavior}-{turn}",
        behavior=behavior,
        subtype=subtype,
        speaker="S1",
        role="rep",
        start=None,
        end=None,
        utterance_ids=(f"u{turn}",),
        quote="q",
        confidence=0.9,
        fields=fields,
        detector="test",
        detector_version="1",
    )


def scored(labeled: LabeledCall, evidence: list[Evidence]) -> SetScore:
    score = SetScore("test", trained_on=False)
    score_call(score, labeled, evidence)
    return score


# --------------------------------------------------------------------------- moment level


@pytest.mark.parametrize(("turn", "correct"), [(9, 1), (10, 1), (11, 1), (8, 0), (12, 0)])
def test_a_detection_at_or_next_to_a_label_is_correct(turn: int, correct: int) -> None:
    s = scored(call((10, "agenda_set")), [ev(turn, "agenda_set")])
    m = s.moment["agenda_set"]
    assert (m.detections, m.correct, m.labeled, m.found) == (1, correct, 1, correct)


def test_a_detection_of_another_behavior_is_not_correct() -> None:
    s = scored(call((10, "agenda_set")), [ev(10, "budget_discussed")])
    assert s.moment["agenda_set"].found == 0
    b = s.moment["budget_discussed"]
    assert (b.detections, b.correct, b.labeled) == (1, 0, 0)
    assert b.precision == 0.0
    assert b.recall == 0.0  # nothing labeled: no recall to speak of


def test_several_detections_near_one_label_are_all_correct() -> None:
    s = scored(
        call((10, "agenda_set")), [ev(9, "agenda_set"), ev(10, "agenda_set"), ev(11, "agenda_set")]
    )
    m = s.moment["agenda_set"]
    assert (m.detections, m.correct, m.labeled, m.found) == (3, 3, 1, 1)
    assert (m.precision, m.recall, m.f1) == (1.0, 1.0, 1.0)


def test_one_detection_between_two_labels_finds_both() -> None:
    s = scored(call((4, "budget_discussed"), (6, "budget_discussed")), [ev(5, "budget_discussed")])
    m = s.moment["budget_discussed"]
    assert (m.detections, m.correct, m.labeled, m.found) == (1, 1, 2, 2)


def test_precision_recall_and_f1_by_hand() -> None:
    # labels at 2, 10, 18; detections at 3 (near 2), 10 (on 10), 14 and 15 (near nothing)
    labeled = call(
        (2, "decision_process_confirmed"),
        (10, "decision_process_confirmed"),
        (18, "decision_process_confirmed"),
    )
    evidence = [ev(t, "decision_process_confirmed") for t in (3, 10, 14, 15)]
    m = scored(labeled, evidence).moment["decision_process_confirmed"]
    assert (m.detections, m.correct, m.labeled, m.found) == (4, 2, 3, 2)
    assert m.precision == pytest.approx(0.5)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert m.as_dict() == {
        "detections": 4,
        "correct": 2,
        "labeled": 3,
        "found": 2,
        "precision": 0.5,
        "recall": 0.667,
        "f1": 0.571,
    }


def test_two_detections_on_one_turn_count_once() -> None:
    s = scored(call((10, "agenda_set")), [ev(10, "agenda_set"), ev(10, "agenda_set")])
    assert s.moment["agenda_set"].detections == 1


def test_further_behaviors_are_scored_apart_from_the_macro_figure() -> None:
    labeled = call((3, "pain_quantified"), (9, "competitor_mentioned"))
    s = scored(
        labeled,
        [ev(3, "pain_quantified"), ev(4, "rep_question"), ev(15, "competitor_mentioned")],
    )
    assert set(s.moment) == set(SCORED)
    assert all(c.detections == 0 and c.labeled == 0 for c in s.moment.values())
    assert s.macro_f1 == 0.0
    pain, rival = s.further["pain_quantified"], s.further["competitor_mentioned"]
    assert (pain.detections, pain.correct, pain.labeled, pain.found) == (1, 1, 1, 1)
    assert (rival.detections, rival.correct, rival.labeled, rival.found) == (1, 0, 1, 0)
    assert set(s.as_dict()["further"]) == {"pain_quantified", "competitor_mentioned"}
    text = format_score(s)
    assert "further behaviors, not in the macro F1" in text
    assert "competitor_mentioned" in text and "timeline_agreed" not in text  # none labeled


def test_counts_add_up_over_calls() -> None:
    s = SetScore("two calls", trained_on=True)
    score_call(s, call((5, "agenda_set")), [ev(5, "agenda_set")])
    score_call(s, call((5, "agenda_set")), [ev(12, "agenda_set")])
    m = s.moment["agenda_set"]
    assert s.calls == 2
    assert (m.detections, m.correct, m.labeled, m.found) == (2, 1, 2, 1)


# --------------------------------------------------------------------------- call level


def test_call_level_present_or_absent() -> None:
    labeled = call((5, "agenda_set"), (7, "budget_discussed"))
    evidence = [ev(15, "agenda_set"), ev(2, "next_step_undated")]
    c = scored(labeled, evidence).call_level
    # agenda: labeled and detected (far from the label: still present at call level)
    assert (c["agenda_set"].detections, c["agenda_set"].correct) == (1, 1)
    assert (c["agenda_set"].labeled, c["agenda_set"].found) == (1, 1)
    # budget: labeled, not detected
    assert (c["budget_discussed"].detections, c["budget_discussed"].labeled) == (0, 1)
    assert c["budget_discussed"].found == 0
    # undated next step: detected, not labeled
    assert (c["next_step_undated"].detections, c["next_step_undated"].correct) == (1, 0)
    assert c["next_step_undated"].labeled == 0
    # neither labeled nor detected
    assert c["decision_process_confirmed"].as_dict()["detections"] == 0


# --------------------------------------------------------------------------- next steps


def test_dated_and_undated_confusions_are_errors_for_both() -> None:
    labeled = call((5, "next_step_dated"), (12, "next_step_undated"), (18, "next_step_dated"))
    evidence = [ev(6, "next_step_undated"), ev(12, "next_step_undated")]
    s = scored(labeled, evidence)
    assert s.confusion == {
        "next_step_dated": {"next_step_dated": 0, "next_step_undated": 1, "none": 1},
        "next_step_undated": {"next_step_dated": 0, "next_step_undated": 1, "none": 0},
    }
    dated, undated = s.moment["next_step_dated"], s.moment["next_step_undated"]
    assert (dated.detections, dated.labeled, dated.found) == (0, 2, 0)  # a miss for dated
    assert (undated.detections, undated.correct) == (2, 1)  # a false alarm for undated
    assert (undated.labeled, undated.found) == (1, 1)


def test_a_matching_next_step_near_a_label_wins_over_the_other_kind() -> None:
    labeled = call((5, "next_step_dated"))
    s = scored(labeled, [ev(4, "next_step_undated"), ev(6, "next_step_dated")])
    assert s.confusion["next_step_dated"] == {
        "next_step_dated": 1,
        "next_step_undated": 0,
        "none": 0,
    }


# --------------------------------------------------------------------------- reported apart


def test_subtypes_and_due_dates_are_reported_apart() -> None:
    labeled = LabeledCall(
        "c1",
        call(turns=10).transcript,
        (
            Label("c1", 2, "budget_discussed", "budget_asked", "rep"),
            Label("c1", 4, "budget_discussed", "price_presented", "rep"),
            Label("c1", 6, "next_step_dated", None, "rep", "by Friday", "2026-03-06"),
            Label("c1", 8, "next_step_dated", None, "rep", "Monday", "2026-03-09"),
        ),
    )
    evidence = [
        ev(2, "budget_discussed", "budget_asked"),
        ev(4, "budget_discussed", "cost_concern"),
        ev(6, "next_step_dated", due="2026-03-06"),
        ev(8, "next_step_dated", due=None),
    ]
    s = scored(labeled, evidence)
    assert (s.subtype_agree, s.subtype_total) == (1, 2)
    assert (s.due_agree, s.due_total) == (1, 2)
    assert s.moment["budget_discussed"].f1 == 1.0  # subtypes do not enter F1


def test_amounts_agree_with_their_currency() -> None:
    def budget(turn: int, amount: float | None, currency: str | None) -> Label:
        return Label("c1", turn, "budget_discussed", None, "rep", amount=amount, currency=currency)

    labeled = LabeledCall(
        "c1",
        call(turns=10).transcript,
        (
            budget(2, 1200.0, "USD"),
            budget(4, 50.0, "EUR"),
            budget(6, None, None),
            budget(8, 9.0, "USD"),
        ),
    )
    evidence = [
        ev(2, "budget_discussed", amount=1200.0, currency="USD"),
        ev(4, "budget_discussed", amount=50.0, currency="USD"),
        ev(6, "budget_discussed", amount=3.0, currency="USD"),  # the label has no amount
    ]  # turn 8 is not found: not counted
    s = scored(labeled, evidence)
    assert (s.amount_agree, s.amount_total) == (1, 2)
    assert "amount and currency agreement on found budget turns: 1/2" in format_score(s)


# --------------------------------------------------------------------------- summary


def test_macro_f1_is_the_mean_over_the_five_scored_behaviors() -> None:
    labeled = call((3, "agenda_set"), (8, "budget_discussed"))
    s = scored(
        labeled, [ev(3, "agenda_set"), ev(8, "budget_discussed"), ev(15, "budget_discussed")]
    )
    assert s.moment["agenda_set"].f1 == 1.0
    assert s.moment["budget_discussed"].f1 == pytest.approx(2 * 0.5 / 1.5)
    assert s.macro_f1 == pytest.approx((1.0 + 2 / 3 + 0 + 0 + 0) / 5)
    report = s.as_dict()
    assert report["macro_f1"] == 0.333
    assert set(report["moment"]) == set(SCORED)
    text = format_score(s)
    assert "macro F1 (moment level): 0.333" in text
    assert "(held out)" in text


# --------------------------------------------------------------------------- labeled sets


@pytest.mark.parametrize(("directory", "count"), [(SALES_DIR, 12), (SALES_DEV, 8)])
def test_sales_calls_load_with_valid_labels(directory: Path, count: int) -> None:
    calls = sales_calls(directory)
    assert len(calls) == count
    assert len({c.call_id for c in calls}) == count
    for c in calls:
        assert c.labels, c.call_id
        assert c.transcript.call_start is not None
        n = len(c.transcript.turns)
        for lab in c.labels:
            assert lab.call_id == c.call_id
            assert 0 <= lab.turn < n, (c.call_id, lab.turn)
            assert lab.behavior in BUILT_IN
            assert lab.by in ("rep", "prospect")
            assert lab.by == c.transcript.turns[lab.turn].role, (c.call_id, lab.turn)
        assert [lab.turn for lab in c.labels] == sorted(lab.turn for lab in c.labels)
    behaviors = {lab.behavior for c in calls for lab in c.labels}
    assert set(SCORED) <= behaviors


def test_held_out_ami_meetings_load(shared_eval: Path) -> None:
    calls = ami_calls(AMI_HELD_OUT)
    assert [c.call_id for c in calls] == list(AMI_HELD_OUT)
    assert not set(AMI_HELD_OUT) & set(AMI_TRAIN)
    for c in calls:
        assert c.labels
        n = len(c.transcript.turns)
        assert all(0 <= lab.turn < n for lab in c.labels)
        assert {t.role for t in c.transcript.turns} == {"rep", "prospect"}
        reps = {t.speaker for t in c.transcript.turns if t.role == "rep"}
        assert reps == {"Project Manager"}


def test_team_ami_labels_are_valid_and_never_held_out(shared_eval: Path) -> None:
    meetings = team_ami_meetings()
    assert meetings, "the team's AMI labels are missing"
    assert not set(meetings) & (set(AMI_HELD_OUT) | set(AMI_TRAIN))
    calls = ami_calls(meetings)
    assert [c.call_id for c in calls] == list(meetings)
    for c in calls:
        n = len(c.transcript.turns)
        for lab in c.labels:
            assert 0 <= lab.turn < n, (c.call_id, lab.turn)
            assert lab.behavior in SCORED, (c.call_id, lab.turn)
            assert lab.by == c.transcript.turns[lab.turn].role, (c.call_id, lab.turn)
    # the public set alone stays the default
    assert {c.call_id for c in ami_calls()} == set(AMI_TRAIN) | set(AMI_HELD_OUT)
