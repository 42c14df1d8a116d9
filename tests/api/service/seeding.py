"""A seeded app for the authorization matrix and the schemathesis run: the ``World`` users of
the conftest, plus an East side (rep's deal, analyzed call, job, evidence), a West side (the
same for rep2), a deal owned by rep2 that rep called on, a review of each side's evidence and
an admin webhook.

Each seeded app gets a database of its own (a SQLite file, or a PostgreSQL database named
after the test module), so the function-scoped ``world`` fixture emptying the shared test
database cannot pull rows from under a module-scoped one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from api.auth import issue_token
from api.db import get_engine, migrate
from api.settings import Settings
from api.tables import User
from tests.api.service.conftest import (
    TRANSCRIPTS,
    World,
    drop_postgres_database,
    populate,
    postgres_database,
)

EAST_TRANSCRIPT = TRANSCRIPTS / "discovery_agenda_call.vtt"
WEST_TRANSCRIPT = TRANSCRIPTS / "demo_call.srt"
SHARED_TRANSCRIPT = TRANSCRIPTS / "followup_call.txt"


@dataclass
class Side:
    """One rep's objects: their team, themself, a deal, an analyzed call, its job and one of
    its evidence rows, and the transcript the call was uploaded from."""

    team_id: int
    user_id: int
    deal_id: int
    call_id: int
    job_id: int
    evidence_id: int
    transcript: Path


@dataclass
class Seeded:
    world: World
    east: Side
    west: Side
    shared_deal_id: int
    """Owned by rep2 (West); rep (East) has a call on it."""
    shared_call_id: int
    webhook_id: int
    sides: dict[str, Side] = field(default_factory=dict)

    def reissue_tokens(self) -> None:
        """New tokens for every seeded user (after a test revoked some)."""
        with Session(get_engine(self.world.settings.db_url), expire_on_commit=False) as session:
            for who in ("admin", "manager", "rep", "rep2", "other_admin"):
                user = session.exec(select(User).where(User.id == self.world.ids[who])).one()
                self.world.tokens[who] = issue_token(session, user, "reissued")
            session.commit()


def _side(world: World, who: str, team: str, transcript: Path, external_id: str) -> Side:
    deal = world.post(who, "/deals", json={"name": f"{who}'s deal", "external_id": external_id})
    assert deal.status_code == 201, deal.text
    deal_id = deal.json()["id"]
    call = world.analyzed(who, transcript, deal_id=deal_id, call_start="2026-11-20T15:00:00+01:00")
    jobs = world.get(who, f"/calls/{call['id']}/jobs").json()
    evidence = world.get(who, "/evidence", params={"call_id": call["id"]}).json()
    assert evidence["total"] > 0, f"{transcript.name} gave no evidence"
    return Side(
        team_id=world.ids[team],
        user_id=world.ids[who],
        deal_id=deal_id,
        call_id=call["id"],
        job_id=jobs[0]["id"],
        evidence_id=evidence["items"][0]["id"],
        transcript=transcript,
    )


def seed(world: World) -> Seeded:
    east = _side(world, "rep", "east", EAST_TRANSCRIPT, "crm-east")
    west = _side(world, "rep2", "west", WEST_TRANSCRIPT, "crm-west")
    shared = world.post("rep2", "/deals", json={"name": "shared", "external_id": "crm-shared"})
    assert shared.status_code == 201, shared.text
    # only someone who sees both may put rep's call on rep2's deal: the admin
    shared_call = world.analyzed(
        "admin", SHARED_TRANSCRIPT, deal_id=shared.json()["id"], rep_id=world.ids["rep"]
    )
    for side in (east, west):
        review = world.post(
            "admin", f"/evidence/{side.evidence_id}/reviews", json={"verdict": "confirmed"}
        )
        assert review.status_code == 201, review.text
    hook = world.post(
        "admin",
        "/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["deal.criteria_changed"]},
    )
    assert hook.status_code == 201, hook.text
    return Seeded(
        world=world,
        east=east,
        west=west,
        shared_deal_id=shared.json()["id"],
        shared_call_id=shared_call["id"],
        webhook_id=hook.json()["id"],
        sides={"east": east, "west": west},
    )


@contextmanager
def seeded_app(backend: str, data_dir: Path, name: str) -> Iterator[Seeded]:
    """A running, seeded app on ``backend`` ("sqlite" or "postgresql") in a database of its
    own named ``name``; dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / f'{name}.db'}"
    else:
        url = postgres_database(f"{name}_{os.getpid()}")
    try:
        migrate(url)
        settings = Settings(
            data_dir=data_dir / "data",
            database_url=url,
            workers=1,
            job_lease_seconds=3.0,
            webhook_backoff=0.2,
            webhook_timeout=2.0,
            webhook_max_attempts=1,
            webhook_allow_private=True,  # the seeded endpoint is on 127.0.0.1
        )
        tokens, ids = populate(url)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield seed(World(client, settings, tokens, ids))
    finally:
        if backend == "sqlite":
            get_engine(url).dispose()
        else:
            drop_postgres_database(url)
