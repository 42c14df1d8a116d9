"""calls.behaviors: the behaviors each call has non-rejected evidence of

Adoption counts a team's calls per behavior from this column alone, instead of probing
~1,000 calls' evidence per request. Existing calls get it from their evidence here; from
then on whatever changes a call's evidence or its status recomputes it in the same
transaction (api.tables.refresh_call_behaviors). The format: ``|a|b|`` (sorted), or empty.

calls (org_id, rep_id, started_at) gains status and behaviors: it then covers adoption's
count of a team's calls (an index-only read; PostgreSQL otherwise scans the whole table).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# each call's distinct non-rejected behaviors, sorted, joined as |a|b| ('' without any)
BACKFILL = {
    # SQLite (before 3.44) has no ORDER BY inside group_concat: it concatenates in the
    # order an ordered subquery gives
    "sqlite": """
        UPDATE calls SET behaviors = coalesce((
            SELECT '|' || group_concat(behavior, '|') || '|' FROM (
                SELECT DISTINCT behavior FROM evidence
                WHERE evidence.call_id = calls.id AND evidence.status != 'rejected'
                ORDER BY behavior
            )
        ), '')
    """,
    # (COLLATE "C": code point order, as Python's sorted)
    "postgresql": """
        UPDATE calls SET behaviors = '|' || found.names || '|'
        FROM (
            SELECT call_id, string_agg(behavior, '|' ORDER BY behavior COLLATE "C") AS names
            FROM (SELECT DISTINCT call_id, behavior FROM evidence WHERE status != 'rejected') AS d
            GROUP BY call_id
        ) AS found
        WHERE found.call_id = calls.id
    """,
}


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("behaviors", sa.Text(), server_default="", nullable=False))
    op.execute(BACKFILL[op.get_bind().dialect.name])
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_org_rep_started")
        batch_op.create_index(
            "ix_calls_org_rep_started",
            ["org_id", "rep_id", "started_at", "status", "behaviors"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_org_rep_started")
        batch_op.create_index(
            "ix_calls_org_rep_started", ["org_id", "rep_id", "started_at"], unique=False
        )
        batch_op.drop_column("behaviors")
