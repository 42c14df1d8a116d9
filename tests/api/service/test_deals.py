"""Deals: creation rules, stage changes and their history, the ledger across a deal's calls,
and moving a call between deals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.playbook import PLAYBOOK_DIR_ENV
from tests.api.service.conftest import TRANSCRIPTS, World


def assert_problem(response: Any, status: int, word: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert word.lower() in response.json()["detail"].lower(), response.json()


def behaviors(ledger: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["behavior"]: b for b in ledger["behaviors"]}


def test_create_deal(world: World) -> None:
    response = world.post("rep", "/deals", json={"name": "Umbrella", "external_id": "sf-001"})
    assert response.status_code == 201, response.text
    deal = response.json()
    assert deal["name"] == "Umbrella" and deal["external_id"] == "sf-001"
    assert deal["playbook"] == "discovery" and deal["owner_id"] == world.ids["rep"]
    assert deal["stage"] is None
    assert world.get("rep", f"/deals/{deal['id']}").json() == deal
    assert world.get("rep", "/deals", params={"external_id": "sf-001"}).json()["items"] == [deal]
    assert world.get("rep", f"/deals/{deal['id']}/stages").json() == []

    assert_problem(
        world.post("manager", "/deals", json={"name": "Again", "external_id": "sf-001"}),
        409,
        "sf-001",
    )
    assert world.get("admin", "/deals").json()["total"] == 1
    # external ids are per organisation
    assert (
        world.post("other_admin", "/deals", json={"name": "U", "external_id": "sf-001"}).status_code
        == 201
    )
    assert_problem(
        world.post("rep", "/deals", json={"name": "X", "playbook": "no-such-playbook"}),
        422,
        "playbook",
    )
    assert_problem(world.post("rep", "/deals", json={"name": "X", "stage": "Won"}), 422, "stage")
    assert_problem(world.post("rep", "/deals", json={"external_id": "x"}), 422, "name")
    assert_problem(
        world.post("admin", "/deals", json={"name": "X", "owner_id": world.ids["other_admin"]}),
        404,
        "user",
    )
    assert world.get("admin", "/deals").json()["total"] == 1

    staged = world.post(
        "admin",
        "/deals",
        json={"name": "Soylent", "playbook": "meddic", "owner_id": world.ids["rep2"]},
    )
    assert staged.status_code == 201, staged.text
    assert staged.json()["playbook"] == "meddic" and staged.json()["owner_id"] == world.ids["rep2"]
    # the owner sees it, another rep does not
    assert world.get("rep2", f"/deals/{staged.json()['id']}").status_code == 200
    assert world.get("rep", f"/deals/{staged.json()['id']}").status_code == 404
    assert world.get("other_admin", f"/deals/{deal['id']}").status_code == 404


def test_stage_changes_are_recorded(world: World) -> None:
    deal = world.post("rep", "/deals", json={"name": "Wonka", "stage": "Discovery"}).json()
    assert deal["stage"] == "Discovery"
    moved = world.post(
        "rep",
        f"/deals/{deal['id']}/stage",
        json={"stage": "Evaluation", "reason": "pain is quantified"},
    )
    assert moved.status_code == 201, moved.text
    change = moved.json()
    assert (change["from_stage"], change["to_stage"]) == ("Discovery", "Evaluation")
    assert change["changed_by"] == world.ids["rep"] and change["reason"] == "pain is quantified"
    assert world.post(
        "manager", f"/deals/{deal['id']}/stage", json={"stage": "Commit", "reason": "CFO in"}
    ).is_success
    assert_problem(
        world.post("rep", f"/deals/{deal['id']}/stage", json={"stage": "Closed won"}),
        422,
        "stage",
    )
    assert world.post("rep", f"/deals/{deal['id']}/stage", json={}).status_code == 422
    history = world.get("rep", f"/deals/{deal['id']}/stages").json()
    assert [(h["from_stage"], h["to_stage"], h["changed_by"], h["reason"]) for h in history] == [
        (None, "Discovery", world.ids["rep"], ""),
        ("Discovery", "Evaluation", world.ids["rep"], "pain is quantified"),
        ("Evaluation", "Commit", world.ids["manager"], "CFO in"),
    ]
    assert world.get("rep", f"/deals/{deal['id']}").json()["stage"] == "Commit"
    listed = world.get("admin", "/deals", params={"stage": "Commit"}).json()["items"]
    assert [d["id"] for d in listed] == [deal["id"]]
    assert (
        world.post("rep2", f"/deals/{deal['id']}/stage", json={"stage": "Discovery"}).status_code
        == 404
    )
    assert (
        world.post(
            "other_admin", f"/deals/{deal['id']}/stage", json={"stage": "Discovery"}
        ).status_code
        == 404
    )

    # A rep who sees a deal through their call, but does not own it, may not change it.
    theirs = world.post("admin", "/deals", json={"name": "Admin's deal"}).json()
    upload = world.upload(
        "admin", TRANSCRIPTS / "followup_call.txt", deal_id=theirs["id"], rep_id=world.ids["rep"]
    )
    assert upload.status_code == 202, upload.text
    assert world.wait_job(upload.json()["job"]["id"])["status"] == "done"
    assert world.get("rep", f"/deals/{theirs['id']}").status_code == 200
    assert_problem(
        world.post("rep", f"/deals/{theirs['id']}/stage", json={"stage": "Evaluation"}),
        403,
        "owner",
    )
    patched = world.client.patch(
        f"/api/v1/deals/{theirs['id']}", headers=world.headers("rep"), json={"name": "Mine now"}
    )
    assert_problem(patched, 403, "owner")
    assert world.get("rep", f"/deals/{theirs['id']}/stages").json() == []
    after = world.get("admin", f"/deals/{theirs['id']}").json()
    assert after["stage"] is None and after["name"] == "Admin's deal"


def test_ledger_across_two_calls(world: World) -> None:
    deal = world.post("rep", "/deals", json={"name": "Stark", "external_id": "crm-42"}).json()
    # Uploaded in the other order: the ledger goes by call start, not by upload.
    later = world.analyzed(
        "rep",
        TRANSCRIPTS / "pricing_call.json",
        deal_id=deal["id"],
        call_start="2026-11-09T15:00:00+01:00",
    )
    earlier = world.analyzed(
        "rep",
        TRANSCRIPTS / "discovery_agenda_call.vtt",
        deal_id=deal["id"],
        call_start="2026-11-02T15:00:00+01:00",
    )
    ledger = world.get("rep", f"/deals/{deal['id']}/ledger").json()
    assert ledger["deal_id"] == deal["id"] and ledger["playbook"] == "discovery"
    assert ledger["calls"] == [earlier["id"], later["id"]]
    rows = behaviors(ledger)
    assert {b["calls_total"] for b in rows.values()} == {2}
    agenda, budget, pain = rows["agenda_set"], rows["budget_discussed"], rows["pain_quantified"]
    assert agenda["status"] == "detected"
    assert (agenda["first_call_id"], agenda["first_call_number"]) == (earlier["id"], 1)
    assert (budget["first_call_id"], budget["first_call_number"]) == (later["id"], 2)
    assert (pain["first_call_id"], pain["first_call_number"]) == (earlier["id"], 1)
    assert budget["first_by_rep_id"] == world.ids["rep"]
    timeline = rows["timeline_agreed"]
    assert timeline["status"] == "missing" and timeline["first_call_number"] is None
    # the evidence ids are those of the deal's evidence for each behavior
    evidence = world.get("rep", "/evidence", params={"deal_id": deal["id"], "limit": 500}).json()
    for name, row in rows.items():
        expected = {e["id"] for e in evidence["items"] if e["behavior"] == name}
        assert set(row["evidence_ids"]) == expected, name
    stages = {s["stage"]: s for s in ledger["stages"]}
    assert stages["Discovery"]["complete"] and stages["Discovery"]["met"] == ["pain_quantified"]
    assert stages["Evaluation"]["complete"]
    assert stages["Commit"]["missing"] == ["timeline_agreed"] and not stages["Commit"]["complete"]
    # another rep neither sees the deal nor its ledger
    assert world.get("rep2", f"/deals/{deal['id']}/ledger").status_code == 404


def test_moving_a_call_moves_its_evidence_between_ledgers(world: World) -> None:
    first = world.post("rep", "/deals", json={"name": "Acme renewal"}).json()
    second = world.post("rep", "/deals", json={"name": "Acme upsell"}).json()
    call = world.analyzed("rep", TRANSCRIPTS / "discovery_agenda_call.vtt")
    assert call["deal_id"] is None
    empty = world.get("rep", f"/deals/{first['id']}/ledger").json()
    assert empty["calls"] == [] and {b["status"] for b in empty["behaviors"]} == {"missing"}

    def patch(who: str, body: dict[str, Any]) -> Any:
        return world.client.patch(
            f"/api/v1/calls/{call['id']}", headers=world.headers(who), json=body
        )

    moved = patch("rep", {"deal_id": first["id"], "title": "Discovery with Tom"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["deal_id"] == first["id"] and moved.json()["title"] == "Discovery with Tom"
    ledger = world.get("rep", f"/deals/{first['id']}/ledger").json()
    assert ledger["calls"] == [call["id"]]
    rows = behaviors(ledger)
    assert rows["pain_quantified"]["status"] == "detected"
    assert rows["pain_quantified"]["first_call_id"] == call["id"]
    of_call = world.get("rep", "/evidence", params={"call_id": call["id"], "limit": 500}).json()
    assert of_call["total"] > 0 and {e["deal_id"] for e in of_call["items"]} == {first["id"]}

    assert patch("rep", {"deal_id": second["id"]}).status_code == 200
    assert world.get("rep", f"/deals/{first['id']}/ledger").json()["calls"] == []
    assert (
        behaviors(world.get("rep", f"/deals/{first['id']}/ledger").json())["pain_quantified"][
            "status"
        ]
        == "missing"
    )
    assert world.get("rep", f"/deals/{second['id']}/ledger").json()["calls"] == [call["id"]]
    on_second = world.get("rep", "/evidence", params={"deal_id": second["id"]}).json()
    assert on_second["total"] == of_call["total"]
    assert world.get("rep", "/evidence", params={"deal_id": first["id"]}).json()["total"] == 0

    # not to a deal one cannot see; not someone else's call
    foreign = world.post("other_admin", "/deals", json={"name": "Theirs"}).json()
    assert_problem(patch("rep", {"deal_id": foreign["id"]}), 404, "deal")
    assert patch("rep2", {"deal_id": None}).status_code == 404
    assert world.get("rep", f"/calls/{call['id']}").json()["deal_id"] == second["id"]

    detached = patch("rep", {"deal_id": None})
    assert detached.status_code == 200 and detached.json()["deal_id"] is None
    assert world.get("rep", f"/deals/{second['id']}/ledger").json()["calls"] == []
    assert world.get("rep", "/evidence", params={"deal_id": second["id"]}).json()["total"] == 0
    # a title change alone leaves the deal alone
    assert patch("rep", {"title": "renamed"}).json()["deal_id"] is None


TEAM_PLAYBOOK = """\
name: team-discovery
expected_behaviors:
  - behavior: agenda_set
    coaching: Say the plan.
  - behavior: competitor_mentioned
    coaching: Ask which vendors they are weighing.
stages:
  - name: Qualify
    exit_criteria: [agenda_set]
competitors:
  known: [Gong]
"""

RIVAL_CALL = {
    "call_id": "rival",
    "turns": [
        {"speaker": "Sam Reed", "role": "rep", "start": 0.0, "end": 4.0,
         "text": "Today I'd like to understand how you coach reps, then show you a demo."},
        {"speaker": "Dana Fox", "role": "prospect", "start": 4.5, "end": 7.0,
         "text": "Gong does that for the inside sales team."},
    ],
}  # fmt: skip


def test_a_team_playbook_from_the_playbook_folder(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "team-discovery.yaml").write_text(TEAM_PLAYBOOK)
    (folder / "broken.yaml").write_text("name: broken\nexpected_behaviors: []\n")
    monkeypatch.setenv(PLAYBOOK_DIR_ENV, str(folder))

    assert_problem(
        world.post("rep", "/deals", json={"name": "X", "playbook": "no-such"}),
        422,
        "team-discovery",  # the unknown name's message lists the team's playbooks too
    )
    assert_problem(
        world.post("rep", "/deals", json={"name": "X", "playbook": "broken"}), 422, "broken.yaml:2"
    )
    created = world.post("rep", "/deals", json={"name": "Y", "playbook": "team-discovery"})
    assert created.status_code == 201, created.text
    deal = created.json()
    assert_problem(
        world.post("rep", f"/deals/{deal['id']}/stage", json={"stage": "Evaluation"}), 422, "stage"
    )
    assert world.post("rep", f"/deals/{deal['id']}/stage", json={"stage": "Qualify"}).is_success

    # the analysis of the deal's call uses the team's playbook: its known rival is found
    # where no vendor's place names it, and its scorecard expects what the playbook says
    path = tmp_path / "rival.json"
    path.write_text(json.dumps(RIVAL_CALL))
    call = world.analyzed("rep", path, deal_id=deal["id"])
    evidence = world.get("rep", "/evidence", params={"call_id": call["id"]}).json()["items"]
    rivals = [e for e in evidence if e["behavior"] == "competitor_mentioned"]
    assert [e["fields"]["name"] for e in rivals] == ["Gong"]
    ledger = world.get("rep", f"/deals/{deal['id']}/ledger").json()
    assert ledger["playbook"] == "team-discovery"
    assert {b["behavior"] for b in ledger["behaviors"]} == {"agenda_set", "competitor_mentioned"}

    # a folder setting that names no folder is the server's fault, and no path leaks out
    monkeypatch.setenv(PLAYBOOK_DIR_ENV, str(tmp_path / "gone"))
    response = world.post("rep", "/deals", json={"name": "Z"})
    assert_problem(response, 500, "playbook folder")
    assert str(tmp_path) not in response.text
