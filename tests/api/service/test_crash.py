"""Crash safety with real processes: a worker or server killed with SIGKILL in the middle of
an analysis loses nothing and duplicates nothing (the job resumes elsewhere or after a
restart), and a job that fails inside a worker leaves every other call as it was."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.db import migrate
from api.processing import run_job
from api.settings import Settings
from tests.api.service.conftest import TRANSCRIPTS, populate
from tests.api.service.procs import (
    SLOW,
    ScaleOut,
    assert_stored_once,
    free_port,
    job_row,
    long_wav,
    scale_out_world,
    serve,
    service_env,
    stored,
    wait_for,
)
from tests.conftest import SynthCall

pytestmark = pytest.mark.slow
SAMPLE = Path("audio/pyannote_sample/sample.wav")
REPEAT = 5  # with the sales call, about 3 minutes: long enough to kill a job mid-way
# Stages after the claim that take a while on long audio; a kill there loses real work.
MID_JOB = {"detect speech", "diarize", "transcribe", "attribute"}


@pytest.fixture
def scale_out(tmp_path: Path) -> Iterator[ScaleOut]:
    with scale_out_world(tmp_path, redis_db=12) as world:
        yield world


@pytest.fixture
def long_call(shared_eval: Path, two_voice_call: SynthCall, tmp_path: Path) -> Path:
    """A scripted sales call (so there is evidence) and then minutes of a real recording."""
    parts = [two_voice_call.wav, *[shared_eval / SAMPLE] * REPEAT]
    return long_wav(parts, tmp_path / "long_call.wav")


def _mid_job(get_job: Any) -> Any:
    def check() -> Any:
        job = get_job()
        assert job["status"] in ("queued", "running"), job
        return job if job["status"] == "running" and job["stage"] in MID_JOB else None

    return check


def test_a_worker_killed_mid_job_is_replaced_without_duplicates(
    scale_out: ScaleOut, long_call: Path
) -> None:
    w = scale_out.world
    response = w.upload("rep", long_call)
    assert response.status_code == 202, response.text
    job_id, call_id = response.json()["job"]["id"], response.json()["call"]["id"]

    first = scale_out.start_worker("doomed")
    began = time.monotonic()
    job = wait_for(
        "the job to be running in the first worker",
        _mid_job(lambda: w.get("rep", f"/jobs/{job_id}").json()),
    )
    time.sleep(2.0)  # well inside the stage: the lease has been renewed meanwhile
    first.kill()
    print(
        f"killed the first worker in stage {job['stage']!r} after {time.monotonic() - began:.1f} s"
    )
    row = job_row(scale_out.url, job_id)
    assert (row.status, row.attempts) == ("running", 1), row
    assert stored(scale_out.url, call_id)["keys"] == []  # nothing half-written

    began = time.monotonic()
    scale_out.start_worker("replacement")
    job = w.wait_job(job_id, "rep", timeout=SLOW)
    print(f"replacement worker finished the job in {time.monotonic() - began:.1f} s")
    assert job["status"] == "done", (job, scale_out.logs())
    assert job["attempts"] == 2
    assert job_row(scale_out.url, job_id).worker != row.worker
    before = assert_stored_once(scale_out.url, call_id)
    assert before["keys"], "the call has evidence"

    # The first worker's message, unacknowledged when it died, may come back one day:
    assert run_job(w.settings, job_id, "late-redelivery") is False
    after = assert_stored_once(scale_out.url, call_id)
    assert sorted(after["keys"]) == sorted(before["keys"])
    assert job_row(scale_out.url, job_id).attempts == 2


def test_a_failing_job_in_a_worker_leaves_other_calls_alone(scale_out: ScaleOut) -> None:
    w = scale_out.world
    good = w.upload("rep", TRANSCRIPTS / "pricing_call.json").json()
    # Analysis fails on this one: the rep's name matches no speaker of the transcript.
    bad = w.upload("rep", TRANSCRIPTS / "onboarding_call.vtt", rep_name="Nobody Here").json()
    worker = scale_out.start_worker()
    good_job = w.wait_job(good["job"]["id"], "rep", timeout=SLOW)
    bad_job = w.wait_job(bad["job"]["id"], "rep", timeout=SLOW)
    assert good_job["status"] == "done", (good_job, scale_out.logs())
    assert bad_job["status"] == "failed" and "matches no speaker" in bad_job["error"], bad_job
    assert worker.alive(), scale_out.logs()

    bad_call = w.get("rep", f"/calls/{bad['call']['id']}").json()
    assert bad_call["status"] == "failed" and "Nobody Here" in bad_call["error"]
    failed = stored(scale_out.url, bad["call"]["id"])
    assert (failed["keys"], failed["transcripts"], failed["scorecards"]) == ([], 0, 0)
    before = assert_stored_once(scale_out.url, good["call"]["id"])

    # Retrying the failed job in the worker fails it again; the good call stays as it was.
    retried = w.post("rep", f"/jobs/{bad['job']['id']}/retry")
    assert retried.status_code == 202, retried.text
    again = w.wait_job(bad["job"]["id"], "rep", timeout=SLOW)
    assert again["status"] == "failed" and again["attempts"] == 2, again
    after = assert_stored_once(scale_out.url, good["call"]["id"])
    assert sorted(after["keys"]) == sorted(before["keys"])
    assert after["call"].analyzed_at == before["call"].analyzed_at
    good_now = w.get("rep", f"/calls/{good['call']['id']}").json()
    assert good_now["status"] == "done"
    assert w.get("rep", "/evidence", params={"call_id": good["call"]["id"]}).json()["total"] == len(
        before["keys"]
    )


def test_the_embedded_server_killed_mid_job_resumes_after_a_restart(
    tmp_path: Path, long_call: Path
) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    migrate(settings.db_url)
    tokens, _ids = populate(settings.db_url)
    env = service_env(data_dir=str(data), job_lease_seconds=3, workers=1)
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    headers = {"Authorization": f"Bearer {tokens['rep']}"}

    def up() -> bool:
        try:
            return httpx.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def get_job(job_id: int) -> dict[str, Any]:
        job: dict[str, Any] = httpx.get(f"{base}/jobs/{job_id}", headers=headers).json()
        return job

    server = serve(env, port, tmp_path / "serve-0.log")
    try:
        wait_for("the server to answer", up, timeout=120)
        with long_call.open("rb") as f:
            response = httpx.post(
                f"{base}/calls",
                headers=headers,
                files={"file": (long_call.name, f, "audio/wav")},
                timeout=60,
            )
        assert response.status_code == 202, response.text
        job_id, call_id = response.json()["job"]["id"], response.json()["call"]["id"]
        began = time.monotonic()
        job = wait_for("the job to be running", _mid_job(lambda: get_job(job_id)))
        time.sleep(2.0)
        server.kill()
        print(f"killed the server in stage {job['stage']!r} after {time.monotonic() - began:.1f} s")
        row = job_row(settings.db_url, job_id)
        assert (row.status, row.attempts) == ("running", 1), row
        assert stored(settings.db_url, call_id)["keys"] == []

        began = time.monotonic()
        server = serve(env, port, tmp_path / "serve-1.log")
        wait_for("the restarted server to answer", up, timeout=120)
        job = wait_for(
            "the job to finish after the restart",
            lambda: (j := get_job(job_id))["status"] in ("done", "failed") and j,
            every=1.0,
        )
        print(f"the restarted server finished the job in {time.monotonic() - began:.1f} s")
        assert job["status"] == "done", (job, server.tail())
        assert job["attempts"] == 2
        before = assert_stored_once(settings.db_url, call_id)
        assert before["keys"]
        assert run_job(settings, job_id, "late-duplicate") is False
        after = assert_stored_once(settings.db_url, call_id)
        assert sorted(after["keys"]) == sorted(before["keys"])
    finally:
        server.stop()
