"""Celery for scale-out: the broker carries job ids; the job table stays the truth.

A message may be lost (a worker killed after taking it, a broker restart), so each
`dealproof worker` also runs a sweeper that re-sends jobs whose lease ran out or that sat
queued too long; :func:`api.jobs.claim` makes a duplicate message harmless. A re-sent job is
not sent again at once: each waits twice as long as the last time before its next re-send,
so a backlog queued behind long analyses does not pile up copies in the broker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

from api import jobs, webhooks
from api.db import migrate, session_scope
from api.settings import Settings

log = logging.getLogger("dealproof.celery")
_SETTINGS: Settings | None = None
_SWEEPER_STOP = threading.Event()
MAX_RESEND_SECONDS = 3600.0


def make_celery(settings: Settings) -> Celery:
    app = Celery("dealproof", broker=settings.broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        task_default_queue="dealproof",
        worker_hijack_root_logger=False,
    )

    @app.task(name="dealproof.run_job")  # type: ignore[untyped-decorator]
    def run_job_task(job_id: int) -> bool:
        from api.processing import run_job
        from api.workers import worker_name

        return run_job(settings, job_id, worker_name("celery"))

    return app


class Resender:
    """Sends job ids to the broker, each id at most once per its own backoff: the lease at
    first, doubling at every re-send up to an hour."""

    def __init__(self, settings: Settings, app: Celery) -> None:
        self.settings = settings
        self.app = app
        self._next: dict[int, tuple[float, float]] = {}  # id: (not before, next wait)

    def send(self, job_ids: Iterable[int], now: float | None = None) -> list[int]:
        now = time.monotonic() if now is None else now
        sent = []
        for job_id in job_ids:
            not_before, wait = self._next.get(job_id, (0.0, self.settings.job_lease_seconds))
            if now < not_before:
                continue
            self.app.send_task("dealproof.run_job", args=[job_id])
            self._next[job_id] = (now + wait, min(2 * wait, MAX_RESEND_SECONDS))
            sent.append(job_id)
        return sent

    def sweep(self, now: float | None = None) -> list[int]:
        """Re-send the jobs whose lease ran out or that sat queued too long."""
        with session_scope(self.settings.db_url) as session:
            stale = jobs.stale_queued_ids(session, older_than=self.settings.job_lease_seconds)
        for gone in set(self._next) - set(stale):
            del self._next[gone]
        return self.send(stale, now)


def _sweep(settings: Settings, resender: Resender) -> None:
    every = max(1.0, settings.job_lease_seconds / 2)
    while not _SWEEPER_STOP.wait(every):
        try:
            resender.sweep()
            webhooks.deliver_due(settings)
        except Exception:
            log.exception("sweeper")


def run_worker(settings: Settings, concurrency: int) -> None:
    """`dealproof worker`: a Celery worker with threads (models load once per process)."""
    migrate(settings.db_url)
    app = make_celery(settings)

    resender = Resender(settings, app)

    def _ready(**_kwargs: Any) -> None:
        # Jobs left over from a previous life are picked up at once, not a sweep later.
        with session_scope(settings.db_url) as session:
            resender.send(jobs.claimable_ids(session, limit=1000))
        threading.Thread(target=_sweep, args=(settings, resender), daemon=True).start()

    def _shutdown(**_kwargs: Any) -> None:
        _SWEEPER_STOP.set()

    worker_ready.connect(_ready, weak=False)
    worker_shutdown.connect(_shutdown, weak=False)
    app.worker_main(
        [
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
            "--queues=dealproof",
            "--without-gossip",
            "--without-mingle",
        ]
    )
