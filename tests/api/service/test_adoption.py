"""Adoption: per rep, per ISO week (Monday, UTC, of the call's start) and behavior; a team's
bottleneck is its least adopted behavior; rejected detections do not count."""

from __future__ import annotations

from typing import Any

from tests.api.service.conftest import TRANSCRIPTS, World

WINDOW = {"since": "2026-10-26T00:00:00Z", "until": "2026-11-23T00:00:00Z"}


def calls(world: World) -> dict[str, dict[str, Any]]:
    """rep: discovery (Tue Nov 3) and onboarding (Mon Nov 9 00:30 in Berlin, so Sun Nov 8 in
    UTC: still the week of Nov 2), followup (Tue Nov 10); rep2 (team West): pricing."""
    return {
        "discovery": world.analyzed(
            "rep", TRANSCRIPTS / "discovery_agenda_call.vtt", call_start="2026-11-03T10:00:00+00:00"
        ),
        "onboarding": world.analyzed(
            "rep",
            TRANSCRIPTS / "onboarding_call.vtt",
            call_start="2026-11-09T00:30:00+01:00",
            timezone="Europe/Berlin",
        ),
        "followup": world.analyzed(
            "rep", TRANSCRIPTS / "followup_call.txt", call_start="2026-11-10T09:00:00-05:00"
        ),
        "pricing": world.analyzed(
            "rep2", TRANSCRIPTS / "pricing_call.json", call_start="2026-11-04T12:00:00+00:00"
        ),
    }


def cells(adoption: dict[str, Any]) -> dict[tuple[int, str, str], tuple[int, int, float]]:
    return {
        (c["rep_id"], c["week"], c["behavior"]): (c["calls"], c["calls_with"], c["rate"])
        for c in adoption["cells"]
    }


def overall(adoption: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {a["behavior"]: (a["calls"], a["calls_with"]) for a in adoption["overall"]}


def test_rep_and_team_adoption(world: World) -> None:
    made = calls(world)
    rep = world.ids["rep"]
    response = world.get("manager", f"/reps/{rep}/adoption", params=WINDOW)
    assert response.status_code == 200, response.text
    adoption = response.json()
    assert adoption["playbook"] == "discovery"
    grid = cells(adoption)
    assert {week for _, week, _ in grid} == {"2026-11-02", "2026-11-09"}
    assert {r for r, _, _ in grid} == {rep}
    assert grid[(rep, "2026-11-02", "agenda_set")] == (2, 1, 0.5)
    assert grid[(rep, "2026-11-02", "next_step_dated")] == (2, 2, 1.0)
    assert grid[(rep, "2026-11-02", "pain_quantified")] == (2, 1, 0.5)
    assert grid[(rep, "2026-11-09", "agenda_set")] == (1, 0, 0.0)
    assert grid[(rep, "2026-11-09", "next_step_dated")] == (1, 0, 0.0)
    for n, with_, rate in grid.values():
        assert rate == with_ / n
    totals = overall(adoption)
    assert totals["agenda_set"] == (3, 1) and totals["next_step_dated"] == (3, 2)
    assert totals["budget_discussed"] == (3, 0) and totals["timeline_agreed"] == (3, 0)
    # the least adopted behavior, the first in playbook order on a tie
    assert adoption["bottleneck"] == {
        "behavior": "budget_discussed",
        "calls": 3,
        "calls_with": 0,
        "rate": 0.0,
    }

    # weeks go by the call's start in UTC: from Monday Nov 9 00:00 UTC, only the followup
    later = world.get("rep", f"/reps/{rep}/adoption", params={**WINDOW, "since": "2026-11-09"})
    assert {week for _, week, _ in cells(later.json())} == {"2026-11-09"}
    assert overall(later.json())["agenda_set"] == (1, 0)

    # the team: its members' calls only (rep2's pricing call, which discussed budget, is West)
    team = world.get("manager", f"/teams/{world.ids['east']}/adoption", params=WINDOW).json()
    assert overall(team) == totals
    assert team["bottleneck"]["behavior"] == "budget_discussed"
    assert {c["rep_id"] for c in team["cells"]} == {rep}
    west = world.get("admin", f"/teams/{world.ids['west']}/adoption", params=WINDOW).json()
    assert overall(west)["budget_discussed"] == (1, 1)
    assert west["bottleneck"]["behavior"] == "pain_quantified"
    assert west["bottleneck"]["rate"] == min(a["rate"] for a in west["overall"])
    everyone = world.get("admin", f"/reps/{world.ids['rep2']}/adoption", params=WINDOW).json()
    assert {week for _, week, _ in cells(everyone)} == {"2026-11-02"}

    # a rejected detection does not count
    pain = world.get(
        "admin",
        "/evidence",
        params={"call_id": made["discovery"]["id"], "behavior": "pain_quantified"},
    ).json()["items"]
    assert len(pain) == 1
    assert world.post(
        "manager", f"/evidence/{pain[0]['id']}/reviews", json={"verdict": "rejected"}
    ).is_success
    after = world.get("manager", f"/reps/{rep}/adoption", params=WINDOW).json()
    assert cells(after)[(rep, "2026-11-02", "pain_quantified")] == (2, 0, 0.0)
    assert overall(after)["pain_quantified"] == (3, 0)

    # without a window: the 12 weeks up to now
    default = world.get("rep", f"/reps/{rep}/adoption").json()
    assert overall(default)["agenda_set"] == (3, 1)


def test_adoption_access_and_input(world: World) -> None:
    rep, rep2 = world.ids["rep"], world.ids["rep2"]
    empty = world.get("rep", f"/reps/{rep}/adoption", params=WINDOW)
    assert empty.status_code == 200
    assert empty.json()["cells"] == [] and empty.json()["bottleneck"] is None
    assert world.get("rep", f"/reps/{rep2}/adoption").status_code == 404
    assert world.get("manager", f"/reps/{rep2}/adoption").status_code == 404
    assert world.get("other_admin", f"/reps/{rep}/adoption").status_code == 404
    assert world.get("manager", f"/teams/{world.ids['west']}/adoption").status_code == 404
    assert world.get("other_admin", f"/teams/{world.ids['east']}/adoption").status_code == 404
    bad = world.get("rep", f"/reps/{rep}/adoption", params={"playbook": "nope"})
    assert bad.status_code == 422 and "playbook" in bad.json()["detail"]
    backwards = world.get(
        "rep", f"/reps/{rep}/adoption", params={"since": WINDOW["until"], "until": WINDOW["since"]}
    )
    assert backwards.status_code == 422 and "since" in backwards.json()["detail"]
    meddic = world.get("rep", f"/reps/{rep}/adoption", params={"playbook": "meddic"})
    assert meddic.status_code == 200 and meddic.json()["playbook"] == "meddic"
