"""blobs: one claim row per stored file, so files are removed only by the garbage collector

Every file the assets reference today gets a row touched now (collected, once unreferenced,
no earlier than one grace period after this upgrade).

Revision ID: 0004_blob_storage
Revises: 0003_studio_core
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_blob_storage"
down_revision: str | None = "0003_studio_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_blobs")),
    )
    op.create_index(op.f("ix_blobs_touched_at"), "blobs", ["touched_at"], unique=False)
    op.execute(
        "INSERT INTO blobs (key, touched_at) SELECT file_key, CURRENT_TIMESTAMP FROM "
        "(SELECT file_key FROM assets UNION SELECT file_key FROM deliveries) AS referenced"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_blobs_touched_at"), table_name="blobs")
    op.drop_table("blobs")
