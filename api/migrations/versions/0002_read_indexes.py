"""indexes for the list, ledger and adoption reads

- calls (org_id, rep_id, started_at): calls of a rep, newest first, and adoption's calls of
  the reps in a period; calls (org_id, deal_id, started_at): calls of a deal, newest first;
- evidence (org_id, deal_id) gains call_started_at: evidence of a deal, newest first. With
  the filter and the order in one index, SQLite without ANALYZE statistics (the app never
  runs it) does not walk a whole date index for the order instead;
- evidence (org_id, call_started_at, rep_id): evidence in a date range;
- evidence (org_id, behavior, call_started_at) gains rep_id and (org_id, rep_id,
  call_started_at) gains behavior: a filter on both (a behavior in a manager's or rep's
  scope) is checked in the index, not in the table;
- evidence (call_id, behavior, status): adoption's behaviors per call, from the index alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:58:17.098340
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calls_org_rep_started", ["org_id", "rep_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_calls_org_deal_started", ["org_id", "deal_id", "started_at"], unique=False
        )

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_org_behavior_started")
        batch_op.create_index(
            "ix_evidence_org_behavior_started",
            ["org_id", "behavior", "call_started_at", "rep_id"],
            unique=False,
        )
        batch_op.drop_index("ix_evidence_org_rep_started")
        batch_op.create_index(
            "ix_evidence_org_rep_started",
            ["org_id", "rep_id", "call_started_at", "behavior"],
            unique=False,
        )
        batch_op.create_index(
            "ix_evidence_org_started", ["org_id", "call_started_at", "rep_id"], unique=False
        )
        batch_op.create_index(
            "ix_evidence_call_behavior", ["call_id", "behavior", "status"], unique=False
        )
        batch_op.drop_index("ix_evidence_org_deal")
        batch_op.create_index(
            "ix_evidence_org_deal", ["org_id", "deal_id", "call_started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_org_deal")
        batch_op.create_index("ix_evidence_org_deal", ["org_id", "deal_id"], unique=False)
        batch_op.drop_index("ix_evidence_call_behavior")
        batch_op.drop_index("ix_evidence_org_started")
        batch_op.drop_index("ix_evidence_org_rep_started")
        batch_op.create_index(
            "ix_evidence_org_rep_started", ["org_id", "rep_id", "call_started_at"], unique=False
        )
        batch_op.drop_index("ix_evidence_org_behavior_started")
        batch_op.create_index(
            "ix_evidence_org_behavior_started",
            ["org_id", "behavior", "call_started_at"],
            unique=False,
        )

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_org_deal_started")
        batch_op.drop_index("ix_calls_org_rep_started")
