"""Crash safety of the job machinery without running analyses, on both databases: a job whose
worker keeps dying is failed instead of taking every worker down in turn, the Celery sweeper
does not flood the broker with copies of a backlog, and a starting API server leaves other
servers' uploads in progress alone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from api import jobs
from api.celery_app import MAX_RESEND_SECONDS, Resender
from api.db import get_engine, migrate
from api.processing import run_job
from api.settings import Settings
from api.storage import LocalMediaStore, clear_stale_uploads, new_temp_file
from api.tables import Call, Job, utcnow
from tests.api.service.conftest import (
    BACKENDS,
    drop_postgres_database,
    populate,
    postgres_database,
    unique,
)

LEASE = 3.0


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dealproof.db'}"
    else:
        url = postgres_database(unique("dealproof_jobs").replace("-", "_"))
    migrate(url)
    try:
        yield Settings(
            data_dir=tmp_path, database_url=url, job_lease_seconds=LEASE, job_max_attempts=3
        )
    finally:
        if request.param != "sqlite":
            drop_postgres_database(url)


def _job(settings: Settings, **values: Any) -> int:
    """A call with a queued job (then ``values`` set on the job); the job's id."""
    _tokens, ids = populate(settings.db_url)
    return _more_jobs(settings, ids, 1, **values)[0]


def _more_jobs(settings: Settings, ids: dict[str, int], count: int, **values: Any) -> list[int]:
    """``count`` more calls of the populated organisation, each with a queued job."""
    return [_one_job(settings, ids, **values) for _ in range(count)]


def _one_job(settings: Settings, ids: dict[str, int], **values: Any) -> int:
    with Session(get_engine(settings.db_url)) as session:
        call = Call(
            org_id=ids["acme"],
            rep_id=ids["rep"],
            media_kind="transcript",
            media_format="vtt",
            media_name="call.vtt",
            media_key="ab/missing.vtt",
            media_size=1,
            media_sha256=unique("sha"),
        )
        session.add(call)
        session.flush()
        job = jobs.enqueue(session, call)
        for name, value in values.items():
            setattr(job, name, value)
        session.commit()
        assert job.id is not None
        return job.id


def _get(settings: Settings, job_id: int) -> tuple[Job, Call]:
    with Session(get_engine(settings.db_url)) as session:
        job = session.get(Job, job_id)
        assert job is not None
        call = session.get(Call, job.call_id)
        assert call is not None
        return job, call


def _abandoned(attempts: int) -> dict[str, Any]:
    """A job whose worker died: running, its lease run out."""
    return {
        "status": "running",
        "worker": "dead-worker",
        "attempts": attempts,
        "lease_until": utcnow() - timedelta(seconds=10),
    }


def test_a_job_whose_worker_died_every_time_fails_instead_of_running_again(
    settings: Settings,
) -> None:
    job_id = _job(settings, **_abandoned(3))
    assert run_job(settings, job_id, "next-worker") is True
    job, call = _get(settings, job_id)
    assert (job.status, job.attempts, job.worker) == ("failed", 3, "dead-worker")
    assert job.error is not None and "3 attempts" in job.error
    assert (call.status, call.error) == ("failed", job.error)
    assert run_job(settings, job_id, "next-worker") is False  # a duplicate message: nothing

    # A retry gives it one more attempt (and fails it again should that worker die too).
    with Session(get_engine(settings.db_url)) as session:
        row = session.get(Job, job_id)
        assert row is not None
        jobs.retry(session, row)
        session.commit()
        assert jobs.claim(session, job_id, "retrying-worker", LEASE)
    assert _get(settings, job_id)[0].attempts == 4
    with Session(get_engine(settings.db_url)) as session:
        row = session.get(Job, job_id)
        assert row is not None
        row.lease_until = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
        assert jobs.give_up(session, job_id, 3) is not None
        session.commit()
    assert _get(settings, job_id)[0].status == "failed"


def test_a_job_under_the_limit_resumes(settings: Settings) -> None:
    job_id = _job(settings, **_abandoned(2))
    # It is claimed again (and fails here only because its media file does not exist).
    assert run_job(settings, job_id, "next-worker") is True
    job, _call = _get(settings, job_id)
    assert (job.attempts, job.worker) == (3, "next-worker")
    assert job.error is not None and "stored file missing" in job.error


def test_a_running_job_with_a_live_lease_is_not_given_up(settings: Settings) -> None:
    live = _abandoned(5) | {"lease_until": utcnow() + timedelta(seconds=60)}
    job_id = _job(settings, **live)
    with Session(get_engine(settings.db_url)) as session:
        assert jobs.give_up(session, job_id, 3) is None
    assert run_job(settings, job_id, "next-worker") is False
    assert _get(settings, job_id)[0].status == "running"


class _Broker:
    def __init__(self) -> None:
        self.sent: list[int] = []

    def send_task(self, name: str, args: list[int]) -> None:
        assert name == "dealproof.run_job"
        self.sent.extend(args)


def test_the_sweeper_resends_a_stale_job_with_a_doubling_backoff(settings: Settings) -> None:
    job_id = _job(settings, created_at=utcnow() - timedelta(seconds=60))
    broker = _Broker()
    resender = Resender(settings, broker)
    sweeps = [resender.sweep(now=t) for t in (0.0, 1.0, 2.9, 3.0, 4.0, 8.9, 9.0, 20.0, 21.0)]
    assert sweeps == [[job_id], [], [], [job_id], [], [], [job_id], [], [job_id]]
    assert broker.sent == [job_id] * 4

    for i in range(20):  # the backoff stops growing at MAX_RESEND_SECONDS
        resender.sweep(now=1e9 + i * MAX_RESEND_SECONDS)
    assert resender.sweep(now=1e9 + 20 * MAX_RESEND_SECONDS) == [job_id]

    # Taken and running: no longer stale, forgotten; its worker dies: re-sent at once.
    with Session(get_engine(settings.db_url)) as session:
        assert jobs.claim(session, job_id, "w", LEASE)
    assert resender.sweep(now=2e9) == []
    with Session(get_engine(settings.db_url)) as session:
        row = session.get(Job, job_id)
        assert row is not None
        row.lease_until = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert resender.sweep(now=2e9 + 1) == [job_id]


def test_the_sweeper_reads_a_backlog_oldest_first_a_slice_at_a_time(settings: Settings) -> None:
    old = utcnow() - timedelta(seconds=60)
    _tokens, people = populate(settings.db_url)
    ids = _more_jobs(settings, people, 5, created_at=old)
    with Session(get_engine(settings.db_url)) as session:
        assert jobs.stale_queued_ids(session, older_than=1.0, limit=3) == ids[:3]
        assert jobs.stale_queued_ids(session, older_than=1.0) == ids


def test_a_fresh_queued_job_is_not_resent(settings: Settings) -> None:
    _job(settings)
    assert Resender(settings, _Broker()).sweep(now=0.0) == []


def test_starting_a_server_keeps_uploads_in_progress_in_a_shared_media_folder(
    tmp_path: Path,
) -> None:
    store = LocalMediaStore(tmp_path / "media")
    in_progress = new_temp_file(store)
    in_progress.write_bytes(b"half an upload")
    left_over = new_temp_file(store)
    day_ago = time.time() - 86400
    os.utime(left_over, (day_ago, day_ago))
    clear_stale_uploads(store)
    assert in_progress.exists() and not left_over.exists()
    clear_stale_uploads(store, older_than=0)
    assert list(store.temp_dir().iterdir()) == []


def test_an_unreachable_broker_does_not_fail_the_submit(settings: Settings) -> None:
    from api.workers import CeleryDispatcher

    dead = Settings(
        database_url=settings.db_url, broker_url="redis://127.0.0.1:1/0", job_lease_seconds=LEASE
    )
    began = time.monotonic()
    CeleryDispatcher(dead).submit(1)  # logged; the sweeper of a worker sends it later
    assert time.monotonic() - began < 30
