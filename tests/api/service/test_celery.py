"""The scale-out path with real processes: the API (no workers of its own) enqueues through
Redis, a `dealproof worker` process on the same PostgreSQL database and media folder runs
the job, and the evidence appears through the API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.processing import run_job
from tests.api.service.conftest import TRANSCRIPTS
from tests.api.service.procs import (
    SLOW,
    ScaleOut,
    assert_stored_once,
    job_row,
    scale_out_world,
    stored,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def scale_out(tmp_path: Path) -> Iterator[ScaleOut]:
    with scale_out_world(tmp_path, redis_db=11) as world:
        yield world


def test_a_worker_process_analyzes_an_upload(scale_out: ScaleOut) -> None:
    w = scale_out.world
    deal = w.post("rep", "/deals", json={"name": "Initech", "external_id": "crm-9"}).json()
    response = w.upload("rep", TRANSCRIPTS / "discovery_agenda_call.vtt", deal_id=deal["id"])
    assert response.status_code == 202, response.text
    job_id, call_id = response.json()["job"]["id"], response.json()["call"]["id"]
    time.sleep(1.0)
    assert w.get("rep", f"/jobs/{job_id}").json()["status"] == "queued"  # nobody runs it here

    proc = scale_out.start_worker()
    began = time.monotonic()
    job = w.wait_job(job_id, "rep", timeout=SLOW)
    assert job["status"] == "done", (job, scale_out.logs())
    assert job["attempts"] == 1
    assert proc.alive(), scale_out.logs()
    print(f"worker start + transcript analysis: {time.monotonic() - began:.1f} s")

    evidence = w.get("rep", "/evidence", params={"call_id": call_id}).json()
    assert evidence["total"] > 0
    assert w.get("rep", f"/calls/{call_id}").json()["status"] == "done"
    ledger = w.get("rep", f"/deals/{deal['id']}/ledger").json()
    assert any(b["status"] == "detected" for b in ledger["behaviors"])
    before = assert_stored_once(scale_out.url, call_id)

    # A duplicate message for a finished job (a redelivery, a sweep) changes nothing:
    # sent through the broker to the live worker, and run here directly.
    dispatcher = w.client.app.state.dispatcher  # type: ignore[attr-defined]
    dispatcher.submit(job_id)
    dispatcher.submit(job_id)
    assert run_job(w.settings, job_id, "test-duplicate") is False
    time.sleep(3.0)
    after = assert_stored_once(scale_out.url, call_id)
    assert sorted(after["keys"]) == sorted(before["keys"])
    row = job_row(scale_out.url, job_id)
    assert (row.status, row.attempts, row.finished_at) == (
        "done",
        1,
        before["jobs"][0].finished_at,
    )
    assert stored(scale_out.url, call_id)["call"].analyzed_at == before["call"].analyzed_at
