"""Adoption: per rep, per ISO week (Monday, UTC, of the call's start) and behavior; a team's
bottleneck is its least adopted behavior; rejected detections do not count."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel import Session

from api.db import get_engine
from api.deal_ledger import playbook_named
from api.routes import adoption as adoption_routes
from api.tables import Call, Evidence, refresh_call_behaviors
from engine.adoption import adoption_cells, bottleneck, team_adoption
from engine.types import AdoptionCell, BehaviorAdoption, LedgerCall
from tests.api.service.conftest import TRANSCRIPTS, World

WINDOW = {"since": "2026-10-26T00:00:00Z", "until": "2026-11-23T00:00:00Z"}


def calls(world: World) -> dict[str, dict[str, Any]]:
    """rep: discovery (Tue Nov 3) and onboarding (Mon Nov 9 00:30 in Berlin, so Sun Nov 8 in
    UTC: still the week of Nov 2), followup (Tue Nov 10); rep2 (team West): pricing. Of the
    first week's two calls, both set an agenda (the onboarding call's host is the rep: its
    VTT voice class names the other speaker the prospect), only the discovery call has a
    dated next step."""
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


def test_rep_and_team_adoption(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    made = calls(world)
    rep = world.ids["rep"]
    response = world.get("manager", f"/reps/{rep}/adoption", params=WINDOW)
    assert response.status_code == 200, response.text
    adoption = response.json()
    assert adoption["playbook"] == "discovery"
    grid = cells(adoption)
    assert {week for _, week, _ in grid} == {"2026-11-02", "2026-11-09"}
    assert {r for r, _, _ in grid} == {rep}
    assert grid[(rep, "2026-11-02", "agenda_set")] == (2, 2, 1.0)
    assert grid[(rep, "2026-11-02", "next_step_dated")] == (2, 1, 0.5)
    assert grid[(rep, "2026-11-02", "pain_quantified")] == (2, 1, 0.5)
    assert grid[(rep, "2026-11-09", "agenda_set")] == (1, 0, 0.0)
    assert grid[(rep, "2026-11-09", "next_step_dated")] == (1, 0, 0.0)
    for n, with_, rate in grid.values():
        assert rate == with_ / n
    totals = overall(adoption)
    assert totals["agenda_set"] == (3, 2) and totals["next_step_dated"] == (3, 1)
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
    lowest = min(a["rate"] for a in west["overall"])  # the first at it, in playbook order
    assert west["bottleneck"]["rate"] == lowest
    assert west["bottleneck"]["behavior"] == next(
        a["behavior"] for a in west["overall"] if a["rate"] == lowest
    )
    everyone = world.get("admin", f"/reps/{world.ids['rep2']}/adoption", params=WINDOW).json()
    assert {week for _, week, _ in cells(everyone)} == {"2026-11-02"}

    # rejected detections do not count
    pain = world.get(
        "admin",
        "/evidence",
        params={"call_id": made["discovery"]["id"], "behavior": "pain_quantified"},
    ).json()["items"]
    assert pain
    for e in pain:
        assert world.post(
            "manager", f"/evidence/{e['id']}/reviews", json={"verdict": "rejected"}
        ).is_success
    after = world.get("manager", f"/reps/{rep}/adoption", params=WINDOW).json()
    assert cells(after)[(rep, "2026-11-02", "pain_quantified")] == (2, 0, 0.0)
    assert overall(after)["pain_quantified"] == (3, 0)

    # without a window: the 12 weeks up to now (the server's clock, set here so that the
    # test does not age: these calls fall out of the default window in late January 2027)
    monkeypatch.setattr(adoption_routes, "utcnow", lambda: datetime(2026, 12, 3, tzinfo=UTC))
    default = world.get("rep", f"/reps/{rep}/adoption").json()
    assert overall(default)["agenda_set"] == (3, 2)
    monkeypatch.setattr(adoption_routes, "utcnow", lambda: datetime(2027, 3, 1, tzinfo=UTC))
    assert world.get("rep", f"/reps/{rep}/adoption").json()["cells"] == []


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


def test_database_counts_match_the_engine_on_many_calls(world: World) -> None:
    """The counts the database makes (per rep and ISO week, per behavior) are those of
    engine.adoption on the same calls: weeks cut at Monday 00:00 UTC, the window's ends (since
    in, until out), rejected detections, calls not analyzed, behaviors of no playbook."""
    rng = random.Random(4)
    org, rep, rep2, manager = (world.ids[k] for k in ("acme", "rep", "rep2", "manager"))
    behaviors = [e.behavior for e in playbook_named("discovery").expected_behaviors]
    since = datetime(2026, 9, 2, 13, 30, tzinfo=UTC)  # a Wednesday
    until = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday
    edges = [
        since,
        since - timedelta(microseconds=1),
        until,
        until - timedelta(microseconds=1),
        datetime(2026, 10, 5, tzinfo=UTC),  # a Monday at midnight
        datetime(2026, 10, 5, tzinfo=UTC) - timedelta(microseconds=1),  # its Sunday
    ]
    calls: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for i in range(300):
        started = edges[i] if i < len(edges) else since + (until - since) * rng.uniform(-0.1, 1.1)
        sha = f"{i:064x}"
        calls.append(
            {
                "id": 10_000 + i,
                "org_id": org,
                "rep_id": rng.choice([rep, rep, rep2, manager]),
                "started_at": started,
                "status": "done" if rng.random() < 0.9 else rng.choice(["failed", "running"]),
                "media_kind": "transcript",
                "media_format": "json",
                "media_name": "c.json",
                "media_key": sha,
                "media_size": 1,
                "media_sha256": sha,
                "title": "",
                "participants": [],
                "created_at": started,
            }
        )
        for _ in range(rng.randrange(8)):
            evidence.append(
                {
                    "id": 100_000 + len(evidence),
                    "key": f"{len(evidence):032x}",
                    "call_id": 10_000 + i,
                    "org_id": org,
                    "rep_id": calls[-1]["rep_id"],
                    "call_started_at": started,
                    "behavior": rng.choice([*behaviors, "objection_handled"]),
                    "speaker": "S1",
                    "utterance_ids": [],
                    "quote": "",
                    "confidence": 0.9,
                    "fields": {},
                    "detector": "test",
                    "detector_version": "test",
                    "status": rng.choice(["detected", "detected", "confirmed", "rejected"]),
                }
            )
    with get_engine(world.settings.db_url).begin() as conn:
        conn.execute(insert(Call.__table__), calls)  # type: ignore[attr-defined]
        conn.execute(insert(Evidence.__table__), evidence)  # type: ignore[attr-defined]
    # written behind the app's back: each call's summary as the app's writes keep it
    with Session(get_engine(world.settings.db_url)) as session:
        for c in calls:
            refresh_call_behaviors(session, c["id"])
        session.commit()

    def expected(reps: set[int]) -> tuple[list[AdoptionCell], list[BehaviorAdoption]]:
        chosen = [
            LedgerCall(c["id"], c["started_at"], c["rep_id"])
            for c in calls
            if c["rep_id"] in reps and c["status"] == "done" and since <= c["started_at"] < until
        ]
        seen: dict[int, set[str]] = {}
        for e in evidence:
            if e["status"] != "rejected":
                seen.setdefault(e["call_id"], set()).add(e["behavior"])
        return adoption_cells(chosen, seen, behaviors), team_adoption(chosen, seen, behaviors)

    window = {"since": since.isoformat(), "until": until.isoformat()}
    for who, path, reps in (
        ("admin", f"/teams/{world.ids['east']}/adoption", {rep, manager}),
        ("manager", f"/teams/{world.ids['east']}/adoption", {rep, manager}),
        ("admin", f"/teams/{world.ids['west']}/adoption", {rep2}),
        ("rep", f"/reps/{rep}/adoption", {rep}),
    ):
        response = world.get(who, path, params=window)
        assert response.status_code == 200, response.text
        got = response.json()
        want_cells, want_overall = expected(reps)
        assert len(want_cells) > 10 * len(behaviors)
        assert got["cells"] == [
            {
                "rep_id": c.rep_id,
                "week": c.week.isoformat(),
                "behavior": c.behavior,
                "calls": c.calls,
                "calls_with": c.calls_with,
                "rate": c.rate,
            }
            for c in want_cells
        ]
        assert overall(got) == {a.behavior: (a.calls, a.calls_with) for a in want_overall}
        worst = bottleneck(want_overall)
        assert worst is not None and got["bottleneck"]["behavior"] == worst.behavior
