"""The facts of a detection (BEHAVIORS.md "Fields"), with a fixed call clock.

The call starts on Monday 2 March 2026 at 3 pm in New York (-05:00). New York moves to
daylight time (-04:00) on Sunday 8 March 2026, so a time on Tuesday 10 March is at -04:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from engine.behaviors.fields import CallClock, EntityRef, extract_fields
from engine.types import Role

CLOCK = CallClock(datetime.fromisoformat("2026-03-02T15:00:00-05:00"), "America/New_York")
NO_START = CallClock(None, "America/New_York")


def fields(
    behavior: str,
    text: str,
    role: Role | None = "rep",
    entities: tuple[EntityRef, ...] = (),
    clock: CallClock = CLOCK,
) -> dict[str, Any] | None:
    return extract_fields(behavior, text, role, entities, clock)


# --------------------------------------------------------------------------- agenda_set


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("We have 30 minutes today, still OK?", 30),
        ("We've got forty five minutes, does that still work?", 45),
        ("I have a hard stop in 20 mins.", 20),
        ("We have 2 hours blocked for this.", 120),
        ("We have about an hour, is that fine?", 60),
        ("We have fifteen minutes, is that still okay?", 15),
    ],
)
def test_agenda_time_budget_minutes(text: str, minutes: float) -> None:
    out = fields("agenda_set", text)
    assert out is not None
    assert out.get("time_budget_minutes") == minutes


def test_agenda_topics_are_listed_items() -> None:
    out = fields(
        "agenda_set", "Today I'd like to go over your current setup, then pricing, and next steps."
    )
    assert out == {"topics": ["your current setup", "pricing", "next steps"]}
    out = fields("agenda_set", "Let us go over pricing, onboarding and security.")
    assert out == {"topics": ["pricing", "onboarding", "security"]}


def test_agenda_time_and_topics_together() -> None:
    out = fields(
        "agenda_set", "We've got forty five minutes, so let's cover your workflow and the demo."
    )
    assert out == {"time_budget_minutes": 45, "topics": ["your workflow", "the demo"]}


def test_agenda_without_time_or_topics_has_no_fields() -> None:
    assert fields("agenda_set", "Sounds like a plan to me.") == {}


# --------------------------------------------------------------------------- budget_discussed


def test_budget_amount_currency_and_who_raised_it() -> None:
    assert fields("budget_discussed", "Our budget is around $12k for this.", "prospect") == {
        "raised_by": "prospect",
        "amount": 12000,
        "currency": "USD",
    }
    assert fields("budget_discussed", "That would be twenty five euros per seat.", "rep") == {
        "raised_by": "rep",
        "amount": 25,
        "currency": "EUR",
        "per": "seat",
    }


def test_budget_without_a_figure_has_only_raised_by() -> None:
    assert fields("budget_discussed", "What budget have you set aside?", "rep") == {
        "raised_by": "rep"
    }
    assert fields("budget_discussed", "Is this in the budget?", None) == {"raised_by": None}


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("It costs twenty five euros a month.", 25, "EUR"),
        ("It costs 25 euros a month.", 25, "EUR"),
        ("The fee is forty thousand dollars.", 40000, "USD"),
    ],
)
def test_budget_amount_after_a_price_word(text: str, amount: float, currency: str) -> None:
    """A price word ("costs", "fee is") before a figure with its currency word."""
    out = fields("budget_discussed", text, "rep")
    assert out is not None
    assert (out.get("amount"), out.get("currency")) == (amount, currency)


@pytest.mark.parametrize(
    ("text", "amount", "per"),
    [
        (
            "We'd propose a hundred and forty-five thousand for the year, billed quarterly.",
            145000,
            None,
        ),
        ("So fifty-six a truck, a month.", 56, None),
        ("That's eleven a seat.", 11, "seat"),
        ("On the May dates, it comes to eighty-one thousand three hundred.", 81300, None),
        ("So that's, what, fifty, sixty thousand a year?", 50000, "year"),
        ("Roughly thirty-four to forty-three thousand a year.", 34000, "year"),
    ],
)
def test_a_bare_figure_in_a_budget_turn_is_an_amount_in_the_calls_currency(
    text: str, amount: float, per: str | None
) -> None:
    out = extract_fields("budget_discussed", text, "rep", (), CLOCK, currency="CAD")
    assert out == {"raised_by": "rep", "amount": amount, "currency": "CAD"} | (
        {"per": per} if per else {}
    )


@pytest.mark.parametrize(
    "text",
    [
        "Fourteen fifty. Okay.",  # 14.50 or 1,450: not a guess
        "Can we do Tuesday at two, and go over the price?",
        "Forty users, five areas.",
        "It's for 2026, so.",
        "Option two.",
    ],
)
def test_no_bare_figure_is_read_from_counts_times_or_price_speech(text: str) -> None:
    assert extract_fields("budget_discussed", text, "rep", (), CLOCK, currency="CAD") == {
        "raised_by": "rep"
    }


def test_a_said_currency_wins_over_the_calls() -> None:
    out = extract_fields("budget_discussed", "It's forty euros.", "rep", (), CLOCK, currency="USD")
    assert out == {"raised_by": "rep", "amount": 40, "currency": "EUR"}
    out = fields("budget_discussed", "The budget is around 50k.", "rep")  # no call currency
    assert out == {"raised_by": "rep", "amount": 50000, "currency": None}


def test_a_budget_segment_without_a_figure_takes_its_turns() -> None:
    turn = "Plus a one-off migration fee of two thousand nine hundred. That's everything."
    out = extract_fields(
        "budget_discussed", "That's everything.", "rep", (), CLOCK, currency="AUD", turn_text=turn
    )
    assert out == {"raised_by": "rep", "amount": 2900, "currency": "AUD"}


# --------------------------------------------------------------------------- decisions


def test_decision_makers_from_role_words() -> None:
    out = fields("decision_process_confirmed", "My CFO and the board sign off on this.", "prospect")
    assert out == {"decision_makers": ["cfo", "board"], "decision_date": None}


def test_decision_makers_do_not_include_the_pronoun_it() -> None:
    out = fields(
        "decision_process_confirmed", "My CFO and the board have to approve it.", "prospect"
    )
    assert out is not None
    assert out["decision_makers"] == ["cfo", "board"]


def test_decision_makers_from_person_entities_and_decision_date() -> None:
    entities = (EntityRef("PERSON", "Priya"), EntityRef("ORG", "Acme"), EntityRef("DATE", "x"))
    out = fields(
        "decision_process_confirmed", "Priya and my CFO decide by March 20.", "prospect", entities
    )
    assert out == {"decision_makers": ["Priya", "cfo"], "decision_date": "2026-03-20"}


def test_decision_makers_are_unique_and_date_needs_a_call_start() -> None:
    entities = (EntityRef("PERSON", "Priya"), EntityRef("PERSON", "priya"))
    out = fields(
        "decision_process_confirmed",
        "Priya, my boss and then my Boss's boss decide by Friday.",
        "prospect",
        entities,
        NO_START,
    )
    assert out == {"decision_makers": ["Priya", "boss"], "decision_date": None}


# --------------------------------------------------------------------------- next steps


def test_dated_next_step_said_by_the_rep() -> None:
    assert fields("next_step_dated", "I'll send the proposal by Friday.", "rep") == {
        "action": "send",
        "owner": "rep",
        "date_expr": "by Friday",
        "due": "2026-03-06",
    }


def test_dated_next_step_for_both_sides_with_a_time() -> None:
    assert fields("next_step_dated", "Let's meet next Tuesday at 2.", "prospect") == {
        "action": "meet",
        "owner": "both",
        "date_expr": "next Tuesday at 2",
        "due": "2026-03-10T14:00:00-04:00",  # daylight time from 8 March
    }


@pytest.mark.parametrize(
    ("text", "role", "owner"),
    [
        ("I'll send the proposal by Friday.", "prospect", "prospect"),
        ("Can you send me the signed contract by tomorrow?", "rep", "prospect"),
        ("Could you reply by Friday?", "prospect", "rep"),
        ("We will circle back next Monday morning.", "rep", "both"),
        ("Let me book the demo for tomorrow, can you make it?", "rep", "rep"),
    ],
)
def test_next_step_owner(text: str, role: Role, owner: str) -> None:
    out = fields("next_step_dated", text, role)
    assert out is not None
    assert out["owner"] == owner


def test_next_step_due_is_null_without_a_call_start() -> None:
    out = fields("next_step_dated", "I'll send the proposal by Friday.", "rep", clock=NO_START)
    assert out == {"action": "send", "owner": "rep", "date_expr": "by Friday", "due": None}


def test_dated_next_step_with_no_date_found_keeps_null_date() -> None:
    out = fields("next_step_dated", "I'll send the proposal.", "rep")
    assert out == {"action": "send", "owner": "rep", "date_expr": None, "due": None}


def test_a_step_dated_by_another_sentence_of_its_turn_takes_that_date() -> None:
    out = extract_fields(
        "next_step_dated",
        "Until then you'll work on the components.",
        "rep",
        (),
        CLOCK,
        date_text="Next meeting's on Friday at two.",
    )
    assert out is not None
    assert out["date_expr"] == "Friday at two"
    assert out["due"] == "2026-03-06T14:00:00-05:00"


@pytest.mark.parametrize(
    ("text", "date_expr", "due"),
    [
        ("I'll send a summary of today by Thursday.", "by Thursday", "2026-03-05"),
        (
            "I'm out all day Tuesday. Wednesday at ten?",
            "Wednesday at ten",
            "2026-03-04T10:00:00-05:00",
        ),
        ("Thanks for today! Let's talk Friday.", "Friday", "2026-03-06"),
    ],
)
def test_a_step_takes_the_first_date_that_can_date_it(text: str, date_expr: str, due: str) -> None:
    out = fields("next_step_dated", text, "rep")
    assert out is not None
    assert (out["date_expr"], out["due"]) == (date_expr, due)


def test_a_step_timed_by_an_event_keeps_its_words_and_no_due_date() -> None:
    out = fields("next_step_dated", "I'll send the proposal after this call.", "rep")
    assert out == {"action": "send", "owner": "rep", "date_expr": "after this call", "due": None}


def test_undated_next_step_has_action_and_owner_only() -> None:
    assert fields("next_step_undated", "Let's touch base soon.", "rep") == {
        "action": "touch base",
        "owner": "both",
    }
    assert fields("next_step_undated", "Sounds good to me.", None) == {
        "action": None,
        "owner": None,
    }


# --------------------------------------------------------------------------- competitors


def test_a_competitor_is_named_by_what_the_competitor_finder_found() -> None:
    out = extract_fields(
        "competitor_mentioned",
        "We compared Clari with Gong.",
        "prospect",
        (EntityRef("ORG", "Acme"),),
        CLOCK,
        rivals=("Clari", "Gong"),
    )
    assert out == {"name": "Clari", "names": ["Clari", "Gong"]}


def test_competitor_without_a_name_is_no_evidence() -> None:
    text = "We looked at Gong."
    assert fields("competitor_mentioned", text, "prospect", (EntityRef("ORG", "Gong"),)) is None


# --------------------------------------------------------------------------- the others


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We lose 20 hours a week to manual entry.", {"amount": 20, "unit": "hours"}),
        (
            "We lose about $5,000 a month on errors.",
            {"amount": 5000, "currency": "USD", "per": "month"},
        ),
        ("It takes three people most of a week.", {"amount": 3, "unit": "people"}),
        ("About 15% of orders ship late.", {"amount": 15, "unit": "%"}),
        ("It is really painful for us.", {}),
    ],
)
def test_pain_quantified_amount_and_unit(text: str, expected: dict[str, Any]) -> None:
    assert fields("pain_quantified", text, "prospect") == expected


def test_timeline_dates_are_listed() -> None:
    assert fields("timeline_agreed", "Pilot by April 1st, rollout in May.") == {
        "dates": ["by April 1st", "in May"]
    }


@pytest.mark.parametrize("behavior", ["pricing_objection", "rep_question", "champion"])
def test_behaviors_without_fields_get_an_empty_mapping(behavior: str) -> None:
    assert fields(behavior, "That is too expensive, what else can you do?") == {}


def test_a_budget_figure_in_shorthand_takes_the_thousands_of_the_amounts_said_before() -> None:
    text = "Last year's renewal was a hundred and thirty."
    said_before = (145_000.0, 36_250.0)
    out = extract_fields("budget_discussed", text, "prospect", (), CLOCK, currency="CAD")
    assert out == {"raised_by": "prospect", "amount": 130, "currency": "CAD"}
    out = extract_fields(
        "budget_discussed", text, "prospect", (), CLOCK, earlier_amounts=said_before
    )
    assert out == {"raised_by": "prospect", "amount": 130_000, "currency": None}
    # said with a currency, the figure is as said
    out = extract_fields(
        "budget_discussed",
        "It was 130 dollars.",
        "prospect",
        (),
        CLOCK,
        earlier_amounts=said_before,
    )
    assert out is not None and out["amount"] == 130


def test_the_calls_currency_names_plain_dollars_and_unnamed_amounts() -> None:
    def amount(text: str, call_currency: str | None) -> tuple[Any, Any]:
        out = extract_fields(
            "budget_discussed", text, "rep", (), CLOCK, currency="USD", call_currency=call_currency
        )
        assert out is not None
        return out.get("amount"), out.get("currency")

    assert amount("It's four hundred and ten dollars a month.", None) == (410, "USD")
    assert amount("It's four hundred and ten dollars a month.", "AUD") == (410, "AUD")
    assert amount("We'd propose a hundred and forty-five thousand.", "CAD") == (145_000, "CAD")
    assert amount("It's twenty euros a seat.", "CAD") == (20, "EUR")
