"""Jobs: progress while a call is analyzed, a failure recorded with its reason (and only on
its own call), retrying a failed job, and analyzing a call again with new settings."""

from __future__ import annotations

import io
import os
import time
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from api.db import get_engine
from api.tables import Job, utcnow
from tests.api.service.conftest import TRANSCRIPTS, World


def shared_dir() -> Path:
    root = os.environ.get("DEALPROOF_SHARED")
    return Path(root) if root else Path(__file__).resolve().parents[3].parent / "shared"


SAMPLE = shared_dir() / "eval" / "audio" / "pyannote_sample" / "sample.wav"


def short_wav(seconds: float = 0.05, rate: int = 16000) -> bytes:
    """A well-formed WAV the upload probe accepts but too short for the analysis."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00" * int(rate * seconds))
    return buffer.getvalue()


def test_transcript_job_runs_to_done(world: World) -> None:
    response = world.upload("rep", TRANSCRIPTS / "discovery_agenda_call.vtt")
    assert response.status_code == 202, response.text
    queued = response.json()["job"]
    assert queued["status"] == "queued" and queued["progress"] == 0.0
    assert queued["attempts"] == 0 and queued["started_at"] is None
    job = world.wait_job(queued["id"], "rep")
    assert job["status"] == "done", job
    assert (job["stage"], job["progress"], job["attempts"]) == ("done", 1.0, 1)
    assert job["error"] is None
    assert job["started_at"] is not None and job["finished_at"] is not None
    assert job["finished_at"] >= job["started_at"]
    call_id = queued["call_id"]
    call = world.get("rep", f"/calls/{call_id}").json()
    assert call["status"] == "done" and call["error"] is None
    assert call["analyzed_at"] is not None and call["score"] is not None
    assert [j["id"] for j in world.get("rep", f"/calls/{call_id}/jobs").json()] == [job["id"]]
    analysis = world.get("rep", f"/calls/{call_id}/analysis").json()
    assert analysis["utterances"] and analysis["call"]["id"] == f"call-{call_id}"
    scorecard = world.get("rep", f"/calls/{call_id}/scorecard").json()
    assert scorecard["playbook"] == "discovery" and scorecard["score"] == call["score"]
    # done items link to the stored evidence by id (and by the engine's key)
    done = [i for i in scorecard["items"] if i["status"] == "done"]
    assert done and all(i["coaching"] is None for i in done)
    for item in done:
        assert len(item["evidence_ids"]) == len(item["evidence_keys"]) > 0
        for evidence_id, key in zip(item["evidence_ids"], item["evidence_keys"], strict=True):
            row = world.get("rep", f"/evidence/{evidence_id}").json()
            assert (row["key"], row["behavior"]) == (key, item["behavior"])
    missed = [i for i in scorecard["items"] if i["status"] == "missed"]
    assert all(i["evidence_ids"] == [] and i["coaching"] for i in missed)
    # Jobs are the caller's: another rep, another organisation see nothing.
    assert world.get("rep2", f"/jobs/{job['id']}").status_code == 404
    assert world.get("other_admin", f"/jobs/{job['id']}").status_code == 404
    assert world.get("manager", f"/jobs/{job['id']}").status_code == 200  # rep's manager


def test_media_job_reports_its_stages(world: World) -> None:
    if not SAMPLE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"missing evaluation audio {SAMPLE} (set DEALPROOF_SHARED)")
        pytest.skip(f"needs the evaluation audio {SAMPLE} (set DEALPROOF_SHARED)")
    if not world.settings.db_url.startswith("sqlite"):
        pytest.skip("one real-audio analysis is enough: progress reports are the same SQL")
    response = world.upload("rep", SAMPLE)
    assert response.status_code == 202, response.text
    assert response.json()["call"]["media_kind"] == "media"
    job_id = response.json()["job"]["id"]
    seen: list[tuple[str, str | None, float]] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = world.get("rep", f"/jobs/{job_id}").json()
        seen.append((job["status"], job["stage"], job["progress"]))
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "done", job
    running = [(stage, progress) for status, stage, progress in seen if status == "running"]
    stages = {stage for stage, _ in running if stage is not None}
    assert stages, seen
    # the long stages of a recording are seen while they run
    assert stages & {"load models", "detect speech", "transcribe", "diarize"}, seen
    assert all(0.0 <= p <= 1.0 for _, p in running)
    call = world.get("rep", f"/calls/{response.json()['call']['id']}").json()
    assert call["status"] == "done" and call["duration"] == pytest.approx(30.0, abs=0.5)


def test_failed_job_keeps_its_reason_and_can_be_retried(world: World) -> None:
    good = world.analyzed("rep", TRANSCRIPTS / "demo_call.srt")
    good_evidence = world.get("rep", "/evidence", params={"call_id": good["id"]}).json()

    response = world.upload("rep", Path("short.wav"), content=short_wav())
    assert response.status_code == 202, response.text
    assert response.json()["call"]["media_kind"] == "media"
    call_id = response.json()["call"]["id"]
    job = world.wait_job(response.json()["job"]["id"], "rep")
    assert job["status"] == "failed", job
    assert "shorter than 0.1 s" in job["error"]
    assert job["attempts"] == 1 and job["finished_at"] is not None
    call: dict[str, Any] = world.get("rep", f"/calls/{call_id}").json()
    assert call["status"] == "failed" and "shorter than 0.1 s" in call["error"]
    assert call["score"] is None and call["analyzed_at"] is None
    assert world.get("rep", f"/calls/{call_id}/analysis").status_code == 409
    assert world.get("rep", f"/calls/{call_id}/scorecard").status_code == 409
    failed = world.get("rep", "/calls", params={"status": "failed"}).json()
    assert [c["id"] for c in failed["items"]] == [call_id]

    # The other call is untouched.
    after = world.get("rep", f"/calls/{good['id']}").json()
    assert after == good
    assert world.get("rep", "/evidence", params={"call_id": good["id"]}).json() == good_evidence

    # Retrying is for failed jobs, by those who see them.
    assert world.post("rep2", f"/jobs/{job['id']}/retry").status_code == 404
    assert world.post("other_admin", f"/jobs/{job['id']}/retry").status_code == 404
    retried = world.post("rep", f"/jobs/{job['id']}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.headers["location"] == f"/api/v1/jobs/{job['id']}"
    body = retried.json()
    assert body["id"] == job["id"] and body["error"] is None
    assert body["status"] in ("queued", "running")
    again = world.wait_job(job["id"], "rep")
    assert again["status"] == "failed" and again["attempts"] == 2
    assert "shorter than 0.1 s" in again["error"]
    assert world.get("rep", f"/calls/{call_id}").json()["status"] == "failed"

    good_job = world.get("rep", f"/calls/{good['id']}/jobs").json()[0]
    conflict = world.post("rep", f"/jobs/{good_job['id']}/retry")
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert "only a failed job" in conflict.json()["detail"]
    assert world.get("rep", f"/jobs/{good_job['id']}").json() == good_job
    assert world.post("rep", "/jobs/999999/retry").status_code == 404


def test_a_done_call_is_analyzed_again_with_its_new_settings(world: World) -> None:
    # pricing_call.json: "Our budget for this is around forty thousand a year." (no currency)
    content = (TRANSCRIPTS / "pricing_call.json").read_bytes().replace(b"ninety", b"thirty")
    call = world.analyzed("rep", TRANSCRIPTS / "pricing_call.json", content=content)
    first_job = world.get("rep", f"/calls/{call['id']}/jobs").json()[0]

    def evidence() -> dict[str, dict[str, Any]]:
        found = world.get("rep", "/evidence", params={"call_id": call["id"], "limit": 500})
        return {e["key"]: e for e in found.json()["items"]}

    def currencies(found: dict[str, dict[str, Any]]) -> set[Any]:
        return {e["fields"].get("currency") for e in found.values() if e["fields"].get("amount")}

    before = evidence()
    assert currencies(before) == {None}
    patched = world.client.patch(
        f"/api/v1/calls/{call['id']}", headers=world.headers("rep"), json={"currency": "aud"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["currency"] == "AUD"
    assert evidence() == before  # the currency counts from the next analysis
    rejected = next(e for e in before.values() if e["behavior"] != "budget_discussed")
    verdict = {"verdict": "rejected", "comment": "not it"}
    reviewed = world.post("manager", f"/evidence/{rejected['id']}/reviews", json=verdict)
    assert reviewed.status_code == 201, reviewed.text

    assert world.post("rep2", f"/calls/{call['id']}/jobs").status_code == 404
    assert world.post("other_admin", f"/calls/{call['id']}/jobs").status_code == 404
    assert world.post("rep", "/calls/999999/jobs").status_code == 404
    again = world.post("rep", f"/calls/{call['id']}/jobs")
    assert again.status_code == 202, again.text
    job = again.json()
    assert job["id"] != first_job["id"] and job["call_id"] == call["id"]
    assert again.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert world.wait_job(job["id"], "rep")["status"] == "done"
    jobs = world.get("rep", f"/calls/{call['id']}/jobs").json()
    assert [j["id"] for j in jobs] == [first_job["id"], job["id"]]
    assert world.get("rep", f"/calls/{call['id']}").json()["status"] == "done"

    after = evidence()
    # the same detections, in the same rows, with the new currency in their amounts
    assert {k: e["id"] for k, e in after.items()} == {k: e["id"] for k, e in before.items()}
    assert currencies(after) == {"AUD"}
    # the reviewer's verdict outlives the re-analysis
    assert after[rejected["key"]]["status"] == "rejected"


def test_a_rep_name_given_later_decides_the_roles_of_the_next_analysis(world: World) -> None:
    call = world.analyzed("rep", TRANSCRIPTS / "demo_call.srt")

    def roles() -> dict[str, str]:
        analysis = world.get("rep", f"/calls/{call['id']}/analysis").json()
        return {s["name"]: s["role"] for s in analysis["speakers"] if s["name"]}

    assert roles()["Jordan Blake"] == "rep"
    patched = world.client.patch(
        f"/api/v1/calls/{call['id']}",
        headers=world.headers("rep"),
        json={"rep_name": "Sam Whitaker"},
    )
    assert patched.status_code == 200, patched.text
    assert roles()["Jordan Blake"] == "rep"
    job = world.post("rep", f"/calls/{call['id']}/jobs").json()
    assert world.wait_job(job["id"], "rep")["status"] == "done"
    assert roles() == {"Sam Whitaker": "rep", "Jordan Blake": "prospect"}
    # null gives the choice back to the engine
    cleared = world.client.patch(
        f"/api/v1/calls/{call['id']}", headers=world.headers("rep"), json={"rep_name": None}
    )
    assert cleared.status_code == 200, cleared.text
    job = world.post("rep", f"/calls/{call['id']}/jobs").json()
    assert world.wait_job(job["id"], "rep")["status"] == "done"
    assert roles()["Jordan Blake"] == "rep"
    bad = world.client.patch(
        f"/api/v1/calls/{call['id']}", headers=world.headers("rep"), json={"currency": "dollars"}
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_a_call_being_analyzed_is_not_queued_twice(world: World) -> None:
    call = world.analyzed("rep", TRANSCRIPTS / "discovery_call.vtt")
    # A job that runs (its lease far ahead, so no worker takes it over).
    with Session(get_engine(world.settings.db_url)) as session:
        running = Job(
            org_id=world.ids["acme"],
            call_id=call["id"],
            status="running",
            worker="elsewhere",
            lease_until=utcnow() + timedelta(hours=1),
        )
        session.add(running)
        session.commit()
        running_id = running.id
    conflict = world.post("rep", f"/calls/{call['id']}/jobs")
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert f"job {running_id}" in conflict.json()["detail"]
    assert len(world.get("rep", f"/calls/{call['id']}/jobs").json()) == 2
    with Session(get_engine(world.settings.db_url)) as session:
        session.exec(
            update(Job)
            .where(col(Job.id) == running_id)
            .values(status="done", lease_until=None, finished_at=utcnow())
        )
        session.commit()
    # A job still queued is the one answered: the settings are read when it starts.
    queued = world.post("rep", f"/calls/{call['id']}/jobs")
    assert queued.status_code == 202, queued.text
    again = world.post("rep", f"/calls/{call['id']}/jobs")
    assert again.status_code in (202, 409), again.text  # 409 once a worker has taken it
    if again.status_code == 202:
        assert again.json()["id"] == queued.json()["id"]
    assert world.wait_job(queued.json()["id"], "rep")["status"] == "done"
    assert len(world.get("rep", f"/calls/{call['id']}/jobs").json()) == 3
