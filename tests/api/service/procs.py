"""Real processes for the scale-out and crash tests: `dealproof worker` and `dealproof serve`
subprocesses, a Redis database for the broker, long audio to kill a job in the middle of,
and a look straight into the database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from api.db import get_engine, migrate
from api.settings import Settings
from api.tables import Call, Evidence, Job, Scorecard, Transcript
from tests.api.service.conftest import (
    World,
    drop_postgres_database,
    populate,
    postgres_database,
    unique,
)

DEALPROOF = Path(sys.executable).parent / "dealproof"
REDIS_URL = os.environ.get("DEALPROOF_TEST_REDIS_URL", "redis://127.0.0.1:6379")
SLOW = 300.0  # seconds: the machine is small and shared


def broker(db: int) -> str:
    """An empty Redis database ``db`` as a Celery broker URL."""
    import redis

    url = f"{REDIS_URL}/{db}"
    redis.Redis.from_url(url).flushdb()
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def service_env(**settings: str | float | int) -> dict[str, str]:
    """The environment of a service subprocess: this one's, offline, plus DEALPROOF_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALPROOF_")}
    for name in ("DEALPROOF_CACHE_DIR", "DEALPROOF_SHARED", "DEALPROOF_ENCODER_DIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    env.update({f"DEALPROOF_{k.upper()}": str(v) for k, v in settings.items()})
    return env


class Proc:
    """A `dealproof ...` subprocess in its own process group, its output in a log file."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("ab")
        self.popen = subprocess.Popen(
            [str(DEALPROOF), *args],
            env=dict(env),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group: no cleanup, no acknowledgement, as in a crash."""
        self._signal(signal.SIGKILL)
        self.popen.wait(timeout=30)
        self._out.close()

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM, then SIGKILL what is left after ``grace`` seconds."""
        if self.alive():
            self._signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        self._signal(signal.SIGKILL)  # anything left in the group
        self.popen.wait(timeout=30)
        self._out.close()

    def _signal(self, sig: signal.Signals) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def worker(env: Mapping[str, str], log: Path) -> Proc:
    return Proc(["worker", "--concurrency=1"], env, log)


def serve(env: Mapping[str, str], port: int, log: Path) -> Proc:
    return Proc(["serve", "--host=127.0.0.1", f"--port={port}"], env, log)


def wait_for(
    what: str, check: Callable[[], Any], timeout: float = SLOW, every: float = 0.25
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def long_wav(parts: list[Path], target: Path) -> Path:
    """The PCM WAVs ``parts`` (one format) played one after another as one WAV file."""
    with wave.open(str(target), "wb") as w:
        for index, part in enumerate(parts):
            with wave.open(str(part), "rb") as r:
                if index == 0:
                    w.setparams(r.getparams())
                assert r.getparams()[:3] == w.getparams()[:3], (part, r.getparams())
                w.writeframes(r.readframes(r.getnframes()))
    return target


def job_row(url: str, job_id: int) -> Job:
    with Session(get_engine(url), expire_on_commit=False) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def stored(url: str, call_id: int) -> dict[str, Any]:
    """What the database holds for one call: its row, evidence keys, transcript and
    scorecard counts, and how many evidence items its stored analysis lists."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        call = session.get(Call, call_id)
        keys = list(session.exec(select(Evidence.key).where(Evidence.call_id == call_id)))
        transcripts = list(session.exec(select(Transcript).where(Transcript.call_id == call_id)))
        scorecards = session.exec(select(Scorecard).where(Scorecard.call_id == call_id)).all()
        jobs = session.exec(select(Job).where(Job.call_id == call_id).order_by(col(Job.id))).all()
    return {
        "call": call,
        "keys": keys,
        "transcripts": len(transcripts),
        "scorecards": len(scorecards),
        "analysis_evidence": (
            len(transcripts[0].analysis.get("evidence", [])) if transcripts else None
        ),
        "jobs": list(jobs),
    }


def assert_stored_once(url: str, call_id: int) -> dict[str, Any]:
    """The call is done with exactly one result: one transcript, one scorecard, evidence keys
    unique and as many as the analysis found."""
    s = stored(url, call_id)
    assert s["call"] is not None and s["call"].status == "done", s["call"]
    assert s["transcripts"] == 1 and s["scorecards"] == 1, s
    assert len(s["keys"]) == len(set(s["keys"])), sorted(s["keys"])
    assert len(s["keys"]) == s["analysis_evidence"], s
    assert len(s["jobs"]) == 1, s["jobs"]
    return s


@dataclass
class ScaleOut:
    """An API with a broker and no workers of its own on a fresh PostgreSQL database, and
    `dealproof worker`s for it sharing the database, broker and media folder."""

    world: World
    url: str
    tmp: Path
    procs: list[Proc]

    def start_worker(self, name: str = "worker") -> Proc:
        env = service_env(
            database_url=self.url,
            broker_url=self.world.settings.broker_url or "",
            media_dir=str(self.world.settings.media_path),
            job_lease_seconds=3,
        )
        proc = worker(env, self.tmp / f"{name}-{len(self.procs)}.log")
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name}\n{p.tail()}" for p in self.procs)


@contextmanager
def scale_out_world(tmp: Path, redis_db: int) -> Iterator[ScaleOut]:
    url = postgres_database(unique("dealproof_scaleout").replace("-", "_"))
    procs: list[Proc] = []
    try:
        migrate(url)
        tokens, ids = populate(url)
        settings = Settings(
            data_dir=tmp / "api-data",
            database_url=url,
            broker_url=broker(redis_db),
            media_dir=tmp / "media",
            workers=0,
            job_lease_seconds=3.0,
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield ScaleOut(World(client, settings, tokens, ids), url, tmp, procs)
    finally:
        for proc in procs:
            proc.stop()
        drop_postgres_database(url)
