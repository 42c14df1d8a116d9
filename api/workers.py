"""Who runs jobs. Embedded: a pool of threads inside `dealproof serve` that polls the job
table, so unfinished jobs resume after a restart. Scale-out: Celery workers (`dealproof
worker`) fed through a Redis broker; both run :func:`api.processing.run_job`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from typing import Protocol

from api import jobs, webhooks
from api.db import session_scope
from api.processing import run_job
from api.settings import Settings

log = logging.getLogger("dealproof.workers")
POLL_SECONDS = 1.0


def worker_name(kind: str) -> str:
    return f"{kind}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Dispatcher(Protocol):
    def submit(self, job_id: int) -> None: ...

    def stop(self) -> None: ...


class InProcessPool:
    """``settings.workers`` threads taking jobs from the database; also delivers webhooks."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(worker_name("thread"),), daemon=True)
            for _ in range(settings.workers)
        ]

    def start(self) -> InProcessPool:
        for t in self._threads:
            t.start()
        return self

    def submit(self, job_id: int) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout=5)

    def _loop(self, name: str) -> None:
        while not self._stop.is_set():
            ran = False
            try:
                with session_scope(self.settings.db_url) as session:
                    ids = jobs.claimable_ids(session)
                for job_id in ids:
                    if self._stop.is_set():
                        return
                    ran = run_job(self.settings, job_id, name) or ran
                webhooks.deliver_due(self.settings)
            except Exception:
                log.exception("worker loop")
            if not ran:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()


class NoWorkers:
    """``DEALPROOF_WORKERS=0`` with no broker: jobs wait for a worker elsewhere."""

    def submit(self, job_id: int) -> None:
        pass

    def stop(self) -> None:
        pass


class CeleryDispatcher:
    def __init__(self, settings: Settings) -> None:
        from api.celery_app import make_celery

        self.app = make_celery(settings)

    def submit(self, job_id: int) -> None:
        # The job is already committed; the message only wakes a worker. With the broker
        # down the upload still succeeds, and a worker's sweeper sends the job later.
        try:
            self.app.send_task("dealproof.run_job", args=[job_id])
        except Exception:
            log.exception("job %s: the broker took no message; a worker's sweep will", job_id)

    def stop(self) -> None:
        pass


def make_dispatcher(settings: Settings) -> Dispatcher:
    if settings.broker_url:
        return CeleryDispatcher(settings)
    if settings.workers == 0:
        return NoWorkers()
    return InProcessPool(settings).start()
