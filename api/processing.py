"""The task every worker runs, whichever runs it (an in-process thread or a Celery worker):
take a job, analyze its call, and store the result in one transaction.

Crash safety: nothing of a call's analysis is written until the final transaction, which
also marks the job done, and only if this worker still holds the job. Evidence rows are keyed
by the engine's stable evidence id (unique per call), so running a job again never
duplicates evidence, and keeps reviewers' verdicts on detections that are found again.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from api import jobs, webhooks
from api.db import session_scope
from api.deal_ledger import refresh_criteria
from api.settings import Settings
from api.storage import LocalMediaStore, MediaStore
from api.tables import (
    Call,
    Deal,
    Evidence,
    Job,
    Scorecard,
    Transcript,
    refresh_call_behaviors,
    utcnow,
)
from engine.errors import DealproofError
from engine.types import AnalyzeOptions, CallAnalysis

log = logging.getLogger("dealproof.jobs")
REPORT_EVERY = 0.5


def media_store(settings: Settings) -> MediaStore:
    return LocalMediaStore(settings.media_path)


class _Lease:
    """Renews a job's lease from a background thread while the analysis runs."""

    def __init__(self, settings: Settings, job_id: int, worker: str) -> None:
        self.settings = settings
        self.job_id = job_id
        self.worker = worker
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        every = self.settings.job_lease_seconds / 3
        while not self._stop.wait(every):
            try:
                with session_scope(self.settings.db_url) as session:
                    if not jobs.renew(
                        session, self.job_id, self.worker, self.settings.job_lease_seconds
                    ):
                        self.lost = True
                        return
            except Exception:  # a database hiccup: try again at the next tick
                log.exception("renewing the lease of job %s", self.job_id)


@dataclass
class _Progress:
    settings: Settings
    job_id: int
    worker: str
    last_stage: str | None = None
    last_time: float = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self.last_stage and now - self.last_time < REPORT_EVERY and fraction < 1:
            return
        self.last_stage, self.last_time = stage, now
        try:
            with session_scope(self.settings.db_url) as session:
                jobs.report(session, self.job_id, self.worker, stage, fraction)
        except Exception:
            log.exception("reporting progress of job %s", self.job_id)


def run_job(settings: Settings, job_id: int, worker: str) -> bool:
    """Run job ``job_id`` if this worker can take it; True when it ran (done or failed)."""
    from pipelines.analyze import analyze_call

    with session_scope(settings.db_url) as session:
        abandoned = jobs.give_up(session, job_id, settings.job_max_attempts)
        if abandoned is not None:
            call = session.get(Call, abandoned.call_id)
            if call is not None:
                call.status = "failed"
                call.error = abandoned.error
                session.add(call)
            session.commit()
            log.warning("job %s: %s", job_id, abandoned.error)
            return True
        if not jobs.claim(session, job_id, worker, settings.job_lease_seconds):
            return False
        job = session.get(Job, job_id)
        assert job is not None
        call = session.get(Call, job.call_id)
        assert call is not None
        deal = session.get(Deal, call.deal_id) if call.deal_id is not None else None
        call.status = "running"
        session.add(call)
        session.commit()
        options = AnalyzeOptions(
            model=settings.asr_model,
            call_id=f"call-{call.id}",
            call_start=call.call_start,
            timezone=call.timezone,
            currency=call.currency or (deal.currency if deal else None),
            rep=call.rep_name,
            playbook=deal.playbook if deal else settings.default_playbook,
        )
        media_key = call.media_key
    log.info("job %s: analyzing call %s", job_id, call.id)
    analysis: CallAnalysis | None = None
    error: str | None = None
    stored = ""
    with _Lease(settings, job_id, worker) as lease:
        try:
            with media_store(settings).open_local(media_key) as path:
                stored = str(path)
                analysis = analyze_call(path, options, _Progress(settings, job_id, worker))
        except DealproofError as exc:
            error = _without_path(str(exc), stored)
        except Exception as exc:
            log.exception("job %s failed", job_id)
            error = "internal error: " + _without_path(f"{type(exc).__name__}: {exc}", stored)
    if lease.lost:
        log.warning("job %s: another worker took it over; dropping this result", job_id)
        return False
    with session_scope(settings.db_url) as session:
        if not _finish_job(session, job_id, worker, error):
            session.rollback()
            return False
        call = session.get(Call, call.id)
        assert call is not None
        if analysis is None:
            call.status = "failed"
            call.error = error
            session.add(call)
        else:
            _store_analysis(session, call, analysis)
        session.commit()
    log.info("job %s: %s", job_id, "failed: " + error if error else "done")
    return True


def _without_path(message: str, path: str) -> str:
    """The engine names the file in its messages; users should not see server paths."""
    if not path:
        return message
    return message.replace(f"{path}: ", "").replace(path, "the file")


def _finish_job(session: Session, job_id: int, worker: str, error: str | None) -> bool:
    result = session.exec(
        update(Job)
        .where(col(Job.id) == job_id, col(Job.worker) == worker, col(Job.status) == "running")
        .values(
            status="failed" if error else "done",
            error=error,
            progress=1.0 if error is None else Job.progress,
            stage=None if error else "done",
            finished_at=utcnow(),
            lease_until=None,
        )
    )
    return bool(result.rowcount == 1)


def _store_analysis(session: Session, call: Call, analysis: CallAnalysis) -> None:
    assert call.id is not None
    doc = analysis.to_dict()
    session.merge(Transcript(call_id=call.id, analysis=doc))
    if analysis.scorecard is not None:
        sc = analysis.scorecard
        session.merge(
            Scorecard(
                call_id=call.id,
                playbook=sc.playbook,
                score=sc.score,
                items=[i.to_dict() for i in sc.items],
            )
        )
    existing = {e.key: e for e in session.exec(select(Evidence).where(Evidence.call_id == call.id))}
    found = set()
    for e in analysis.evidence:
        found.add(e.id)
        row = existing.get(e.id) or Evidence(
            key=e.id,
            call_id=call.id,
            org_id=call.org_id,
            rep_id=call.rep_id,
            call_started_at=call.started_at,
            behavior=e.behavior,
            speaker=e.speaker,
            utterance_ids=[],
            quote="",
            confidence=0.0,
            fields={},
            detector=e.detector,
            detector_version=e.detector_version,
        )
        row.deal_id = call.deal_id
        row.subtype = e.subtype
        row.speaker = e.speaker
        row.role = e.role
        row.start = e.start
        row.end = e.end
        row.utterance_ids = list(e.utterance_ids)
        row.quote = e.quote
        row.confidence = e.confidence
        row.fields = dict(e.fields)
        row.detector = e.detector
        row.detector_version = e.detector_version
        session.add(row)
    for key, row in existing.items():
        if key not in found and row.status == "detected":
            session.delete(row)  # gone on re-analysis and nobody reviewed it
    refresh_call_behaviors(session, call.id)
    call.status = "done"
    call.error = None
    call.duration = analysis.call.duration
    call.score = analysis.scorecard.score if analysis.scorecard else None
    call.analyzed_at = utcnow()
    session.add(call)
    session.flush()
    webhooks.queue_event(
        session,
        call.org_id,
        "call.analyzed",
        {
            "call_id": call.id,
            "deal_id": call.deal_id,
            "rep_id": call.rep_id,
            "score": call.score,
            "evidence": len(analysis.evidence),
            "behaviors": sorted({e.behavior for e in analysis.evidence}),
        },
    )
    if call.deal_id is not None:
        deal = session.get(Deal, call.deal_id)
        if deal is not None:
            refresh_criteria(session, deal)
