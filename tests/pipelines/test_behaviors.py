"""Behavior detection end to end with the real models: a short sales call written here, small
talk, a custom tracker from a playbook, and ``analyze_call`` on transcript files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.summary import render_summary
from engine.playbook import load_playbook
from engine.schema import validate_call_json
from engine.types import AnalyzeOptions, Evidence, Role, Utterance
from pipelines.analyze import analyze_call
from pipelines.behaviors import (
    COMPETITOR_DETECTOR,
    DETECTOR,
    RULE_DETECTOR,
    TRACKER_DETECTOR,
    BehaviorModels,
    detect_behaviors,
    evidence_id,
    load_behavior_models,
)

ROOT = Path(__file__).resolve().parents[2]
DISCOVERY = ROOT / "tests" / "data" / "transcripts" / "discovery_call.vtt"
CALL_START = "2026-03-02T15:00:00-05:00"  # a Monday; that week's Friday is 6 March
COMPETITOR = "competitor_mentioned"
CORE = {"agenda_set", "budget_discussed", "decision_process_confirmed", "next_step_dated"}

SALES_CALL: tuple[tuple[Role, str], ...] = (
    ("rep", "Hi Dana, thanks for joining. How has your week been?"),
    ("prospect", "Busy but good, thanks for asking."),
    (
        "rep",
        "The plan for today: I'd like to understand how your team reports pipeline, then show "
        "you a short demo. We have 30 minutes, does that still work?",
    ),
    ("prospect", "Yes, that works for me."),
    ("rep", "What does your reporting process look like right now?"),
    (
        "prospect",
        "Honestly it's a mess of spreadsheets. We're also evaluating Clari as an alternative.",
    ),
    ("rep", "Is a budget of around $40k a year realistic for your team?"),
    ("prospect", "Yes, we set aside roughly that much for this project."),
    ("rep", "Who else would be involved in the decision to buy?"),
    ("prospect", "My CFO signs off on anything this size, and the board has to approve it too."),
    ("rep", "Great. I'll send the proposal by Friday."),
    ("prospect", "Sounds good. Let's touch base soon after that."),
)

# (utterance id, behavior) that must be found in SALES_CALL
EXPECTED = {
    ("u2", "agenda_set"),
    ("u5", "competitor_mentioned"),
    ("u6", "budget_discussed"),
    ("u8", "decision_process_confirmed"),
    ("u9", "decision_process_confirmed"),
    ("u10", "next_step_dated"),
    ("u11", "next_step_undated"),
}

SMALL_TALK = (
    "Hi Dana, how was your weekend?",
    "Great, we went hiking up near the lake.",
    "Nice! Was the weather good?",
    "Sunny the whole time, a bit windy on top.",
    "I love that trail. Did you take the dog?",
    "Of course, she loved every minute of it.",
)


def utterances(lines: tuple[tuple[Role, str], ...], step: float = 10.0) -> list[Utterance]:
    return [
        Utterance(f"u{i}", "S1" if role == "rep" else "S2", role, i * step, i * step + 8.0, text)
        for i, (role, text) in enumerate(lines)
    ]


@pytest.fixture(scope="session")
def behavior_models() -> BehaviorModels:
    """spaCy, the sentence encoder and the heads, loaded once for the session."""
    return load_behavior_models()


@pytest.fixture(scope="module")
def sales_evidence(behavior_models: BehaviorModels) -> tuple[Evidence, ...]:
    return detect_behaviors(
        utterances(SALES_CALL),
        call_id="sales-1",
        call_start=CALL_START,
        timezone="America/New_York",
        models=behavior_models,
    )


def found(evidence: tuple[Evidence, ...], uid: str, behavior: str) -> Evidence:
    hits = [e for e in evidence if e.utterance_ids == (uid,) and e.behavior == behavior]
    assert len(hits) == 1, (
        f"{behavior} on {uid}: {[(e.utterance_ids, e.behavior) for e in evidence]}"
    )
    return hits[0]


def test_each_behavior_is_found_on_its_utterance(sales_evidence: tuple[Evidence, ...]) -> None:
    got = {(e.utterance_ids[0], e.behavior) for e in sales_evidence}
    assert got >= EXPECTED, sorted(EXPECTED - got)


def test_touch_base_soon_is_not_a_dated_next_step(sales_evidence: tuple[Evidence, ...]) -> None:
    on_u11 = {e.behavior for e in sales_evidence if e.utterance_ids == ("u11",)}
    assert "next_step_dated" not in on_u11
    on_u10 = {e.behavior for e in sales_evidence if e.utterance_ids == ("u10",)}
    assert "next_step_undated" not in on_u10


def test_small_talk_turns_carry_no_core_behaviors(sales_evidence: tuple[Evidence, ...]) -> None:
    for e in sales_evidence:
        if e.utterance_ids[0] in ("u0", "u1"):
            assert e.behavior == "rep_question", e


def test_evidence_fields_are_filled(sales_evidence: tuple[Evidence, ...]) -> None:
    budget = found(sales_evidence, "u6", "budget_discussed")
    assert budget.fields["amount"] == 40000
    assert budget.fields["currency"] == "USD"
    assert budget.fields["raised_by"] == "rep"
    dated = found(sales_evidence, "u10", "next_step_dated")
    assert dated.fields["due"] == "2026-03-06"
    assert dated.fields["date_expr"] == "by Friday"
    assert dated.fields["owner"] == "rep"
    assert dated.fields["action"] == "send"
    assert found(sales_evidence, "u5", "competitor_mentioned").fields["name"] == "Clari"
    assert found(sales_evidence, "u2", "agenda_set").fields.get("time_budget_minutes") == 30
    assert (
        "cfo" in found(sales_evidence, "u9", "decision_process_confirmed").fields["decision_makers"]
    )
    undated = found(sales_evidence, "u11", "next_step_undated")
    assert "due" not in undated.fields
    assert undated.fields["owner"] == "both"


def test_evidence_points_at_its_moment(sales_evidence: tuple[Evidence, ...]) -> None:
    texts = {f"u{i}": text for i, (_, text) in enumerate(SALES_CALL)}
    for e in sales_evidence:
        (uid,) = e.utterance_ids
        assert e.quote and e.quote in texts[uid]
        index = int(uid[1:])
        assert e.start is not None and e.end is not None
        assert index * 10.0 <= e.start < e.end <= index * 10.0 + 8.0
        assert e.role == SALES_CALL[index][0]
        assert e.speaker == ("S1" if e.role == "rep" else "S2")
        assert 0.0 < e.confidence <= 1.0
        if e.behavior == "rep_question":
            assert e.detector == RULE_DETECTOR
            assert e.role == "rep"
            assert e.subtype in ("open", "closed")
        elif e.behavior == "competitor_mentioned":
            assert e.detector == COMPETITOR_DETECTOR
        else:
            assert e.detector == DETECTOR
    assert found(sales_evidence, "u6", "budget_discussed").subtype == "budget_asked"
    assert found(sales_evidence, "u8", "decision_process_confirmed").subtype == "asked"


def test_evidence_is_in_call_order(sales_evidence: tuple[Evidence, ...]) -> None:
    order = [int(e.utterance_ids[0][1:]) for e in sales_evidence]
    assert order == sorted(order)


def test_evidence_ids_are_stable_and_distinct(
    behavior_models: BehaviorModels, sales_evidence: tuple[Evidence, ...]
) -> None:
    again = detect_behaviors(
        utterances(SALES_CALL),
        call_id="sales-1",
        call_start=CALL_START,
        timezone="America/New_York",
        models=behavior_models,
    )
    assert again == sales_evidence
    ids = [e.id for e in sales_evidence]
    assert len(set(ids)) == len(ids)
    for e in sales_evidence:
        assert e.id == evidence_id("sales-1", e.behavior, e.utterance_ids)
    # another call, another id
    assert evidence_id("sales-2", "agenda_set", ("u2",)) != evidence_id(
        "sales-1", "agenda_set", ("u2",)
    )


def test_due_is_null_without_a_call_start(behavior_models: BehaviorModels) -> None:
    evidence = detect_behaviors(utterances(SALES_CALL[9:11]), call_id="x", models=behavior_models)
    dated = found(evidence, "u1", "next_step_dated")
    assert dated.fields["date_expr"] == "by Friday"
    assert dated.fields["due"] is None


def test_small_talk_has_no_core_behaviors(behavior_models: BehaviorModels) -> None:
    lines: tuple[tuple[Role, str], ...] = tuple(
        ("rep" if i % 2 == 0 else "prospect", text) for i, text in enumerate(SMALL_TALK)
    )
    evidence = detect_behaviors(utterances(lines), call_id="chat", models=behavior_models)
    assert not {e.behavior for e in evidence} & (CORE | {"next_step_undated"})
    assert {e.behavior for e in evidence} <= {"rep_question"}


def test_no_utterances_no_evidence(behavior_models: BehaviorModels) -> None:
    assert detect_behaviors([], call_id="empty", models=behavior_models) == ()
    blank = [Utterance("u0", "S1", "rep", 0.0, 1.0, "{vocalsound}")]
    assert detect_behaviors(blank, call_id="blank", models=behavior_models) == ()


TRACKER_PLAYBOOK = """\
name: security-first
expected_behaviors:
  - behavior: security_review
    coaching: Ask who runs the security review and what they need.
trackers:
  - name: security_review
    role: prospect
    examples:
      - Our security team will need your SOC 2 report before we sign.
      - We have to run this past our infosec review first.
      - Can you send over your security questionnaire answers?
      - IT security has to approve any new vendor that touches customer data.
      - Do you have a SOC 2 Type II or ISO 27001 certificate?
      - Our CISO will want to see your penetration test results.
      - Any tool we buy must pass the vendor security assessment.
      - We need to know where our data is stored and how it is encrypted.
      - Legal and security both review data processing agreements.
      - The security review usually takes about two weeks here.
      - We need a copy of your data protection policy for compliance.
    counter_examples:
      - The weather has been great this week.
"""


def test_custom_tracker_from_a_playbook(behavior_models: BehaviorModels, tmp_path: Path) -> None:
    path = tmp_path / "security.yaml"
    path.write_text(TRACKER_PLAYBOOK)
    playbook = load_playbook(path)
    lines: tuple[tuple[Role, str], ...] = (
        ("rep", "Thanks for the time today, Sam."),
        ("prospect", "Before anything else, our security team will need your SOC 2 report."),
        ("rep", "Of course, I can share that."),
        ("prospect", "Also, the security review here usually takes two weeks."),
        ("rep", "Our security team needs nothing from you, we handle it."),
    )
    evidence = detect_behaviors(
        utterances(lines), call_id="sec", playbook=playbook, models=behavior_models
    )
    tracked = [e for e in evidence if e.behavior == "security_review"]
    assert {e.utterance_ids for e in tracked} == {("u1",), ("u3",)}  # the prospect's only
    for e in tracked:
        assert e.detector == TRACKER_DETECTOR
        assert e.role == "prospect"
        assert e.fields == {}
        assert 0.6 <= e.confidence <= 1.0
    # without the playbook there is no such behavior
    plain = detect_behaviors(utterances(lines), call_id="sec", models=behavior_models)
    assert not [e for e in plain if e.behavior == "security_review"]


def test_a_playbooks_competitor_names_decide_who_is_a_rival(
    behavior_models: BehaviorModels, tmp_path: Path
) -> None:
    path = tmp_path / "rivals.yaml"
    path.write_text(
        "name: rivals\nexpected_behaviors:\n  - behavior: agenda_set\n    coaching: c\n"
        "competitors:\n  known: [Gong]\n  ignore: [Clari]\n"
    )
    lines: tuple[tuple[Role, str], ...] = (
        *SALES_CALL[:6],  # u5: "We're also evaluating Clari as an alternative."
        ("rep", "How do you record calls at the moment?"),
        ("prospect", "Gong does that for the inside sales team."),
    )
    plain = detect_behaviors(utterances(lines), call_id="rv", models=behavior_models)
    named = {e.utterance_ids[0]: e.fields["name"] for e in plain if e.behavior == COMPETITOR}
    assert named == {"u5": "Clari"}
    configured = detect_behaviors(
        utterances(lines), call_id="rv", playbook=load_playbook(path), models=behavior_models
    )
    rivals = [e for e in configured if e.behavior == COMPETITOR]
    assert [(e.utterance_ids, e.fields["name"], e.detector) for e in rivals] == [
        (("u7",), "Gong", COMPETITOR_DETECTOR)
    ]


# --------------------------------------------------------------------------- analyze_call


def test_analyze_call_on_a_transcript_gives_valid_evidence_and_a_scorecard(
    behavior_models: BehaviorModels,
) -> None:
    analysis = analyze_call(DISCOVERY)
    assert analysis.evidence
    assert analysis.scorecard is not None
    assert analysis.scorecard.playbook == "discovery"
    assert analysis.call.language == "en"
    assert analysis.call.models.behaviors == behavior_models.name
    doc = analysis.to_dict()
    validate_call_json(doc)
    ids = {u.id for u in analysis.utterances}
    for e in analysis.evidence:
        validate_call_json({**doc, "evidence": [e.to_dict()]})
        assert set(e.utterance_ids) <= ids
    known = {e.id for e in analysis.evidence}
    for item in analysis.scorecard.items:
        assert set(item.evidence_ids) <= known
    assert "scorecard (discovery)" in render_summary(analysis)


def test_analyze_call_without_behaviors(behavior_models: BehaviorModels) -> None:
    analysis = analyze_call(DISCOVERY, AnalyzeOptions(behaviors=False))
    assert analysis.evidence == ()
    assert analysis.scorecard is None
    assert analysis.call.models.behaviors is None


GERMAN_CALL = {
    "call_id": "de-call",
    "call_start": "2026-03-02T15:00:00+01:00",
    "turns": [
        {
            "speaker": "Anna Weber",
            "role": "rep",
            "start": 0.5,
            "end": 6.0,
            "text": "Guten Tag, vielen Dank, dass Sie sich heute Zeit nehmen. Wir haben "
            "ungefähr dreißig Minuten, passt das noch für Sie?",
        },
        {
            "speaker": "Jonas Keller",
            "role": "prospect",
            "start": 6.5,
            "end": 12.0,
            "text": "Ja, das passt. Unser Budget liegt bei etwa vierzigtausend Euro im Jahr.",
        },
        {
            "speaker": "Anna Weber",
            "role": "rep",
            "start": 12.5,
            "end": 18.0,
            "text": "Wer entscheidet bei Ihnen über den Kauf? Ich schicke Ihnen das Angebot "
            "bis Freitag.",
        },
        {
            "speaker": "Jonas Keller",
            "role": "prospect",
            "start": 18.5,
            "end": 22.0,
            "text": "Das entscheidet unser Geschäftsführer. Bis Freitag ist gut.",
        },
    ],
}


def test_a_non_english_transcript_gets_no_evidence_and_a_note(tmp_path: Path) -> None:
    path = tmp_path / "german.json"
    path.write_text(json.dumps(GERMAN_CALL, ensure_ascii=False), encoding="utf-8")
    analysis = analyze_call(path)
    assert analysis.call.language != "en"
    assert analysis.evidence == ()
    assert analysis.scorecard is None
    validate_call_json(analysis.to_dict())
    summary = render_summary(analysis)
    notes = [line for line in summary.splitlines() if line.startswith("behaviors:")]
    assert len(notes) == 1
    assert "not detected" in notes[0]
    assert "English" in notes[0]
    assert "scorecard" not in summary


def test_call_start_without_offset_is_local_time_in_the_zone_or_unknown() -> None:
    from pipelines.behaviors import call_clock

    local = call_clock("2026-03-02T15:00:00", "Europe/Berlin")
    assert local.start is not None and local.timezone == "Europe/Berlin"
    # No offset and no zone: the instant is unknown, so dates must resolve to null.
    assert call_clock("2026-03-02T15:00:00", None).start is None
    assert call_clock(None, "Europe/Berlin").start is None
