"""assets: lineage (parent, operation, parameters) and a remembered focal point

Revision ID: 0004_optimize
Revises: 0003_studio_core
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_optimize"
down_revision: str | None = "0004_blob_storage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("operation", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("parameters", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("focal_x", sa.Float(), nullable=True))
        batch.add_column(sa.Column("focal_y", sa.Float(), nullable=True))
        batch.create_index("ix_assets_parent_id", ["parent_id"])
        batch.create_foreign_key(
            "fk_assets_parent_id_assets", "assets", ["parent_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.drop_constraint("fk_assets_parent_id_assets", type_="foreignkey")
        batch.drop_index("ix_assets_parent_id")
        for column in ("focal_y", "focal_x", "parameters", "operation", "parent_id"):
            batch.drop_column(column)
