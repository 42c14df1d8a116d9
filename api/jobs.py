"""Durable jobs in the database. Any number of workers (threads of `dealproof serve`, or
`dealproof worker` processes) may race for a job: :func:`claim` is one conditional UPDATE, so
exactly one wins. A running job holds a lease its worker renews; a worker that dies stops
renewing, and once the lease runs out any worker may take the job again (a restart resumes).
A job whose worker died in it ``job_max_attempts`` times is failed instead (:func:`give_up`):
a file that kills whoever analyzes it (out of memory) must not take every worker down in turn.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, select

from api.tables import Call, Job, utcnow


def enqueue(session: Session, call: Call) -> Job:
    assert call.id is not None
    job = Job(org_id=call.org_id, call_id=call.id)
    session.add(job)
    return job


def pending(session: Session, call_id: int) -> Job | None:
    """The call's job that is queued or running, if any (the newest)."""
    return session.exec(
        select(Job)
        .where(col(Job.call_id) == call_id, col(Job.status).in_(("queued", "running")))
        .order_by(col(Job.id).desc())
    ).first()


def _claimable(now_: datetime) -> ColumnElement[bool]:
    return or_(
        col(Job.status) == "queued",
        (col(Job.status) == "running") & (col(Job.lease_until) < now_),
    )


def claim(session: Session, job_id: int, worker: str, lease_seconds: float) -> bool:
    """Take the job if it is queued or its lease has run out; True when this worker won it."""
    now = utcnow()
    result = session.exec(
        update(Job)
        .where(col(Job.id) == job_id, _claimable(now))
        .values(
            status="running",
            worker=worker,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            started_at=now,
            error=None,
        )
    )
    session.commit()
    return bool(result.rowcount == 1)


def give_up(session: Session, job_id: int, max_attempts: int) -> Job | None:
    """Fail the job if its lease ran out and it has had ``max_attempts`` attempts (or more,
    after a retry); the failed job, or None when it may still be claimed (or is not
    abandoned). The caller commits."""
    now = utcnow()
    job = session.exec(
        select(Job).where(
            col(Job.id) == job_id,
            col(Job.status) == "running",
            col(Job.lease_until) < now,
            col(Job.attempts) >= max_attempts,
        )
    ).first()
    if job is None:
        return None
    error = (
        f"the analysis stopped without finishing in {job.attempts} attempts (its worker "
        "was killed or ran out of memory); retry the job to try once more"
    )
    result = session.exec(
        update(Job)
        .where(
            col(Job.id) == job_id,
            col(Job.status) == "running",
            col(Job.lease_until) < now,
            col(Job.attempts) == job.attempts,
        )
        .values(status="failed", error=error, finished_at=now, lease_until=None)
    )
    if result.rowcount != 1:
        return None  # another worker claimed it meanwhile
    session.refresh(job)
    return job


def claimable_ids(session: Session, limit: int = 50) -> list[int]:
    rows = session.exec(
        select(Job.id).where(_claimable(utcnow())).order_by(col(Job.id)).limit(limit)
    ).all()
    return [r for r in rows if r is not None]


def renew(session: Session, job_id: int, worker: str, lease_seconds: float) -> bool:
    """Extend the lease; False when the job is no longer this worker's."""
    result = session.exec(
        update(Job)
        .where(col(Job.id) == job_id, col(Job.worker) == worker, col(Job.status) == "running")
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
    )
    session.commit()
    return bool(result.rowcount == 1)


def report(session: Session, job_id: int, worker: str, stage: str, progress: float) -> None:
    session.exec(
        update(Job)
        .where(col(Job.id) == job_id, col(Job.worker) == worker, col(Job.status) == "running")
        .values(stage=stage, progress=max(0.0, min(1.0, progress)))
    )
    session.commit()


def retry(session: Session, job: Job) -> None:
    """Put a failed job back in the queue (the caller checks it failed)."""
    job.status = "queued"
    job.stage = None
    job.progress = 0.0
    job.error = None
    job.worker = None
    job.lease_until = None
    job.finished_at = None
    session.add(job)


def stale_queued_ids(session: Session, older_than: float, limit: int = 500) -> list[int]:
    """Queued jobs nobody has taken for a while (their broker message may be lost), oldest
    first and at most ``limit``: a backlog of thousands is re-sent a slice per sweep rather
    than read whole every few seconds."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    rows = session.exec(
        select(Job.id)
        .where(
            or_(
                (col(Job.status) == "queued") & (col(Job.created_at) < cutoff),
                (col(Job.status) == "running") & (col(Job.lease_until) < utcnow()),
            )
        )
        .order_by(col(Job.id))
        .limit(limit)
    ).all()
    return [r for r in rows if r is not None]
