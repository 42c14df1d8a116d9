"""The authorization matrix: every route of the OpenAPI document, called by every role on
seeded objects of the East side (rep's) and of the West side (rep2's), answers the status the
table below says. A route the table does not list fails the test: add new routes here.

Then who may see what in lists, ledgers and filters, and writes that point at objects the
caller may not see.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.service.conftest import BACKENDS
from tests.api.service.seeding import Seeded, Side, seeded_app

ROLES = ("admin", "manager", "rep", "rep2", "other_admin", "anon")
"""anon sends no token; an unknown token ("bogus") must answer what anon gets."""
BOGUS_TOKENS = ("dp_not-a-token", "not even the prefix")


def row(admin: int, manager: int, rep: int, rep2: int, other_admin: int, anon: int = 401) -> Row:
    return {
        "admin": admin,
        "manager": manager,
        "rep": rep,
        "rep2": rep2,
        "other_admin": other_admin,
        "anon": anon,
    }


Row = dict[str, int]


def same(expected: Row) -> tuple[Row, Row]:
    """A route whose answer does not depend on the side's objects."""
    return expected, expected


# (expected on the East side's objects, expected on the West side's objects). East: team
# East, user rep, rep's deal, call, job and evidence. West: the same of rep2 (team West).
# The manager leads East; other_admin is the admin of another organisation.
MATRIX: dict[str, tuple[Row, Row]] = {
    "GET /api/v1/health": same(row(200, 200, 200, 200, 200, anon=200)),
    "GET /api/v1/me": same(row(200, 200, 200, 200, 200)),
    # organisation
    "POST /api/v1/teams": same(row(201, 403, 403, 403, 201)),
    "GET /api/v1/teams": same(row(200, 200, 200, 200, 200)),
    "GET /api/v1/teams/{team_id}": (row(200, 200, 200, 404, 404), row(200, 404, 404, 200, 404)),
    "GET /api/v1/teams/{team_id}/adoption": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    "POST /api/v1/users": same(row(201, 403, 403, 403, 201)),
    "GET /api/v1/users": same(row(200, 200, 200, 200, 200)),
    "GET /api/v1/users/{user_id}": (row(200, 200, 200, 404, 404), row(200, 404, 404, 200, 404)),
    "POST /api/v1/users/{user_id}/tokens": (
        row(201, 403, 201, 404, 404),
        row(201, 404, 404, 201, 404),
    ),
    "DELETE /api/v1/users/{user_id}/tokens": (
        row(204, 403, 204, 404, 404),
        row(204, 404, 404, 204, 404),
    ),
    "GET /api/v1/reps/{rep_id}/adoption": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    # deals
    "POST /api/v1/deals": same(row(201, 201, 201, 201, 201)),
    "GET /api/v1/deals": same(row(200, 200, 200, 200, 200)),
    "GET /api/v1/deals/{deal_id}": (row(200, 200, 200, 404, 404), row(200, 404, 404, 200, 404)),
    "PATCH /api/v1/deals/{deal_id}": (row(200, 200, 200, 404, 404), row(200, 404, 404, 200, 404)),
    "POST /api/v1/deals/{deal_id}/stage": (
        row(201, 201, 201, 404, 404),
        row(201, 404, 404, 201, 404),
    ),
    "GET /api/v1/deals/{deal_id}/stages": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    "GET /api/v1/deals/{deal_id}/ledger": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    # calls: uploading the side's own transcript again is a duplicate (200) for whoever sees
    # the call, a conflict (409) for the rest of the organisation, a new call (202) elsewhere
    "POST /api/v1/calls": (row(200, 200, 200, 409, 202), row(200, 409, 409, 200, 202)),
    "GET /api/v1/calls": same(row(200, 200, 200, 200, 200)),
    "GET /api/v1/calls/{call_id}": (row(200, 200, 200, 404, 404), row(200, 404, 404, 200, 404)),
    "PATCH /api/v1/calls/{call_id}": (row(200, 200, 200, 404, 404), row(200, 404, 404, 200, 404)),
    "GET /api/v1/calls/{call_id}/analysis": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    "GET /api/v1/calls/{call_id}/scorecard": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    "GET /api/v1/calls/{call_id}/jobs": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    # analyzing a call again: each allowed caller's job is waited for before the next asks
    "POST /api/v1/calls/{call_id}/jobs": (
        row(202, 202, 202, 404, 404),
        row(202, 404, 404, 202, 404),
    ),
    "GET /api/v1/jobs/{job_id}": (row(200, 200, 200, 404, 404), row(200, 404, 404, 200, 404)),
    # the seeded jobs are done: retrying one is a conflict for whoever may see it
    "POST /api/v1/jobs/{job_id}/retry": (
        row(409, 409, 409, 404, 404),
        row(409, 404, 404, 409, 404),
    ),
    # evidence and reviews
    "GET /api/v1/evidence": same(row(200, 200, 200, 200, 200)),
    "GET /api/v1/evidence/export": same(row(200, 200, 200, 200, 200)),
    "GET /api/v1/evidence/{evidence_id}": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    "POST /api/v1/evidence/{evidence_id}/reviews": (
        row(201, 201, 403, 403, 404),
        row(201, 404, 403, 403, 404),
    ),
    "GET /api/v1/evidence/{evidence_id}/reviews": (
        row(200, 200, 200, 404, 404),
        row(200, 404, 404, 200, 404),
    ),
    "GET /api/v1/reviews/export": same(row(200, 200, 403, 403, 200)),
    # webhooks: admins only; the seeded endpoint is acme's
    "POST /api/v1/webhooks": same(row(201, 403, 403, 403, 201)),
    "GET /api/v1/webhooks": same(row(200, 403, 403, 403, 200)),
    "DELETE /api/v1/webhooks/{webhook_id}": same(row(204, 403, 403, 403, 404)),
    "GET /api/v1/webhooks/{webhook_id}/deliveries": same(row(200, 403, 403, 403, 404)),
}

Body = Callable[[Side, str], dict[str, Any]]
"""The request's keyword arguments (json=, files=...) for a side and a role."""


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _upload(side: Side, _role: str) -> dict[str, Any]:
    data = side.transcript.read_bytes()
    return {"files": {"file": (side.transcript.name, data, "application/octet-stream")}}


# A valid body for every route that takes one, so that an allowed call succeeds.
BODIES: dict[str, Body] = {
    "POST /api/v1/teams": lambda s, r: {"json": {"name": _unique(f"team-{r}")}},
    "POST /api/v1/users": lambda s, r: {
        "json": {"name": "New", "email": f"{_unique(r)}@new.test", "role": "rep"}
    },
    "POST /api/v1/users/{user_id}/tokens": lambda s, r: {"json": {"label": "matrix"}},
    "POST /api/v1/deals": lambda s, r: {"json": {"name": _unique(f"deal-{r}")}},
    "PATCH /api/v1/deals/{deal_id}": lambda s, r: {"json": {"name": f"renamed by {r}"}},
    "POST /api/v1/deals/{deal_id}/stage": lambda s, r: {
        "json": {"stage": "Discovery", "reason": f"moved by {r}"}
    },
    "POST /api/v1/calls": _upload,
    "PATCH /api/v1/calls/{call_id}": lambda s, r: {"json": {"title": f"titled by {r}"}},
    "POST /api/v1/evidence/{evidence_id}/reviews": lambda s, r: {
        "json": {"verdict": "confirmed", "comment": f"by {r}"}
    },
    "POST /api/v1/webhooks": lambda s, r: {
        "json": {"url": "http://127.0.0.1:9/hook", "events": ["deal.criteria_changed"]}
    },
}

PATH_IDS: dict[str, Callable[[Seeded, Side], int]] = {
    "team_id": lambda seeded, side: side.team_id,
    "user_id": lambda seeded, side: side.user_id,
    "rep_id": lambda seeded, side: side.user_id,
    "deal_id": lambda seeded, side: side.deal_id,
    "call_id": lambda seeded, side: side.call_id,
    "job_id": lambda seeded, side: side.job_id,
    "evidence_id": lambda seeded, side: side.evidence_id,
    "webhook_id": lambda seeded, side: seeded.webhook_id,
}


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    data_dir: Path = tmp_path_factory.mktemp(f"authz-{request.param}")
    with seeded_app(request.param, data_dir, "dealproof_authz") as s:
        yield s


def _routes(seeded: Seeded) -> dict[str, dict[str, Any]]:
    """Every operation of the OpenAPI document: "METHOD /path" -> the operation."""
    document = seeded.world.client.get("/openapi.json").json()
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete", "head", "options")
    }


def _headers(seeded: Seeded, role: str) -> dict[str, str]:
    if role == "anon":
        return {}
    if role in BOGUS_TOKENS:
        return {"Authorization": f"Bearer {role}"}
    return seeded.world.headers(role)


def _call(seeded: Seeded, route: str, side: Side, role: str) -> tuple[int, str]:
    method, template = route.split(" ", 1)
    ids = {name: fn(seeded, side) for name, fn in PATH_IDS.items()}
    url = template.format(**ids)
    body = BODIES[route](side, role) if route in BODIES else {}
    response = seeded.world.client.request(method, url, headers=_headers(seeded, role), **body)
    if route == "POST /api/v1/calls/{call_id}/jobs" and response.status_code == 202:
        # the seeded call analyzed again (the same evidence); the next caller finds it done
        assert seeded.world.wait_job(response.json()["id"])["status"] == "done"
    return response.status_code, response.text[:200]


def test_the_matrix_covers_every_route(seeded: Seeded) -> None:
    routes = _routes(seeded)
    missing = sorted(set(routes) - set(MATRIX))
    assert not missing, f"routes the authorization matrix does not cover; add them: {missing}"
    stale = sorted(set(MATRIX) - set(routes))
    assert not stale, f"the matrix lists routes the app no longer has: {stale}"
    unbodied = sorted(r for r, op in routes.items() if "requestBody" in op and r not in BODIES)
    assert not unbodied, f"routes that take a body BODIES does not give: {unbodied}"
    params = {
        p["name"]
        for op in routes.values()
        for p in op.get("parameters", [])
        if p.get("in") == "path"
    }
    assert params <= set(PATH_IDS), f"path ids with no seeded object: {params - set(PATH_IDS)}"


def _ids(seeded: Seeded, role: str, path: str, **params: Any) -> set[int]:
    response = seeded.world.get(role, path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {item["id"] for item in items}


def _lines(seeded: Seeded, role: str, path: str, **params: Any) -> list[dict[str, Any]]:
    response = seeded.world.get(role, path, params=params)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line]


def test_lists_hold_only_what_the_caller_may_see(seeded: Seeded) -> None:
    east, west, ids = seeded.east, seeded.west, seeded.world.ids
    shared_deal, shared_call = seeded.shared_deal_id, seeded.shared_call_id
    calls = {
        "admin": {east.call_id, west.call_id, shared_call},
        "manager": {east.call_id, shared_call},
        "rep": {east.call_id, shared_call},
        "rep2": {west.call_id},
        "other_admin": set(),
    }
    deals = {
        "admin": {east.deal_id, west.deal_id, shared_deal},
        "manager": {east.deal_id, shared_deal},
        "rep": {east.deal_id, shared_deal},
        "rep2": {west.deal_id, shared_deal},
        "other_admin": set(),
    }
    users = {
        "admin": {ids["admin"], ids["manager"], ids["rep"], ids["rep2"]},
        "manager": {ids["manager"], ids["rep"]},
        "rep": {ids["rep"]},
        "rep2": {ids["rep2"]},
        "other_admin": {ids["other_admin"]},
    }
    teams = {
        "admin": {ids["east"], ids["west"]},
        "manager": {ids["east"]},
        "rep": {ids["east"]},
        "rep2": {ids["west"]},
        "other_admin": set(),
    }
    for role in calls:
        assert _ids(seeded, role, "/calls", limit=500) == calls[role], role
        assert _ids(seeded, role, "/deals", limit=500) == deals[role], role
        assert _ids(seeded, role, "/users") == users[role], role
        assert _ids(seeded, role, "/teams") == teams[role], role
        page = seeded.world.get(role, "/evidence", params={"limit": 500}).json()
        listed = {e["call_id"] for e in page["items"]}
        exported = {e["call_id"] for e in _lines(seeded, role, "/evidence/export", format="json")}
        sides = {s.call_id for s in (east, west)} & calls[role]
        for what, seen in (("evidence", listed), ("export", exported)):
            assert sides <= seen <= calls[role], (role, what, seen)
        assert {e["rep_id"] for e in page["items"]} <= users[role] | {ids["rep"]}, role
    reviewed = {
        "admin": {east.evidence_id, west.evidence_id},
        "manager": {east.evidence_id},
        "other_admin": set(),
    }
    for role, evidence_ids in reviewed.items():
        lines = _lines(seeded, role, "/reviews/export")
        assert {line["evidence_id"] for line in lines} == evidence_ids, role
    assert _ids(seeded, "admin", "/webhooks") == {seeded.webhook_id}
    assert _ids(seeded, "other_admin", "/webhooks") == set()


def test_filters_do_not_reach_past_the_scope(seeded: Seeded) -> None:
    east, west = seeded.east, seeded.west
    get = seeded.world.get
    assert _ids(seeded, "rep", "/calls", rep_id=west.user_id) == set()
    assert _ids(seeded, "rep", "/calls", deal_id=west.deal_id) == set()
    assert _ids(seeded, "manager", "/evidence", call_id=west.call_id) == set()
    assert _ids(seeded, "rep2", "/evidence", deal_id=east.deal_id) == set()
    assert _ids(seeded, "other_admin", "/deals", owner_id=east.user_id) == set()
    assert _ids(seeded, "other_admin", "/deals", external_id="crm-east") == set()
    lines = _lines(seeded, "rep", "/evidence/export", format="json", call_id=west.call_id)
    assert lines == []
    adoption = get("manager", f"/teams/{east.team_id}/adoption").json()
    assert {c["rep_id"] for c in adoption["cells"]} <= {east.user_id, seeded.world.ids["manager"]}


def test_a_deal_is_visible_through_a_visible_call_and_its_ledger_through_visible_calls(
    seeded: Seeded,
) -> None:
    shared, world = seeded.shared_deal_id, seeded.world
    # rep called on rep2's deal: rep sees the deal and their call on its ledger
    assert world.get("rep", f"/deals/{shared}").status_code == 200
    assert world.get("rep", f"/deals/{shared}/ledger").json()["calls"] == [seeded.shared_call_id]
    # ... but may not change a deal they do not own
    patch = world.client.patch(
        f"/api/v1/deals/{shared}", headers=world.headers("rep"), json={"name": "mine now"}
    )
    assert patch.status_code == 403, patch.text
    stage = world.post("rep", f"/deals/{shared}/stage", json={"stage": "Commit"})
    assert stage.status_code == 403, stage.text
    # East's manager sees the deal through rep's call, but it is West's deal to change
    assert world.get("manager", f"/deals/{shared}").status_code == 200
    stage = world.post("manager", f"/deals/{shared}/stage", json={"stage": "Commit"})
    assert stage.status_code == 403, stage.text
    # rep2 owns the deal but may not see rep's call: it is not on rep2's ledger
    assert world.get("rep2", f"/deals/{shared}").status_code == 200
    assert world.get("rep2", f"/deals/{shared}/ledger").json()["calls"] == []
    assert world.get("admin", f"/deals/{shared}/ledger").json()["calls"] == [seeded.shared_call_id]
    assert world.get("other_admin", f"/deals/{shared}/ledger").status_code == 404


def test_writes_may_not_point_at_what_the_caller_may_not_see(seeded: Seeded) -> None:
    east, west, world = seeded.east, seeded.west, seeded.world
    ids = world.ids

    def patch(who: str, path: str, body: dict[str, Any]) -> int:
        return world.client.patch(
            f"/api/v1{path}", headers=world.headers(who), json=body
        ).status_code

    # a deal for someone the caller may not see
    assert (
        world.post("rep", "/deals", json={"name": "x", "owner_id": west.user_id}).status_code == 404
    )
    assert (
        world.post("manager", "/deals", json={"name": "x", "owner_id": west.user_id}).status_code
        == 404
    )
    assert (
        world.post(
            "other_admin", "/deals", json={"name": "x", "owner_id": east.user_id}
        ).status_code
        == 404
    )
    assert patch("admin", f"/deals/{east.deal_id}", {"owner_id": ids["other_admin"]}) == 404
    # a call moved onto a deal the caller may not see
    assert patch("manager", f"/calls/{east.call_id}", {"deal_id": west.deal_id}) == 404
    assert patch("rep", f"/calls/{east.call_id}", {"deal_id": west.deal_id}) == 404
    # an upload for another rep, or onto a deal the caller may not see
    upload = world.upload(
        "rep", seeded.east.transcript, content=b"Rae: hello\nBob: hi\n", rep_id=west.user_id
    )
    assert upload.status_code == 404, upload.text
    upload = world.upload(
        "rep", seeded.east.transcript, content=b"Rae: hello\nBob: hi\n", deal_id=west.deal_id
    )
    assert upload.status_code == 404, upload.text
    upload = world.upload(
        "other_admin", seeded.east.transcript, content=b"Olga: hi\nBob: hi\n", deal_id=east.deal_id
    )
    assert upload.status_code == 404, upload.text
    # a user in another organisation's team
    user = {"name": "x", "email": "x@globex.test", "role": "rep", "team_id": east.team_id}
    assert world.post("other_admin", "/users", json=user).status_code == 404


# last: it writes (new calls in globex, a deactivated webhook) what the tests above count
def test_every_route_answers_every_role_as_the_matrix_says(seeded: Seeded) -> None:
    wrong: list[str] = []
    for route in sorted(_routes(seeded)):
        expected_by_side = dict(zip(("east", "west"), MATRIX[route], strict=True))
        for side_name, side in seeded.sides.items():
            expected = expected_by_side[side_name]
            for role in (*ROLES, *BOGUS_TOKENS):
                want = expected["anon" if role in BOGUS_TOKENS else role]
                got, text = _call(seeded, route, side, role)
                if got != want:
                    wrong.append(f"{route} [{side_name}] as {role}: {got} (expected {want}) {text}")
                if route == "DELETE /api/v1/users/{user_id}/tokens" and got == 204:
                    seeded.reissue_tokens()
    assert not wrong, "\n".join(wrong)
