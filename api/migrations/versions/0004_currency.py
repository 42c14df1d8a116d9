"""calls.currency and deals.currency: the ISO 4217 code of a call's money, as the uploader
gives it, and a deal's, for the calls uploaded without one

Amounts said without a currency, and plain dollars when the code is a dollar (AUD, CAD,
...), take it. Existing calls and deals have none: their amounts keep the currency the call
names most often.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("calls", "deals"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("currency", AutoString(length=3), nullable=True))


def downgrade() -> None:
    for table in ("deals", "calls"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("currency")
