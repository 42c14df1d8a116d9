"""Load on the HTTP service: read latency per endpoint, and the server's memory on a large upload.

``python -m eval.bench_service [--calls 10000] [--evidence 100000] [--deals 1000] [--reps 50]
[--teams 5] [--backends sqlite,postgresql] [--requests 120] [--concurrency 4]
[--upload-mb 1024] [--json OUT]``

For each backend (a SQLite file, and a fresh database on the PostgreSQL server at
``DEALPROOF_BENCH_POSTGRES_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/
postgres``, dropped after):

- Seeding: ``api.db.migrate``, then bulk inserts (SQLAlchemy core ``insert`` executemany) of one
  organisation, ``--teams`` teams with a manager each, ``--reps`` reps, an admin, API tokens
  (``api.auth.issue_token``), ``--deals`` deals, ``--calls`` analyzed calls (started over the
  last 6 months, 85% on a deal of the rep or their team) and ``--evidence`` evidence rows
  (behaviors of the engine's catalog, confidences, review statuses, and the call's org, deal,
  rep and start denormalised as ``api.processing`` writes them; each call's summary of its
  non-rejected behaviors, ``calls.behaviors``, filled as the app keeps it). PostgreSQL then gets the
  ``VACUUM ANALYZE`` autovacuum would run; SQLite no ``ANALYZE``, as the app never runs it.
- Reads: the real server (``dealproof serve``, ``DEALPROOF_WORKERS=0``) in a subprocess, driven
  on loopback by ``--concurrency`` clients (asyncio, one ``httpx.AsyncClient`` each) through a
  shuffled mix of ``--requests`` requests per endpoint, split over admin, manager and rep
  tokens (each asks for rows it may see), after a warm-up pass. ``GET /api/v1/health``, which
  touches no database, is in the same mix: it is the baseline, and each endpoint's p95 is
  also given as a ratio to the health p95. Target: p95 < 50 ms per endpoint.
- Upload: a WAV header and ``--upload-mb`` MiB of zeros, written to disk and streamed from it
  (1 MiB reads, a hand-built multipart body with a Content-Length) to ``POST /api/v1/calls``
  while the server's ``VmRSS`` is read from ``/proc/<pid>/status`` every 50 ms. Reported: the
  growth (peak during the upload − just before; target < 100 MB) and the throughput (MiB/s
  from the first byte sent to the answer, which includes the server's hashing and probing).

The machine is shared: the load average is recorded with every backend's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text
from sqlmodel import Session

from api.auth import issue_token
from api.db import get_engine, migrate
from api.tables import (
    Call,
    Deal,
    Evidence,
    Organisation,
    Team,
    User,
    behaviors_summary,
)
from engine.behaviors.catalog import BUILT_IN, SUBTYPES

LATENCY_TARGET_MS = 50.0
UPLOAD_GROWTH_TARGET_MB = 100.0
POSTGRES_ADMIN_URL = os.environ.get(
    "DEALPROOF_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")
HEALTH = "health"
ENDPOINTS = (
    "evidence?behavior",
    "evidence?rep_id",
    "evidence?deal_id",
    "evidence?since&until",
    "calls?rep_id",
    "calls?deal_id",
    "deals/{id}/ledger",
    "calls/{id}",
    "reps/{id}/adoption",
    "teams/{id}/adoption",
)
"""The reads under load, besides the health baseline."""
ROLES = ("admin", "manager", "rep")
SPAN_DAYS = 182
RSS_EVERY_S = 0.05
CHUNK = 1024 * 1024
MB = 1024 * 1024
WARMUP_UPLOAD_MB = 1.0


def _log(message: str) -> None:
    print(f"[bench_service] {message}", file=sys.stderr, flush=True)


# --- seeding -------------------------------------------------------------------------------


@dataclass
class Seeded:
    """What the load needs to know about the seeded organisation."""

    tokens: dict[str, str]
    """Token per principal: ``admin``, ``manager:<team id>``, ``rep:<user id>``."""
    teams: dict[int, list[int]]
    """Team id to its reps' ids."""
    managers: dict[int, int]
    """Team id to its manager's user id."""
    rep_team: dict[int, int]
    calls_of_rep: dict[int, list[int]]
    deals_of_rep: dict[int, list[int]]
    """Deals a rep called on (so the rep may see them)."""
    deal_ids: list[int]
    call_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def seed(
    url: str,
    *,
    calls: int,
    evidence: int,
    deals: int,
    reps: int,
    teams: int,
    rng: random.Random,
    now: datetime | None = None,
) -> Seeded:
    """Migrate ``url`` (an empty database) and fill it; see the module docstring."""
    t0 = time.perf_counter()
    now = now or datetime.now(UTC)
    migrate(url)
    engine = get_engine(url)
    tokens: dict[str, str] = {}
    team_reps: dict[int, list[int]] = {}
    managers: dict[int, int] = {}
    rep_team: dict[int, int] = {}
    with Session(engine, expire_on_commit=False) as session:
        org = Organisation(name="bench")
        session.add(org)
        session.flush()
        assert org.id is not None
        team_rows = [Team(org_id=org.id, name=f"Team {t + 1}") for t in range(teams)]
        session.add_all(team_rows)
        session.flush()
        admin = User(org_id=org.id, name="Admin", email="admin@bench.test", role="admin")
        session.add(admin)
        people: list[tuple[str, User]] = [("admin", admin)]
        for t, team in enumerate(team_rows):
            assert team.id is not None
            manager = User(
                org_id=org.id,
                team_id=team.id,
                name=f"Manager {t + 1}",
                email=f"manager{t + 1}@bench.test",
                role="manager",
            )
            session.add(manager)
            people.append((f"manager:{team.id}", manager))
            team_reps[team.id] = []
        for r in range(reps):
            team = team_rows[r % teams]
            rep = User(
                org_id=org.id,
                team_id=team.id,
                name=f"Rep {r + 1}",
                email=f"rep{r + 1}@bench.test",
                role="rep",
            )
            session.add(rep)
            people.append(("rep", rep))
        session.flush()
        for name, user in people:
            assert user.id is not None
            if user.role == "rep":
                assert user.team_id is not None
                team_reps[user.team_id].append(user.id)
                rep_team[user.id] = user.team_id
                name = f"rep:{user.id}"
            elif user.role == "manager":
                assert user.team_id is not None
                managers[user.team_id] = user.id
            tokens[name] = issue_token(session, user, "bench")
        session.commit()
        org_id = org.id
    rep_ids = sorted(rep_team)

    deal_rows: list[dict[str, Any]] = []
    deal_owner: dict[int, int] = {}
    for d in range(deals):
        deal_id = d + 1
        owner = rng.choice(rep_ids)
        deal_owner[deal_id] = owner
        deal_rows.append(
            {
                "id": deal_id,
                "org_id": org_id,
                "external_id": f"crm-{deal_id}",
                "name": f"Deal {deal_id}",
                "stage": None,
                "playbook": "discovery",
                "owner_id": owner,
                "criteria_met": [],
                "created_at": now - timedelta(days=SPAN_DAYS + 1),
            }
        )
    deals_of_team: dict[int, list[int]] = {t: [] for t in team_reps}
    for deal_id, owner in deal_owner.items():
        deals_of_team[rep_team[owner]].append(deal_id)

    call_rows: list[dict[str, Any]] = []
    calls_of_rep: dict[int, list[int]] = {r: [] for r in rep_ids}
    deals_of_rep: dict[int, set[int]] = {r: set() for r in rep_ids}
    span = SPAN_DAYS * 86400.0
    for c in range(calls):
        call_id = c + 1
        on_deal: int | None = None
        if rng.random() < 0.85:
            on_deal = rng.randint(1, deals)
            owner = deal_owner[on_deal]
            # mostly the owner calls; sometimes a teammate does
            caller = owner if rng.random() < 0.8 else rng.choice(team_reps[rep_team[owner]])
            deals_of_rep[caller].add(on_deal)
        else:
            caller = rng.choice(rep_ids)
        started = now - timedelta(seconds=rng.random() * span)
        sha = hashlib.sha256(f"bench-call-{call_id}".encode()).hexdigest()
        calls_of_rep[caller].append(call_id)
        call_rows.append(
            {
                "id": call_id,
                "org_id": org_id,
                "deal_id": on_deal,
                "rep_id": caller,
                "title": f"Call {call_id}",
                "call_start": started.isoformat(),
                "started_at": started,
                "timezone": None,
                "participants": [],
                "rep_name": None,
                "media_kind": "transcript",
                "media_format": "json",
                "media_name": f"call-{call_id}.json",
                "media_key": f"{sha[:2]}/{sha}.json",
                "media_size": 10_000,
                "media_sha256": sha,
                "status": "done",
                "duration": 1800.0,
                "score": round(rng.random(), 3),
                "error": None,
                "created_at": started,
                "analyzed_at": started + timedelta(minutes=40),
            }
        )

    evidence_rows: list[dict[str, Any]] = []
    statuses = ("detected",) * 16 + ("confirmed",) * 3 + ("rejected",)
    for e in range(evidence):
        call = call_rows[e % calls] if e < calls else call_rows[rng.randrange(calls)]
        behavior = rng.choice(BUILT_IN)
        subtypes = SUBTYPES.get(behavior)
        start = rng.random() * 1700.0
        evidence_rows.append(
            {
                "id": e + 1,
                "key": hashlib.sha256(f"bench-evidence-{e}".encode()).hexdigest()[:32],
                "call_id": call["id"],
                "org_id": org_id,
                "deal_id": call["deal_id"],
                "rep_id": call["rep_id"],
                "call_started_at": call["started_at"],
                "behavior": behavior,
                "subtype": rng.choice(subtypes) if subtypes else None,
                "speaker": "S1",
                "role": "rep" if rng.random() < 0.7 else "prospect",
                "start": start,
                "end": start + 4.0,
                "utterance_ids": [f"u{int(start / 6)}"],
                "quote": "Could you walk me through how you decide on a purchase like this?",
                "confidence": round(0.5 + rng.random() / 2, 3),
                "fields": {},
                "detector": "head",
                "detector_version": "bench",
                "status": rng.choice(statuses),
            }
        )

    # each call's summary of its non-rejected behaviors, as api.processing and reviews keep it
    seen: dict[int, set[str]] = {}
    for row in evidence_rows:
        if row["status"] != "rejected":
            seen.setdefault(row["call_id"], set()).add(row["behavior"])
    for row in call_rows:
        row["behaviors"] = behaviors_summary(seen.get(row["id"], ()))

    with engine.begin() as conn:
        for table, rows in (
            (Deal.__table__, deal_rows),  # type: ignore[attr-defined]
            (Call.__table__, call_rows),  # type: ignore[attr-defined]
            (Evidence.__table__, evidence_rows),  # type: ignore[attr-defined]
        ):
            for i in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[i : i + 5000])
        if engine.dialect.name == "postgresql":
            for name in ("deals", "calls", "evidence"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                    )
                )
    # SQLite gets no ANALYZE: the app never runs it, so its planner works without statistics
    if engine.dialect.name == "postgresql":
        # the state autovacuum reaches after bulk inserts: statistics and a visibility map
        # (index-only scans skip the table only for pages marked all-visible)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return Seeded(
        tokens=tokens,
        teams=team_reps,
        managers=managers,
        rep_team=rep_team,
        calls_of_rep=calls_of_rep,
        deals_of_rep={r: sorted(d) for r, d in deals_of_rep.items()},
        deal_ids=[d["id"] for d in deal_rows],
        call_ids=[c["id"] for c in call_rows],
        counts={
            "teams": teams,
            "users": len(tokens),
            "deals": len(deal_rows),
            "calls": len(call_rows),
            "evidence": len(evidence_rows),
        },
        seconds=time.perf_counter() - t0,
    )


# --- the request mix -----------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    endpoint: str
    role: str
    path: str
    params: dict[str, str]
    token: str


def _principal(seeded: Seeded, role: str, rng: random.Random) -> tuple[str, list[int], int]:
    """A token of ``role``, the reps it may see (some with calls), and a team it may see."""
    if role == "admin":
        team = rng.choice(sorted(seeded.teams))
        return seeded.tokens["admin"], sorted(seeded.rep_team), team
    if role == "manager":
        team = rng.choice(sorted(seeded.managers))
        return seeded.tokens[f"manager:{team}"], seeded.teams[team], team
    reps = [r for r in sorted(seeded.rep_team) if seeded.calls_of_rep[r]]
    rep = rng.choice(reps)
    return seeded.tokens[f"rep:{rep}"], [rep], seeded.rep_team[rep]


def _window(rng: random.Random, now: datetime, days: int = 14) -> dict[str, str]:
    until = now - timedelta(days=rng.uniform(0, SPAN_DAYS - days))
    since = until - timedelta(days=days)
    return {"since": since.isoformat(), "until": until.isoformat()}


def build_requests(
    seeded: Seeded, per_endpoint: int, rng: random.Random, now: datetime | None = None
) -> list[Request]:
    """``per_endpoint`` requests of each endpoint and of health, roles in turn, shuffled."""
    now = now or datetime.now(UTC)
    out: list[Request] = []
    behaviors = list(BUILT_IN)
    for endpoint in (HEALTH, *ENDPOINTS):
        for i in range(per_endpoint):
            role = ROLES[i % len(ROLES)]
            token, reps, team = _principal(seeded, role, rng)
            reps_with_calls = [r for r in reps if seeded.calls_of_rep[r]]
            rep = rng.choice(reps_with_calls)
            deals = [d for r in reps_with_calls for d in seeded.deals_of_rep[r]]
            deal = rng.choice(deals) if deals else rng.choice(seeded.deal_ids)
            call = rng.choice(seeded.calls_of_rep[rep])
            path, params = {
                HEALTH: ("/health", {}),
                "evidence?behavior": ("/evidence", {"behavior": rng.choice(behaviors)}),
                "evidence?rep_id": ("/evidence", {"rep_id": str(rep)}),
                "evidence?deal_id": ("/evidence", {"deal_id": str(deal)}),
                "evidence?since&until": ("/evidence", _window(rng, now)),
                "calls?rep_id": ("/calls", {"rep_id": str(rep)}),
                "calls?deal_id": ("/calls", {"deal_id": str(deal)}),
                "deals/{id}/ledger": (f"/deals/{deal}/ledger", {}),
                "calls/{id}": (f"/calls/{call}", {}),
                "reps/{id}/adoption": (f"/reps/{rep}/adoption", {}),
                "teams/{id}/adoption": (f"/teams/{team}/adoption", {}),
            }[endpoint]
            out.append(Request(endpoint, role, "/api/v1" + path, params, token))
    rng.shuffle(out)
    return out


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def dealproof_command() -> list[str]:
    script = Path(sys.executable).parent / "dealproof"
    if script.is_file():
        return [str(script)]
    found = shutil.which("dealproof")
    if found:
        return [found]
    return [sys.executable, "-m", "api.cli"]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def serve(database_url: str, data_dir: Path, *, timeout: float = 60.0) -> Iterator[Server]:
    """``dealproof serve`` on a free loopback port, without workers; stopped on exit."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        DEALPROOF_DATABASE_URL=database_url,
        DEALPROOF_DATA_DIR=str(data_dir),
        DEALPROOF_WORKERS="0",
        HF_HUB_OFFLINE="1",
    )
    env.pop("DEALPROOF_BROKER_URL", None)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*dealproof_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"dealproof serve exited ({process.returncode}):\n{log_path.read_text()}"
                )
            try:
                if httpx.get(f"{server.base_url}/api/v1/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dealproof serve did not answer in {timeout:.0f} s")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- latency -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between the closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(latencies_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(latencies_ms),
        "p50_ms": percentile(latencies_ms, 50),
        "p95_ms": percentile(latencies_ms, 95),
        "p99_ms": percentile(latencies_ms, 99),
        "mean_ms": sum(latencies_ms) / len(latencies_ms),
        "max_ms": max(latencies_ms),
    }


async def _drive(
    base_url: str, requests: Sequence[Request], concurrency: int
) -> list[tuple[Request, float, int]]:
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    results: list[tuple[Request, float, int]] = []

    async def client() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as http:
            while True:
                try:
                    r = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                headers = {"Authorization": f"Bearer {r.token}"}
                t0 = time.perf_counter()
                response = await http.get(r.path, params=r.params, headers=headers)
                await response.aread()
                results.append((r, (time.perf_counter() - t0) * 1000.0, response.status_code))

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return results


def run_load(
    base_url: str, requests: Sequence[Request], *, concurrency: int, warmup: int
) -> dict[str, Any]:
    """Warm up on the first ``warmup`` requests, then time them all; stats per endpoint."""
    if warmup:
        asyncio.run(_drive(base_url, requests[:warmup], concurrency))
    started = time.perf_counter()
    results = asyncio.run(_drive(base_url, requests, concurrency))
    seconds = time.perf_counter() - started
    errors = [(r.endpoint, r.role, status) for r, _, status in results if status != 200]
    by_endpoint: dict[str, list[float]] = {}
    by_role: dict[str, dict[str, list[float]]] = {}
    for r, ms, _status in results:
        by_endpoint.setdefault(r.endpoint, []).append(ms)
        by_role.setdefault(r.endpoint, {}).setdefault(r.role, []).append(ms)
    health_p95 = percentile(by_endpoint[HEALTH], 95)
    endpoints: dict[str, Any] = {}
    for name in (HEALTH, *ENDPOINTS):
        stats: dict[str, Any] = summarize(by_endpoint[name])
        stats["ratio_p95_to_health"] = stats["p95_ms"] / health_p95
        stats["p95_ms_by_role"] = {
            role: percentile(values, 95) for role, values in sorted(by_role[name].items())
        }
        endpoints[name] = stats
    reads = [ms for r, ms, _ in results if r.endpoint != HEALTH]
    overall: dict[str, Any] = summarize(reads)
    overall["ratio_p95_to_health"] = overall["p95_ms"] / health_p95
    return {
        "requests": len(results),
        "concurrency": concurrency,
        "warmup": warmup,
        "seconds": seconds,
        "requests_per_s": len(results) / seconds,
        "errors": len(errors),
        "error_samples": [list(e) for e in errors[:10]],
        "endpoints": endpoints,
        "overall": overall,
    }


# --- upload --------------------------------------------------------------------------------


def write_upload_file(path: Path, size_mb: float) -> int:
    """A WAV header (16 kHz mono 16-bit) and ``size_mb`` MiB of silence; returns its size."""
    data = int(size_mb * MB) // 2 * 2
    header = b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    header += b"data" + struct.pack("<I", data)
    # a distinct first second, so that reruns against the same database are no duplicates
    first = os.urandom(min(data, 32000))
    zeros = bytes(CHUNK)
    with path.open("wb") as f:
        f.write(header + first)
        left = data - len(first)
        while left > 0:
            n = min(left, CHUNK)
            f.write(zeros[:n])
            left -= n
    return len(header) + data


class RssSampler:
    """``VmRSS`` of a process every ``every`` seconds, from a background thread."""

    def __init__(self, pid: int, every: float = RSS_EVERY_S) -> None:
        self.pid = pid
        self.every = every
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def read(self) -> int:
        """The current VmRSS in bytes."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for process {self.pid}")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(self.read())
            except (OSError, RuntimeError):
                return
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _multipart(path: Path, boundary: str) -> tuple[int, Iterator[bytes]]:
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)

    def body() -> Iterator[bytes]:
        yield head
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
        yield tail

    return length, body()


def run_upload(server: Server, token: str, size_mb: float, work: Path) -> dict[str, Any]:
    """Stream a ``size_mb`` MiB WAV from disk to POST /calls; the server's RSS meanwhile."""
    path = work / "bench-upload.wav"
    try:
        size = write_upload_file(path, size_mb)
        boundary = "dealproof-bench-" + os.urandom(8).hex()
        length, body = _multipart(path, boundary)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        }
        sampler = RssSampler(server.pid)
        before = sampler.read()
        with sampler, httpx.Client(base_url=server.base_url, timeout=600.0) as http:
            t0 = time.perf_counter()
            response = http.post("/api/v1/calls", content=body, headers=headers)
            seconds = time.perf_counter() - t0
        after = sampler.read()
        if response.status_code not in (200, 202):
            raise RuntimeError(f"upload answered {response.status_code}: {response.text}")
        call = response.json()["call"]
        peak = max([before, *sampler.samples])
        return {
            "size_mb": size / MB,
            "status": response.status_code,
            "stored_size": call["media_size"],
            "media_format": call["media_format"],
            "seconds": seconds,
            "mb_per_s": size / MB / seconds,
            "rss_before_mb": before / MB,
            "rss_peak_mb": peak / MB,
            "rss_after_mb": after / MB,
            "rss_growth_mb": (peak - before) / MB,
            "rss_samples": len(sampler.samples),
        }
    finally:
        path.unlink(missing_ok=True)


# --- backends ------------------------------------------------------------------------------


@contextmanager
def database(backend: str, work: Path) -> Iterator[str]:
    """An empty database of ``backend``; its URL. A PostgreSQL one is dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{work / 'bench.db'}"
        return
    name = f"dealproof_bench_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_backend(
    backend: str,
    *,
    calls: int,
    evidence: int,
    deals: int,
    reps: int,
    teams: int,
    requests: int,
    concurrency: int,
    upload_mb: float | None,
    seed_value: int = 0,
) -> dict[str, Any]:
    """Seed, serve, load and upload on one backend; its figures."""
    rng = random.Random(seed_value)
    result: dict[str, Any] = {"load_average_at_start": list(os.getloadavg())}
    with tempfile.TemporaryDirectory(prefix="dealproof-bench-service-") as tmp:
        work = Path(tmp)
        with database(backend, work) as url:
            _log(f"{backend}: seeding {calls} calls, {evidence} evidence")
            seeded = seed(
                url,
                calls=calls,
                evidence=evidence,
                deals=deals,
                reps=reps,
                teams=teams,
                rng=rng,
            )
            get_engine(url).dispose()
            result["seed"] = {"seconds": seeded.seconds, "rows": seeded.counts}
            _log(f"{backend}: seeded in {seeded.seconds:.1f} s; starting the server")
            mix = build_requests(seeded, requests, rng)
            with serve(url, work / "data") as server:
                _log(f"{backend}: {len(mix)} requests, {concurrency} clients")
                result["load_average_before_reads"] = list(os.getloadavg())
                result["reads"] = run_load(
                    server.base_url,
                    mix,
                    concurrency=concurrency,
                    warmup=min(len(mix), max(2 * len(ENDPOINTS) + 2, len(mix) // 10)),
                )
                result["load_average_after_reads"] = list(os.getloadavg())
                if upload_mb:
                    # the first upload imports PyAV (probing the media): a one-off cost that is
                    # not the upload's, measured apart
                    result["upload_warmup"] = run_upload(
                        server, seeded.tokens["admin"], WARMUP_UPLOAD_MB, work
                    )
                    _log(f"{backend}: uploading {upload_mb:g} MiB")
                    result["upload"] = run_upload(server, seeded.tokens["admin"], upload_mb, work)
                    result["load_average_after_upload"] = list(os.getloadavg())
    return result


def run_benchmark(
    *,
    backends: Sequence[str] = BACKENDS,
    calls: int = 10_000,
    evidence: int = 100_000,
    deals: int = 1_000,
    reps: int = 50,
    teams: int = 5,
    requests: int = 120,
    concurrency: int = 4,
    upload_mb: float | None = 1024.0,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()),
        "config": {
            "calls": calls,
            "evidence": evidence,
            "deals": deals,
            "reps": reps,
            "teams": teams,
            "requests_per_endpoint": requests,
            "concurrency": concurrency,
            "upload_mb": upload_mb,
        },
        "backends": {},
    }
    for backend in backends:
        result["backends"][backend] = run_backend(
            backend,
            calls=calls,
            evidence=evidence,
            deals=deals,
            reps=reps,
            teams=teams,
            requests=requests,
            concurrency=concurrency,
            upload_mb=upload_mb,
        )
    result["load_average_at_end"] = list(os.getloadavg())
    return result


# --- report --------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _load(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def render(result: dict[str, Any]) -> str:
    """The figures as readable lines, each target marked met or MISSED."""
    cfg = result["config"]
    lines = [
        f"dealproof service benchmark: {result['cpu_count']} CPUs, load average at start "
        f"{_load(result['load_average_at_start'])}",
        f"data: {cfg['calls']} calls, {cfg['evidence']} evidence, {cfg['deals']} deals, "
        f"{cfg['reps']} reps in {cfg['teams']} teams; {cfg['requests_per_endpoint']} requests "
        f"per endpoint (admin, manager, rep in turn), {cfg['concurrency']} concurrent clients",
    ]
    for backend, b in result["backends"].items():
        reads = b["reads"]
        health = reads["endpoints"][HEALTH]
        lines += [
            f"{backend}: seeded in {b['seed']['seconds']:.1f} s; reads: {reads['requests']} "
            f"requests in {reads['seconds']:.1f} s ({reads['requests_per_s']:.0f}/s), "
            f"{reads['errors']} errors; load average {_load(b['load_average_before_reads'])} "
            f"before, {_load(b['load_average_after_reads'])} after",
            f"  {'endpoint':<22} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p95/health':>10}",
        ]
        for name in (HEALTH, *ENDPOINTS, "overall"):
            s = reads["overall"] if name == "overall" else reads["endpoints"][name]
            mark = "" if name == HEALTH else f"  [{_mark(s['p95_ms'] < LATENCY_TARGET_MS)}]"
            lines.append(
                f"  {name:<22} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} {s['p99_ms']:8.1f} "
                f"{s['ratio_p95_to_health']:9.1f}x{mark}"
            )
        lines.append(
            f"  (target p95 < {LATENCY_TARGET_MS:.0f} ms; health p95 {health['p95_ms']:.1f} ms "
            "is the no-database baseline)"
        )
        if "upload" in b:
            up = b["upload"]
            warm = b["upload_warmup"]
            lines.append(
                f"  warm-up upload {warm['size_mb']:.0f} MiB (imports PyAV): server RSS growth "
                f"{warm['rss_growth_mb']:.1f} MiB"
            )
            lines.append(
                f"  upload {up['size_mb']:.0f} MiB WAV: {up['seconds']:.1f} s = "
                f"{up['mb_per_s']:.0f} MiB/s; server RSS {up['rss_before_mb']:.0f} MiB before, "
                f"peak {up['rss_peak_mb']:.0f} MiB, growth {up['rss_growth_mb']:.1f} MiB "
                f"(target < {UPLOAD_GROWTH_TARGET_MB:.0f} MB) "
                f"[{_mark(up['rss_growth_mb'] < UPLOAD_GROWTH_TARGET_MB)}]; load average "
                f"after {_load(b['load_average_after_upload'])}"
            )
    lines.append(f"load average at end: {_load(result['load_average_at_end'])}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_service", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--evidence", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=1_000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--teams", type=int, default=5)
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help="comma-separated: sqlite,postgresql"
    )
    parser.add_argument("--requests", type=int, default=120, help="timed requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients")
    parser.add_argument(
        "--upload-mb", type=float, default=1024.0, help="upload size in MiB (0: no upload)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown or not backends:
        parser.error(f"--backends: one or more of {', '.join(BACKENDS)}")
    if min(args.calls, args.deals, args.reps, args.teams, args.requests, args.concurrency) < 1:
        parser.error("--calls, --deals, --reps, --teams, --requests, --concurrency must be ≥ 1")
    if args.reps < args.teams:
        parser.error("--reps must be at least --teams (every team needs a rep)")
    if args.evidence < 0 or args.upload_mb < 0:
        parser.error("--evidence and --upload-mb must be ≥ 0")
    result = run_benchmark(
        backends=backends,
        calls=args.calls,
        evidence=args.evidence,
        deals=args.deals,
        reps=args.reps,
        teams=args.teams,
        requests=args.requests,
        concurrency=args.concurrency,
        upload_mb=args.upload_mb or None,
    )
    print(render(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
