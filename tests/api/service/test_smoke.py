"""The main path on both databases: upload a transcript, the job analyzes it, evidence and
the deal ledger appear."""

from __future__ import annotations

from tests.api.service.conftest import TRANSCRIPTS, World


def test_transcript_upload_becomes_evidence_on_the_deal(world: World) -> None:
    deal = world.post("rep", "/deals", json={"name": "Globex", "external_id": "crm-1"}).json()
    call = world.analyzed(
        "rep",
        TRANSCRIPTS / "discovery_agenda_call.vtt",
        deal_id=deal["id"],
        call_start="2026-11-20T15:00:00+01:00",
        timezone="Europe/Berlin",
    )
    assert call["status"] == "done" and call["score"] is not None
    evidence = world.get("rep", "/evidence", params={"deal_id": deal["id"]}).json()
    assert evidence["total"] > 0
    behaviors = {e["behavior"] for e in evidence["items"]}
    ledger = world.get("rep", f"/deals/{deal['id']}/ledger").json()
    detected = {b["behavior"] for b in ledger["behaviors"] if b["status"] == "detected"}
    assert detected == behaviors & detected and detected
    assert all(
        b["first_call_number"] == 1 for b in ledger["behaviors"] if b["status"] == "detected"
    )
