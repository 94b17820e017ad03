"""assets: video facts (duration, codec, poster frame file)

Revision ID: 0004_video
Revises: 0004_optimize
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_video"
down_revision: str | None = "0004_optimize"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("codec", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("poster_key", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.drop_column("poster_key")
        batch.drop_column("codec")
        batch.drop_column("duration_ms")
