"""Competitors found by their names in a vendor's place (engine/behaviors/competitors.py)."""

from __future__ import annotations

import pytest

from engine.behaviors.competitors import (
    INTRODUCED_CONFIDENCE,
    MENTIONED_CONFIDENCE,
    find_competitors,
)
from engine.types import Role


def rivals(
    *texts: str, roles: tuple[Role | None, ...] | None = None, speakers: tuple[str, ...] = ()
) -> dict[int, tuple[str, ...]]:
    prospect: Role = "prospect"
    found = find_competitors(texts, roles or (prospect,) * len(texts), speakers)
    return {m.segment: m.names for m in found}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("We use HubSpot for the pipeline right now.", "HubSpot"),
        ("Payroll runs on ADP Workforce Now.", "ADP Workforce Now"),
        ("Honestly we've been with Brightway for six years.", "Brightway"),
        ("We're on Xero for the books.", "Xero"),
        ("Last spring we switched from Pipedrive.", "Pipedrive"),
        ("There's a proposal from Accenture on my desk.", "Accenture"),
        ("We saw a demo of Monday.com in May.", "Monday.com"),
        ("We got quotes from Rentokil and a local firm.", "Rentokil"),
        ("We're piloting Gong in one region.", "Gong"),
        ("How does that compare to Zendesk?", "Zendesk"),
        ("Is it cheaper than Bill.com, though?", "Bill.com"),
        ("Gusto quoted us twelve a head.", "Gusto"),
        ("Deel came in lower than that.", "Deel"),
        ("The Hilton gave us free parking.", "Hilton"),
        ("Their Salesforce renewal is due in June.", "Salesforce"),
        ("Our old provider, Initech, never called back.", "Initech"),
        ("The current tool is Jira and nobody likes it.", "Jira"),
        ("Can you do what Rippling says they do?", "Rippling"),
        ("We export everything out of QuickBooks by hand.", "QuickBooks"),
        ("We're with China Mobile for the phones.", "China Mobile"),  # a place begins it
    ],
)
def test_a_name_in_a_vendors_place_is_a_rival(text: str, name: str) -> None:
    found = find_competitors([text], ["prospect"])
    assert [(m.names, m.introduced, m.confidence) for m in found] == [
        ((name,), True, INTRODUCED_CONFIDENCE)
    ]


def test_a_rival_once_named_is_a_rival_in_every_later_mention() -> None:
    texts = (
        "Nice to meet you.",
        "We had a trial of Zoho last quarter.",
        "Zoho was fine, to be fair.",
        "What did you like about Zoho?",
    )
    found = find_competitors(texts, ("rep", "prospect", "prospect", "rep"))
    assert [(m.segment, m.names, m.introduced) for m in found] == [
        (1, ("Zoho",), True),
        (2, ("Zoho",), False),
        (3, ("Zoho",), False),
    ]
    assert found[1].confidence == MENTIONED_CONFIDENCE


def test_a_mention_before_the_name_is_introduced_is_not_one() -> None:
    # Nothing in the first sentence puts Zoho in a vendor's place yet.
    assert rivals("Zoho came up in our board meeting.", "We use Zoho for mail.") == {1: ("Zoho",)}


@pytest.mark.parametrize(
    "text",
    [
        "we tried another tool before.",
        "We are using it for now.",
        "We went with the other one.",
        "They came in at about forty.",
        "List price is eleven a seat.",
        "Standard pricing is on the website.",
        "We moved to Tuesday.",
        "We're on Pacific time.",
        "I'll be on PTO next week.",
        "Procurement quoted a lower number.",
        "The Enterprise plan comes with SSO.",
        "We use SSO for everything.",
        "Downtime costs us about twenty grand a month.",
        "Customers say they love it.",
        "Vendors quoted us all sorts.",
        "It's a 50k contract, roughly.",
        "Can we do the 2pm demo instead?",
        "Send the proposal by EOD.",
        "The contract by March 15th would work.",
        "Their Jan renewal went fine.",
        "Our FY26 contract is signed.",
        "How does the EMEA pricing work?",
        # places, peoples and the pandemic are no rivals (engine/behaviors/places.txt)
        "We've been looking at North America first.",
        "The Caribbean gave us the most trouble.",
        "We switched to Mexico for the assembly.",
        "Germany came in at half the cost.",
        "Sales came in lower versus Brazil.",
        "COVID came in and cut the budget.",
        "We're running Covid-19 protocols.",
        "Then EBITDA came in at nine percent.",
        "And the CapEx came in lower.",
    ],
)
def test_no_name_in_a_vendors_place_is_no_rival(text: str) -> None:
    assert rivals(text) == {}


def test_people_are_no_rivals() -> None:
    texts = (
        "Hi Noor, thanks for making time.",
        "Noor and I looked at Lattice already.",
        "Our controller, Bram, wants a quote from Sage too.",
        "Could you ask Wendy to send the Lattice proposal?",
        "We compared Noor's numbers with Bram's quote.",
    )
    found = rivals(*texts, speakers=("Wendy Okafor", "Dana Lee"))
    assert found == {1: ("Lattice",), 2: ("Sage",), 3: ("Lattice",)}


def test_the_sellers_and_the_buyers_own_names_are_no_rivals() -> None:
    texts = (
        "Hi, I'm Dana from Quillfield, how are things at Harbor Foods?",
        "Things at Harbor Foods are busy.",
        "We use Quillfield in the Denver office already.",
        "Here at Quillfield we price per seat.",
        "You'd replace our Insights add-on?",
        "Could our Insights module replace Tableau?",
    )
    roles: tuple[Role | None, ...] = ("rep", "prospect", "prospect", "rep", "prospect", "rep")
    assert rivals(*texts, roles=roles) == {5: ("Tableau",)}


def test_asking_or_naming_a_vendor_does_not_make_it_a_person() -> None:
    texts = (
        "We asked Samsara for a quote.",
        "Sorry, Salesforce keeps logging me out.",
        "Does that include HubSpot?",
        "Samsara came in at fifty-two.",
        "We use HubSpot today, and Salesforce for the pipeline.",
        "We ran Salesforce before that.",
    )
    assert rivals(*texts) == {3: ("Samsara",), 4: ("HubSpot",), 5: ("Salesforce",)}


def test_a_name_ends_at_its_first_stop_word() -> None:
    assert rivals("We use Salesforce Sales Cloud.") == {0: ("Salesforce",)}


def test_names_end_without_a_period_or_a_possessive() -> None:
    assert rivals("We're using Gong.", "Gong's renewal is in May.") == {
        0: ("Gong",),
        1: ("Gong",),
    }


def test_a_name_is_matched_as_a_whole_word() -> None:
    assert rivals("We use Sage today.", "The sagebrush and Sageview are unrelated.") == {
        0: ("Sage",)
    }


def test_in_a_segment_the_classifier_takes_for_talk_of_a_rival_any_later_name_counts() -> None:
    texts = ("We're also weighing Clari as an alternative.", "Clari is pricey.")
    assert rivals(*texts) == {}
    found = find_competitors(texts, ("prospect", "prospect"), (), about_rivals={0})
    assert [(m.segment, m.names, m.introduced) for m in found] == [
        (0, ("Clari",), True),
        (1, ("Clari",), False),
    ]
    # the sentence's first word is no name of that kind, nor is a person
    assert find_competitors(["Clari is an alternative."], ["prospect"], (), {0}) == []
    assert find_competitors(["Ask Dana about alternatives."], ["prospect"], ["Dana Lee"], {0}) == []


def test_a_playbooks_known_rivals_count_wherever_and_by_whomever_said() -> None:
    texts = (
        "Hi, I'm Sam from Gong.",  # the rep's own introduction would make it the seller's
        "Gong is on our shortlist.",  # a sentence's first word, in no vendor's place
        "Unlike Clari Copilot, we record every call.",
        "The gong rang at noon.",  # spelled otherwise: the word, not the vendor
    )
    roles: tuple[Role, ...] = ("rep", "prospect", "rep", "prospect")
    assert find_competitors(texts, roles) == []
    found = find_competitors(texts, roles, known=("Gong", "Clari Copilot"))
    assert [(m.segment, m.names, m.confidence) for m in found] == [
        (0, ("Gong",), INTRODUCED_CONFIDENCE),
        (1, ("Gong",), INTRODUCED_CONFIDENCE),
        (2, ("Clari Copilot",), INTRODUCED_CONFIDENCE),
    ]


def test_a_playbooks_ignored_names_are_never_rivals() -> None:
    texts = (
        "We use Slack Connect with most vendors and we run Salesforce.",
        "Salesforce is fine; Slack is noisy.",
    )
    assert rivals(*texts) == {0: ("Slack Connect", "Salesforce"), 1: ("Salesforce",)}
    found = find_competitors(texts, ("prospect", "prospect"), ignore=("Slack",))
    assert [(m.segment, m.names) for m in found] == [(0, ("Salesforce",)), (1, ("Salesforce",))]
    assert find_competitors(texts, ("prospect", "prospect"), ignore=("Slack", "Salesforce")) == []
