"""rate_hits: the request rate limit shared by several API processes

Revision ID: 0005_procrastinate
Revises: 0004_jobs
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_procrastinate"
down_revision: str | None = "0004_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_hits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_hits_user_at", "rate_hits", ["user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_hits_user_at", table_name="rate_hits")
    op.drop_table("rate_hits")
