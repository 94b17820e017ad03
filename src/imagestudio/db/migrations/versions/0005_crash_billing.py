"""job_units belong to the operation (generations), not only to jobs: every create, a
synchronous one too, stores a unit's "sent" mark there before its paid vendor request

Revision ID: 0005_crash_billing
Revises: 0005_procrastinate
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_crash_billing"
down_revision: str | None = "0005_procrastinate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "fk_job_units_job_id_jobs"
_NEW = "fk_job_units_job_id_generations"


def upgrade() -> None:
    with op.batch_alter_table("job_units") as batch:
        batch.drop_constraint(_OLD, type_="foreignkey")
        batch.create_foreign_key(_NEW, "generations", ["job_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    op.execute("DELETE FROM job_units WHERE job_id NOT IN (SELECT id FROM jobs)")
    with op.batch_alter_table("job_units") as batch:
        batch.drop_constraint(_NEW, type_="foreignkey")
        batch.create_foreign_key(_OLD, "jobs", ["job_id"], ["id"], ondelete="CASCADE")
