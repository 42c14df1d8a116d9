"""From head probabilities to detections: thresholds, dated vs undated next steps, the rep
question rule, and one detection per behavior and utterance."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from engine.behaviors.catalog import HEADS
from engine.behaviors.decide import (
    QUESTION_CONFIDENCE,
    Detection,
    asks_for_information,
    best_per_utterance,
    dates_a_step,
    decide,
    is_bare_question,
    is_commitment,
    is_concession,
    is_pleasantry,
    is_quantified,
    is_thin,
    question_subtype,
)
from engine.behaviors.segments import Segment
from engine.types import Role

AGENDA = HEADS.index("agenda_set")
BUDGET = HEADS.index("budget_discussed")
NEXT = HEADS.index("next_step")
DECISION = HEADS.index("decision_process_confirmed")


def seg(
    index: int,
    text: str = "We can go over the plan.",
    role: Role | None = "rep",
    utterance: int | None = None,
) -> Segment:
    u = index if utterance is None else utterance
    return Segment(index, u, f"u{u}", "S1", role, text, None, None, "")


def probs(*rows: dict[int, float]) -> npt.NDArray[np.float64]:
    """One row per segment: the given heads' probabilities, 0 elsewhere."""
    out = np.zeros((len(rows), len(HEADS)))
    for i, row in enumerate(rows):
        for j, p in row.items():
            out[i, j] = p
    return out


def thresholds(value: float = 0.5, **per_head: float) -> npt.NDArray[np.float64]:
    out = np.full(len(HEADS), value)
    for head, t in per_head.items():
        out[HEADS.index(head)] = t
    return out


def test_probability_at_or_above_threshold_is_a_detection() -> None:
    segments = [seg(0), seg(1), seg(2)]
    p = probs({AGENDA: 0.7}, {AGENDA: 0.69999}, {AGENDA: 0.95, BUDGET: 0.8})
    out = decide(segments, p, thresholds(0.9, agenda_set=0.7), [False] * 3)
    assert out == [
        Detection(0, "agenda_set", 0.7),
        Detection(2, "agenda_set", 0.95),
    ]


def test_every_head_is_decided_against_its_own_threshold() -> None:
    # (words of a concession, so that a rep's pricing objection stands)
    segments = [seg(0, "We can go over the three points on Friday and waive the fee.")]
    p = probs({j: 0.6 for j in range(len(HEADS))} | {AGENDA: 0.55, DECISION: 0.55})
    out = decide(segments, p, thresholds(0.5), [True])
    assert [d.behavior for d in out] == [  # the next step wins over the agenda and decision
        "next_step_dated" if h == "next_step" else h
        for h in HEADS
        if h not in ("agenda_set", "decision_process_confirmed", "competitor_mentioned")
    ]  # a competitor is found by its name (engine/behaviors/competitors.py)
    assert decide(segments, p, thresholds(0.61), [True]) == []


@pytest.mark.parametrize(
    ("agenda", "step", "kept"),
    [
        (0.9, 0.6, "agenda_set"),
        (0.6, 0.9, "next_step_undated"),
        (0.7, 0.7, "agenda_set"),  # a tie goes to the agenda
    ],
)
def test_a_segment_is_an_agenda_or_a_next_step_not_both(
    agenda: float, step: float, kept: str
) -> None:
    segments = [seg(0, "Let's look at pricing, then next steps.")]
    p = probs({AGENDA: agenda, NEXT: step, BUDGET: 0.9})
    out = decide(segments, p, thresholds(0.5), [False])
    assert [d.behavior for d in out] == sorted([kept, "budget_discussed"], key=_head_order)


@pytest.mark.parametrize(
    ("decision", "step", "kept"),
    [
        (0.9, 0.6, ["decision_process_confirmed"]),
        (0.6, 0.9, ["next_step_dated"]),
        (0.7, 0.7, ["decision_process_confirmed"]),
    ],
)
def test_a_segment_is_a_decision_process_or_a_next_step_not_both(
    decision: float, step: float, kept: list[str]
) -> None:
    # "the partners sign it off on the sixth of April": a committee date, not a step.
    segments = [seg(0, "And the partners sign it off on the sixth of April.", "prospect")]
    out = decide(segments, probs({DECISION: decision, NEXT: step}), thresholds(0.5), [True])
    assert [d.behavior for d in out] == kept


def test_an_agenda_and_a_decision_process_both_stand_when_the_step_loses() -> None:
    segments = [seg(0, "Today I want to cover pricing and who signs off.")]
    p = probs({AGENDA: 0.9, DECISION: 0.8, NEXT: 0.6})
    out = decide(segments, p, thresholds(0.5), [False])
    assert [d.behavior for d in out] == ["agenda_set", "decision_process_confirmed"]


def test_margins_are_compared_in_log_odds() -> None:
    # In probabilities the agenda is further above its threshold (0.15 against 0.079).
    t = thresholds(agenda_set=0.81, next_step=0.92)
    out = decide([seg(0, "I'll send it tomorrow.")], probs({AGENDA: 0.96, NEXT: 0.999}), t, [True])
    assert [d.behavior for d in out] == ["next_step_dated"]


def test_an_agenda_the_rules_rule_out_leaves_the_next_step() -> None:
    segments = [
        seg(0, "Thanks, I'll send the deck."),
        seg(1, "Sure, I'll send the deck.", "prospect"),
    ]
    p = probs({AGENDA: 0.99, NEXT: 0.9}, {AGENDA: 0.99, NEXT: 0.9})
    out = decide(segments, p, thresholds(), [False, False])
    assert [(d.segment, d.behavior) for d in out] == [
        (0, "next_step_undated"),
        (1, "next_step_undated"),
    ]


def test_the_margin_over_each_heads_own_threshold_decides() -> None:
    segments = [seg(0, "Let's look at pricing, then next steps.")]
    p = probs({AGENDA: 0.8, NEXT: 0.7})
    out = decide(segments, p, thresholds(0.5, agenda_set=0.75), [False])
    assert [d.behavior for d in out] == ["next_step_undated"]


def _head_order(behavior: str) -> int:
    return HEADS.index("next_step" if behavior.startswith("next_step") else behavior)


def test_next_step_is_dated_only_with_a_date_in_its_turn() -> None:
    segments = [seg(0, "I'll send it by Friday."), seg(1, "Let's touch base soon.")]
    p = probs({NEXT: 0.9}, {NEXT: 0.9})
    out = decide(segments, p, thresholds(), [True, False])
    assert [(d.segment, d.behavior) for d in out] == [
        (0, "next_step_dated"),
        (1, "next_step_undated"),
    ]
    assert decide(segments, p, thresholds(), [False, False])[0].behavior == "next_step_undated"
    assert not any(d.behavior == "next_step" for d in out)
    assert out[0].date_segment == 0 and out[1].date_segment is None


def test_a_date_said_in_another_sentence_of_the_turn_dates_the_step() -> None:
    segments = [
        seg(0, "Next meeting's in thirty minutes.", utterance=0),
        seg(1, "Until then you're working on the components.", utterance=0),
        seg(2, "And I'll send the deck.", utterance=1),
    ]
    p = probs({}, {NEXT: 0.9}, {NEXT: 0.9})
    out = decide(segments, p, thresholds(), [True, False, False])
    assert out == [
        Detection(1, "next_step_dated", 0.9, date_segment=0),
        Detection(2, "next_step_undated", 0.9),
    ]


@pytest.mark.parametrize(
    ("text", "role", "kept"),
    [
        ("Okay.", "rep", False),
        ("Mm-hmm.", "rep", False),
        ("Right , okay , cool .", "rep", False),
        ("Five minutes to go.", "rep", True),
        ("Let's start with pricing.", "rep", True),
    ],
)
def test_a_reps_bare_acknowledgement_sets_no_agenda(text: str, role: Role, kept: bool) -> None:
    out = decide([seg(0, text, role=role)], probs({AGENDA: 0.9}), thresholds(), [False])
    assert bool(out) == kept
    assert is_thin(text) != kept


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("I'll send the deck over.", True),
        ("Can you loop in procurement?", True),
        ("Let's get your CFO on the next call.", True),
        ("Happy to put a trial together.", True),
        ("We'd then pick it up with your team.", False),
        ("I will do that.", True),
        ("Okay, we will do a pilot.", True),
        ("We can take care of the setup.", True),
        ("We can't do that.", False),
        ("I'll be honest, the price is high.", False),
        ("Check here.", False),
        ("It might do us out of a job.", False),
        ("Thank you all for coming.", False),
        ("Will do. Talk soon.", False),
        ("Thanks so much! Have a good one, talk soon!", False),
        ("Thanks, I'll send the contract.", True),
    ],
)
def test_an_undated_next_step_needs_words_of_a_commitment(text: str, kept: bool) -> None:
    out = decide([seg(0, text)], probs({NEXT: 0.9}), thresholds(), [False])
    assert [d.behavior for d in out if d.behavior != "rep_question"] == (
        ["next_step_undated"] if kept else []
    )
    assert is_commitment(text) is kept


def test_a_dated_next_step_needs_no_words_of_a_commitment() -> None:
    out = decide([seg(0, "Thursday at two, then.")], probs({NEXT: 0.9}), thresholds(), [True])
    assert [d.behavior for d in out] == ["next_step_dated"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("And when does that end?", False),
        ("Mm-hmm. Okay, and when do the partners meet?", False),
        ("Okay. Do you still have time for a quick look at the console?", True),
        ("Shall we move on to pricing?", True),
        ("Let's start with your current setup. Does that work?", True),
        ("Okay, so I'll show you the dashboard, sound good?", True),
        ("Shall we get started?", True),
        ("Can we save pricing for the end?", True),
    ],
)
def test_a_bare_question_sets_no_agenda(text: str, kept: bool) -> None:
    out = decide([seg(0, text)], probs({AGENDA: 0.9}), thresholds(), [False])
    assert ("agenda_set" in [d.behavior for d in out]) == kept
    assert is_bare_question(text) != kept


def test_a_prospects_short_agreement_to_the_agenda_stands() -> None:
    segments = [seg(0, "Let's start with pricing, then the rollout."), seg(1, "Sure.", "prospect")]
    out = decide(segments, probs({AGENDA: 0.9}, {AGENDA: 0.9}), thresholds(), [False, False])
    assert [(d.segment, d.behavior) for d in out] == [(0, "agenda_set"), (1, "agenda_set")]


def test_today_naming_the_call_dates_no_next_step() -> None:
    segments = [
        seg(0, "Thanks for your time today, I'll send the deck."),
        seg(1, "I'll send the deck over today."),
    ]
    out = decide(segments, probs({NEXT: 0.9}, {NEXT: 0.9}), thresholds(), [True, True])
    assert [d.behavior for d in out] == ["next_step_undated", "next_step_dated"]


@pytest.mark.parametrize(
    ("text", "dated"),
    [
        ("I'll send it over today.", True),
        ("I can get you the proposal this afternoon.", True),
        ("I'll have it to you later today.", True),
        ("Great, I'll send it today.", True),
        ("Send it by the end of today.", True),
        ("I'll call you on the fifteenth.", True),
        ("Let's do the week of the twentieth.", True),
        ("Thanks for your time today, I'll send the deck.", False),
        ("Thank you so much for making the time today.", False),
        ("Based on what we covered today, I'll draft a proposal.", False),
        ("Let me recap what we discussed today and I'll follow up.", False),
        ("Today was really helpful, I'll loop in my CFO.", False),
        ("I'll send today's slides.", False),
        ("Walk me through how payroll runs today, then I'll show you the tool.", False),
        ("I'll also send the incident report from January.", False),
        ("I'll send the deck.", False),
        ("I'll send the deck after this call.", True),
        ("Can you have the numbers by our next meeting?", True),
        ("In the meantime, have a look at the trial.", True),
        ("Let's get your CFO on the next call.", False),
        ("How's your Thursday going?", False),
        ("How was the long weekend, did you get away?", False),
        ("Have a great weekend, I'll send it Monday.", True),
        ("Your current contract ends February twenty-eighth, right?", False),
        ("The hold runs until Friday the twenty-seventh.", False),
        ("It's valid until the end of April.", False),
        ("From what you said about Monday, that matters.", False),
        ("I know this year has been rough, thanks for the chance.", False),
        ("How about next Tuesday?", True),
        ("How is Friday for you?", True),
        ("I'll send the contract; how's Friday?", True),
        ("I'll send the renewal by Friday, before your contract ends.", True),
        ("I'm in board prep all day Tuesday.", False),
        ("We're closed Monday for the holiday.", False),
        ("I'm off Friday, so Thursday?", True),
        ("I'm in the office Tuesday, come by.", True),
        ("I'll send a summary of today.", False),
    ],
)
def test_dates_a_step(text: str, dated: bool) -> None:
    assert dates_a_step(text) is dated


def test_rep_question_only_for_the_rep() -> None:
    text = "So what does your process look like today?"
    segments = [seg(0, text, "rep"), seg(1, text, "prospect"), seg(2, text, None)]
    out = decide(segments, probs({}, {}, {}), thresholds(), [False] * 3)
    assert out == [Detection(0, "rep_question", QUESTION_CONFIDENCE, "open")]


def test_rep_question_comes_with_head_detections_of_the_same_segment() -> None:
    segments = [seg(0, "What budget have you set aside for this?")]
    out = decide(segments, probs({BUDGET: 0.9}), thresholds(), [False])
    assert [(d.behavior, d.subtype) for d in out] == [
        ("budget_discussed", None),
        ("rep_question", "open"),
    ]


def test_a_statement_is_no_rep_question() -> None:
    out = decide([seg(0, "We can go over the plan.")], probs({}), thresholds(), [False])
    assert out == []


@pytest.mark.parametrize(
    ("text", "subtype"),
    [
        ("So what does your process look like today?", "open"),
        ("Is that still the plan?", "closed"),
        ("Okay, so how many reps do you have?", "open"),
        ("Tell me about the team?", "open"),
        ("Walk me through a typical week?", "open"),
        ("Why did the last rollout stall?", "open"),
        ("Do you have a budget for this?", "closed"),
        ("Would Tuesday work for a demo?", "closed"),
        ("Thanks for that. What else matters to you?", "open"),
        ("That's great. Are you the one who signs?", "closed"),
        ("We will meet soon.", None),
        ("", None),
    ],
)
def test_question_subtype(text: str, subtype: str | None) -> None:
    assert question_subtype(text) == subtype


def test_best_per_utterance_keeps_the_most_confident_segment() -> None:
    # segments 0-2 belong to utterance 0, segment 3 to utterance 1
    segments = [seg(0, utterance=0), seg(1, utterance=0), seg(2, utterance=0), seg(3, utterance=1)]
    detections = [
        Detection(0, "agenda_set", 0.6),
        Detection(1, "agenda_set", 0.9),
        Detection(2, "agenda_set", 0.7),
        Detection(0, "budget_discussed", 0.8),
        Detection(3, "agenda_set", 0.55),
    ]
    assert best_per_utterance(detections, segments) == [
        Detection(0, "budget_discussed", 0.8),
        Detection(1, "agenda_set", 0.9),
        Detection(3, "agenda_set", 0.55),
    ]


def test_best_per_utterance_keeps_the_first_of_equal_confidence_and_subtypes() -> None:
    segments = [seg(0, utterance=0), seg(1, utterance=0)]
    detections = [
        Detection(0, "rep_question", QUESTION_CONFIDENCE, "closed"),
        Detection(1, "rep_question", QUESTION_CONFIDENCE, "open"),
    ]
    assert best_per_utterance(detections, segments) == [detections[0]]
    assert best_per_utterance([], segments) == []


def test_best_per_utterance_orders_by_segment_then_behavior() -> None:
    segments = [seg(0), seg(1)]
    detections = [
        Detection(1, "agenda_set", 0.9),
        Detection(0, "rep_question", 0.9, "open"),
        Detection(0, "budget_discussed", 0.8),
    ]
    out = best_per_utterance(detections, segments)
    assert [(d.segment, d.behavior) for d in out] == [
        (0, "budget_discussed"),
        (0, "rep_question"),
        (1, "agenda_set"),
    ]


@pytest.mark.parametrize(
    ("text", "pleasantry"),
    [
        ("Hey Chris, thanks for hopping on this morning.", True),
        ("Good morning, how are you?", True),
        ("Great to meet you both.", True),
        ("Thanks for joining, the plan for today is a quick demo.", False),
        ("Thanks, we have 30 minutes, does that still work?", False),
        ("Hi, do you still have time for this?", False),
        ("How are you handling lead routing today?", False),
        ("So today I want to understand your setup.", False),
        ("Welcome aboard! Today we'll set up your first workspace.", False),
        ("Hi both, I'd love to learn how you run payroll now.", False),
        ("Welcome back, how was the trip?", True),
        ("I'll keep it tight. How was the long weekend? Did you get away?", True),
        ("How is the weekend looking, could we meet Saturday?", False),
    ],
)
def test_is_pleasantry(text: str, pleasantry: bool) -> None:
    assert is_pleasantry(text) is pleasantry


def test_a_greeting_is_no_agenda_whatever_the_head_says() -> None:
    segments = [seg(0, "Hey Chris, thanks for hopping on."), seg(1, "Thanks, the plan for today:")]
    p = probs({AGENDA: 0.99}, {AGENDA: 0.99})
    thresholds = np.full(len(HEADS), 0.5)
    found = decide(segments, p, thresholds, [False, False])
    assert [(d.segment, d.behavior) for d in found] == [(1, "agenda_set")]


def test_a_prospect_agenda_stands_only_as_agreement_right_after_the_reps() -> None:
    segments = [
        seg(0, "Today I'd like to walk through your setup, then pricing.", "rep"),
        seg(1, "Sounds good, let's go through the plan.", "prospect"),
        seg(2, "Okay so the plan for pricing is next.", "prospect"),  # a turn later
        seg(3, "I was hoping we'd cover the plan for pricing today.", "prospect"),
        seg(4, "Sure, we can go over that plan.", "rep"),
    ]
    p = probs(*({AGENDA: 0.9} for _ in segments))
    out = decide(segments, p, thresholds(0.5), [False] * 5)
    assert [d.segment for d in out if d.behavior == "agenda_set"] == [0, 1, 4]


def test_a_prospect_agenda_after_a_rep_pleasantry_does_not_stand() -> None:
    segments = [seg(0, "Hi Sam, thanks for joining!", "rep"), seg(1, "Sure, the plan.", "prospect")]
    out = decide(segments, probs({AGENDA: 0.9}, {AGENDA: 0.9}), thresholds(0.5), [False] * 2)
    assert [d for d in out if d.behavior == "agenda_set"] == []


def test_agenda_rule_leaves_unknown_roles_alone() -> None:
    segments = [seg(0, "Let's go through the plan.", None)]
    out = decide(segments, probs({AGENDA: 0.9}), thresholds(0.5), [False])
    assert [d.behavior for d in out] == ["agenda_set"]


def test_the_competitor_head_decides_nothing() -> None:
    comp = HEADS.index("competitor_mentioned")
    segments = [seg(0, "We're also evaluating Clari as an alternative.", "prospect")]
    assert decide(segments, probs({comp: 0.99}), thresholds(0.5), [False]) == []


@pytest.mark.parametrize(("role", "subtype"), [("rep", "discount_given"), ("prospect", None)])
def test_a_reps_pricing_objection_is_the_discount_given(role: Role, subtype: str | None) -> None:
    objection = HEADS.index("pricing_objection")
    segments = [seg(0, "I can take ten percent off if you sign this month.", role)]
    out = decide(segments, probs({objection: 0.9}), thresholds(0.5), [False])
    assert [(d.behavior, d.subtype) for d in out if d.behavior != "rep_question"] == [
        ("pricing_objection", subtype)
    ]


@pytest.mark.parametrize(
    ("budget", "decision", "kept"),
    [
        (0.9, 0.6, "budget_discussed"),
        (0.6, 0.9, "decision_process_confirmed"),
        (0.8, 0.8, "budget_discussed"),  # a tie: the budget
        (0.4, 0.9, "decision_process_confirmed"),  # the budget does not pass
    ],
)
def test_a_segment_is_a_budget_or_a_decision_process_not_both(
    budget: float, decision: float, kept: str
) -> None:
    segments = [seg(0, "Is there money set aside for this, or is it carved out of something?")]
    p = probs({BUDGET: budget, DECISION: decision})
    out = decide(segments, p, thresholds(0.5), [False])
    assert [d.behavior for d in out if d.behavior != "rep_question"] == [kept]


@pytest.mark.parametrize(
    ("step", "decision", "budget", "kept"),
    [
        # the step beats the decision, which then takes no budget with it
        (0.95, 0.8, 0.7, {"next_step_dated", "budget_discussed"}),
        # the budget beats the decision, which then beats no step
        (0.8, 0.9, 0.95, {"next_step_dated", "budget_discussed"}),
        # the decision beats both
        (0.7, 0.95, 0.6, {"decision_process_confirmed"}),
    ],
)
def test_only_a_winner_that_stands_makes_a_loser(
    step: float, decision: float, budget: float, kept: set[str]
) -> None:
    segments = [seg(0, "Let's get the partners on a call on Friday about the budget.")]
    p = probs({HEADS.index("next_step"): step, DECISION: decision, BUDGET: budget})
    out = decide(segments, p, thresholds(0.5), [True])
    assert {d.behavior for d in out if d.behavior != "rep_question"} == kept


def test_a_reps_pricing_objection_stands_only_where_the_rep_concedes() -> None:
    objection = HEADS.index("pricing_objection")
    segments = [
        seg(0, "We'd propose a hundred and forty-five thousand for the year.", "rep"),
        seg(1, "So actually, all in, we're cheaper.", "rep"),
        seg(2, "That's more than we pay now.", "prospect"),
        seg(3, "Okay. So here's what I can do.", "rep", utterance=3),
        seg(4, "On a three-year term, I'll hold you at this year's price.", "rep", utterance=3),
    ]
    out = decide(segments, probs(*[{objection: 0.9}] * 5), thresholds(0.5), [False] * 5)
    found = [(d.segment, d.subtype) for d in out if d.behavior == "pricing_objection"]
    assert found == [(2, None), (3, "discount_given"), (4, "discount_given")]


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("What does fixed fee look like?", True),
        ("Per month?", True),
        ("And what are we paying now, Harriet?", True),
        ("Is there any flex on the porter hours?", False),
        ("Could you do something on that?", False),
        ("Why would we pay more for the same thing?", False),
        ("That's more than we pay now.", False),  # no question
        ("Hmm. And what are we paying now?", True),
        ("That's way over our budget. What's the breakdown?", False),  # the statement objects
    ],
)
def test_a_question_that_only_asks_for_information(text: str, asks: bool) -> None:
    assert asks_for_information(text) == asks


def test_a_prospects_question_for_information_is_no_pricing_objection() -> None:
    objection = HEADS.index("pricing_objection")
    segments = [
        seg(0, "What does fixed fee look like?", "prospect"),
        seg(1, "Could you do something on that?", "prospect"),
    ]
    out = decide(segments, probs(*[{objection: 0.9}] * 2), thresholds(0.5), [False] * 2)
    assert [d.segment for d in out if d.behavior == "pricing_objection"] == [1]


@pytest.mark.parametrize(
    "text",
    [
        "I can waive the install fee.",
        "I can do five percent off the printers too.",
        "Let me see, I could knock off five or six grand.",
        "If you move to May, the room rate drops about twelve percent.",
        "Net forty-five I can do.",
        "I can come down to a hundred and thirty-eight.",
        "We'll throw in the training.",
        "We'd do ten percent.",
        "I can't go lower on the monthly, but that I can do.",
    ],
)
def test_words_of_a_concession(text: str) -> None:
    assert is_concession(text)


@pytest.mark.parametrize(
    "text",
    [
        "We'd propose a hundred and forty-five thousand for the year.",
        "When you say it took eleven days, what tipped you off in the end?",
        "That's fair, and I'd never talk you out of building a team.",
        "I can't come down on that.",  # refusals
        "There's no flexibility on the list price.",
        "We don't do credits.",
        "That includes onboarding and support.",  # value defence
    ],
)
def test_no_concession(text: str) -> None:
    assert not is_concession(text)


def test_a_decision_process_says_something_or_confirms_the_one_before() -> None:
    decision = HEADS.index("decision_process_confirmed")
    segments = [
        seg(0, "Bye, thanks Marcus!", "prospect"),
        seg(1, "Yep, correct.", "prospect"),
        seg(2, "So Dana signs anything over fifty K, after legal.", "rep"),
        seg(3, "Yep, correct.", "prospect"),
    ]
    p = probs(*[{decision: 0.9}] * 4)
    out = decide(segments, p, thresholds(0.5), [False] * 4)
    assert [d.segment for d in out if d.behavior == "decision_process_confirmed"] == [2, 3]


def test_a_pain_is_put_in_numbers_and_a_timeline_is_dated() -> None:
    pain, timeline = HEADS.index("pain_quantified"), HEADS.index("timeline_agreed")
    segments = [
        seg(0, "Month-end close is a nightmare for us.", "prospect"),
        seg(1, "Month-end close takes us nine working days.", "prospect"),
        seg(2, "Let's map out the rollout together.", "rep"),
        seg(3, "Pilot on the fourth, review on the twentieth, signature by May.", "rep"),
        seg(4, "And then the rollout.", "rep", utterance=3),
    ]
    p = probs(*[{pain: 0.9, timeline: 0.9}] * 5)
    out = decide(segments, p, thresholds(0.5), [False, False, False, True, False])
    assert [(d.segment, d.behavior) for d in out if d.behavior != "rep_question"] == [
        (1, "pain_quantified"),
        (3, "timeline_agreed"),  # ordinals date things; they put no problem in numbers
        (4, "timeline_agreed"),  # its turn says the dates
    ]


def test_a_thanks_that_leads_into_a_decision_process_stands() -> None:
    decision = HEADS.index("decision_process_confirmed")
    text = "Thanks. Our CFO signs off on anything over fifty K, after legal."
    out = decide([seg(0, text, "prospect")], probs({decision: 0.9}), thresholds(0.5), [False])
    assert [d.behavior for d in out] == ["decision_process_confirmed"]


@pytest.mark.parametrize(
    ("text", "quantified"),
    [
        ("We lose thousands every month on it.", True),
        ("Dozens of tickets a week.", True),
        ("It takes us nine working days.", True),
        ("We double-check every invoice by hand.", False),
        ("It's a nightmare for the team.", False),
    ],
)
def test_what_puts_a_problem_in_numbers(text: str, quantified: bool) -> None:
    assert is_quantified(text) is quantified
