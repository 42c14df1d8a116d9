"""Evidence: filters and paging, reviews (the newest verdict decides, and the ledger follows),
exports as CSV and JSON lines, and the reviewed-detections export for training."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.api.service.conftest import TRANSCRIPTS, World

COLUMNS = [
    "id", "key", "call_id", "deal_id", "rep_id", "call_started_at", "behavior", "subtype",
    "speaker", "role", "start", "end", "quote", "confidence", "status", "detector",
    "detector_version", "fields",
]  # fmt: skip


def two_calls(world: World) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A deal of rep's with the discovery call (week of Nov 2); rep2's pricing call on no
    deal (Nov 10)."""
    deal = world.post("rep", "/deals", json={"name": "Initech", "external_id": "crm-7"}).json()
    first = world.analyzed(
        "rep",
        TRANSCRIPTS / "discovery_agenda_call.vtt",
        deal_id=deal["id"],
        call_start="2026-11-02T10:00:00+00:00",
    )
    second = world.analyzed(
        "rep2", TRANSCRIPTS / "pricing_call.json", call_start="2026-11-10T10:00:00+00:00"
    )
    return deal, first, second


def items(world: World, who: str, **params: Any) -> list[dict[str, Any]]:
    response = world.get(who, "/evidence", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    result: list[dict[str, Any]] = body["items"]
    return result


def ids(rows: list[dict[str, Any]]) -> set[int]:
    return {r["id"] for r in rows}


def ledger_row(world: World, deal_id: int, behavior: str) -> dict[str, Any]:
    ledger = world.get("admin", f"/deals/{deal_id}/ledger").json()
    row: dict[str, Any] = next(b for b in ledger["behaviors"] if b["behavior"] == behavior)
    return row


def test_filters_and_paging(world: World) -> None:
    deal, first, second = two_calls(world)
    every = items(world, "admin")
    of_first = [e for e in every if e["call_id"] == first["id"]]
    of_second = [e for e in every if e["call_id"] == second["id"]]
    assert of_first and of_second and len(of_first) + len(of_second) == len(every)
    # newest call first
    assert [e["call_id"] for e in every] == [second["id"]] * len(of_second) + [first["id"]] * len(
        of_first
    )

    assert ids(items(world, "admin", deal_id=deal["id"])) == ids(of_first)
    assert all(e["deal_id"] == deal["id"] for e in of_first)
    assert all(e["deal_id"] is None for e in of_second)
    assert ids(items(world, "admin", call_id=second["id"])) == ids(of_second)
    assert ids(items(world, "admin", rep_id=world.ids["rep2"])) == ids(of_second)
    assert ids(items(world, "admin", rep_id=world.ids["rep"])) == ids(of_first)
    # a behavior both calls show (which one depends on the trained heads, not on this test)
    shared = sorted({e["behavior"] for e in of_first} & {e["behavior"] for e in of_second})
    assert shared
    found = items(world, "admin", behavior=shared[0])
    assert {e["behavior"] for e in found} == {shared[0]}
    assert ids(found) == {e["id"] for e in every if e["behavior"] == shared[0]}
    assert {e["call_id"] for e in found} == {first["id"], second["id"]}
    assert items(world, "admin", behavior="no_such_behavior") == []
    assert ids(items(world, "admin", since="2026-11-05T00:00:00Z")) == ids(of_second)
    assert ids(items(world, "admin", until="2026-11-05T00:00:00Z")) == ids(of_first)
    # an offset counts: 11:00+01:00 is 10:00 UTC, the first call's start (since is inclusive)
    assert ids(items(world, "admin", since="2026-11-02T11:00:00+01:00")) == ids(every)
    assert ids(items(world, "admin", since="2026-11-02T11:00:01+01:00")) == ids(of_second)
    confident = items(world, "admin", min_confidence=0.95)
    assert ids(confident) == {e["id"] for e in every if e["confidence"] >= 0.95}
    assert 0 < len(confident) < len(every)
    combined = items(world, "admin", rep_id=world.ids["rep"], behavior="rep_question")
    assert combined and all(
        e["behavior"] == "rep_question" and e["call_id"] == first["id"] for e in combined
    )
    for bad in ({"min_confidence": 1.5}, {"status": "maybe"}, {"since": "last week"}):
        response = world.get("admin", "/evidence", params=bad)
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")

    # paging: the same total on every page, pages in order and disjoint
    pages = []
    for offset in range(0, len(every), 2):
        page = world.get("admin", "/evidence", params={"limit": 2, "offset": offset}).json()
        assert page["total"] == len(every) and (page["limit"], page["offset"]) == (2, offset)
        pages.extend(page["items"])
    assert [e["id"] for e in pages] == [e["id"] for e in every]
    beyond = world.get("admin", "/evidence", params={"offset": len(every)}).json()
    assert beyond["items"] == [] and beyond["total"] == len(every)

    # who sees what
    assert ids(items(world, "rep")) == ids(of_first)
    assert ids(items(world, "manager")) == ids(of_first)  # rep is in the manager's team
    assert ids(items(world, "rep2")) == ids(of_second)
    assert items(world, "other_admin") == []
    assert world.get("rep", f"/evidence/{of_second[0]['id']}").status_code == 404


def test_reviews_decide_status_and_ledger(world: World) -> None:
    deal = world.post("rep", "/deals", json={"name": "Hooli"}).json()
    world.analyzed(
        "rep",
        TRANSCRIPTS / "discovery_agenda_call.vtt",
        deal_id=deal["id"],
        call_start="2026-11-02T10:00:00+00:00",
    )
    rep2_call = world.analyzed("rep2", TRANSCRIPTS / "followup_call.txt")
    pain = items(world, "admin", deal_id=deal["id"], behavior="pain_quantified")
    assert pain and all(e["status"] == "detected" for e in pain)
    evidence_id = pain[0]["id"]
    # the call's other pain detections are set aside, so that this one decides the ledger
    others = {e["id"] for e in pain[1:]}
    for other in others:
        assert world.post(
            "admin", f"/evidence/{other}/reviews", json={"verdict": "rejected"}
        ).is_success
    assert ledger_row(world, deal["id"], "pain_quantified")["status"] == "detected"
    assert (
        "pain_quantified"
        in world.get("admin", f"/deals/{deal['id']}/ledger").json()["stages"][0]["met"]
    )

    # a rep may not review, not even their own call's evidence
    denied = world.post(
        "rep", f"/evidence/{evidence_id}/reviews", json={"verdict": "confirmed", "comment": "me"}
    )
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")
    # a manager reviews their team's evidence only; bad verdicts are refused
    other = items(world, "admin", call_id=rep2_call["id"])[0]
    assert (
        world.post(
            "manager", f"/evidence/{other['id']}/reviews", json={"verdict": "confirmed"}
        ).status_code
        == 404
    )
    assert (
        world.post(
            "manager", f"/evidence/{evidence_id}/reviews", json={"verdict": "maybe"}
        ).status_code
        == 422
    )
    assert world.get("admin", f"/evidence/{evidence_id}/reviews").json() == []

    confirmed = world.post(
        "manager",
        f"/evidence/{evidence_id}/reviews",
        json={"verdict": "confirmed", "comment": "forty accounts, three people: real pain"},
    )
    assert confirmed.status_code == 201, confirmed.text
    review = confirmed.json()
    assert review["verdict"] == "confirmed" and review["evidence_id"] == evidence_id
    assert review["reviewer_id"] == world.ids["manager"]
    assert review["comment"] == "forty accounts, three people: real pain"
    assert world.get("rep", f"/evidence/{evidence_id}").json()["status"] == "confirmed"
    assert ids(items(world, "admin", status="confirmed")) == {evidence_id}
    row = ledger_row(world, deal["id"], "pain_quantified")
    assert row["status"] == "verified" and row["evidence_ids"] == [evidence_id]
    discovery = world.get("admin", f"/deals/{deal['id']}/ledger").json()["stages"][0]
    assert discovery["verified"] == ["pain_quantified"] and discovery["complete"]

    # the newest verdict decides; rejected evidence stops counting
    rejected = world.post(
        "admin",
        f"/evidence/{evidence_id}/reviews",
        json={"verdict": "rejected", "comment": "that was the prospect's hypothetical"},
    )
    assert rejected.status_code == 201
    assert world.get("rep", f"/evidence/{evidence_id}").json()["status"] == "rejected"
    assert items(world, "admin", status="confirmed") == []
    assert ids(items(world, "admin", status="rejected")) == {evidence_id, *others}
    row = ledger_row(world, deal["id"], "pain_quantified")
    assert row["status"] == "missing" and row["evidence_ids"] == []
    assert row["first_call_id"] is None
    discovery = world.get("admin", f"/deals/{deal['id']}/ledger").json()["stages"][0]
    assert discovery["missing"] == ["pain_quantified"] and not discovery["complete"]
    history = world.get("rep", f"/evidence/{evidence_id}/reviews").json()
    assert [(r["verdict"], r["comment"]) for r in history] == [
        ("confirmed", "forty accounts, three people: real pain"),
        ("rejected", "that was the prospect's hypothetical"),
    ]
    again = world.post("manager", f"/evidence/{evidence_id}/reviews", json={"verdict": "confirmed"})
    assert again.status_code == 201 and again.json()["comment"] == ""
    assert ledger_row(world, deal["id"], "pain_quantified")["status"] == "verified"


def test_exports(world: World) -> None:
    deal, first, second = two_calls(world)
    every = items(world, "admin")

    response = world.get("admin", "/evidence/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames == COLUMNS
    rows = list(reader)
    by_id = {e["id"]: e for e in every}
    assert sorted(int(r["id"]) for r in rows) == sorted(by_id)
    for r in rows:
        e = by_id[int(r["id"])]
        assert r["behavior"] == e["behavior"] and r["quote"] == e["quote"]
        assert float(r["confidence"]) == e["confidence"]
        assert int(r["call_id"]) == e["call_id"] and r["status"] == e["status"]
        assert json.loads(r["fields"]) == e["fields"]
        assert r["deal_id"] == ("" if e["deal_id"] is None else str(e["deal_id"]))

    response = world.get(
        "admin", "/evidence/export", params={"format": "json", "deal_id": deal["id"]}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines and all(list(line) == COLUMNS for line in lines)
    assert {line["id"] for line in lines} == {e["id"] for e in every if e["call_id"] == first["id"]}
    assert all(line["deal_id"] == deal["id"] for line in lines)
    assert [line["id"] for line in lines] == sorted(line["id"] for line in lines)

    # filters and visibility apply to exports too
    mine = world.get("rep2", "/evidence/export", params={"format": "json"}).text.splitlines()
    assert {json.loads(line)["call_id"] for line in mine} == {second["id"]}
    only_header = world.get("other_admin", "/evidence/export").text
    assert only_header.strip() == ",".join(COLUMNS)
    assert world.get("admin", "/evidence/export", params={"format": "xml"}).status_code == 422

    # reviewed detections as training data
    yes, no = (
        next(e for e in every if e["call_id"] == first["id"] and e["behavior"] == "agenda_set"),
        next(
            e for e in every if e["call_id"] == second["id"] and e["behavior"] == "budget_discussed"
        ),
    )
    assert world.post(
        "admin", f"/evidence/{yes['id']}/reviews", json={"verdict": "confirmed", "comment": "ok"}
    ).is_success
    assert world.post(
        "admin", f"/evidence/{no['id']}/reviews", json={"verdict": "rejected", "comment": "no"}
    ).is_success
    assert world.get("rep", "/reviews/export").status_code == 403
    response = world.get("admin", "/reviews/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    reviews = [json.loads(line) for line in response.text.splitlines()]
    assert [(r["evidence_id"], r["label"], r["verdict"], r["comment"]) for r in reviews] == [
        (yes["id"], 1, "confirmed", "ok"),
        (no["id"], 0, "rejected", "no"),
    ]
    assert reviews[0]["text"] == yes["quote"] and reviews[0]["behavior"] == "agenda_set"
    assert reviews[1]["call_id"] == second["id"]
    # a manager exports the reviews of their team's evidence only
    team = [json.loads(line) for line in world.get("manager", "/reviews/export").text.splitlines()]
    assert [r["evidence_id"] for r in team] == [yes["id"]]
    assert world.get("other_admin", "/reviews/export").text == ""
    # the confirmed row shows in the export with its status
    confirmed = world.get(
        "admin", "/evidence/export", params={"format": "json", "status": "confirmed"}
    ).text.splitlines()
    assert [json.loads(line)["id"] for line in confirmed] == [yes["id"]]


def test_a_calls_or_its_deals_currency_is_its_amounts(world: World) -> None:
    # pricing_call.json: "Our budget for this is around forty thousand a year." (no currency)
    plain = world.analyzed("rep", TRANSCRIPTS / "pricing_call.json")
    assert plain["currency"] is None
    content = (TRANSCRIPTS / "pricing_call.json").read_bytes().replace(b"ninety", b"sixty")
    aud = world.analyzed("rep", TRANSCRIPTS / "pricing_call.json", content=content, currency="AUD")
    assert aud["currency"] == "AUD"

    def budget_currencies(call: dict[str, Any]) -> set[Any]:
        found = items(world, "rep", call_id=call["id"], behavior="budget_discussed")
        return {e["fields"].get("currency") for e in found if e["fields"].get("amount")}

    assert budget_currencies(plain) == {None}
    assert budget_currencies(aud) == {"AUD"}
    response = world.upload(
        "rep", TRANSCRIPTS / "pricing_call.json", content=content + b" ", currency="dollars"
    )
    assert response.status_code == 422, response.text
    assert "currency" in response.json()["detail"]

    # a deal's currency is its calls' when they come without one; a call's own wins
    deal = world.post("rep", "/deals", json={"name": "Sydney", "currency": " nzd"}).json()
    assert deal["currency"] == "NZD"  # any case, as the CLI takes it
    patched = world.client.patch(
        f"/api/v1/deals/{deal['id']}", headers=world.headers("rep"), json={"currency": "CAD"}
    )
    assert patched.status_code == 200 and patched.json()["currency"] == "CAD"
    on_deal = world.analyzed(
        "rep", TRANSCRIPTS / "pricing_call.json", content=content + b"\n", deal_id=deal["id"]
    )
    assert on_deal["currency"] is None and budget_currencies(on_deal) == {"CAD"}
    own = world.analyzed(
        "rep",
        TRANSCRIPTS / "pricing_call.json",
        content=content + b"\n\n",
        deal_id=deal["id"],
        currency="AUD",
    )
    assert budget_currencies(own) == {"AUD"}
    bad = world.post("rep", "/deals", json={"name": "X", "currency": "dollars"})
    assert bad.status_code == 422, bad.text
    cleared = world.client.patch(
        f"/api/v1/deals/{deal['id']}", headers=world.headers("rep"), json={"currency": None}
    )
    assert cleared.status_code == 200 and cleared.json()["currency"] is None
