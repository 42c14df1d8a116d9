"""The Alembic migrations build exactly the schema the SQLModel tables describe, on both
databases, and running them again changes nothing."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import api.tables  # noqa: F401  (registers the tables)
from api.db import get_engine, migrate


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
