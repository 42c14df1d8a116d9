"""The Alembic migrations build exactly the schema the SQLModel tables describe, on both
databases, and running them again changes nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel, select

from api.db import alembic_config, get_engine, migrate
from api.tables import Call, refresh_call_behaviors
from tests.api.service.conftest import BACKENDS, drop_postgres_database, postgres_database


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    migrate(database_url)  # a second run is a no-op
    engine = get_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


@pytest.mark.parametrize("backend", BACKENDS)
def test_0003_fills_each_calls_behaviors_from_its_evidence(backend: str, tmp_path: Path) -> None:
    """Calls analyzed before 0003 get their summary: each behavior once, sorted, rejected
    detections left out, '' for a call without evidence (or with only rejected evidence)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = postgres_database(f"dealproof_migrate_{os.getpid()}")
    try:
        command.upgrade(alembic_config(url), "0002")
        engine = get_engine(url)
        now = datetime(2026, 11, 3, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO organisations (id, name, created_at) VALUES (1, 'o', :t)"),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, org_id, name, email, role, created_at) "
                    "VALUES (1, 1, 'r', 'r@o.test', 'rep', :t)"
                ),
                {"t": now},
            )
            for call_id in (1, 2, 3):
                conn.execute(
                    text(
                        "INSERT INTO calls (id, org_id, rep_id, title, started_at, participants, "
                        "media_kind, media_format, media_name, media_key, media_size, "
                        "media_sha256, status, created_at) VALUES (:id, 1, 1, '', :t, '[]', "
                        "'transcript', 'vtt', 'c.vtt', 'k', 1, :sha, 'done', :t)"
                    ),
                    {"id": call_id, "t": now, "sha": f"{call_id:064x}"},
                )
            found = [
                (1, "pain_quantified", "detected"),
                (1, "agenda_set", "confirmed"),
                (1, "pain_quantified", "rejected"),
                (1, "budget_discussed", "rejected"),
                (1, "agenda_set", "detected"),
                (1, "Z_upper", "detected"),
                (2, "next_step_dated", "rejected"),
            ]
            for i, (call_id, behavior, status) in enumerate(found):
                conn.execute(
                    text(
                        "INSERT INTO evidence (key, call_id, org_id, rep_id, call_started_at, "
                        "behavior, speaker, utterance_ids, quote, confidence, fields, detector, "
                        "detector_version, status) VALUES (:key, :call, 1, 1, :t, :behavior, "
                        "'S1', '[]', '', 0.9, '{}', 'test', '1', :status)"
                    ),
                    {
                        "key": f"e{i}",
                        "call": call_id,
                        "t": now,
                        "behavior": behavior,
                        "status": status,
                    },
                )
        migrate(url)
        with Session(engine) as session:
            got = {c.id: c.behaviors for c in session.exec(select(Call))}
            assert got == {1: "|Z_upper|agenda_set|pain_quantified|", 2: "", 3: ""}
            # the migration's SQL and the app's recomputation agree
            for cid, summary in got.items():
                assert cid is not None
                assert refresh_call_behaviors(session, cid) == summary
    finally:
        if backend == "postgresql":
            drop_postgres_database(url)
        else:
            get_engine(url).dispose()
