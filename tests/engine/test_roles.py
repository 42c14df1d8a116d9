"""Who is the rep: transcript roles, --rep, and the seller heuristic."""

from __future__ import annotations

import math

import pytest

from engine.errors import ConfigError
from engine.roles import (
    CONFIDENCE_SLOPE,
    INFERRED_CONFIDENCE,
    apply_roles,
    assign_roles,
    match_rep,
    rep_scores,
    seller_cues,
)
from engine.types import Role, Utterance


def u(i: int, speaker: str, text: str, role: Role | None = None) -> Utterance:
    return Utterance(f"u{i}", speaker, role, float(i), float(i) + 1.0, text)


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


DISCOVERY = [
    # 14 words, 1 question, 1 cue ("thanks for taking the time")
    u(0, "S1", "Hi Bob, thanks for taking the time today. What does your team use now?"),
    # 3 words
    u(1, "S2", "We use spreadsheets."),
    # 6 words, 2 cues ("let me show", "our platform")
    u(2, "S1", "Let me show you our platform."),
    # 5 words, 1 question
    u(3, "S2", "How much does it cost?"),
]
# S1: first 1.0 + questions 1.5·1/2 + cues 2.5·3/3 + talk 0.5·20/28
S1_SCORE = 1.0 + 0.75 + 2.5 + 0.5 * 20 / 28
# S2: questions 1.5·1/2 + talk 0.5·8/28
S2_SCORE = 0.75 + 0.5 * 8 / 28


def test_seller_cues() -> None:
    assert seller_cues("Thanks for taking the time. Let me show you our platform.") == 3
    assert seller_cues("I’ll send you the pricing and next steps") == 3
    assert seller_cues("Hi, this is Dana from Acme.") == 1
    assert seller_cues("your team is our focus") == 0  # "your team" is not "our team"


def test_heuristic_scores_by_hand() -> None:
    scores = rep_scores(DISCOVERY, ["S1", "S2"])
    assert scores == pytest.approx({"S1": S1_SCORE, "S2": S2_SCORE})


def test_heuristic_picks_the_seller_with_margin_confidence() -> None:
    roles = assign_roles(DISCOVERY, {"S1": None, "S2": None})
    confidence = logistic(CONFIDENCE_SLOPE * (S1_SCORE - S2_SCORE))
    assert {s: role for s, (role, _) in roles.items()} == {"S1": "rep", "S2": "prospect"}
    assert roles["S1"][1] == pytest.approx(confidence)
    assert roles["S2"][1] == pytest.approx(confidence)
    assert confidence > 0.99


def test_heuristic_does_not_depend_on_who_speaks_first_alone() -> None:
    # the prospect opens, the seller does the selling and asks the questions
    call = [
        u(0, "S1", "Hello?"),
        u(1, "S2", "Hi, this is Dana from Acme, thanks for your time. How are you handling it?"),
        u(2, "S1", "Manually."),
        u(3, "S2", "Our platform automates it. I'll send you the pricing. Does Friday work?"),
    ]
    roles = assign_roles(call, {})
    assert roles["S2"][0] == "rep" and roles["S1"][0] == "prospect"


def test_three_speakers_each_prospect_has_its_own_confidence() -> None:
    call = [*DISCOVERY, u(4, "S3", "Yes.")]
    roles = assign_roles(call, {})
    scores = rep_scores(call, ["S1", "S2", "S3"])
    assert [roles[s][0] for s in ("S1", "S2", "S3")] == ["rep", "prospect", "prospect"]
    assert roles["S1"][1] == pytest.approx(logistic(2 * (scores["S1"] - scores["S2"])))
    assert roles["S2"][1] == pytest.approx(logistic(2 * (scores["S1"] - scores["S2"])))
    assert roles["S3"][1] == pytest.approx(logistic(2 * (scores["S1"] - scores["S3"])))
    assert roles["S3"][1] > roles["S2"][1]


def test_a_coin_flip_has_confidence_one_half_and_goes_to_the_first_speaker() -> None:
    call = [u(0, "S1", ""), u(1, "S2", "")]
    assert assign_roles(call, {"S1": None, "S2": None}) == {
        "S1": ("rep", 0.5),
        "S2": ("prospect", 0.5),
    }


def test_one_speaker_and_no_speakers() -> None:
    assert assign_roles([u(0, "S1", "Hello.")], {"S1": None}) == {"S1": ("rep", 0.5)}
    assert assign_roles([], {}) == {}


def test_deterministic() -> None:
    names: dict[str, str | None] = {"S1": None, "S2": None}
    assert all(assign_roles(DISCOVERY, names) == assign_roles(DISCOVERY, names) for _ in range(5))


# --------------------------------------------------------------------------- given roles


def test_roles_given_by_the_transcript_are_kept() -> None:
    # the heuristic would call S1 the rep; the transcript says otherwise
    call = [
        u(0, "S1", DISCOVERY[0].text, "prospect"),
        u(1, "S2", "We use spreadsheets.", "rep"),
    ]
    assert assign_roles(call, {"S1": "Ann", "S2": "Ben"}) == {
        "S1": ("prospect", 1.0),
        "S2": ("rep", 1.0),
    }


def test_unlabeled_speakers_are_prospects_when_the_transcript_names_the_rep() -> None:
    call = [u(0, "S1", "Hi.", "rep"), u(1, "S2", "Hello."), u(2, "S3", "Hey.")]
    assert assign_roles(call, {}) == {
        "S1": ("rep", 1.0),
        "S2": ("prospect", INFERRED_CONFIDENCE),
        "S3": ("prospect", INFERRED_CONFIDENCE),
    }


def test_the_one_unlabeled_speaker_is_the_rep_when_all_others_are_prospects() -> None:
    call = [u(0, "S1", "Hi.", "prospect"), u(1, "S2", "Hello."), u(2, "S3", "Hey.", "prospect")]
    assert assign_roles(call, {})["S2"] == ("rep", INFERRED_CONFIDENCE)


def test_unlabeled_speakers_use_the_heuristic_or_rep_when_no_rep_is_given() -> None:
    call = [*DISCOVERY, u(4, "S3", "I agree.", "prospect")]
    roles = assign_roles(call, {"S1": "Ann", "S2": "Ben", "S3": "Cy"})
    assert roles["S3"] == ("prospect", 1.0)
    assert roles["S1"][0] == "rep" and roles["S2"][0] == "prospect"
    by_name = assign_roles(call, {"S1": "Ann", "S2": "Ben", "S3": "Cy"}, rep="ben")
    assert by_name == {"S1": ("prospect", 1.0), "S2": ("rep", 1.0), "S3": ("prospect", 1.0)}


# --------------------------------------------------------------------------- --rep


NAMES: dict[str, str | None] = {"S1": "Alice Smith", "S2": "Bob Jones", "S3": None}


@pytest.mark.parametrize(
    ("rep", "expected"),
    [("alice smith", ["S1"]), ("ALICE", ["S1"]), ("Bob J.", ["S2"]), ("Jones", ["S2"])],
)
def test_match_rep(rep: str, expected: list[str]) -> None:
    assert match_rep(rep, NAMES) == expected


def test_exact_name_beats_a_partial_one() -> None:
    assert match_rep("Alice", {"S1": "Alice Smith", "S2": "alice"}) == ["S2"]


def test_rep_by_name_overrides_the_heuristic() -> None:
    names: dict[str, str | None] = {"S1": "Ann Lee", "S2": "Bob"}
    assert assign_roles(DISCOVERY, names, rep="bob") == {
        "S1": ("prospect", 1.0),
        "S2": ("rep", 1.0),
    }


def test_unknown_rep_lists_the_names_seen() -> None:
    with pytest.raises(ConfigError, match="'Alice Smith', 'Bob Jones'"):
        assign_roles(DISCOVERY, NAMES, rep="Alice Jones")
    with pytest.raises(ConfigError, match="no names"):
        assign_roles(DISCOVERY, {"S1": None, "S2": None}, rep="Alice")


def test_ambiguous_rep() -> None:
    with pytest.raises(ConfigError, match="several speakers"):
        match_rep("Alice", {"S1": "Alice Smith", "S2": "Alice Brown"})


# --------------------------------------------------------------------------- apply_roles


def test_apply_roles() -> None:
    roles = assign_roles(DISCOVERY, {})
    applied = apply_roles(DISCOVERY, roles)
    assert [x.role for x in applied] == ["rep", "prospect", "rep", "prospect"]
    assert [x.text for x in applied] == [x.text for x in DISCOVERY]
    assert apply_roles([u(0, "S9", "hi", "rep")], {"S1": "prospect"})[0].role == "rep"
    assert apply_roles(DISCOVERY[:1], {"S1": None})[0].role is None
