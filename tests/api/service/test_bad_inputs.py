"""Inputs schemathesis found answered 500: numbers past what an id column (or SQLite) holds,
NUL characters PostgreSQL cannot store, datetimes that overflow when moved to UTC. Each is a
client error now, on both databases."""

from __future__ import annotations

from tests.api.service.conftest import TRANSCRIPTS, World

HUGE = [2**31, 2**63, 2**70, -(2**63) - 1]


def test_ids_no_row_can_have_are_not_found(world: World) -> None:
    for number in HUGE:
        _ids_not_found(world, number)


def _ids_not_found(world: World, number: int) -> None:
    for path in (
        f"/calls/{number}",
        f"/calls/{number}/jobs",
        f"/deals/{number}/ledger",
        f"/jobs/{number}",
        f"/evidence/{number}",
        f"/teams/{number}",
        f"/users/{number}",
        f"/reps/{number}/adoption",
        f"/webhooks/{number}/deliveries",
    ):
        response = world.get("admin", path)
        assert response.status_code == 404, (path, response.text)


def test_id_filters_and_fields_out_of_range_are_refused(world: World) -> None:
    for number in HUGE:
        _out_of_range_refused(world, number)


def _out_of_range_refused(world: World, number: int) -> None:
    for path, params in (
        ("/calls", {"deal_id": number}),
        ("/calls", {"rep_id": number}),
        ("/deals", {"owner_id": number}),
        ("/evidence", {"call_id": number}),
        ("/evidence/export", {"deal_id": number}),
    ):
        response = world.get("admin", path, params=params)
        assert response.status_code == 422, (path, params, response.text)
    for path, body in (
        ("/deals", {"name": "x", "owner_id": number}),
        ("/users", {"name": "x", "email": "x@acme.test", "role": "rep", "team_id": number}),
    ):
        response = world.post("admin", path, json=body)
        assert response.status_code == 422, (path, body, response.text)
    upload = world.upload(
        "admin", TRANSCRIPTS / "followup_call.txt", content=b"A: hi\nB: hi\n", deal_id=number
    )
    assert upload.status_code == 422, upload.text


def test_nul_characters_are_refused(world: World) -> None:
    for path, body in (
        ("/teams", {"name": "East\x00"}),
        ("/deals", {"name": "a\x00b"}),
        ("/deals", {"name": "ok", "external_id": "\x00"}),
        ("/users", {"name": "\x00", "email": "n@acme.test", "role": "rep"}),
    ):
        response = world.post("admin", path, json=body)
        assert response.status_code == 422, (path, body, response.text)
    for path, params in (
        ("/deals", {"external_id": "a\x00"}),
        ("/deals", {"stage": "\x00"}),
        ("/evidence", {"behavior": "\x00"}),
    ):
        response = world.get("admin", path, params=params)
        assert response.status_code == 422, (path, params, response.text)
    upload = world.upload(
        "admin", TRANSCRIPTS / "followup_call.txt", content=b"A: hi\nB: yo\n", title="a\x00b"
    )
    assert upload.status_code == 422, upload.text


def test_datetimes_that_overflow_in_utc_are_refused(world: World) -> None:
    for moment in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00"):
        _moment_refused(world, moment)


def _moment_refused(world: World, moment: str) -> None:
    rep = world.ids["rep"]
    for path, params in (
        ("/calls", {"since": moment}),
        ("/evidence", {"until": moment}),
        ("/evidence/export", {"since": moment}),
        (f"/reps/{rep}/adoption", {"until": moment}),
        (f"/teams/{world.ids['east']}/adoption", {"since": moment}),
    ):
        response = world.get("admin", path, params=params)
        assert response.status_code == 422, (path, params, response.text)
    upload = world.upload(
        "admin", TRANSCRIPTS / "followup_call.txt", content=b"A: hi\nB: yes\n", call_start=moment
    )
    assert upload.status_code == 422, upload.text


def test_datetimes_in_range_still_filter(world: World) -> None:
    for params in ({"since": "2026-01-01T00:00:00"}, {"until": "2026-01-01T00:00:00+05:00"}):
        assert world.get("admin", "/calls", params=params).status_code == 200
        assert world.get("admin", "/evidence", params=params).status_code == 200
    adoption = world.get(
        "admin", f"/reps/{world.ids['rep']}/adoption", params={"until": "2026-01-01T00:00:00Z"}
    )
    assert adoption.status_code == 200, adoption.text
