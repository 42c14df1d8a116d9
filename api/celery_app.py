"""Celery for scale-out: the broker carries job ids; the job table stays the truth.

A message may be lost (a worker killed after taking it, a broker restart), so each
`dealproof worker` also runs a sweeper that re-sends jobs whose lease ran out or that sat
queued too long; :func:`api.jobs.claim` makes a duplicate message harmless.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

from api import jobs, webhooks
from api.db import migrate, session_scope
from api.settings import Settings

log = logging.getLogger("dealproof.celery")
_SETTINGS: Settings | None = None
_SWEEPER_STOP = threading.Event()


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


def _sweep(settings: Settings, app: Celery) -> None:
    every = max(1.0, settings.job_lease_seconds / 2)
    while not _SWEEPER_STOP.wait(every):
        try:
            with session_scope(settings.db_url) as session:
                stale = jobs.stale_queued_ids(session, older_than=settings.job_lease_seconds)
            for job_id in stale:
                app.send_task("dealproof.run_job", args=[job_id])
            webhooks.deliver_due(settings)
        except Exception:
            log.exception("sweeper")


def run_worker(settings: Settings, concurrency: int) -> None:
    """`dealproof worker`: a Celery worker with threads (models load once per process)."""
    migrate(settings.db_url)
    app = make_celery(settings)

    def _ready(**_kwargs: Any) -> None:
        threading.Thread(target=_sweep, args=(settings, app), daemon=True).start()
        # Jobs left over from a previous life are picked up at once, not a sweep later.
        with session_scope(settings.db_url) as session:
            for job_id in jobs.claimable_ids(session, limit=1000):
                app.send_task("dealproof.run_job", args=[job_id])

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
