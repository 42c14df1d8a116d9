"""Fixtures for the service tests. Every test that uses ``world`` runs twice: on SQLite and
on the real PostgreSQL server (127.0.0.1:5432, or DEALPROOF_TEST_POSTGRES_URL), each with
in-process workers running real analyses.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

from api.app import create_app
from api.auth import issue_token
from api.db import get_engine, migrate
from api.settings import Settings
from api.tables import Call, Evidence, Organisation, Team, User

TRANSCRIPTS = Path(__file__).parents[2] / "data" / "transcripts"
POSTGRES_ADMIN_URL = os.environ.get(
    "DEALPROOF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def postgres_database(name: str) -> str:
    """Create an empty database ``name`` on the test server; returns its URL."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    get_engine(url).dispose()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'dealproof.db'}"
        migrate(url)
        yield url
        return
    url = postgres_database(f"dealproof_test_{os.getpid()}")
    migrate(url)
    yield url
    drop_postgres_database(url)


def empty_tables(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@dataclass
class World:
    """A running app with two organisations: acme (an admin, a manager of team East, reps
    rep (East) and rep2 (West)) and globex (an admin). ``tokens`` and ``ids`` by those names."""

    client: TestClient
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, path: str, **kwargs: Any) -> Response:
        return self.client.get(f"/api/v1{path}", headers=self.headers(who), **kwargs)

    def post(self, who: str, path: str, **kwargs: Any) -> Response:
        return self.client.post(f"/api/v1{path}", headers=self.headers(who), **kwargs)

    def upload(self, who: str, path: Path, content: bytes | None = None, **fields: Any) -> Response:
        data = path.read_bytes() if content is None else content
        return self.client.post(
            "/api/v1/calls",
            headers=self.headers(who),
            files={"file": (path.name, data, "application/octet-stream")},
            data={k: str(v) for k, v in fields.items()},
        )

    def wait_job(self, job_id: int, who: str = "admin", timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.get(who, f"/jobs/{job_id}").json()
            if job["status"] in ("done", "failed"):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")
            time.sleep(0.2)

    def analyzed(self, who: str, path: Path, **fields: Any) -> dict[str, Any]:
        """Upload and wait for the analysis; returns the call."""
        response = self.upload(who, path, **fields)
        assert response.status_code == 202, response.text
        job = self.wait_job(response.json()["job"]["id"], who)
        assert job["status"] == "done", job
        call: dict[str, Any] = self.get(who, f"/calls/{response.json()['call']['id']}").json()
        return call


def populate(url: str) -> tuple[dict[str, str], dict[str, int]]:
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    with Session(get_engine(url), expire_on_commit=False) as session:
        acme = Organisation(name="acme")
        globex = Organisation(name="globex")
        session.add_all([acme, globex])
        session.flush()
        assert acme.id is not None and globex.id is not None
        east = Team(org_id=acme.id, name="East")
        west = Team(org_id=acme.id, name="West")
        session.add_all([east, west])
        session.flush()
        ids.update(acme=acme.id, globex=globex.id, east=east.id or 0, west=west.id or 0)
        people = {
            "admin": User(org_id=acme.id, name="Ada", email="ada@acme.test", role="admin"),
            "manager": User(
                org_id=acme.id, team_id=east.id, name="Max", email="max@acme.test", role="manager"
            ),
            "rep": User(
                org_id=acme.id, team_id=east.id, name="Rae", email="rae@acme.test", role="rep"
            ),
            "rep2": User(
                org_id=acme.id, team_id=west.id, name="Wes", email="wes@acme.test", role="rep"
            ),
            "other_admin": User(
                org_id=globex.id, name="Olga", email="olga@globex.test", role="admin"
            ),
        }
        session.add_all(people.values())
        session.flush()
        for name, user in people.items():
            tokens[name] = issue_token(session, user)
            ids[name] = user.id or 0
        session.commit()
    return tokens, ids


@pytest.fixture
def world_settings() -> dict[str, Any]:
    """Settings ``world`` takes besides (or instead of) its own; a test module overrides this
    fixture to change them, e.g. ``{"webhook_max_attempts": 3}``."""
    return {}


@pytest.fixture
def world(database_url: str, tmp_path: Path, world_settings: dict[str, Any]) -> Iterator[World]:
    empty_tables(database_url)
    settings = Settings(
        **{
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "workers": 1,
            "job_lease_seconds": 3.0,
            "webhook_backoff": 0.2,
            "webhook_timeout": 2.0,
            # The tests' receivers listen on loopback; test_webhooks checks the refusal.
            "webhook_allow_private": True,
            **world_settings,
        }
    )
    tokens, ids = populate(database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield World(client, settings, tokens, ids)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def evidence_row(call: Call, key: str, behavior: str) -> Evidence:
    """A detection of ``behavior`` in ``call``, as a worker would store it, for tests that
    write evidence straight to the database."""
    assert call.id is not None
    return Evidence(
        key=key,
        call_id=call.id,
        org_id=call.org_id,
        rep_id=call.rep_id,
        deal_id=call.deal_id,
        call_started_at=call.started_at,
        behavior=behavior,
        speaker="S1",
        utterance_ids=[],
        quote="",
        confidence=0.9,
        fields={},
        detector="test",
        detector_version="1",
    )
